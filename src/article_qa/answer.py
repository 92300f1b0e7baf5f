"""Stage — answer: quote the sentence that answers, its short answer, or decline.

Extractive on purpose: every word of an answer is a sentence of the article,
so every answer can be checked against its source. The candidates are the
sentences of the top passages, scored by the fitted ranker (rank.py); the
best one is quoted — with the sentence after it when it only leads in
("...in three aspects:") — and the span stage picks the exact phrase that
answers inside it.

The engine declines when decline.py says the article does not answer: a
key term of the question (a name, a place, a number) is nowhere in the
article, or the best evidence is weak.
"""

from __future__ import annotations

import numpy as np

from . import decline, rank
from .index import LoadedIndex
from .query import Query, question_language
from .records import HEADING, Answer, Passage
from .settings import DEFAULTS
from .span import short_span
from .tagging import tag

_LEAD_IN_END = ("：", ":")

NOT_FOUND = {
    "zh-Hant": "文章沒有提到這一點。",
    "zh-Hans": "文章没有提到这一点。",
    "en": "The article does not say.",
}


def answer_question(query: Query, ranking: rank.Ranking, index: LoadedIndex) -> Answer:
    """The answer from the ranked candidates (``rank.rank_passages``)."""
    top = ranking.passages[:DEFAULTS.answer_passages]
    candidates, scores = ranking.candidates, ranking.scores
    if not candidates.sentences:
        return not_found(query)
    question_tags = tag(query.text)
    evidence = decline.answerability_features(query, question_tags, candidates, scores, top, index)
    if not decline.answers(evidence):
        return not_found(query)
    sentences = _choose_sentences(candidates.sentences, scores, index)
    return _quote(sentences, top, index, _short_span(query, question_tags, sentences, index))


def _choose_sentences(candidates: list[int], scores: np.ndarray, index: LoadedIndex) -> list[int]:
    """The best sentence that is not a heading (a heading alone answers
    nothing), plus the next one when the best only announces it."""
    ranked = [candidates[i] for i in np.argsort(-scores, kind="stable")]
    best = next((s for s in ranked if index.sentence_kinds[s] != HEADING), ranked[0])
    follower = best + 1
    if index.sentence_text(best).endswith(_LEAD_IN_END) and follower in candidates and _continues(index, best):
        return [best, follower]
    return [best]


def _continues(index: LoadedIndex, sentence: int) -> bool:
    """Whether the next sentence continues this one's paragraph."""
    gap = index.article[index.sentences[sentence][1]:index.sentences[sentence + 1][0]]
    return "\n" not in gap


def _short_span(query: Query, question_tags, sentences: list[int], index: LoadedIndex) -> tuple[int, int] | None:
    """The short answer in article offsets: from the first quoted sentence
    that has a phrase standing out; ``None`` when none does (most why/how
    questions) -- never the whole sentence, which the quote already is."""
    for sentence in sentences:
        local = short_span(query.text, question_tags, index.sentence_text(sentence), index.sentence_tags[sentence])
        if local is not None:
            start = int(index.sentences[sentence][0])
            return start + local[0], start + local[1]
    return None


def _quote(sentences: list[int], passages: list[Passage], index: LoadedIndex,
           short: tuple[int, int] | None) -> Answer:
    cited: list[Passage] = []
    parts, evidence = [], []
    for sentence in sentences:
        start, end = (int(x) for x in index.sentences[sentence])
        passage = next(p for p in passages if p.start < end and start < p.end)
        if passage not in cited:
            cited.append(passage)
        number = cited.index(passage) + 1
        parts.append(f"{index.article[start:end]}[{number}]")
        evidence.append((number - 1, start, end))
    return Answer(found=True, text=" ".join(parts), passages=tuple(cited), evidence=tuple(evidence),
                  short_answer=index.article[short[0]:short[1]] if short else "", short_span=short)


def not_found(query: Query) -> Answer:
    return Answer(found=False, text=NOT_FOUND[question_language(query.text)])
