"""Stage 1 — ingest: raw file bytes to one clean copy of the article.

Web copies of articles carry share/QR/follow widgets and are often pasted
twice. The rules here are general (no list keyed to one article): decode the
bytes, split into paragraphs, drop lines that are widget chrome, drop any
paragraph already seen, and mark headings (short lines without closing
punctuation). The clean text joins paragraphs with one newline; every span
is a character offset into it.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from pathlib import Path

from .errors import ArticleError
from .records import Article, Span

MAX_ARTICLE_BYTES = 40 * 1024 * 1024

# Widget chrome seen on news and magazine sites, in Chinese and English.
# Only short lines are tested against it, so article sentences that merely
# mention sharing or WeChat are kept.
_WIDGET_WORDS = re.compile(
    r"分享|二維碼|二维码|掃描|扫描|掃碼|扫码|關註|关注|關注|訂閱|订阅|點贊|点赞|收藏|轉發|转发|"
    r"列印|打印|返回頂部|返回顶部|責任編輯|责任编辑|字號|字号|"
    r"\b(share|follow|subscribe|scan|qr code|print|tweet|like us|sign up|newsletter|advertisement)\b",
    re.IGNORECASE,
)
_WIDGET_MAX_CHARS = 30
_CLOSING_PUNCTUATION = tuple("。！？；：，、.!?;:,…)）」』”\"'")
_SENTENCE_END = tuple("。！？.!?")
_HEADING_MAX_CHARS = 40
_HEADING_MAX_WORDS = 12
_BYLINE = re.compile(r"^((文|作者|記者|记者|撰文)\s*[|｜:：]|(by|author:)\s+\S)", re.IGNORECASE)
_MARKDOWN_HEADING = re.compile(r"^#{1,6}\s+")
_CONTENT_CHAR = re.compile(r"\w")
_ALLOWED_CONTROL = {"\n", "\t", "\f"}
_LATIN_END = re.compile(r"[A-Za-z0-9,;:.!?)\]]$")
_LATIN_START = re.compile(r"^[A-Za-z0-9(\[]")


def read_article(path: str | Path, *, encoding: str | None = None) -> Article:
    """Read and clean the article at ``path``."""
    raw = _read_bytes(Path(path))
    text = decode_article(raw, encoding=encoding, name=str(path))
    return clean_article(text, name=str(path))


def _read_bytes(path: Path) -> bytes:
    if not path.exists():
        raise ArticleError(f"No article at {path}: check the path.")
    if path.is_dir():
        raise ArticleError(f"{path} is a folder; give the path of a text file.")
    size = path.stat().st_size
    if size > MAX_ARTICLE_BYTES:
        raise ArticleError(
            f"{path} is {size / 2**20:.0f} MB; article-qa reads articles up to "
            f"{MAX_ARTICLE_BYTES // 2**20} MB. Split the text into several articles."
        )
    try:
        return path.read_bytes()
    except OSError as error:
        raise ArticleError(f"Cannot read {path}: {error.strerror}.") from error


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
    except UnicodeDecodeError as error:
        raise ArticleError(f"{name} is not valid {encoding} (byte {error.start}).") from error


def _detect_and_decode(raw: bytes, name: str) -> str:
    for bom, codec in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
                       (codecs.BOM_UTF16_BE, "utf-16")):
        if raw.startswith(bom):
            return _decode_with(raw, codec, name)
    if b"\x00" in raw:
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


def _looks_binary(text: str) -> bool:
    sample = text[:65536]
    if not sample:
        return False
    controls = sum(1 for ch in sample if unicodedata.category(ch) == "Cc" and ch not in _ALLOWED_CONTROL)
    return controls / len(sample) > 0.01


def clean_article(text: str, *, name: str = "article") -> Article:
    """Clean decoded text into an :class:`Article` (see the module doc)."""
    blocks = [_strip_markdown(b) for b in _paragraph_blocks(text)]
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
    lines = [line.strip() for line in text.split("\n")]
    if "\n\n" not in "\n".join(lines).strip("\n"):
        return [line for line in lines if line]
    blocks, current = [], []
    for line in lines:
        if line and not _MARKDOWN_HEADING.match(line):
            current.append(line)
            continue
        if current:
            blocks.append(_join_wrapped(current))
            current = []
        if line:
            blocks.append(line)
    if current:
        blocks.append(_join_wrapped(current))
    return blocks


def _join_wrapped(lines: list[str]) -> str:
    """Join hard-wrapped lines: a space between Latin words, nothing in CJK."""
    joined = lines[0]
    for line in lines[1:]:
        gap = " " if _LATIN_END.search(joined) and _LATIN_START.match(line) else ""
        joined += gap + line
    return joined


def _strip_markdown(block: str) -> str:
    return _MARKDOWN_HEADING.sub("", block).strip()


def is_junk_line(line: str) -> bool:
    """Widget chrome: no word characters at all, or a short share/follow line."""
    if not _CONTENT_CHAR.search(line):
        return True
    is_sentence = line.endswith(_SENTENCE_END)
    return len(line) <= _WIDGET_MAX_CHARS and not is_sentence and bool(_WIDGET_WORDS.search(line))


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
