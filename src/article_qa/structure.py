"""Stage — structure: the article's lead, closing paragraph, sections and
enumerations, found once at build time and stored in the index.

Questions that need more than one sentence ("what are the four stages?",
"what is this article about?") are answered from this map rather than from
the one best sentence. Every span is a pair of offsets into the clean
article, like everything else the index holds.

An **enumeration** is a run of items, each opened by an ordinal marker of
one family — 首先/其次/第三/最後, 一是/二是, 第一/第二, (一)/(二), 一、,
1. / 1), (1), (a), First/Second/Finally — counting up from the first, or a
run of list items (Markdown, HTML, bulleted lines, nested ones a level
deeper), three or more paragraphs opening alike, or short lines after a
paragraph that ends in a colon. Items are paragraphs,
sentences of one paragraph, or clauses of one sentence ("一是…；二是…；三是…").
Its **lead-in** is the sentence (or clause) just before the first item when
it announces a list: it ends in a colon, holds 以下/如下/下列/"the
following"/"as follows", or names a count (三個方面, "four stages").
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from .fold import fold
from .records import Article, Sentence, Span

Offsets = tuple[int, int]
LAST = 99  # the ordinal of 最後 / Finally: it may close a run of any length

_ZH_NUMERAL = "一二三四五六七八九十"
_MARKERS = (
    # family, pattern at the start of a text (after spaces and opening quotes), group 1 the ordinal
    ("zh-seq", re.compile(r"(首先|其次|再次|最后|第([一二三四五六七八九十]{1,2})(?=[，,、:：是个条点项方面]))")),
    ("zh-shi", re.compile(rf"([{_ZH_NUMERAL}]{{1,2}})是")),
    ("zh-paren", re.compile(rf"[（(]([{_ZH_NUMERAL}]{{1,2}})[)）]")),
    ("zh-dun", re.compile(rf"([{_ZH_NUMERAL}]{{1,2}})、")),
    ("paren-num", re.compile(r"[（(](\d{1,2})[)）]")),
    ("num", re.compile(r"(\d{1,2})(?:[.)、](?!\d)|\s*[.)](?!\d))")),
    ("alpha", re.compile(r"[（(]?([a-h])[)）.]\s")),
    ("en-seq", re.compile(r"(first|second|third|fourth|fifth|sixth|finally|lastly)(?:ly)?\b[,:]?\s")),
)
_SEQUENCE_WORDS = {"首先": 1, "其次": 2, "再次": 3, "最后": LAST,
                   "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "finally": LAST,
                   "lastly": LAST}
_OPENING_QUOTES = " \t“\"「『‘'"
# A lead-in announces what follows.
_ANNOUNCES = re.compile(r"以下|如下|下列|下面|the following|as follows|these|包括[:：]")
_COUNT = re.compile(r"[两二三四五六七八九十](?:个|项|点|方面|种|类|大|条|步|阶段|时期|部分)|\b(?:two|three|four|five|six|seven|eight|nine|ten)\b",
                    re.IGNORECASE)
_CLAUSE_SEPARATORS = "；;：:，,"
_SAME_OPENING_RUN = 3  # paragraphs opening alike that make a list
_SHORT_LINE_CHARS = 80  # a line this short after a colon is an item, not a paragraph of prose
MAX_ITEM_GAP = 12  # paragraphs that may continue one numbered paragraph before the next
_PROSE_MIN_CHARS = 20  # shorter lines are captions, sign-offs, clause titles or widgets: no lead or closing


@dataclass(frozen=True)
class Enumeration:
    """A list in the article: the sentence (or clause) that announces it, if
    any, and its items as ``(start, end, level)`` in article order. ``inline``:
    the items are clauses of one sentence."""

    lead_in: Offsets | None
    items: tuple[tuple[int, int, int], ...]
    inline: bool = False

    @property
    def start(self) -> int:
        """Where it begins: its lead-in, else its first item."""
        return self.lead_in[0] if self.lead_in else self.items[0][0]


@dataclass(frozen=True)
class Section:
    """A heading (``None`` for the text before the first one) and the span it rules."""

    heading: Offsets | None
    start: int
    end: int


@dataclass(frozen=True)
class Structure:
    lead: Offsets | None  # the standfirst / editor's note / abstract, else the first body paragraph
    closing: Offsets | None  # the last body paragraph that is not the byline or a source line
    sections: tuple[Section, ...]
    enumerations: tuple[Enumeration, ...]

    def to_json(self) -> str:
        return json.dumps({
            "lead": self.lead, "closing": self.closing,
            "sections": [[s.heading, s.start, s.end] for s in self.sections],
            "enumerations": [{"lead_in": e.lead_in, "items": e.items, "inline": e.inline} for e in self.enumerations],
        }, ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> "Structure":
        data = json.loads(text)
        return cls(
            lead=_offsets(data["lead"]), closing=_offsets(data["closing"]),
            sections=tuple(Section(_offsets(h), s, e) for h, s, e in data["sections"]),
            enumerations=tuple(Enumeration(_offsets(e["lead_in"]), tuple(tuple(i) for i in e["items"]), e["inline"])
                               for e in data["enumerations"]))


def _offsets(value) -> Offsets | None:
    return tuple(value) if value else None


def find_structure(article: Article, sentences: list[Sentence]) -> Structure:
    """The article's lead, closing paragraph, sections and enumerations."""
    body = [span for span in article.spans if not span.is_heading and not _is_credit(article, span)]
    prose = [span for span in body if _is_prose(article.text[span.start:span.end], span)]
    return Structure(
        lead=_span((prose or body)[0]) if body else None,
        closing=_closing(article, body),
        sections=_sections(article),
        enumerations=tuple(_enumerations(article, sentences)),
    )


def _span(span: Span) -> Offsets:
    return span.start, span.end


def _is_credit(article: Article, span: Span) -> bool:
    """The byline or the source line ("(作者係…)"): about the article, not of it."""
    text = article.text[span.start:span.end]
    return text in (article.byline, article.source_line) and bool(text)


def _closing(article: Article, body: list[Span]) -> Offsets | None:
    """The last paragraph of prose."""
    for span in reversed(body):
        if _is_prose(article.text[span.start:span.end], span):
            return _span(span)
    return _span(body[-1]) if body else None


def _is_prose(text: str, span: Span) -> bool:
    """A paragraph of sentences: not a list item, not a line of a few words ("1. Definitions.")."""
    return not span.list_level and len(text) >= _PROSE_MIN_CHARS and text.rstrip().endswith(tuple("。！？.!?”\"」:："))


def _sections(article: Article) -> tuple[Section, ...]:
    sections, heading, start = [], None, 0
    for span in article.spans:
        if span.is_heading:
            if span.start > start:
                sections.append(Section(heading, start, max(start, span.start - 1)))
            heading, start = _span(span), span.start
    sections.append(Section(heading, start, len(article.text)))
    return tuple(s for s in sections if s.end > s.start)


# ---- markers --------------------------------------------------------------------

def marker(text: str) -> tuple[str, int] | None:
    """The ordinal marker that opens ``text``: ``(family, ordinal)``."""
    opening = fold(text.lstrip(_OPENING_QUOTES)[:12])
    for family, pattern in _MARKERS:
        match = pattern.match(opening)
        if match:
            return family, _ordinal(match)
    return None


def _ordinal(match: re.Match) -> int:
    word = match.group(1).lower()
    if word in _SEQUENCE_WORDS:
        return _SEQUENCE_WORDS[word]
    if word.startswith("第"):
        return _chinese_number(match.group(2))
    if word.isdigit():
        return int(word)
    if len(word) == 1 and "a" <= word <= "h":
        return ord(word) - ord("a") + 1
    return _chinese_number(word)


def _chinese_number(word: str) -> int:
    """一 … 十九: enough for list ordinals."""
    digits = [_ZH_NUMERAL.index(char) + 1 for char in word]
    if len(digits) == 2:  # 十一 … 十九
        return 10 + digits[1] if digits[0] == 10 else digits[0] * 10
    return digits[0]


def _follows(previous: tuple[str, int], current: tuple[str, int] | None) -> bool:
    """Whether ``current`` is the next item after ``previous`` in one family."""
    return bool(current) and current[0] == previous[0] and previous[1] != LAST and (
        current[1] == previous[1] + 1 or current[1] == LAST)


def _runs(markers: list[tuple[str, int] | None], max_gap: int = 0) -> list[list[int]]:
    """Positions of each run counting up from 1, two items or more. Up to
    ``max_gap`` other paragraphs may stand between two items (a numbered
    clause of a licence and the paragraphs that continue it); a marker of the
    same family out of order ends the run."""
    runs, used = [], set()
    for i, first in enumerate(markers):
        if not first or first[1] != 1 or i in used:
            continue
        run, j = [i], i + 1
        while j < len(markers) and j - run[-1] <= max_gap + 1:
            current = markers[j]
            if current and current[0] == first[0]:
                if not _follows(markers[run[-1]], current):
                    break
                run.append(j)
            j += 1
        if len(run) > 1:
            runs.append(run)
            used.update(run)
    return runs


# ---- enumerations ---------------------------------------------------------------

def _enumerations(article: Article, sentences: list[Sentence]):
    by_paragraph = _sentences_by_paragraph(article, sentences)
    yield from _paragraph_lists(article, by_paragraph)
    for _, own in by_paragraph:
        yield from _sentence_lists(article, own, by_paragraph)
        for sentence in own:
            inline = _inline_list(article.text, sentence)
            if inline:
                yield inline


def _sentences_by_paragraph(article: Article, sentences: list[Sentence]) -> list[tuple[Span, list[Offsets]]]:
    """Each body paragraph with its sentences' offsets (headings break lists, so they are left out)."""
    grouped, i = [], 0
    for span in article.spans:
        own = []
        while i < len(sentences) and sentences[i].start < span.end:
            if sentences[i].start >= span.start:
                own.append((sentences[i].start, sentences[i].end))
            i += 1
        grouped.append((span, own))
    return grouped


def _paragraph_lists(article: Article, by_paragraph):
    """Lists whose items are paragraphs: a marked run, a run of list items, or
    paragraphs opening alike. A heading ends every run."""
    blocks = []  # one run of paragraphs between headings at a time
    for span, own in by_paragraph + [(None, [])]:
        if span is not None and not span.is_heading and own:
            blocks.append((span, own))
            continue
        yield from _lists_in_block(article, blocks, by_paragraph)
        blocks = []


def _lists_in_block(article: Article, blocks, by_paragraph):
    text = article.text
    taken: set[int] = set()
    markers = [None if span.list_level else marker(text[span.start:span.end]) for span, _ in blocks]
    paragraphs = [text[span.start:span.end] for span, _ in blocks]
    ranges = _item_runs([span for span, _ in blocks]) + _alike_runs(paragraphs) + _announced_runs(paragraphs)
    groups = _runs(markers, MAX_ITEM_GAP) + [list(range(first, last + 1)) for first, last in ranges]
    for positions in groups:
        if taken & set(positions):
            continue  # a run already listed (marked runs come first)
        taken.update(positions)
        items = tuple((blocks[k][0].start, blocks[k][0].end, max(blocks[k][0].list_level, 1)) for k in positions)
        yield Enumeration(_lead_in_before(text, items[0][0], by_paragraph), items)


def _item_runs(spans: list[Span]) -> list[tuple[int, int]]:
    """Consecutive list items (nested ones inside the run), two or more."""
    runs, i = [], 0
    while i < len(spans):
        if spans[i].list_level:
            j = i
            while j + 1 < len(spans) and spans[j + 1].list_level:
                j += 1
            if j > i:
                runs.append((i, j))
            i = j + 1
        else:
            i += 1
    return runs


def _announced_runs(paragraphs: list[str]) -> list[tuple[int, int]]:
    """Two or more short lines after a paragraph that ends in a colon (a
    table's rows, an unmarked list): "…标签集合如下表：" and its rows."""
    runs = []
    for i, paragraph in enumerate(paragraphs):
        if not paragraph.rstrip().endswith((":", "：")):
            continue
        j = i
        while j + 1 < len(paragraphs) and len(paragraphs[j + 1]) <= _SHORT_LINE_CHARS \
                and not paragraphs[j + 1].rstrip().endswith((":", "：")):
            j += 1
        if j - i >= 2:
            runs.append((i + 1, j))
    return runs


def _alike_runs(paragraphs: list[str]) -> list[tuple[int, int]]:
    """Three or more paragraphs in a row that open with the same words."""
    keys = [_opening(p) for p in paragraphs]
    runs, i = [], 0
    while i < len(keys):
        j = i
        while keys[i] and j + 1 < len(keys) and keys[j + 1] == keys[i]:
            j += 1
        if j - i + 1 >= _SAME_OPENING_RUN:
            runs.append((i, j))
        i = j + 1
    return runs


def _opening(paragraph: str) -> str:
    """The first four characters of a Chinese paragraph, the first two words of another."""
    folded = fold(paragraph.lstrip(_OPENING_QUOTES))
    if re.match(r"[\u4e00-\u9fff]", folded):
        return folded[:4] if len(folded) > 8 else ""
    words = re.findall(r"[a-z']+", folded)[:2]
    return " ".join(words) if len(words) == 2 else ""


def _sentence_lists(article: Article, own: list[Offsets], by_paragraph):
    # (a paragraph's own sentences; the paragraphs, for a lead-in that ends the one before)
    """Lists whose items are sentences of one paragraph ("…三個方面。首先是…。其次是…。第三是…。")."""
    text = article.text
    openings = [_item_opening(text, start, end) for start, end in own]
    markers = [marker(text[opening:end]) for opening, (_, end) in zip(openings, own)]
    if sum(m is not None for m in markers) < 2:
        return
    for run in _runs(markers):
        first, last = run[0], run[-1]
        start = own[first][0]
        if openings[first] > start:  # "…包括以下幾個方面:首先,…。": the lead-in ends where the first item opens
            lead_in = (start, openings[first])
        else:
            lead_in = _announcing(text, own[first - 1]) if first else _lead_in_before(text, start, by_paragraph)
        items = tuple((openings[k], own[k][1], 1) for k in range(first, last + 1))
        yield Enumeration(lead_in, items)


def _item_opening(text: str, start: int, end: int) -> int:
    """Where an item may open in a sentence: its start, or just after a
    colon when the sentence leads in and opens the first item at once."""
    colon = max(text.rfind(":", start, end), text.rfind("：", start, end))
    if colon > start and (marker(text[colon + 1:end]) or ("", 0))[1] == 1:
        return colon + 1
    return start


def _lead_in_before(text: str, start: int, by_paragraph) -> Offsets | None:
    """The last sentence before ``start`` (the end of the previous paragraph), if it announces a list."""
    previous = None
    for span, own in by_paragraph:
        if span.end >= start:
            break
        previous = own[-1] if own and not span.is_heading else None
    return _announcing(text, previous) if previous else None


def _announcing(text: str, sentence: Offsets) -> Offsets | None:
    """``sentence`` when it announces a list: a colon at its end, 以下/如下/the following, or a count."""
    words = text[sentence[0]:sentence[1]].rstrip()
    folded = fold(words)
    if words.endswith((":", "：")) or _ANNOUNCES.search(folded) or _COUNT.search(folded):
        return sentence
    return None


def _inline_list(text: str, sentence: Offsets) -> Enumeration | None:
    """Clauses of one sentence opened by markers in sequence ("一是…；二是…；三是…")."""
    start, end = sentence
    cuts = [start] + [k + 1 for k in range(start, end - 1) if text[k] in _CLAUSE_SEPARATORS]
    marked = [(cut, marker(text[cut:end])) for cut in cuts]
    marked = [(cut, m) for cut, m in marked if m is not None and m[0] not in ("num", "alpha")]
    opens = [cut for cut, _ in marked]
    for run in _runs([m for _, m in marked]):
        first, last = run[0], run[-1]
        items = []
        for k in range(first, last + 1):
            item_end = opens[k + 1] - 1 if k < last else end
            items.append((opens[k], _trim_end(text, opens[k], item_end), 1))
        # The clause before the items introduces them ("在這期間,有三個重要的歷史事件:").
        lead = (start, opens[first] - 1) if opens[first] > start else None
        return Enumeration(lead, tuple(items), inline=True)
    return None


def _trim_end(text: str, start: int, end: int) -> int:
    while end > start and text[end - 1] in " ；;，,。.":
        end -= 1
    return end
