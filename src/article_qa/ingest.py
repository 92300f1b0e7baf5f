"""Stage 1 — ingest: raw file bytes to one clean copy of the article.

Web copies of articles carry share/QR/follow widgets and are often pasted
twice. The rules here are general (no list keyed to one article): decode the
bytes, split into paragraphs, drop lines that are widget chrome, drop any
paragraph already seen, and mark headings (short lines without closing
punctuation). A widget line is one made only of widget vocabulary ("Share
this article", "掃描二維碼分享到手機", "Facebook", "+關註"), so a heading or
sentence that merely uses such a word ("Print media in decline", "關注弱勢
讀者") is kept. Markdown files (by extension) lose their markup: links keep
their text, emphasis and list markers go. The clean text joins paragraphs
with one newline; every span is a character offset into it.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from pathlib import Path

from .errors import ArticleError
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
_MARKDOWN_HEADING = re.compile(r"^#{1,6}\s+")
_MARKDOWN_SUFFIXES = {".md", ".markdown", ".mdown", ".mkd"}
# Lines that end a paragraph on their own: horizontal rules and setext
# underlines (===, ---), code fences, link reference definitions.
_MARKDOWN_BREAK = re.compile(r"^([=\-*_]\s*){3,}$|^(```|~~~)|^\[[^\]]+\]:\s")
_LIST_ITEM = re.compile(r"^([-*+•·▪]|\d{1,3}[.)])\s+")
_BULLET = re.compile(r"^[-*+•·▪]\s+")
_BLOCKQUOTE = re.compile(r"^(>\s?)+")
_INLINE_MARKDOWN = (
    (re.compile(r"<!--.*?-->", re.DOTALL), ""),
    (re.compile(r"!\[[^\]]*\]\([^)]*\)"), ""),  # images
    (re.compile(r"\[([^\]]+)\]\([^)]*\)"), r"\1"),  # [text](url)
    (re.compile(r"\[([^\]]+)\]\[[^\]]*\]"), r"\1"),  # [text][ref]
    (re.compile(r"</?[A-Za-z][^>]*>"), ""),  # inline HTML tags
    (re.compile(r"(\*\*|__|~~)(?=\S)(.+?)(?<=\S)\1"), r"\2"),
    (re.compile(r"(?<![\w*])\*(?=\S)([^*]+?)(?<=\S)\*(?![\w*])"), r"\1"),
    (re.compile(r"(?<![\w_])_(?=\S)([^_]+?)(?<=\S)_(?![\w_])"), r"\1"),
    (re.compile(r"`([^`]+)`"), r"\1"),
)
_FRONT_MATTER = re.compile(r"\A---\n.*?\n---\n", re.DOTALL)
_CONTENT_CHAR = re.compile(r"\w")
_ALLOWED_CONTROL = {"\n", "\t", "\f"}
_LATIN_END = re.compile(r"[A-Za-z0-9,;:.!?)\]]$")
_LATIN_START = re.compile(r"^[A-Za-z0-9(\[]")


def read_article(path: str | Path, *, encoding: str | None = None) -> Article:
    """Read and clean the article at ``path``."""
    path = Path(path)
    raw = _read_bytes(path)
    text = decode_article(raw, encoding=encoding, name=str(path))
    if not text.strip():
        raise ArticleError(f"{path} is empty; give a file with the article's text.")
    return clean_article(text, name=str(path), markdown=path.suffix.lower() in _MARKDOWN_SUFFIXES)


def _read_bytes(path: Path) -> bytes:
    if not path.exists():
        raise ArticleError(f"No article at {path}: check the path.")
    if path.is_dir():
        raise ArticleError(f"{path} is a folder; give the path of a text file.")
    if not path.is_file():  # a pipe or a device (/dev/zero) would never end
        raise ArticleError(f"{path} is not a regular file; give the path of a text file.")
    _check_size(path, path.stat().st_size)
    try:
        with open(path, "rb") as handle:
            raw = handle.read(MAX_ARTICLE_BYTES + 1)  # the file may grow after stat()
    except OSError as error:
        raise ArticleError(f"Cannot read {path}: {error.strerror}.") from error
    _check_size(path, len(raw))
    return raw


def _check_size(path: Path, size: int) -> None:
    if size > MAX_ARTICLE_BYTES:
        raise ArticleError(
            f"{path} is {size / 2**20:.0f} MB; article-qa reads articles up to "
            f"{MAX_ARTICLE_BYTES // 2**20} MB. Split the text into several articles."
        )


def decode_article(raw: bytes, *, encoding: str | None = None, name: str = "article") -> str:
    """Bytes to text: an explicit encoding, else a BOM, UTF-8, or detection."""
    if encoding:
        text = _decode_with(raw, encoding, name)
    else:
        text = _detect_and_decode(raw, name)
    text = text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")
    if _looks_binary(text):
        raise ArticleError(f"{name} looks like a binary file, not text.")
    return text


def _decode_with(raw: bytes, encoding: str, name: str) -> str:
    try:
        codecs.lookup(encoding)
    except LookupError as error:
        raise ArticleError(f"Unknown encoding {encoding!r}.") from error
    try:
        return raw.decode(encoding)
    except LookupError as error:  # rot13, base64...: codecs, but not text encodings
        raise ArticleError(f"{encoding!r} is not a text encoding; try utf-8, gb18030 or big5.") from error
    except UnicodeError as error:  # idna and friends raise the base class
        where = f" (byte {error.start})" if isinstance(error, UnicodeDecodeError) else ""
        raise ArticleError(f"{name} is not valid {encoding}{where}.") from error


def _detect_and_decode(raw: bytes, name: str) -> str:
    for bom, codec in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
                       (codecs.BOM_UTF16_BE, "utf-16")):
        if raw.startswith(bom):
            return _decode_with(raw, codec, name)
    if _looks_binary_bytes(raw):
        raise ArticleError(f"{name} looks like a binary file, not text.")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    # Chinese legacy encodings: both GB18030 and Big5 decode most byte
    # strings, so let the detector weigh which reads as real text.
    from charset_normalizer import from_bytes

    best = from_bytes(raw, cp_isolation=["gb18030", "big5", "cp1252", "latin_1"]).best()
    if best is None:
        raise ArticleError(
            f"{name} is not UTF-8 and its encoding could not be detected; "
            "pass --encoding (for example gb18030 or big5)."
        )
    return str(best)


def _looks_binary_bytes(raw: bytes) -> bool:
    """Control bytes other than whitespace: no UTF-8, GB18030 or Big5 text has them."""
    sample = raw[:65536]
    if b"\x00" in sample:
        return True
    controls = sum(1 for byte in sample if byte < 0x20 and byte not in b"\t\n\r\f\x1b")
    return bool(sample) and controls / len(sample) > 0.01


def _looks_binary(text: str) -> bool:
    sample = text[:65536]
    if not sample:
        return False
    controls = sum(1 for ch in sample if unicodedata.category(ch) == "Cc" and ch not in _ALLOWED_CONTROL)
    return controls / len(sample) > 0.01


def clean_article(text: str, *, name: str = "article", markdown: bool = False) -> Article:
    """Clean decoded text into an :class:`Article` (see the module doc)."""
    if markdown:
        text = _FRONT_MATTER.sub("", text)
    blocks = [_strip_markdown(b, markdown) for b in _paragraph_blocks(text)]
    kept: list[tuple[str, bool]] = []
    seen: set[str] = set()
    byline = ""
    for block in blocks:
        key = re.sub(r"\s+", "", block)
        if key in seen or is_junk_line(block):
            continue
        seen.add(key)
        if not byline and _BYLINE.match(block) and len(block) <= _HEADING_MAX_CHARS:
            byline = block
            kept.append((block, False))
            continue
        kept.append((block, is_heading(block)))
    if not any(not heading for _, heading in kept):
        raise ArticleError(f"{name} has no article text (it is empty or only headings and widgets).")
    return _assemble(kept, byline)


def _paragraph_blocks(text: str) -> list[str]:
    """Paragraphs: blank-line separated blocks if the text has blank lines
    (wrapped lines inside a block are joined), otherwise one per line."""
    lines = [_BULLET.sub("", _BLOCKQUOTE.sub("", line.strip())).strip() for line in text.split("\n")]
    if "\n\n" not in "\n".join(lines).strip("\n"):
        return [line for line in lines if line]
    blocks, current = [], []
    for raw_line, line in zip(text.split("\n"), lines):
        if line and not _stands_alone(raw_line.strip(), line, current):
            current.append(line)
            continue
        if current:
            blocks.append(_join_wrapped(current))
            current = []
        if line and not _MARKDOWN_BREAK.match(line):
            blocks.append(line)
    if current:
        blocks.append(_join_wrapped(current))
    return blocks


def _stands_alone(raw_line: str, line: str, current: list[str]) -> bool:
    """Lines that are never joined to the one before: headings, list items,
    rules and fences, and widget lines glued under a finished sentence."""
    if _MARKDOWN_HEADING.match(line) or _MARKDOWN_BREAK.match(line) or _LIST_ITEM.match(raw_line):
        return True
    after_sentence = not current or current[-1].endswith(_SENTENCE_END)
    return after_sentence and not line[:1].islower() and is_junk_line(line)


def _join_wrapped(lines: list[str]) -> str:
    """Join hard-wrapped lines: a space between Latin words, nothing in CJK."""
    joined = lines[0]
    for line in lines[1:]:
        gap = " " if _LATIN_END.search(joined) and _LATIN_START.match(line) else ""
        joined += gap + line
    return joined


def _strip_markdown(block: str, markdown: bool) -> str:
    block = _MARKDOWN_HEADING.sub("", block)
    if markdown:
        for pattern, replacement in _INLINE_MARKDOWN:
            block = pattern.sub(replacement, block)
    return block.strip()


def is_junk_line(line: str) -> bool:
    """Widget chrome: no word characters at all, or only widget vocabulary."""
    if not _CONTENT_CHAR.search(line):
        return True
    if len(line) > _WIDGET_MAX_CHARS or not _WIDGET.search(line):
        return False
    return not _LETTER.search(_WIDGET_OR_FILLER.sub(" ", line))


def is_heading(line: str) -> bool:
    """A short line without closing punctuation reads as a section heading."""
    if line.endswith(_CLOSING_PUNCTUATION):
        return False
    if len(line) > _HEADING_MAX_CHARS * (2 if line.isascii() else 1):
        return False
    return len(line.split()) <= _HEADING_MAX_WORDS


def _assemble(kept: list[tuple[str, bool]], byline: str) -> Article:
    spans, offset = [], 0
    for block, heading in kept:
        spans.append(Span(offset, offset + len(block), heading))
        offset += len(block) + 1
    text = "\n".join(block for block, _ in kept)
    last_body = next(block for block, heading in reversed(kept) if not heading)
    source_line = last_body if last_body.startswith(("(", "（")) and last_body.endswith((")", "）")) else ""
    return Article(text=text, spans=tuple(spans), byline=byline, source_line=source_line)
