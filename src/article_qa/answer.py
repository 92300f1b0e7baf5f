"""Stage — answer: quote the sentence that answers, its short answer, or decline.

Extractive on purpose: every word of an answer is a sentence of the article,
so every answer can be checked against its source. The candidates are the
sentences of the top passages, scored by the fitted ranker (rank.py); the
best one is quoted — with the sentence after it when it only leads in
("...in three aspects:") — and the span stage picks the exact phrase that
answers inside it.

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

The engine declines when decline.py says the article does not answer: a
key term of the question (a name, a place, a number) is nowhere in the
article, or the best evidence is weak.
"""

from __future__ import annotations

import numpy as np

from . import decline, rank
from .index import LoadedIndex
from .query import Query
from .read import Reader, WindowReading, window_around
from .records import HEADING, Answer, Passage
from .settings import DEFAULTS
from .span import short_span

_LEAD_IN_END = ("：", ":")
_CLOSING_MARKS = "。！？!?.；;：:”」』\"')） "
READ_SENTENCES = 2  # the ranker's best sentences the reader reads, each inside a window of its paragraph

NOT_FOUND = {
    "zh-Hant": "文章沒有提到這一點。",
    "zh-Hans": "文章没有提到这一点。",
    "en": "The article does not say.",
}


def answer_question(query: Query, ranking: rank.Ranking, index: LoadedIndex, reader: Reader | None = None) -> Answer:
    """The answer from the ranked candidates (``rank.rank_passages``), read
    by ``reader`` when there is one."""
    top = ranking.passages[:DEFAULTS.answer_passages]
    candidates, scores = ranking.candidates, ranking.scores
    if not candidates.sentences:
        return not_found(query)
    question_tags = query.tags
    evidence = decline.answerability_features(query, question_tags, candidates, scores, top, index)
    if reader is None:
        if not decline.answers(evidence):
            return not_found(query)
        return tree_answer(query, ranking, index)
    readings = read_windows(query, candidates.sentences, scores, index, reader)
    best = max(readings, key=lambda reading: reading.margin)
    crossed = cross_language(query, index)
    if not decline.answers_with_reader(evidence, best.margin, crossed):
        return not_found(query)
    choice = decline.reader_choice()
    if crossed or best.margin >= choice.quote_margin:
        return reader_answer(best, top, index)
    return tree_answer(query, ranking, index, readings if choice.reader_short_in_tree_quote else ())


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
        return _quote(sentences, top, index,
                      _reader_short_span(max(inside, key=lambda r: r.margin), sentences, index))
    return _quote(sentences, top, index, _short_span(query, query.tags, sentences, index))


def reader_answer(reading: WindowReading, passages: list[Passage], index: LoadedIndex) -> Answer:
    """The sentence(s) the reader's span lies in, the span its short answer."""
    sentences = _sentences_holding(reading, index)
    return _quote(sentences, passages, index, _reader_short_span(reading, sentences, index))


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
    while first > 0 and _continues(index, first - 1) and index.sentence_kinds[first - 1] != HEADING:
        first -= 1
    while last + 1 < len(index.sentences) and _continues(index, last):
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
        passage = next((p for p in passages if p.start < end and start < p.end), None) or _chunk_passage(index, start, end)
        if passage not in cited:
            cited.append(passage)
        number = cited.index(passage) + 1
        parts.append(f"{index.article[start:end]}[{number}]")
        evidence.append((number - 1, start, end))
    return Answer(found=True, text=" ".join(parts), passages=tuple(cited), evidence=tuple(evidence),
                  short_answer=index.article[short[0]:short[1]] if short else "", short_span=short)


def _chunk_passage(index: LoadedIndex, start: int, end: int) -> Passage:
    """The chunk that holds most of a sentence, as a passage: the reader's
    window can reach a neighbouring sentence that no top passage holds."""
    chunk = max(index.chunks, key=lambda c: min(c.end, end) - max(c.start, start))
    return Passage(text=chunk.text, score=0.0, chunk_id=chunk.chunk_id, section=chunk.section,
                   paragraph=chunk.paragraph, start=chunk.start, end=chunk.end)


def not_found(query: Query) -> Answer:
    return Answer(found=False, text=NOT_FOUND[query.language])
