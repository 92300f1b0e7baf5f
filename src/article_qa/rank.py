"""Stage — rank: score the candidate sentences of the top passages.

Candidates are the sentences inside the passages retrieval ranked first.
Each gets a row of evidence features (below); a gradient-boosted ranker
(LightGBM lambdarank, fitted on the CMRC 2018 training texts by
``eval/train.py``) turns a row into a score. The fitted trees ship as JSON in
``models/`` and run through ``trees.TreeEnsemble``, so answering needs no
training library.

The features say what a reader looks for: the sentence means what the
question asks (cosine), holds the question's words — weighted by how rare
they are in the article and, more tellingly, among the candidates
themselves, since the question's topic stands in most of them — holds a
long stretch of the question verbatim (CMRC-style questions rewrite the
answering sentence), holds a thing of the asked kind (a year for "when", a
name for "who"), and sits in a passage retrieval liked.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

import numpy as np

from .chunk import sentence_model_text
from .fold import fold, han_runs, has_han, tokens
from .glossary import is_stopword
from .index import LoadedIndex
from .query import Query
from .records import BYLINE, HEADING, Passage
from .span import NUMBER, TIME
from .tagging import KIND_TAGS
from .trees import TreeEnsemble

MODELS = Path(__file__).resolve().parent / "models"
RANKER_FILE = MODELS / "sentence_ranker.json"
# Share of a passage's relevance that is its best sentence's evidence (0.9 ranked
# the CMRC training texts best: hit@1 0.971 against 0.963 at 0.5).
EVIDENCE_SHARE = 0.9

_LATIN_TOKEN = re.compile(r"[a-z0-9]+")
_HAS_DATE = re.compile(r"\d{3,4}\s*年|\d{1,2}\s*月|\d{1,2}\s*日|[一二三四五六七八九十〇零]{2,4}年|\b(1[5-9]|20)\d{2}\b")
_HAS_NUMBER = re.compile(r"\d|[一二三四五六七八九十百千万亿兩两]+[个位名项种次年岁倍%％]")
_LEAD_IN_END = ("：", ":")

FEATURES = (
    "cosine", "cosine_gap", "cosine_rank",
    "passage_rank", "passage_score", "passage_score_gap",
    "coverage", "idf_coverage", "local_coverage", "bigram_coverage",
    "common_run", "common_run_share",
    "asks_kind", "has_kind", "kind_tag",
    "log_length", "is_heading", "is_byline", "is_first", "ends_lead_in",
    "previous_coverage", "next_coverage", "n_candidates",
    "section_coverage", "left_anchor", "right_anchor", "kind_after_anchor", "off_topic_coverage",
)


@dataclass(frozen=True)
class Candidates:
    """The sentences weighed for one question, with their features."""

    sentences: list[int]  # sentence numbers in the index
    passage_ranks: np.ndarray  # rank of the best passage holding each
    features: np.ndarray  # float32 [n, len(FEATURES)]


@dataclass(frozen=True)
class Ranking:
    """The answer stage's view of a question: the passages reordered by the
    best sentence each holds, and the scored candidate sentences."""

    passages: list[Passage]
    candidates: Candidates
    scores: np.ndarray


def rank_passages(query: Query, passages: list[Passage], index: LoadedIndex, n: int) -> Ranking:
    """Score the sentences of the first ``n`` passages, and rank passages by
    relevance: mostly (EVIDENCE_SHARE) the evidence of the best sentence each
    holds — the ranker's score through a logistic; 0 for passages past ``n``,
    whose sentences are not scored — and the rest their retrieval score. The
    passage holding the answering sentence comes first, and scores fall as
    ranks do."""
    top = passages[:n]
    cands = candidates(query, top, index, index.sentence_tags)
    scores = score(cands.features)
    best = np.full(len(top), -np.inf)
    for sentence, value in zip(cands.sentences, scores):
        start, end = index.sentences[sentence]
        for i, passage in enumerate(top):
            if passage.start < end and start < passage.end:
                best[i] = max(best[i], value)
    evidence = [1 / (1 + math.exp(-b)) if np.isfinite(b) else 0.0 for b in best] + [0.0] * (len(passages) - n)
    rescored = [replace(p, score=round(EVIDENCE_SHARE * e + (1 - EVIDENCE_SHARE) * p.score, 6))
                for p, e in zip(passages, evidence)]
    order = sorted(range(len(rescored)), key=lambda i: (-rescored[i].score, i))
    return Ranking([rescored[i] for i in order], cands, scores)


def candidate_sentences(passages: list[Passage], index: LoadedIndex) -> tuple[list[int], list[int]]:
    """Sentence numbers overlapping the passages, each once, with the rank of
    the best passage holding it."""
    starts, ends = index.sentences[:, 0], index.sentences[:, 1]
    ranks: dict[int, int] = {}
    for rank, passage in enumerate(passages):
        first = int(np.searchsorted(ends, passage.start, side="right"))
        last = int(np.searchsorted(starts, passage.end, side="left"))
        for sentence in range(first, last):
            ranks.setdefault(sentence, rank)
    return list(ranks), list(ranks.values())


def candidates(query: Query, passages: list[Passage], index: LoadedIndex,
               tags: list | None = None) -> Candidates:
    """Every candidate sentence and its feature row. ``tags`` are the
    sentences' LAC tokens (``index.sentence_tags``), when the index has them."""
    sentences, ranks = candidate_sentences(passages, index)
    if not sentences:
        return Candidates([], np.zeros(0), np.zeros((0, len(FEATURES)), dtype=np.float32))
    rows = _feature_rows(query, sentences, ranks, passages, index, tags)
    return Candidates(sentences, np.asarray(ranks, dtype=np.float32), rows)


def _feature_rows(query: Query, sentences: list[int], ranks: list[int], passages: list[Passage],
                  index: LoadedIndex, tags) -> np.ndarray:
    cosines = index.sentence_vectors[sentences] @ query.vector
    own_terms = _question_terms(query, index)
    # An English question is weighed through its words' surest translations
    # into the article, so its features mean what they mean for Chinese.
    translated = _translated_terms(query)
    terms = own_terms | {t for term in translated for t in tokens(term)}
    weights = {t: idf(index, t) for t in terms}
    bigrams = [t for t in terms if len(t) == 2]
    texts = [index.sentence_text(s) for s in sentences]
    folded = [_folded_sentence(sentence_model_text(t, index.sentence_kinds[s])) for t, s in zip(texts, sentences)]
    # How many candidates hold each question term: the topic is in most of
    # them and tells them apart least.
    spread = {t: sum(t in f[1] for f in folded) for t in terms}
    kind, wh = query.asked
    left, right = _wh_contexts(query.folded, wh)
    # The stretches of question text a sentence may repeat: its Chinese runs;
    # for an English question, the whole question (an English article) or
    # its translations (a Chinese one).
    question_runs = han_runs(query.folded) or translated
    # An English question about English text repeats words, not characters:
    # its runs are counted in words, the unit closest to a Chinese character.
    question_words = _LATIN_TOKEN.findall(query.folded) if not question_runs else []
    question_chars = sum(len(r) for r in question_runs) or len(question_words) or 1
    top_score = passages[0].score
    order = np.argsort(-cosines, kind="stable")
    cosine_rank = np.empty(len(sentences), dtype=np.float32)
    cosine_rank[order] = np.arange(len(sentences))
    rows = np.zeros((len(sentences), len(FEATURES)), dtype=np.float32)
    n = len(sentences)
    for i, (sentence, text, (folded_text, sentence_terms)) in enumerate(zip(sentences, texts, folded)):
        held = terms & sentence_terms
        run = _common_run(question_runs, folded_text) if question_runs else \
            _common_word_run(question_words, _LATIN_TOKEN.findall(folded_text))
        left_match, left_end = _anchored_suffix(left, folded_text)
        section = passages[ranks[i]].section
        rows[i] = (
            cosines[i], cosines[i] - cosines.max(), cosine_rank[i],
            ranks[i], passages[ranks[i]].score, passages[ranks[i]].score - top_score,
            _coverage(query, own_terms, folded_text, sentence_terms),
            sum(weights[t] for t in held) / (sum(weights.values()) or 1.0),
            sum(1.0 - spread[t] / (n + 1) for t in held) / (sum(1.0 - spread[t] / (n + 1) for t in terms) or 1.0),
            sum(t in sentence_terms for t in bigrams) / (len(bigrams) or 1),
            run, run / question_chars,
            kind in KIND_TAGS, _has_kind(kind, text), _has_kind_tag(kind, tags[sentence] if tags else ()),
            math.log1p(len(text)), index.sentence_kinds[sentence] == HEADING,
            index.sentence_kinds[sentence] == BYLINE, _is_first(index, sentence), text.endswith(_LEAD_IN_END),
            _neighbour_coverage(query, own_terms, index, sentence - 1),
            _neighbour_coverage(query, own_terms, index, sentence + 1), n,
            _coverage(query, own_terms, *_folded_sentence(section)) if section else 0.0,
            left_match, _anchored_prefix(right, folded_text),
            _has_kind(kind, text[left_end:left_end + 12]) if left_match >= 2 else False,
            _off_topic_coverage(terms, weights, held, section),
        )
    return rows


def _question_terms(query: Query, index: LoadedIndex) -> set[str]:
    """The question's own terms that occur somewhere in the article (English
    function words left out: "when" and "did" say nothing about a sentence)."""
    return {term for term in query.lexical_tokens if index.lexical.knows(term) and not is_stopword(term)}


def _translated_terms(query: Query) -> list[str]:
    """For each English word of the question, its surest translations (the
    article terms of its highest weight)."""
    if has_han(query.text):
        return []
    chosen: dict[str, None] = {}
    for word in query.translations:
        if word:
            best = max(t.weight for t in word)
            chosen.update(dict.fromkeys(t.term for t in word if t.weight >= best))
    return list(chosen)


def idf(index: LoadedIndex, term: str) -> float:
    n = index.lexical.num_docs
    return math.log((n + 1) / (index.lexical.document_frequency(term) + 0.5))


def _coverage(query: Query, terms: set[str], folded: str, sentence_terms: frozenset[str]) -> float:
    """Share of the question a sentence holds: its own article terms one by
    one, and each English word by its surest translation in the sentence."""
    units = len(terms) + len(query.translations)
    if not units:
        return 0.0
    words = sum(max((t.weight for t in word if t.term in folded), default=0.0) for word in query.translations)
    return (len(terms & sentence_terms) + words) / units


def _neighbour_coverage(query: Query, terms: set[str], index: LoadedIndex, sentence: int) -> float:
    """The next or previous sentence's coverage: a pronoun question ("他司职
    什么位置?") names its subject in the sentence before the answer."""
    if not 0 <= sentence < len(index.sentences):
        return 0.0
    folded, sentence_terms = _folded_sentence(index.sentence_text(sentence))
    return _coverage(query, terms, folded, sentence_terms)


def _common_word_run(question: list[str], sentence: list[str]) -> int:
    """Length in words of the longest word sequence both hold."""
    best, previous = 0, [0] * (len(sentence) + 1)
    for word in question:
        current = [0] * (len(sentence) + 1)
        for j, other in enumerate(sentence, 1):
            if word == other:
                current[j] = previous[j - 1] + 1
                best = max(best, current[j])
        previous = current
    return best


def _common_run(question_runs: list[str], folded_sentence: str) -> int:
    """Length of the longest stretch of the question's Chinese text that the
    sentence holds verbatim."""
    best = 0
    for run in question_runs:
        best = max(best, _longest_common_substring(run, folded_sentence))
    return best


def _off_topic_coverage(terms: set[str], weights: dict[str, float], held: set[str], section: str) -> float:
    """IDF-weighted share of the question's terms outside its topic (the
    section heading) that the sentence holds: "黄鳍紫鱼体长多少" under the
    heading 黄鳍紫鱼 is answered by the sentence with 体长."""
    topic = _folded_sentence(section)[1] if section else frozenset()
    # A question all of whose terms are the topic's is judged on all of them.
    rest = [t for t in terms if t not in topic] or list(terms)
    total = sum(weights[t] for t in rest)
    return sum(weights[t] for t in rest if t in held) / total if total else 0.0


def _wh_contexts(folded_question: str, wh: tuple[int, int] | None) -> tuple[str, str]:
    """The question's Chinese text just before and just after its question
    word: the answer sits next to where these stand in the sentence."""
    if wh is None:
        return "", ""
    before = han_runs(folded_question[:wh[0]])
    after = han_runs(folded_question[wh[1]:])
    return (before[-1][-8:] if before else ""), (after[0][:8] if after else "")


def _anchored_suffix(context: str, folded_sentence: str) -> tuple[int, int]:
    """The longest end of ``context`` that the sentence holds, and where that
    match ends in the sentence (the answer often follows it)."""
    for length in range(len(context), 0, -1):
        at = folded_sentence.find(context[-length:])
        if at >= 0:
            return length, at + length
    return 0, 0


def _anchored_prefix(context: str, folded_sentence: str) -> int:
    for length in range(len(context), 0, -1):
        if context[:length] in folded_sentence:
            return length
    return 0


def _longest_common_substring(a: str, b: str) -> int:
    """Grows a match from each start in ``a`` while ``b`` holds it (question
    runs are short, sentences hold a few dozen characters)."""
    best = 0
    for start in range(len(a)):
        length = best + 1
        while start + length <= len(a) and a[start:start + length] in b:
            best = length
            length += 1
    return best


def _has_kind(kind: str | None, text: str) -> bool:
    if kind == TIME:
        return bool(_HAS_DATE.search(text))
    if kind == NUMBER:
        return bool(_HAS_NUMBER.search(text))
    return False


def _has_kind_tag(kind: str | None, sentence_tags) -> bool:
    wanted = KIND_TAGS.get(kind)
    return bool(wanted) and any(token.tag in wanted for token in sentence_tags)


def _is_first(index: LoadedIndex, sentence: int) -> bool:
    if sentence == 0:
        return True
    gap = index.article[index.sentences[sentence - 1][1]:index.sentences[sentence][0]]
    return "\n" in gap


@lru_cache(maxsize=16384)
def _folded_sentence(sentence: str) -> tuple[str, frozenset[str]]:
    """A sentence folded, and its terms, kept: the same sentences come back
    question after question."""
    folded = fold(sentence)
    return folded, frozenset(tokens(folded))


@lru_cache(maxsize=1)
def ranker() -> TreeEnsemble:
    return TreeEnsemble(json.loads(RANKER_FILE.read_text(encoding="utf-8")), FEATURES)


def score(rows: np.ndarray) -> np.ndarray:
    """The fitted ranker's score of each feature row (higher answers better)."""
    if len(rows) == 0:
        return np.zeros(0)
    return ranker().predict(rows)
