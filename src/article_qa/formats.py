"""File bytes to article blocks, by format: plain text, Markdown, HTML, PDF.

Each reader returns :class:`Block` s — a heading or a paragraph, as the
lines it was written in — and ingest turns them into the clean article.
A block says whether it is a heading when the format marks headings
(Markdown ``#``, HTML ``<h1>``); plain text and PDF leave that to ingest's
guess. The format is chosen by content first (a PDF header, an HTML
document), then by the file's extension; anything else is plain text.

The parsing is done by libraries made for it: markdown-it-py for Markdown,
trafilatura for the main text of a web page, pypdf for PDF text.
"""

from __future__ import annotations

import codecs
import io
import itertools
import re
import unicodedata
from dataclasses import dataclass
from pathlib import PurePath

from .errors import ArticleError

MARKDOWN_SUFFIXES = {".md", ".markdown", ".mdown", ".mkd"}
HTML_SUFFIXES = {".html", ".htm", ".xhtml"}
PDF_SUFFIXES = {".pdf"}

_ALLOWED_CONTROL = {"\n", "\t", "\f"}


@dataclass(frozen=True)
class Block:
    """One heading or paragraph: its lines as written (wrapped lines of a
    paragraph are joined by ingest), and whether it is a heading — ``None``
    when the format does not say."""

    lines: tuple[str, ...]
    heading: bool | None = None


def read_blocks(data: bytes, name: str, *, encoding: str | None = None) -> list[Block]:
    """The blocks of the article in ``data``; ``name`` gives the extension and the messages."""
    kind = sniff(data, name)
    if kind == "pdf":
        return pdf_blocks(data, name)
    if kind == "html":
        return html_blocks(data, name, encoding=encoding)
    text = decode_text(data, encoding=encoding, name=name)
    if not text.strip():
        raise ArticleError(f"{name} is empty; give a file with the article's text.")
    return markdown_blocks(text) if kind == "markdown" else text_blocks(text)


# ---- which format ---------------------------------------------------------------
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


# ---- plain text: decoding ------------------------------------------------------
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


# ---- plain text: paragraphs ----------------------------------------------------
# Plain-text conventions, not Markdown: bullets and quote marks at a line's
# start, numbered items, and rules made of ***, ---, ===.
_RULE = re.compile(r"^([=\-*_~]\s*){3,}$")
_LIST_ITEM = re.compile(r"^([-*+•·▪]|\d{1,3}[.)])\s+")
_BULLET = re.compile(r"^[-*+•·▪]\s+")
_QUOTE_MARK = re.compile(r"^(>\s?)+")


def text_blocks(text: str) -> list[Block]:
    """Paragraphs of plain text: blank-line separated blocks if the text has
    blank lines (a list item or a rule also ends one), otherwise one per line."""
    raw_lines = text.split("\n")
    lines = [_BULLET.sub("", _QUOTE_MARK.sub("", line.strip())).strip() for line in raw_lines]
    if "\n\n" not in "\n".join(lines).strip("\n"):
        return [Block((line,)) for line in lines if line and not _RULE.match(line)]
    blocks: list[Block] = []
    current: list[str] = []
    for raw_line, line in zip(raw_lines, lines):
        if line and not _RULE.match(line) and not (current and _LIST_ITEM.match(raw_line.strip())):
            current.append(line)
            continue
        if current:
            blocks.append(Block(tuple(current)))
        current = [line] if line and not _RULE.match(line) else []
    if current:
        blocks.append(Block(tuple(current)))
    return blocks


# ---- Markdown -------------------------------------------------------------------
def markdown_blocks(text: str) -> list[Block]:
    """Markdown parsed by markdown-it-py (CommonMark + tables + strikethrough,
    front matter skipped): headings are headings; emphasis, links and inline
    HTML keep only their text; images are dropped (their alt text is not the
    article's prose); code blocks are kept as one block each; a table gives
    one block per row, its cells' text separated by spaces."""
    from markdown_it import MarkdownIt
    from mdit_py_plugins.front_matter import front_matter_plugin

    parser = MarkdownIt("commonmark").enable(["table", "strikethrough"]).use(front_matter_plugin)
    tokens = parser.parse(text)
    blocks: list[Block] = []
    row: list[str] | None = None
    for i, token in enumerate(tokens):
        if token.type == "inline":
            lines = _inline_lines(token.children or [])
            if row is not None:
                row.append(" ".join(lines))
            elif tokens[i - 1].type == "heading_open":
                blocks.append(Block((" ".join(lines),), heading=True))
            else:
                blocks.append(Block(tuple(lines), heading=False))
        elif token.type in ("fence", "code_block"):
            blocks.append(_code_block(token.content))
        elif token.type == "html_block":
            blocks.extend(Block((line,), heading=False) for line in _html_fragment_lines(token.content))
        elif token.type == "tr_open":
            row = []
        elif token.type == "tr_close":
            blocks.append(Block((" ".join(cell for cell in row if cell),), heading=False))
            row = None
    return [b for b in blocks if any(line.strip() for line in b.lines)]


def _inline_lines(children) -> list[str]:
    """An inline run's text, split at its line breaks."""
    lines, current = [], []
    for child in children:
        if child.type in ("softbreak", "hardbreak"):
            lines.append("".join(current))
            current = []
        elif child.type in ("text", "code_inline"):
            current.append(child.content)
        elif child.type == "html_inline" and child.content.lower().startswith("<br"):
            lines.append("".join(current))
            current = []
        # Images, link and emphasis markers, other inline HTML: no text of their own.
    lines.append("".join(current))
    # A dropped image or tag leaves two spaces where one was meant.
    return [" ".join(line.split()) for line in lines if line.strip()]


def _code_block(code: str) -> Block:
    """Code kept as written, one block (its lines joined by spaces: a code
    line is no sentence to re-flow or to drop as a widget)."""
    text = " ".join(line.strip() for line in code.splitlines() if line.strip())
    return Block((text,), heading=False)


def _html_fragment_lines(html: str) -> list[str]:
    """The text of a raw HTML block inside Markdown (comments give none)."""
    import lxml.html
    from lxml import etree

    try:
        root = lxml.html.fragment_fromstring(html, create_parent="div")
    except (etree.ParserError, ValueError):  # markup with nothing lxml can read
        return []
    for junk in root.xpath("//comment() | //script | //style"):
        junk.drop_tree()
    text = root.text_content()
    return [line.strip() for line in text.split("\n") if line.strip()]


# ---- HTML -------------------------------------------------------------------------
def html_blocks(data: bytes, name: str, *, encoding: str | None = None) -> list[Block]:
    """A web page's main text, found by trafilatura: navigation, scripts,
    styles, banners, share bars, newsletter boxes, comments and footers are
    left out. Its XML output keeps headings (``<head>``) apart from paragraphs."""
    import trafilatura
    from lxml import etree

    if not data.strip():
        raise ArticleError(f"{name} is empty; give a file with the article's text.")
    page = decode_text(data, encoding=encoding, name=name) if encoding else _checked_html_bytes(data, name)
    # Precision over recall: a menu or a teaser box quoted as the article is worse than a missed aside.
    xml = trafilatura.extract(page, output_format="xml", with_metadata=True, favor_precision=True,
                              include_comments=False,
                              include_tables=True, include_images=False, include_links=False,
                              include_formatting=False)
    blocks = []
    if xml:
        doc = etree.fromstring(xml.encode("utf-8"))
        blocks = _xml_blocks(doc.find("main"))
        blocks = _with_title_and_author(blocks, doc.get("title") or "", doc.get("author") or "")
    if not any(b.heading is False for b in blocks):
        raise ArticleError(
            f"No article text found in {name}: the page holds only navigation and boxes, or its text is "
            "loaded by JavaScript. Save the article's text as a .txt file and give that instead."
        )
    return blocks


def _checked_html_bytes(data: bytes, name: str) -> bytes:
    """Raw bytes go to trafilatura, which reads the page's own charset; a binary is refused first."""
    if looks_binary_bytes(data.removeprefix(codecs.BOM_UTF8)):
        raise ArticleError(f"{name} looks like a binary file, not text.")
    return data


def _xml_blocks(element) -> list[Block]:
    """trafilatura's XML elements to blocks, in reading order."""
    if element is None:
        return []
    blocks: list[Block] = []
    for child in element:
        tag = child.tag
        if tag == "head":
            blocks.append(Block((_element_text(child),), heading=True))
        elif tag in ("list", "table"):
            blocks.extend(_container_blocks(child))
        elif tag == "code":
            blocks.append(_code_block(_element_text(child, lines=True)))
        elif tag in ("p", "quote", "div"):
            blocks.append(Block(tuple(_element_text(child, lines=True).split("\n")), heading=False))
    return [b for b in blocks if any(line.strip() for line in b.lines)]


def _container_blocks(element) -> list[Block]:
    """A list gives one block per item (nested lists after their item); a
    table one per row, its cells' text separated by spaces."""
    if element.tag == "table":
        return [Block((" ".join(_element_text(cell) for cell in row.findall("cell")),), heading=False)
                for row in element.iter("row")]
    blocks = []
    for item in element.findall("item"):
        blocks.append(Block((_element_text(item, skip="list"),), heading=False))
        for inner in item.findall("list"):
            blocks.extend(_container_blocks(inner))
    return blocks


def _element_text(element, *, lines: bool = False, skip: str = "") -> str:
    """All text under ``element`` with whitespace collapsed; with ``lines``,
    ``<lb/>`` starts a new line. Children tagged ``skip`` are left out."""
    parts = [element.text or ""]
    for child in element:
        if child.tag == "lb":
            parts.append("\n" if lines else " ")
        elif child.tag != skip:
            parts.append(_element_text(child))
        parts.append(child.tail or "")
    text = "".join(parts)
    if not lines:
        return re.sub(r"\s+", " ", text).strip()
    return "\n".join(re.sub(r"\s+", " ", line).strip() for line in text.split("\n") if line.strip())


def _with_title_and_author(blocks: list[Block], title: str, author: str) -> list[Block]:
    """The page title leads when the extracted text has no heading of its own;
    the author, which trafilatura moves into metadata, comes back as a byline."""
    if title and not any(b.heading for b in blocks):
        blocks = [Block((title,), heading=True), *blocks]
    text = "\n".join(line for b in blocks for line in b.lines)
    if author and author not in text:
        byline = f"作者：{author}" if _CJK.search(author + title) else f"By {author}"
        at = 1 if blocks and blocks[0].heading else 0
        blocks = [*blocks[:at], Block((byline,), heading=False), *blocks[at:]]
    return blocks


# ---- PDF --------------------------------------------------------------------------
_CJK_CHAR = "\u2e80-\u2fdf\u3000-\u303f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef"
_CJK = re.compile(f"[{_CJK_CHAR}]")
_NEAR_CJK = "0-9.,:;!?()\\[\\]%+/“”‘’\"'"
# Spaces a PDF's glyph positions put next to CJK text, where Chinese has none.
_SPACE_AFTER_CJK = re.compile(f"(?<=[{_CJK_CHAR}]) +(?=[{_CJK_CHAR}{_NEAR_CJK}])")
_SPACE_BEFORE_CJK = re.compile(f"(?<=[{_NEAR_CJK}]) +(?=[{_CJK_CHAR}])")
# PDF fonts often map CJK glyphs to Kangxi radicals (⽉ for 月) and Latin to
# ligatures (ﬁ); NFKC maps exactly these back, and nothing else is touched.
_COMPATIBILITY = re.compile("[\u2e80-\u2fdf\ufb00-\ufb06]")
# The CJK radicals that NFKC leaves alone but fonts use for whole characters
# (pairs from Unicode's EquivalentUnifiedIdeograph.txt).
_RADICAL_ALIASES = str.maketrans(
    "⺠⻑⻓⻄⻝⻘⻤⻩⻔⻋⻅⻛⻜⻢⻰⻬⻮⻦⻥⻆⻚⻉⻨⻗⻙⻣",
    "民長长西食青鬼黄门车见风飞马龙齐齿鸟鱼角页贝麦雨韦骨",
)
_PAGE_NUMBER = re.compile(r"^[-–—\s]*(page\s*|p\.\s*|第\s*)?\d{1,4}(\s*(/|of|-)\s*\d{1,4})?\s*(頁|页)?[-–—\s]*$",
                          re.IGNORECASE)
_LATIN_WORD = re.compile(f"[^\\s{_CJK_CHAR}]+")
# What a browser prints at a page's top and bottom: the date and time, the URL and "n/m".
_PRINT_STAMP = re.compile(r"^(\d{1,4}[/.-]\d{1,2}[/.-]\d{1,4},? \d{1,2}:\d{2}\b|[a-z][a-z0-9+.-]*://\S+( \d+/\d+)?$)",
                          re.IGNORECASE)
_HYPHENATED = re.compile(r"[a-z][-\u00ad]$")
_SENTENCE_END = tuple("。！？.!?")
_MARGIN_LINES = 2  # lines at a page's top and bottom that may be running headers or footers


class _Line:
    """One printed line of a PDF page: its text, baseline and horizontal extent.

    pypdf reports where each text run starts, and several glyphs often share
    one reported position; the line's end is the last position plus the
    estimated width of the text since (an em a CJK character, half an em
    other characters; spaces are pypdf's own, not glyphs)."""

    def __init__(self, text: str, y: float, x: float, size: float) -> None:
        self.text, self.y, self.x0, self.size = text, y, x, size
        self._run_x, self._run_text = x, text

    def add(self, text: str, x: float, size: float) -> None:
        self.text += text
        self.size = max(self.size, size)
        if x > self._run_x + 0.01:
            self._run_x, self._run_text = x, text
        else:
            self._run_text += text

    @property
    def x1(self) -> float:
        width = sum(self.size if _CJK.match(ch) else self.size / 2 for ch in self._run_text if not ch.isspace())
        return self._run_x + width


def pdf_blocks(data: bytes, name: str) -> list[Block]:
    """A PDF's text by page (pypdf), lines re-joined into paragraphs: a
    paragraph ends at a wider gap between lines or where the next line's
    first word would have fitted on the line before. Running headers and
    footers (the same line at the top or bottom of most pages) and page
    numbers are dropped; a paragraph cut by a page break is joined again."""
    pages = [_page_lines(page) for page in _open_pdf(data, name).pages]
    if not any(_CONTENT.search(line.text) for lines in pages for line in lines):
        raise ArticleError(
            f"{name} has no text layer (a scanned PDF?); run OCR first or give the text."
        )
    pages = _drop_running_lines(pages)
    right = _right_edge([line for lines in pages for line in lines])
    paragraphs: list[list[_Line]] = []
    for lines in pages:
        page_paragraphs = _paragraphs(lines, right)
        if paragraphs and page_paragraphs and _continues(paragraphs[-1][-1], page_paragraphs[0][0], right):
            paragraphs[-1].extend(page_paragraphs.pop(0))
        paragraphs.extend(page_paragraphs)
    return [Block(_dehyphenated([line.text for line in para])) for para in paragraphs]


_CONTENT = re.compile(r"\w")


def _open_pdf(data: bytes, name: str):
    from pypdf import PdfReader
    from pypdf.errors import DependencyError, FileNotDecryptedError, PyPdfError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):  # many PDFs lock only editing, not reading
            raise ArticleError(f"{name} is password-protected; save an unlocked copy of the PDF or give the text.")
        reader.pages[0]  # a damaged page tree fails here, not halfway through
    except ArticleError:
        raise
    except (DependencyError, FileNotDecryptedError) as error:
        raise ArticleError(f"{name} is encrypted in a way that cannot be opened ({error}); give the text.") from error
    except (PyPdfError, OSError, ValueError, LookupError, TypeError, AttributeError, RecursionError) as error:
        # pypdf reports a damaged file with many exception types.
        raise ArticleError(f"{name} is not a readable PDF ({error or type(error).__name__}); "
                           "re-save it or give the text.") from error
    return reader


def _page_lines(page) -> list[_Line]:
    """The page's lines with their positions, from pypdf's text visitor
    (text in content-stream order, as ``extract_text`` gives it)."""
    from pypdf import mult

    lines: list[_Line] = []

    def visit(text, cm, tm, font_dict, font_size):
        matrix = mult(tm, cm)
        x, y = matrix[4], matrix[5]
        size = abs(font_size * (matrix[3] or matrix[0])) or 1.0
        for n, part in enumerate(text.split("\n")):
            same_line = n == 0 and lines and abs(lines[-1].y - y) <= lines[-1].size / 2
            if same_line:
                lines[-1].add(part, x, size)
            elif part.strip():  # a bare line break carries no usable position
                lines.append(_Line(part, y, x, size))

    page.extract_text(visitor_text=visit)
    for line in lines:
        line.text = _tidy(line.text)
    return [line for line in lines if line.text]


def _tidy(text: str) -> str:
    text = _COMPATIBILITY.sub(lambda m: unicodedata.normalize("NFKC", m.group()), text.translate(_RADICAL_ALIASES))
    text = re.sub(r"\s+", " ", text).strip()
    return _SPACE_BEFORE_CJK.sub("", _SPACE_AFTER_CJK.sub("", text))


def _drop_running_lines(pages: list[list[_Line]]) -> list[list[_Line]]:
    """Drop page numbers, a browser's print stamps, and lines repeated at the
    top or bottom of most pages (digits ignored, so "3 / 12" still matches)."""
    margins = [_margin_lines(lines) for lines in pages]
    counts: dict[str, int] = {}
    for margin in margins:
        for key in {_running_key(line) for line in margin}:
            counts[key] = counts.get(key, 0) + 1
    needed = max(2, (len(pages) + 1) // 2)
    kept = []
    for lines, margin in zip(pages, margins):
        drop = {id(line) for line in margin
                if counts[_running_key(line)] >= needed or _PAGE_NUMBER.match(line.text)
                or _PRINT_STAMP.match(line.text)}
        kept.append([line for line in lines if id(line) not in drop])
    return kept


def _margin_lines(lines: list[_Line]) -> list[_Line]:
    by_height = sorted(lines, key=lambda line: line.y)
    return by_height[:_MARGIN_LINES] + by_height[-_MARGIN_LINES:]


def _running_key(line: _Line) -> str:
    return re.sub(r"\d+", "#", line.text.lower())


def _paragraphs(lines: list[_Line], right: float) -> list[list[_Line]]:
    """Lines to paragraphs: a break at a wider gap than the page's line
    spacing (or a jump up: a new column), at a change of font size, or after
    a line that ended early."""
    if not lines:
        return []
    gaps = sorted(a.y - b.y for a, b in itertools.pairwise(lines) if 0 < a.y - b.y < 3 * a.size)
    # The tighter gaps are line spacing; the wider ones, between paragraphs, may be as common.
    spacing = gaps[len(gaps) // 5] if gaps else 0.0
    paragraphs = [[lines[0]]]
    for prev, line in itertools.pairwise(lines):
        gap = prev.y - line.y
        wider_gap = gap <= 0 or (spacing and gap > 1.3 * spacing) or gap > 3 * prev.size
        resized = abs(prev.size - line.size) > 0.1 * max(prev.size, line.size)
        if wider_gap or resized or _ended_early(prev, line, right):
            paragraphs.append([line])
        else:
            paragraphs[-1].append(line)
    return paragraphs


def _right_edge(lines: list[_Line]) -> float:
    """Where full lines end: most lines of prose run to the right margin."""
    ends = sorted(line.x1 for line in lines)
    return ends[int(0.8 * (len(ends) - 1))] if ends else 0.0


def _ended_early(prev: _Line, line: _Line, right: float) -> bool:
    """The next line's first word would have fitted on ``prev``. In CJK that
    takes two ems: one character, and the closing mark that may not begin a
    line and so takes the character before it down with it."""
    word = _LATIN_WORD.match(line.text)
    if word:
        needed = (len(word.group()) + 1) * (prev.x1 - prev.x0) / max(len(prev.text), 1)
    else:
        needed = 2 * line.size
    return prev.x1 + needed < right


def _continues(last: _Line, first: _Line, right: float) -> bool:
    """A page's last line that runs to the margin without a full stop goes on overleaf."""
    return not last.text.endswith(_SENTENCE_END) and not _ended_early(last, first, right)


def _dehyphenated(lines: list[str]) -> tuple[str, ...]:
    """Undo end-of-line hyphenation ("construc-" + "tion") between lowercase letters."""
    out: list[str] = []
    for line in lines:
        if out and _HYPHENATED.search(out[-1]) and line[:1].islower():
            out[-1] = out[-1][:-1] + line
        else:
            out.append(line)
    return tuple(out)
