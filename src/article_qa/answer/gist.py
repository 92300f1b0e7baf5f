"""The gist composer: "what is this article about?" is answered with the
lead and the one sentence that best stands for each section, in article
order; "summarize it in three points" with three sentences; "what does the
third section say?" or "what does it say about data governance?" with that
section's gist; "what is the conclusion?" with the closing paragraph.

A sentence stands for its section when it is closest in meaning to the
section as a whole (the mean of its sentences' vectors), shorter sentences
preferred: a summary is read, not skimmed.
"""

from __future__ import annotations

import re

import numpy as np

from ..index import LoadedIndex
from ..query import Query
from ..rank import Ranking
from ..records import GIST, HEADING, Answer
from ..settings import DEFAULTS
from ..structure import Section
from .quoting import quote, sentences_within

DEFAULT_POINTS = 5  # sentences in a summary when the question names no number
MAX_GIST_CHARS = 800
CONCLUSION_SENTENCES = 3
_LONG_SENTENCE = 120  # characters past which a sentence loses ground as a summary point
_LENGTH_PENALTY = 0.002  # cosine lost per character past that

_ORDINAL_SECTION = re.compile(
    r"第([一二三四五六七八九十])(?:部分|节|章|段|小节)"
    r"|\b(first|second|third|fourth|fifth|sixth|last) (?:section|part|chapter|heading)\b")
_ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "last": -1,
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
        picked = _section_points(index, section, query.shape.count or 3)
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
        return sections[place - 1] if place <= len(sections) else False
    if not query.shape.topic:
        return None
    best = ranking.passages[0] if ranking.passages else None
    return next((s for s in sections if best and s.start <= best.start < s.end), False)


def _article_points(index: LoadedIndex, points: int) -> list[int]:
    """The lead's first sentence and the points of the sections the budget
    allows — the sections nearest the article as a whole — in article order."""
    structure = index.structure
    lead = sentences_within(index, *structure.lead)[:1] if structure.lead else []
    parts = [s for s in structure.sections if s.heading] or _even_parts(index, max(points - len(lead), 1))
    centre = _mean_vector(index, _body_sentences(index, 0, len(index.article)))
    candidates = []
    for part in parts:
        best = _central_sentence(index, _body_sentences(index, part.start, part.end), lead)
        if best is not None:
            candidates.append((float(index.sentence_vectors[best] @ centre), best))
    chosen = sorted(candidates, reverse=True)[:max(points - len(lead), 0)]
    picked = sorted(lead + [s for _, s in chosen])
    return _fit(index, picked, keep=len(lead))


def _section_points(index: LoadedIndex, section: Section, points: int) -> list[int]:
    """A section's gist: its sentences nearest the section as a whole, in order."""
    body = _body_sentences(index, section.start, section.end)
    if not body:
        return []
    centre = _mean_vector(index, body)
    scored = sorted(body, key=lambda s: -_point_score(index, s, centre))[:points]
    return _fit(index, sorted(scored), keep=1)


def _even_parts(index: LoadedIndex, n: int) -> list[Section]:
    """An article without headings, cut into ``n`` runs of paragraphs of about equal length."""
    body = _body_sentences(index, 0, len(index.article))
    if not body:
        return []
    cuts = np.array_split(np.asarray(body), min(n, len(body)))
    return [Section(None, int(index.sentences[c[0]][0]), int(index.sentences[c[-1]][1])) for c in cuts if len(c)]


def _body_sentences(index: LoadedIndex, start: int, end: int) -> list[int]:
    return [s for s in sentences_within(index, start, end) if index.sentence_kinds[s] not in (HEADING, "byline")]


def _mean_vector(index: LoadedIndex, sentences: list[int]) -> np.ndarray:
    vectors = index.sentence_vectors[sentences] if sentences else index.sentence_vectors
    centre = vectors.mean(axis=0)
    return centre / (np.linalg.norm(centre) or 1.0)


def _point_score(index: LoadedIndex, sentence: int, centre: np.ndarray) -> float:
    length = int(index.sentences[sentence][1] - index.sentences[sentence][0])
    return float(index.sentence_vectors[sentence] @ centre) - _LENGTH_PENALTY * max(0, length - _LONG_SENTENCE)


def _central_sentence(index: LoadedIndex, sentences: list[int], exclude: list[int]) -> int | None:
    sentences = [s for s in sentences if s not in exclude]
    if not sentences:
        return None
    centre = _mean_vector(index, sentences)
    return max(sentences, key=lambda s: _point_score(index, s, centre))


def _fit(index: LoadedIndex, picked: list[int], keep: int) -> list[int]:
    """Drop the longest points (never the first ``keep``) until the quote fits MAX_GIST_CHARS."""
    def length(s):
        return int(index.sentences[s][1] - index.sentences[s][0])

    picked = list(picked)
    while sum(map(length, picked)) > MAX_GIST_CHARS and len(picked) > keep + 1:
        picked.remove(max(picked[keep:], key=length))
    return picked

