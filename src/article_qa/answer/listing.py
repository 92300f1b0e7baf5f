"""The list composer: "what are the four stages?" is answered with the
enumeration that answers it (structure.py found them at build time): its
lead-in, then each item's opening sentence, in article order.

Which enumeration: one whose lead-in (or heading) is among the ranker's
best sentences, or, with a count in the question, one of that length that
holds one of them; a count it does not match rules it out. None: the
question is answered as a fact (a list inside one sentence, "…包括金財工程、
金農工程…", is then quoted as the fact it is).
"""

from __future__ import annotations

import re
from dataclasses import replace

import numpy as np

from ..fold import fold, has_han
from ..glossary import stem_words
from ..index import LoadedIndex
from ..query import Query
from ..rank import Ranking
from ..records import HEADING, LIST, Answer, Item
from ..settings import DEFAULTS
from ..structure import Enumeration
from .quoting import quote, sentence_at

# An answer that quotes half the article is no answer: items past this many
# characters of quoted text are left out (nested ones first).
MAX_LIST_CHARS = 1200
MAX_ITEMS = 12
BEST_SENTENCES = 3  # the ranker's best sentences, one of which must announce the enumeration


def compose_list(query: Query, ranking: Ranking, index: LoadedIndex) -> Answer | None:
    enumeration = choose_enumeration(query, ranking, index)
    if enumeration is None:
        return None
    return list_answer(enumeration, ranking.passages[:DEFAULTS.answer_passages], index)


def led_list(fact: Answer, index: LoadedIndex) -> Answer | None:
    """A fact whose quote ends in an enumeration's lead-in ("Other often
    surprising behaviors include:") is answered with that list: the lead-in
    alone says nothing."""
    if not fact.found:
        return None
    _, start, end = fact.evidence[-1]
    if not index.article[start:end].rstrip().endswith((":", "：")):
        return None
    for enumeration in index.structure.enumerations:
        if enumeration.lead_in and enumeration.lead_in[0] >= start and enumeration.lead_in[1] <= end:
            return with_short_answer(list_answer(enumeration, list(fact.passages), index), fact)
    return None


def with_short_answer(listed: Answer, fact: Answer) -> Answer:
    """``listed`` with the fact's short answer, when that lies in one of its
    quoted sentences (a short answer always does)."""
    if not fact.short_span:
        return listed
    start, end = fact.short_span
    if any(first <= start and end <= last for _, first, last in listed.evidence):
        return replace(listed, short_answer=fact.short_answer, short_span=fact.short_span)
    return listed


def list_answer(enumeration: Enumeration, top: list, index: LoadedIndex) -> Answer:
    """The lead-in and each item's opening sentence; a list inside one sentence, that sentence."""
    if enumeration.inline:
        sentence = sentence_at(index, enumeration.items[0][0])
        return quote([sentence], top, index, kind=LIST, items=[(s, e) for s, e, _ in enumeration.items])
    starts = {sentence_at(index, start): start for start, _, _ in enumeration.items}
    openings = _within_budget(index, [(sentence_at(index, start), level) for start, _, level in enumeration.items])
    lead = [sentence_at(index, enumeration.lead_in[0])] if enumeration.lead_in else []
    # An item opens its sentence, or follows the lead-in inside it ("…以下幾個方面:首先,…。").
    items = [(max(starts[s], int(index.sentences[s][0])), int(index.sentences[s][1])) for s in openings]
    return quote(list(dict.fromkeys(lead + openings)), top, index, kind=LIST, items=items)


def choose_enumeration(query: Query, ranking: Ranking, index: LoadedIndex) -> Enumeration | None:
    """The enumeration whose lead-in (or the heading right above it) is
    among the ranker's best sentences, the surest first — or, when the
    question names a count, whose length is that count and one of whose
    sentences is among them. A question about one item ("中央政府負責哪些
    工作?" of an item that says so) is no question about the list."""
    count = query.shape.count
    for sentence in _best_sentences(ranking):
        start = int(index.sentences[sentence][0])
        for enumeration in index.structure.enumerations:
            length = len(_top_level(enumeration))
            if count and length != count:
                continue
            if start in _announcers(enumeration, index) or (count and start in _openings(enumeration, index)):
                return enumeration
    return _counted_nearby(query, ranking, index) if count else None


def _counted_nearby(query: Query, ranking: Ranking, index: LoadedIndex) -> Enumeration | None:
    """With a count, an enumeration of that length in the best passages
    whose lead-in or heading is closer in meaning to the question than the
    ranker's best sentence is ("the four stages" across languages, where
    the ranker's word features see little)."""
    vector = query.vector
    best = _best_sentences(ranking)[0]
    bar = float(index.sentence_vectors[best] @ vector)
    chosen, closest = None, bar
    for passage in ranking.passages[:DEFAULTS.answer_passages]:
        for enumeration in index.structure.enumerations:
            reached = enumeration.start < passage.end and passage.start < enumeration.items[-1][1]
            if not reached or len(_top_level(enumeration)) != query.shape.count:
                continue
            for start in _announcers(enumeration, index):
                sentence = sentence_at(index, start)
                closeness = float(index.sentence_vectors[sentence] @ vector)
                if closeness > closest and _names(index, sentence, query.shape.counted):
                    chosen, closest = enumeration, closeness
    return chosen


def _names(index: LoadedIndex, sentence: int, counted: str) -> bool:
    """Whether the sentence names what the question counts: a character pair
    of it (时期 of 发展时期), or for an English noun ("stages") the word or
    one of its translations into the article (阶段)."""
    text = fold(index.sentence_text(sentence))
    if has_han(counted):
        return any(counted[i:i + 2] in text for i in range(max(len(counted) - 1, 1)))
    stems = stem_words([counted])
    return any(stem in text or any(term in text for term in index.glossary.get(stem, {})) for stem in stems)


def _best_sentences(ranking: Ranking) -> list[int]:
    order = np.argsort(-ranking.scores, kind="stable")[:BEST_SENTENCES]
    return [ranking.candidates.sentences[i] for i in order]


def _announcers(enumeration: Enumeration, index: LoadedIndex) -> set[int]:
    """Start offsets of the sentences that say what the enumeration is: its
    lead-in and the heading right above it (for a list inside one sentence, that sentence)."""
    opening = sentence_at(index, enumeration.start)
    # a list of paragraphs or sentences without a lead-in: its first item announces nothing
    starts = {int(index.sentences[opening][0])} if enumeration.lead_in or enumeration.inline else set()
    above = opening - 1
    if above >= 0 and index.sentence_kinds[above] == HEADING:
        starts.add(int(index.sentences[above][0]))
    return starts


def _openings(enumeration: Enumeration, index: LoadedIndex) -> set[int]:
    """Start offsets of the lead-in, the heading above and each item's opening sentence."""
    return _announcers(enumeration, index) | {int(index.sentences[sentence_at(index, start)][0])
                                              for start, _, _ in enumeration.items}


def _top_level(enumeration: Enumeration) -> list[tuple[int, int, int]]:
    return [item for item in enumeration.items if item[2] == 1]


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


_ITEM_BREAK = re.compile(r"[、，,；;]|和|及|与|以及|\band\b|\bor\b")


def split_items(fact: Answer) -> Answer:
    """A list question answered as a fact: when its short answer is a list
    inside one sentence ("金橋工程、金卡工程和金關工程"), its parts are the items."""
    if not fact.found or not fact.short_span:
        return fact
    start, end = fact.short_span
    cuts = [start] + [start + m.end() for m in _ITEM_BREAK.finditer(fact.short_answer)]
    stops = [start + m.start() for m in _ITEM_BREAK.finditer(fact.short_answer)] + [end]
    parts = [(a, b) for a, b in zip(cuts, stops) if b > a and fact.short_answer[a - start:b - start].strip()]
    if len(parts) < 2:
        return fact
    citation = next(n + 1 for n, first, last in fact.evidence if first <= start < last)
    items = tuple(Item(fact.short_answer[a - start:b - start].strip(), a, b, citation) for a, b in parts)
    return replace(fact, kind=LIST, items=items)
