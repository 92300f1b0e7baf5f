"""The fact composer: quote the sentence that answers, with its short answer.

The candidates are the sentences of the top passages, scored by the fitted
ranker (rank.py); the best one is quoted — with the sentence after it when
it only leads in ("...in three aspects:") — and the span stage picks the
exact phrase that answers inside it.

With the trained reader (``read.py``; on by default, ``ArticleQA.load(reader=False)`` turns it off)
the ranker's best sentences are read with their neighbours, and the
reader's margin over "no answer" joins the evidence the decline stage
weighs. Which stage quotes is chosen per case on the dev texts
(``eval/reader_calibrate.py``, :func:`decline.reader_choice`): across
languages, or when the reader is sure (margin at least the chosen one),
its best span is the short answer and its sentence the quote; otherwise
the ranker's sentence is quoted, with the reader's span inside it as the
short answer when it has one there (else the span stage's phrase).
Without the reader the tree models choose the sentence and the span stage
the phrase.

:func:`verdict` is the one place that asks decline.py whether the article
answers: a key term of the question (a name, a place, a number) is
nowhere in the article, or the best evidence is weak.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import decline, rank
from ..index import LoadedIndex
from ..query import Query
from ..read import Reader, WindowReading, window_around
from ..records import HEADING, Answer, Passage
from ..settings import DEFAULTS
from ..span import short_span
from .quoting import continues, not_found, quote
from .typed import of_the_kind_asked, states_the_figures

_LEAD_IN_END = ("：", ":")
_CLOSING_MARKS = "。！？!?.；;：:”」』\"')） "
READ_SENTENCES = 2  # the ranker's best sentences the reader reads, each inside a window of its paragraph


@dataclass(frozen=True)
class Verdict:
    """Whether the article answers, and the reader's readings that said so (none without the reader)."""

    answers: bool
    readings: tuple[WindowReading, ...] = ()

    @property
    def best(self) -> WindowReading | None:
        return max(self.readings, key=lambda reading: reading.margin) if self.readings else None


def verdict(query: Query, ranking: rank.Ranking, index: LoadedIndex, reader: Reader | None) -> Verdict:
    """The one decline verdict: the tree model's (or the English rule's)
    without the reader, else the classifier that weighs the reader's margin."""
    candidates, scores = ranking.candidates, ranking.scores
    if not candidates.sentences:
        return Verdict(False)
    top = ranking.passages[:DEFAULTS.answer_passages]
    evidence = decline.answerability_features(query, query.tags, candidates, scores, top, index)
    if reader is None:
        return Verdict(decline.answers(evidence))
    readings = tuple(read_windows(query, candidates.sentences, scores, index, reader))
    best = max(readings, key=lambda reading: reading.margin)
    return Verdict(decline.answers_with_reader(evidence, best.margin, cross_language(query, index)), readings)


def compose_fact(query: Query, ranking: rank.Ranking, index: LoadedIndex, reader: Reader | None) -> Answer:
    """Today's answer: the sentence that answers and its short answer, or a decline."""
    said = verdict(query, ranking, index, reader)
    if not said.answers:
        return not_found(query)
    # A sentence without a thing of the asked kind, or without the year the question names, does not
    # answer it: the reader's choice gives way to the ranker's sentence (worked out only then), and that
    # to a decline. Without the reader the first answer is the ranker's already.
    answer = _quoted_answer(query, ranking, index, said)
    if _answers_as_asked(query, answer, index):
        return answer
    if said.readings:
        answer = tree_answer(query, ranking, index)
        if _answers_as_asked(query, answer, index):
            return answer
    return not_found(query)


def _answers_as_asked(query: Query, answer: Answer, index: LoadedIndex) -> bool:
    return of_the_kind_asked(query, answer, index) and states_the_figures(query, answer, index)


def _quoted_answer(query: Query, ranking: rank.Ranking, index: LoadedIndex, said: Verdict) -> Answer:
    top = ranking.passages[:DEFAULTS.answer_passages]
    if not said.readings:
        return tree_answer(query, ranking, index)
    choice = decline.reader_choice()
    if cross_language(query, index) or said.best.margin >= choice.quote_margin:
        return reader_answer(said.best, top, index)
    return tree_answer(query, ranking, index, said.readings if choice.reader_short_in_tree_quote else ())


def cross_language(query: Query, index: LoadedIndex) -> bool:
    """Whether the question is asked in the other language than the article's."""
    return (query.language == "en") == index.is_chinese


def tree_answer(query: Query, ranking: rank.Ranking, index: LoadedIndex,
                readings: list[WindowReading] | tuple = ()) -> Answer:
    """The ranker's sentence; its short answer the surest reading whose span
    lies inside it, else the span stage's phrase."""
    top = ranking.passages[:DEFAULTS.answer_passages]
    sentences = _choose_sentences(ranking.candidates.sentences, ranking.scores, index)
    start, end = int(index.sentences[sentences[0]][0]), int(index.sentences[sentences[-1]][1])
    inside = [r for r in readings if start <= r.start and r.end <= end and r.end > r.start]
    if inside:
        return quote(sentences, top, index, short=_reader_short_span(max(inside, key=lambda r: r.margin), sentences, index))
    return quote(sentences, top, index, short=_short_span(query, query.tags, sentences, index))


def reader_answer(reading: WindowReading, passages: list[Passage], index: LoadedIndex) -> Answer:
    """The sentence(s) the reader's span lies in, the span its short answer."""
    sentences = _sentences_holding(reading, index)
    return quote(sentences, passages, index, short=_reader_short_span(reading, sentences, index))


def read_windows(query: Query, candidates: list[int], scores: np.ndarray, index: LoadedIndex,
                 reader: Reader) -> list[WindowReading]:
    """The reader's best span in each window around the ranker's best sentences."""
    ranked = [candidates[i] for i in np.argsort(-scores, kind="stable") if index.sentence_kinds[candidates[i]] != HEADING]
    windows: list[tuple[int, int]] = []
    for sentence in ranked or [candidates[int(np.argmax(scores))]]:
        start, end = (int(x) for x in index.sentences[sentence])
        if any(s <= start and end <= e for s, e in windows):
            continue  # already inside a window being read
        windows.append(_window(index, sentence, reader))
        if len(windows) == READ_SENTENCES:
            break
    return reader.read(query.text, windows, index.article)


def _window(index: LoadedIndex, sentence: int, reader: Reader) -> tuple[int, int]:
    """The sentence and its neighbours in the same paragraph, within the reader's budget."""
    first = last = sentence
    while first > 0 and continues(index, first - 1) and index.sentence_kinds[first - 1] != HEADING:
        first -= 1
    while last + 1 < len(index.sentences) and continues(index, last):
        last += 1
    spans = [tuple(int(x) for x in index.sentences[i]) for i in range(first, last + 1)]
    return window_around(index.article, spans, sentence - first, sentence - first, reader.tokenizer)


def _sentences_holding(reading: WindowReading, index: LoadedIndex) -> list[int]:
    """The sentences the reader's span lies in (one, or those it crosses)."""
    starts = index.sentences[:, 0]
    first = int(np.searchsorted(starts, reading.start, side="right")) - 1
    last = int(np.searchsorted(starts, max(reading.end - 1, reading.start), side="right")) - 1
    return list(range(max(first, 0), max(last, first) + 1))


def _reader_short_span(reading: WindowReading, sentences: list[int], index: LoadedIndex) -> tuple[int, int] | None:
    """The reader's span as the short answer, trimmed of spaces and of
    punctuation at its ends; none when it is the whole quoted sentence (the
    quote already says it all)."""
    start, end = reading.start, reading.end
    while start < end and index.article[start] in _CLOSING_MARKS:
        start += 1
    while end > start and index.article[end - 1] in _CLOSING_MARKS:
        end -= 1
    first_start = int(index.sentences[sentences[0]][0])
    last_end = int(index.sentences[sentences[-1]][1])
    whole = index.article[first_start:last_end].strip(_CLOSING_MARKS)
    if end <= start or index.article[start:end] == whole:
        return None
    return start, end


def _choose_sentences(candidates: list[int], scores: np.ndarray, index: LoadedIndex) -> list[int]:
    """The best sentence that is not a heading (a heading alone answers
    nothing), plus the next one when the best only announces it."""
    ranked = [candidates[i] for i in np.argsort(-scores, kind="stable")]
    best = next((s for s in ranked if index.sentence_kinds[s] != HEADING), ranked[0])
    follower = best + 1
    if index.sentence_text(best).endswith(_LEAD_IN_END) and follower in candidates and continues(index, best):
        return [best, follower]
    return [best]


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
