"""The gist composer: "what is this article about?" is answered with the
lead and, for each section, its heading and the sentence that opens it, in
article order; "summarize it in three points" with three sentences; "what does the
third section say?" or "what does it say about data governance?" with that
section's gist (the sentence opening each of its paragraphs); "what is the conclusion?" with the closing paragraph.

A section is summed up by its heading and its opening sentence (the lead
of news and the topic sentence of documentation alike); when only some
sections fit the budget, those whose opening sentence is closest in meaning
to the article as a whole (the mean of its sentences' vectors) are kept.
"""

from __future__ import annotations

import re

import numpy as np

from ..index import LoadedIndex
from ..query import Query
from ..rank import Ranking
from ..records import BYLINE, GIST, HEADING, Answer
from ..settings import DEFAULTS
from ..structure import Section
from .quoting import quote, sentences_within

DEFAULT_POINTS = 5  # sentences in a summary when the question names no number
MAX_GIST_CHARS = 800
CONCLUSION_SENTENCES = 3
# What code looks like, and prose (in any script, with any punctuation) does not: an assignment,
# a call, braces, a comment line, an import. Two of these make a line of code.
_CODE = re.compile(r"[A-Za-z_]\w*\s*=\s*\S|[A-Za-z_]\w*\(|[{}]|(?:^|\s)#\s|\bimport\s+\w|`")
_CODE_SIGNS = 2
_MIN_POINT_CHARS = 15  # shorter "sentences" are captions and labels ("词典文件示例"), no summary points

_ORDINAL_SECTION = re.compile(
    r"第([一二三四五六七八九十])(?:部分|节|章|段|小节)"
    r"|\b(first|second|third|fourth|fifth|sixth|last) (?:section|part|chapter|heading)\b")
_LAST = 0  # "the last section": no place counted from the start
_ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "last": _LAST,
             **{char: i + 1 for i, char in enumerate("一二三四五六七八九十")}}

def compose_gist(query: Query, ranking: Ranking, index: LoadedIndex) -> Answer | None:
    structure = index.structure
    top = ranking.passages[:DEFAULTS.answer_passages]
    if query.shape.conclusion:
        return _conclusion(index, top) if structure.closing else None
    section = _section_asked(query, ranking, index)
    if section is False:
        return None  # a topic the sections do not match: answered as a fact
    if section is not None:
        picked = _section_points(index, section, query.shape.count or DEFAULT_POINTS)
        return quote(picked, top, index, kind=GIST) if picked else None
    return quote(_article_points(index, query.shape.count or DEFAULT_POINTS), top, index, kind=GIST)


def _conclusion(index: LoadedIndex, top) -> Answer:
    start, end = index.structure.closing
    sentences = sentences_within(index, start, end)[:CONCLUSION_SENTENCES]
    return quote(sentences, top, index, kind=GIST)


def _section_asked(query: Query, ranking: Ranking, index: LoadedIndex) -> Section | None | bool:
    """The section a gist question names: by its place ("第三部分", "the
    third section"), or by a topic, as the section of the best passage. None
    when it names none (the whole article); False when it names a topic but
    the best passage lies outside every headed section."""
    sections = [s for s in index.structure.sections if s.heading]
    match = _ORDINAL_SECTION.search(query.folded)
    if match and sections:
        place = _ORDINALS[match.group(1) or match.group(2)]
        if place == _LAST:
            return sections[-1]
        return sections[place - 1] if place <= len(sections) else False
    if not query.shape.topic:
        return None
    best = ranking.passages[0] if ranking.passages else None
    return next((s for s in sections if best and s.start <= best.start < s.end), False)


def _article_points(index: LoadedIndex, points: int) -> list[int]:
    """The lead's first sentence, then for each section its heading and the
    sentence that opens it (where writers state what a section is about) —
    as many sections as the budget allows, those whose opening is nearest
    the article as a whole, in article order."""
    structure = index.structure
    lead = sentences_within(index, *structure.lead)[:1] if structure.lead else []
    parts = [s for s in structure.sections if s.heading] or _even_parts(index, max(points - len(lead), 1))
    centre = _mean_vector(index, _body_sentences(index, 0, len(index.article)))
    candidates = []
    for part in parts:
        opening = _opening_sentence(index, part, lead)
        if opening is not None:
            heading = sentences_within(index, *part.heading) if part.heading else []
            candidates.append((float(index.sentence_vectors[opening] @ centre), heading + [opening]))
    chosen = sorted(candidates, key=lambda c: -c[0])[:max(points - len(lead), 0)]
    picked = sorted(lead + [s for _, pair in chosen for s in pair])
    return _fit(index, picked, keep=lead)


def _section_points(index: LoadedIndex, section: Section, points: int) -> list[int]:
    """A section's gist: the sentence that opens each of its paragraphs (its
    topic sentences; a list's lead-in and items among them), in order, as
    many as ``points`` and the budget allow."""
    openings, paragraph_start = [], -1
    for sentence in _body_sentences(index, section.start, section.end):
        start = int(index.sentences[sentence][0])
        if index.article.rfind("\n", 0, start) != paragraph_start and _is_point(index, sentence):
            paragraph_start = index.article.rfind("\n", 0, start)
            openings.append(sentence)
    openings = openings[:points]
    return _fit(index, openings, keep=openings[:1])


def _opening_sentence(index: LoadedIndex, part: Section, exclude: list[int]) -> int | None:
    """The first sentence of prose in ``part`` (not a caption-like line of a few words)."""
    body = [s for s in _body_sentences(index, part.start, part.end) if s not in exclude]
    return next((s for s in body if _is_point(index, s)), body[0] if body else None)


def _is_point(index: LoadedIndex, sentence: int) -> bool:
    """A sentence of prose: not a caption of a few words, not a line of code."""
    text = index.sentence_text(sentence)
    return len(text) >= _MIN_POINT_CHARS and len(_CODE.findall(text)) < _CODE_SIGNS


def _even_parts(index: LoadedIndex, n: int) -> list[Section]:
    """An article without headings, cut into ``n`` runs of paragraphs of about equal length."""
    body = _body_sentences(index, 0, len(index.article))
    if not body:
        return []
    cuts = np.array_split(np.asarray(body), min(n, len(body)))
    return [Section(None, int(index.sentences[c[0]][0]), int(index.sentences[c[-1]][1])) for c in cuts if len(c)]


def _body_sentences(index: LoadedIndex, start: int, end: int) -> list[int]:
    return [s for s in sentences_within(index, start, end) if index.sentence_kinds[s] not in (HEADING, BYLINE)]


def _mean_vector(index: LoadedIndex, sentences: list[int]) -> np.ndarray:
    vectors = index.sentence_vectors[sentences] if sentences else index.sentence_vectors
    centre = vectors.mean(axis=0)
    return centre / (np.linalg.norm(centre) or 1.0)


def _fit(index: LoadedIndex, picked: list[int], keep: list[int]) -> list[int]:
    """Drop the longest points (never those in ``keep``) until the quote fits MAX_GIST_CHARS."""
    def length(s):
        return int(index.sentences[s][1] - index.sentences[s][0])

    picked = list(picked)
    while sum(map(length, picked)) > MAX_GIST_CHARS and len(picked) > len(keep) + 1:
        picked.remove(max((s for s in picked if s not in keep), key=length))
    return picked
