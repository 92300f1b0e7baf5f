"""Stage 1 — ingest: an article file (text, Markdown, HTML or PDF) to one
clean copy of the article.

``formats`` reads the file into blocks — headings and paragraphs — with a
parser for its format. The rules here are general (no list keyed to one
article): join each paragraph's wrapped lines, drop lines that are widget
chrome, drop any paragraph already seen, and mark headings (the format's own
marks, else short lines without closing punctuation). Where the format does
not say, a short line without closing punctuation directly above a long one
is a heading whether or not a blank line follows it ("Title\nFirst
paragraph…" reads as "Title\n\nFirst paragraph…"); hard-wrapped prose,
whose lines are about as long as each other, is still joined. Web copies of articles
carry share/QR/follow widgets and are often pasted twice. A widget line is
one made only of widget vocabulary ("Share this article", "掃描二維碼分享到手機",
"Facebook", "+關註"), so a heading or sentence that merely uses such a word
("Print media in decline", "關注弱勢讀者") is kept. The clean text joins
paragraphs with one newline; every span is a character offset into it.
"""

from __future__ import annotations

import re
from pathlib import Path

from .errors import ArticleError
from .formats import Block, read_blocks, text_blocks
from .records import Article, Span

MAX_ARTICLE_BYTES = 40 * 1024 * 1024

# Widget chrome seen on news and magazine sites, in Chinese and English. A
# line is chrome when it names at least one widget and, once widget words,
# filler words, digits and symbols are taken out, no letter is left.
_WIDGET_WORDS = (
    "分享到 分享 二維碼 二维码 掃描 扫描 掃碼 扫码 關註 关注 關注 訂閱 订阅 點贊 点赞 讚 赞 收藏 轉發 转发 "
    "列印 打印 返回頂部 返回顶部 責任編輯 责任编辑 字號 字号 微信 微博 朋友圈 QQ空間 QQ空间 複製鏈接 复制链接 "
    "評論 评论 留言 "
    "share shares follow subscribe tweet retweet facebook twitter linkedin whatsapp telegram reddit "
    "pinterest weibo wechat email e-mail newsletter advertisement print comments comment like likes "
    "copy_link sign_up qr_code scan"
).split()
_WIDGET_FILLERS = (
    "到 手機 手机 本文 此文 文章 我們 我们 點擊 点击 給 给 好友 一下 本頁 本页 至 和 或 大 中 小 "
    "this article story page post on us our to the a via with your friends now here click and or for up "
    "free link copy more read back top in me it of by x"
).split()


def _vocabulary_pattern(words: list[str]) -> re.Pattern:
    """Longest first; Latin words only as whole words ("like" not in "likely")."""
    parts = []
    for word in sorted(words, key=len, reverse=True):
        escaped = re.escape(word.replace("_", " "))
        parts.append(rf"\b{escaped}\b" if word.isascii() else escaped)
    return re.compile("|".join(parts), re.IGNORECASE)


_WIDGET = _vocabulary_pattern(_WIDGET_WORDS)
_WIDGET_OR_FILLER = _vocabulary_pattern(_WIDGET_WORDS + _WIDGET_FILLERS)
_LETTER = re.compile(r"[^\W\d_]")
_WIDGET_MAX_CHARS = 100
_CLOSING_PUNCTUATION = tuple("。！？；：，、.!?;:,…)）」』”\"'")
_SENTENCE_END = tuple("。！？.!?")
_HEADING_MAX_CHARS = 40
_HEADING_MAX_WORDS = 12
_BYLINE = re.compile(r"^((文|作者|記者|记者|撰文)\s*[|｜:：]|(by|author:)\s+\S)", re.IGNORECASE)
_CONTENT_CHAR = re.compile(r"\w")
_LATIN_END = re.compile(r"[A-Za-z0-9,;:.!?)\]]$")
_LATIN_START = re.compile(r"^[A-Za-z0-9(\[]")


def read_article(path: str | Path, *, encoding: str | None = None) -> Article:
    """Read and clean the article at ``path`` (.txt, .md, .html/.htm, .pdf)."""
    path = Path(path)
    return read_article_bytes(_read_bytes(path), str(path), encoding=encoding)


def read_article_bytes(data: bytes, name: str, *, encoding: str | None = None) -> Article:
    """Clean the article in ``data``, an uploaded file called ``name`` (its
    extension, with the content, picks the format; it names the file in errors)."""
    _check_size(name, len(data))
    return clean_blocks(read_blocks(data, name, encoding=encoding), name=name)


def _read_bytes(path: Path) -> bytes:
    if not path.exists():
        raise ArticleError(f"No article at {path}: check the path.")
    if path.is_dir():
        raise ArticleError(f"{path} is a folder; give the path of a text file.")
    if not path.is_file():  # a pipe or a device (/dev/zero) would never end
        raise ArticleError(f"{path} is not a regular file; give the path of a text file.")
    _check_size(str(path), path.stat().st_size)
    try:
        with open(path, "rb") as handle:
            raw = handle.read(MAX_ARTICLE_BYTES + 1)  # the file may grow after stat()
    except OSError as error:
        raise ArticleError(f"Cannot read {path}: {error.strerror}.") from error
    _check_size(str(path), len(raw))
    return raw


def _check_size(name: str, size: int) -> None:
    if size > MAX_ARTICLE_BYTES:
        raise ArticleError(
            f"{name} is {size / 2**20:.0f} MB; article-qa reads articles up to "
            f"{MAX_ARTICLE_BYTES // 2**20} MB. Split the text into several articles."
        )


def clean_article(text: str, *, name: str = "article") -> Article:
    """Clean decoded plain text into an :class:`Article` (see the module doc)."""
    return clean_blocks(text_blocks(text), name=name)


def clean_blocks(blocks: list[Block], *, name: str = "article") -> Article:
    """Blocks from any format to an :class:`Article`: paragraphs joined,
    widgets and repeats dropped, byline and headings marked."""
    kept: list[tuple[str, bool, int]] = []
    seen: set[str] = set()
    byline = ""
    for paragraph, heading, level in _paragraphs(blocks):
        key = re.sub(r"\s+", "", paragraph)
        if key in seen or is_junk_line(paragraph):
            continue
        seen.add(key)
        if not heading and not byline and _BYLINE.match(paragraph) and len(paragraph) <= _HEADING_MAX_CHARS:
            byline = paragraph
            kept.append((paragraph, False, 0))
            continue
        heading = is_heading(paragraph) if heading is None and not level else bool(heading)
        kept.append((paragraph, heading, level))
    if not any(not heading for _, heading, _ in kept):
        raise ArticleError(f"{name} has no article text (it is empty or only headings and widgets).")
    return _assemble(kept, byline)


def _paragraphs(blocks: list[Block]):
    """Each block's lines joined into one paragraph, except widget lines glued
    under a finished sentence ("…construction." + "Share this article"): those
    stand alone, so the junk rule can drop them, and what follows them starts
    anew; and, where the format does not say what is a heading, a title line
    directly above its text (:func:`is_title_above`), which stands alone too."""
    for block in blocks:
        current: list[str] = []
        lines = [line.strip() for line in block.lines if line.strip()]
        for number, line in enumerate(lines):
            after_sentence = not current or current[-1].endswith(_SENTENCE_END)
            if after_sentence and not line[:1].islower() and is_junk_line(line):
                if current:
                    yield _join_wrapped(current), block.heading, block.level
                    current = []
                yield line, False, 0
            elif (block.heading is None and len(current) == 1 and number == 1
                  and is_title_above(current[0], line)):
                yield current[0], None, 0  # None: a heading, or the byline, as clean_blocks decides
                current = [line]
            else:
                current.append(line)
        if current:
            yield _join_wrapped(current), block.heading, block.level


def _join_wrapped(lines: list[str]) -> str:
    """Join hard-wrapped lines: a space between Latin words, nothing in CJK."""
    joined = lines[0]
    for line in lines[1:]:
        gap = " " if _LATIN_END.search(joined) and _LATIN_START.match(line) else ""
        joined += gap + line
    return joined


def is_junk_line(line: str) -> bool:
    """Widget chrome: no word characters at all, or only widget vocabulary."""
    if not _CONTENT_CHAR.search(line):
        return True
    if len(line) > _WIDGET_MAX_CHARS or not _WIDGET.search(line):
        return False
    return not _LETTER.search(_WIDGET_OR_FILLER.sub(" ", line))


def is_title_above(line: str, below: str) -> bool:
    """Whether ``line`` is a title over ``below`` rather than the first line
    of a hard-wrapped paragraph: a heading-like line over a line at least
    twice as long that is no heading and does not carry on a sentence in
    lower case (wrapping fills a line before it breaks, so a wrapped line is
    about as long as the next)."""
    if not is_heading(line) or is_heading(below) or below[:1].islower():
        return False
    return len(below) >= 2 * len(line)


def is_heading(line: str) -> bool:
    """A short line without closing punctuation reads as a section heading."""
    if line.endswith(_CLOSING_PUNCTUATION):
        return False
    if len(line) > _HEADING_MAX_CHARS * (2 if line.isascii() else 1):
        return False
    return len(line.split()) <= _HEADING_MAX_WORDS


def _assemble(kept: list[tuple[str, bool, int]], byline: str) -> Article:
    spans, offset = [], 0
    for block, heading, level in kept:
        spans.append(Span(offset, offset + len(block), heading, level))
        offset += len(block) + 1
    text = "\n".join(block for block, _, _ in kept)
    last_body = next(block for block, heading, _ in reversed(kept) if not heading)
    source_line = last_body if last_body.startswith(("(", "（")) and last_body.endswith((")", "）")) else ""
    return Article(text=text, spans=tuple(spans), byline=byline, source_line=source_line)
