"""The list composer: "what are the four stages?" is answered with the
enumeration that answers it (structure.py found them at build time): its
lead-in, then each item's opening sentence, in article order.

Which enumeration: one that the question's best passages reach (the ranker
already ordered them by evidence), preferring one whose length is the count
the question names. None reached: the question is answered as a fact.
"""

from __future__ import annotations

from ..index import LoadedIndex
from ..query import Query
from ..rank import Ranking
from ..records import LIST, Answer
from ..settings import DEFAULTS
from ..structure import Enumeration
from .quoting import quote, sentence_at

# An answer that quotes half the article is no answer: items past this many
# characters of quoted text are left out (nested ones first).
MAX_LIST_CHARS = 900
MAX_ITEMS = 12


def compose_list(query: Query, ranking: Ranking, index: LoadedIndex) -> Answer | None:
    enumeration = choose_enumeration(query, ranking, index)
    if enumeration is None:
        return None
    top = ranking.passages[:DEFAULTS.answer_passages]
    if enumeration.inline:
        sentence = sentence_at(index, enumeration.items[0][0])
        return quote([sentence], top, index, kind=LIST, items=[(s, e) for s, e, _ in enumeration.items])
    openings = _within_budget(index, [(sentence_at(index, start), level) for start, _, level in enumeration.items])
    lead = [sentence_at(index, enumeration.lead_in[0])] if enumeration.lead_in else []
    items = [tuple(int(x) for x in index.sentences[s]) for s in openings]
    return quote(lead + openings, top, index, kind=LIST, items=items)


def choose_enumeration(query: Query, ranking: Ranking, index: LoadedIndex) -> Enumeration | None:
    """The enumeration the best passages reach first; with a count in the
    question, the first of those whose length matches it, if any does."""
    reached = []
    for passage in ranking.passages[:DEFAULTS.answer_passages]:
        for enumeration in index.structure.enumerations:
            if enumeration not in reached and _overlaps(enumeration, passage.start, passage.end):
                reached.append(enumeration)
    count = query.shape.count
    matching = [e for e in reached if len(_top_level(e)) == count]
    return (matching or reached or [None])[0]


def _top_level(enumeration: Enumeration) -> list[tuple[int, int, int]]:
    return [item for item in enumeration.items if item[2] == 1]


def _overlaps(enumeration: Enumeration, start: int, end: int) -> bool:
    first = enumeration.lead_in[0] if enumeration.lead_in else enumeration.items[0][0]
    return first < end and start < enumeration.items[-1][1]


def _within_budget(index: LoadedIndex, openings: list[tuple[int, int]]) -> list[int]:
    """The items' opening sentences, nested ones dropped first, then the last
    ones, until the quote fits MAX_LIST_CHARS and MAX_ITEMS."""
    def size(kept):
        return sum(int(index.sentences[s][1] - index.sentences[s][0]) for s, _ in kept)

    kept = list(dict.fromkeys(openings))
    if size(kept) > MAX_LIST_CHARS or len(kept) > MAX_ITEMS:
        kept = [(s, level) for s, level in kept if level == 1]
    while len(kept) > 1 and (size(kept) > MAX_LIST_CHARS or len(kept) > MAX_ITEMS):
        kept.pop()
    return [s for s, _ in kept]
