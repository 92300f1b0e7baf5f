"""Stage 6 — answer: quote the sentence(s) that answer, or decline.

Extractive on purpose: every word of an answer is a sentence of the article,
so every answer can be checked against its source. Candidate sentences are
those inside the top passages; each is scored by its cosine to the question,
the share of the question's article words it contains, whether it holds
what the question asks for (a year for "when", a figure for "how many"), and
the rank of the passage it came from.

The engine declines when its confidence — the best sentence cosine plus a
share of how much of the question the article's vocabulary covers at all —
is low: a question about the weather shares neither meaning nor words.
"""

from __future__ import annotations

import re
from functools import lru_cache

import numpy as np

from .chunk import sentence_model_text
from .fold import fold, tokens
from .glossary import english_words
from .index import LoadedIndex
from .query import Query, question_language
from .records import BYLINE, HEADING, Answer, Passage

ANSWER_PASSAGES = 3
MAX_QUOTED_SENTENCES = 2
LEAD_IN_MAX_CHARS = 20
# Weights and thresholds: grid search on the development set
# (eval/questions.jsonl, eval/offtopic.jsonl), never on held-out questions.
COVERAGE_WEIGHT = 0.5
KIND_BONUS = 0.1
PASSAGE_RANK_PENALTY = 0.05
SECOND_SENTENCE_MARGIN = 0.1
ARTICLE_COVERAGE_WEIGHT = 0.2
MIN_CONFIDENCE = 0.24

_ASKS_DATE = re.compile(r"哪一?年|何年|什么时候|什麼時候|何时|何時|几月|幾月|哪天|日期|when|what year|which year|what date", re.I)
_ASKS_NUMBER = re.compile(r"多少|几|幾|排名|how many|how much|rank|what (?:was|is) the .*(?:index|score)", re.I)
_HAS_DATE = re.compile(r"\d{4}年|\d{1,2}月|\b(1[89]|20)\d{2}\b")
_HAS_NUMBER = re.compile(r"\d")
_ANNOUNCES = re.compile(
    r"[:：]$|(以下|如下|[一二三四五六七八九十兩两幾几\d]+\s?[個个項项大]?)\S{0,4}[。.]$"
    r"|\b(following|two|three|four|five|several)\b[^.]{0,40}[.:]$", re.I)
_CJK_PAIR = re.compile(r"[\u3400-\u9fff]{2}")

NOT_FOUND = {
    "zh-Hant": "文章沒有提到這一點。",
    "zh-Hans": "文章没有提到这一点。",
    "en": "The article does not say.",
}


def answer_question(query: Query, passages: list[Passage], index: LoadedIndex) -> Answer:
    top = passages[:ANSWER_PASSAGES]
    candidates, passage_ranks = _candidate_sentences(top, index)
    if not candidates:
        return _not_found(query)
    scores, cosines = _score_sentences(query, candidates, passage_ranks, index)
    confidence = cosines.max() + ARTICLE_COVERAGE_WEIGHT * article_coverage(query, index)
    if confidence < MIN_CONFIDENCE:
        return _not_found(query)
    return _quote(_choose_sentences(candidates, scores, index), top, index)


def _choose_sentences(candidates: list[int], scores: np.ndarray, index: LoadedIndex) -> list[int]:
    """The best sentence, plus its follower when it only leads in, or plus the
    runner-up when that scores nearly as well. A heading alone answers nothing."""
    ranked = [(candidates[i], float(scores[i])) for i in np.argsort(-scores, kind="stable")]
    best = ranked[0][0]
    follower = best + 1
    if _is_lead_in(index, best) and follower in candidates and _continues(index, best):
        return [best, follower]
    body = [(s, score) for s, score in ranked if not _is_heading(index, s)] or ranked
    (best, best_score), runners_up = body[0], body[1:MAX_QUOTED_SENTENCES]
    return [best] + [s for s, score in runners_up if score >= best_score - SECOND_SENTENCE_MARGIN]


def _is_lead_in(index: LoadedIndex, sentence: int) -> bool:
    """A sentence that announces what follows ("...in three aspects:", a
    one-clause topic sentence) answers only together with the next one.
    The byline stands alone: it answers who wrote the article."""
    if index.sentence_kinds[sentence] == BYLINE:
        return False
    text = _sentence_text(index, sentence)
    return len(text) < LEAD_IN_MAX_CHARS or bool(_ANNOUNCES.search(text))


def _is_heading(index: LoadedIndex, sentence: int) -> bool:
    return index.sentence_kinds[sentence] == HEADING


def _continues(index: LoadedIndex, sentence: int) -> bool:
    """Whether the next sentence continues this one's paragraph, or the
    section this heading opens."""
    if _is_heading(index, sentence):
        return True
    gap = index.article[index.sentences[sentence][1]:index.sentences[sentence + 1][0]]
    return "\n" not in gap


def _candidate_sentences(passages: list[Passage], index: LoadedIndex) -> tuple[list[int], np.ndarray]:
    """Sentence numbers overlapping the passages, each once with the rank of
    the best passage holding it."""
    starts, ends = index.sentences[:, 0], index.sentences[:, 1]
    ranks: dict[int, int] = {}
    for rank, passage in enumerate(passages):
        first = int(np.searchsorted(ends, passage.start, side="right"))
        last = int(np.searchsorted(starts, passage.end, side="left"))
        for sentence in range(first, last):
            ranks.setdefault(sentence, rank)
    return list(ranks), np.fromiter(ranks.values(), dtype=np.float32, count=len(ranks))


def article_coverage(query: Query, index: LoadedIndex) -> float:
    """Share of the question's units — Chinese character pairs and English
    content words — that the article knows at all (its vocabulary or glossary)."""
    pairs = [t for t in tokens(query.folded) if len(t) == 2 and _CJK_PAIR.match(t)]
    words = english_words(query.folded)
    if not pairs and not words:
        return 0.0
    known = sum(index.lexical.knows(p) for p in pairs) + sum(w in index.glossary for w in words)
    return known / (len(pairs) + len(words))


def _score_sentences(query: Query, candidates: list[int], passage_ranks: np.ndarray, index: LoadedIndex):
    cosines = index.sentence_vectors[candidates] @ query.vector
    question_terms = _article_terms(query, index)
    kind = _asked_kind(query.text)
    coverages = np.zeros(len(candidates), dtype=np.float32)
    bonus = np.zeros(len(candidates), dtype=np.float32)
    for i, sentence in enumerate(candidates):
        text = _sentence_text(index, sentence)
        coverages[i] = _coverage(query, question_terms, _folded_sentence(sentence_model_text(text, index.sentence_kinds[sentence])))
        if kind is not None and kind.search(text):
            bonus[i] = KIND_BONUS
    scores = cosines + COVERAGE_WEIGHT * coverages + bonus - PASSAGE_RANK_PENALTY * passage_ranks
    return scores, cosines


def _coverage(query: Query, question_terms: set[str], sentence: tuple[str, frozenset[str]]) -> float:
    """Share of the question a sentence holds: its own article terms one by
    one, and each English word by its surest translation in the sentence."""
    folded, terms = sentence
    units = len(question_terms) + len(query.translations)
    if not units:
        return 0.0
    words = sum(max((t.weight for t in word if t.term in folded), default=0.0) for word in query.translations)
    return (len(question_terms & terms) + words) / units


@lru_cache(maxsize=8192)
def _folded_sentence(sentence: str) -> tuple[str, frozenset[str]]:
    """A sentence folded, and its terms, kept: the same sentences come back
    question after question, and folding them each time was the answer
    stage's hot spot."""
    folded = fold(sentence)
    return folded, frozenset(tokens(folded))


def _article_terms(query: Query, index: LoadedIndex) -> set[str]:
    """The question's own terms that occur somewhere in the article."""
    return {term for term in query.lexical_tokens if index.lexical.knows(term)}


def _asked_kind(question: str):
    if _ASKS_DATE.search(question):
        return _HAS_DATE
    if _ASKS_NUMBER.search(question):
        return _HAS_NUMBER
    return None


def _sentence_text(index: LoadedIndex, sentence: int) -> str:
    start, end = index.sentences[sentence]
    return index.article[start:end]


def _quote(sentences: list[int], passages: list[Passage], index: LoadedIndex) -> Answer:
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
    return Answer(found=True, text=" ".join(parts), passages=tuple(cited), evidence=tuple(evidence))


def _not_found(query: Query) -> Answer:
    return Answer(found=False, text=NOT_FOUND[question_language(query.text)])
