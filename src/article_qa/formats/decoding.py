"""Which format a file is, and plain bytes to text (explicit encoding, BOM,
UTF-8, or detection among the Chinese legacy encodings); binaries refused."""

from __future__ import annotations

import codecs
import re
import unicodedata
from pathlib import PurePath

from ..errors import ArticleError

MARKDOWN_SUFFIXES = {".md", ".markdown", ".mdown", ".mkd"}
HTML_SUFFIXES = {".html", ".htm", ".xhtml"}
PDF_SUFFIXES = {".pdf"}

_ALLOWED_CONTROL = {"\n", "\t", "\f"}

_HTML_DOCUMENT = re.compile(rb"\A(\s|<!--.*?-->|<\?xml[^>]*>)*<(!doctype\s+html|html)[\s>]",
                            re.IGNORECASE | re.DOTALL)


def sniff(data: bytes, name: str) -> str:
    """``pdf``, ``html``, ``markdown`` or ``text``: content wins over the extension,
    so a PDF or a saved web page renamed to ``.txt`` is still read as one."""
    suffix = PurePath(name).suffix.lower()
    if data[:1024].lstrip().startswith(b"%PDF-"):
        return "pdf"
    if suffix in PDF_SUFFIXES:
        raise ArticleError(f"{name} is not a PDF (it has no %PDF header); give the PDF file or the text.")
    head = data[:4096].removeprefix(codecs.BOM_UTF8)
    if suffix in HTML_SUFFIXES or _HTML_DOCUMENT.match(head):
        return "html"
    return "markdown" if suffix in MARKDOWN_SUFFIXES else "text"


def decode_text(raw: bytes, *, encoding: str | None = None, name: str = "article") -> str:
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
    if looks_binary_bytes(raw):
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


def looks_binary_bytes(raw: bytes) -> bool:
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
