"""A PDF's text (pypdf) to blocks: printed lines re-joined into paragraphs
by their positions; running headers, footers and page numbers dropped."""

from __future__ import annotations

import io
import itertools
import re
import unicodedata

from ..errors import ArticleError
from .block import Block

# Every CJK character a page sets an em wide — Han, kana, radicals, CJK and
# full-width punctuation — for line widths and spacing (the test for Chinese
# characters alone is fold.has_han).
_CJK_CHAR = "\u2e80-\u2fdf\u3000-\u303f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef"
_WIDE = re.compile(f"[{_CJK_CHAR}]")
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
        width = sum(self.size if _WIDE.match(ch) else self.size / 2 for ch in self._run_text if not ch.isspace())
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
