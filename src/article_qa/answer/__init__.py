"""Stage — answer: the question's kind chooses a composer; each quotes
article sentences with ``[n]`` citations, or declines.

Extractive on purpose: every word of an answer is a sentence of the article,
so every answer can be checked against its source.

- fact (``fact.py``): the sentence that answers and its short answer;
  ``fact.verdict`` is the one place that decides whether the article answers.
- list (``listing.py``): an enumeration's lead-in and items.
- gist (``gist.py``): the lead and a sentence for each section, a named
  section's gist, or the closing paragraph.
- reason / manner (``reasons.py``): the fact's sentence with the
  neighbours that carry the cause or the steps.

A list or gist composer that finds nothing of its own (no enumeration the
best passages reach, a topic no section holds) hands the question to the
fact composer, so it is answered, or declined, as a fact.
"""

from __future__ import annotations

from .. import decline
from ..index import LoadedIndex
from ..query import Query
from ..rank import Ranking
from ..read import Reader
from ..records import GIST, LIST, MANNER, REASON, Answer
from .fact import compose_fact, cross_language, read_windows, reader_answer, tree_answer, verdict
from .gist import compose_gist
from .listing import compose_list, led_list, split_items, with_short_answer
from .quoting import NOT_FOUND, not_found
from .reasons import compose_manner, compose_reason

__all__ = ["NOT_FOUND", "answer_question", "cross_language", "not_found", "read_windows", "reader_answer",
           "tree_answer", "verdict"]


def answer_question(query: Query, ranking: Ranking, index: LoadedIndex, reader: Reader | None = None) -> Answer:
    """The answer from the ranked candidates (``rank.rank_passages``),
    composed for the question's kind, read by ``reader`` when there is one."""
    kind = query.shape.kind
    if kind == GIST:
        shaped = _compose_whole(query, ranking, index)
        if shaped is not None:
            return shaped
    fact = compose_fact(query, ranking, index, reader)
    if kind == LIST:
        return _choose_list(query, fact, _compose_whole(query, ranking, index), index)
    if kind == REASON:
        return compose_reason(fact, index)
    if kind == MANNER:
        return compose_manner(fact, index)
    return led_list(fact, index) or fact


def _compose_whole(query: Query, ranking: Ranking, index: LoadedIndex) -> Answer | None:
    """A list or a gist, which no single sentence holds: declined only when
    the question names something the article never does (a name, a place,
    a number); None when the composer finds nothing of its own."""
    if not ranking.candidates.sentences:
        return None
    missing, _ = decline.missing_key_terms(query, query.tags, index)
    if missing:
        return not_found(query)
    compose = compose_list if query.shape.kind == LIST else compose_gist
    return compose(query, ranking, index)


def _choose_list(query: Query, fact: Answer, enumerated: Answer | None, index: LoadedIndex) -> Answer:
    """Between the enumeration and a list inside the fact's sentence (its
    short answer, "新的概念、框架、工程和政策"): the enumeration when it has
    the count the question names, or when the fact found no list of its own
    or quotes a sentence of the enumeration; the enumeration keeps the fact's
    short answer when it lies in a quoted sentence."""
    if enumerated is not None and not enumerated.found:
        return enumerated
    if enumerated is None:
        return led_list(fact, index) or split_items(fact)
    inline = split_items(fact)
    counted = query.shape.count and len(enumerated.items) == query.shape.count
    if inline.items and not counted and not _inside(fact, enumerated):
        return inline
    return with_short_answer(enumerated, fact)


def _inside(fact: Answer, enumerated: Answer) -> bool:
    quoted = {(start, end) for _, start, end in enumerated.evidence}
    return any((start, end) in quoted for _, start, end in fact.evidence)
