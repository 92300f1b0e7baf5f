"""Stage — decline: does the article answer the question at all?

A question naming something the article never names — a person, place,
organisation, proper noun, or a number or year (LAC's tags of the question)
— is declined by rule. Otherwise a small gradient-boosted classifier
(``models/decline.json``, fitted by ``eval/train.py``) weighs the best
evidence the ranker found against how much of the question the article
knows; English questions, which that model never saw, get a plain rule.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from .fold import fold, has_han, letters_only
from .glossary import content_words, english_words
from .index import LoadedIndex
from .query import Query
from .rank import FEATURES, MODELS, Candidates, idf
from .records import Passage
from .trees import TreeEnsemble

DECLINE_FILE = MODELS / "decline.json"
_KEY_TAGS = {"PER", "LOC", "ORG", "TIME", "nz", "nw", "m"}
_NOUN_TAGS = {"n", "vn"}
_FOCUS_TAGS = {"n", "vn", "nz"}
# A capitalised word that does not open the question: "Denmark", "State Council".
_LATIN_NAME = re.compile(r"(?<=[a-z,;:'\"]\s)[A-Z][a-z]+(?:[\s-]+[A-Z][a-z]+)*")
_DIGITS = re.compile(r"\d+(?:\.\d+)?")
_QUESTION_CHARS = re.compile(r"[几幾多少哪何啥么麽谁誰]")

_FEATURE_COLUMN = {name: i for i, name in enumerate(FEATURES)}

ANSWERABILITY = (
    "best_score", "score_gap", "max_cosine", "max_common_run_share", "max_idf_coverage",
    "best_local_coverage", "article_coverage", "known_idf_share", "missing_key_terms",
    "missing_key_share", "top_passage_score", "is_english", "missing_nouns",
    "best_off_topic_coverage", "best_anchor", "focus_missing",
)


def answerability_features(query: Query, question_tags, cands: Candidates, scores: np.ndarray,
                           passages: list[Passage], index: LoadedIndex) -> np.ndarray:
    """One row saying how well the article can answer: the best evidence
    found, and whether the question's key terms — names, places,
    organisations, numbers, years — occur in the article at all."""
    column = _FEATURE_COLUMN
    rows = cands.features
    best = int(np.argmax(scores))
    ordered = np.sort(scores)[::-1]
    missing, keys = missing_key_terms(query, question_tags, index)
    known, total = _known_idf(query, index)
    return np.asarray([
        ordered[0], ordered[0] - (ordered[1] if len(ordered) > 1 else ordered[0] - 1.0),
        rows[:, column["cosine"]].max(), rows[:, column["common_run_share"]].max(),
        rows[:, column["idf_coverage"]].max(), rows[best, column["local_coverage"]],
        article_coverage(query, index), known / total if total else 0.0,
        missing, missing / keys if keys else 0.0, passages[0].score,
        not has_han(query.text), missing_nouns(query, question_tags, index),
        rows[best, column["off_topic_coverage"]], rows[best, column["left_anchor"]] + rows[best, column["right_anchor"]],
        focus_missing(query, question_tags, index),
    ], dtype=np.float32)


def focus_missing(query: Query, question_tags, index: LoadedIndex) -> bool:
    """Whether the article lacks the noun the question asks about — the last
    noun before its question word ("政府上网工程的总预算是多少" asks about 总预算)."""
    _, wh = query.asked
    if wh is None:
        return False
    nouns = [t for t in question_tags if t.end <= wh[0] and t.tag in _FOCUS_TAGS and t.end - t.start >= 2]
    if not nouns:
        return False
    word = letters_only(fold(query.text[nouns[-1].start:nouns[-1].end]))
    return bool(word) and not _present(word, index.folded_article_letters)


def missing_nouns(query: Query, question_tags, index: LoadedIndex) -> int:
    """How many of the question's common nouns (两字以上) the article lacks: a
    paraphrase brings some, a question about something else brings more
    (总预算, 注册用户 of an article without budgets or users)."""
    article = index.folded_article_letters
    count = 0
    for token in question_tags:
        word = letters_only(fold(query.text[token.start:token.end]))
        if token.tag in _NOUN_TAGS and len(word) >= 2 and not _QUESTION_CHARS.search(word):
            count += not _present(word, article)
    return count


def missing_key_terms(query: Query, question_tags, index: LoadedIndex) -> tuple[int, int]:
    """(how many of the question's key terms the article lacks, how many
    there are). Chinese: LAC's names, places, organisations, times, proper
    nouns and numbers, looked up in the folded article. English: capitalised
    names, which must translate into the article (the glossary holds only the
    article's own terms), and numbers."""
    if not has_han(query.text):
        article = index.folded_article
        names = list(dict.fromkeys(m.group(0) for m in _LATIN_NAME.finditer(query.text)))
        numbers = list(dict.fromkeys(_DIGITS.findall(query.folded)))
        missing = sum(not _translatable(n, index) for n in names) + sum(n not in article for n in numbers)
        return missing, len(names) + len(numbers)
    keys = list(dict.fromkeys(word for word in (_key_term(query.text, token) for token in question_tags) if word))
    article = index.folded_article_letters
    return sum(not _present(letters_only(word), article) for word in keys), len(keys)


def _present(term: str, article: str) -> bool:
    """Whether the article names ``term``. Its numbers must all be there;
    otherwise its first half (all of a two-character term) will do, since
    LAC often glues a name to what follows it (四川地区, 北京奥运会) while the
    article has the name alone — but the head must match: 金盾工程 is not
    named by an article about other 工程."""
    numbers = _DIGITS.findall(term)
    if numbers:
        return all(number in article for number in numbers)
    need = len(term) if len(term) <= 2 else max(2, (len(term) + 1) // 2)
    return term[:need] in article


def _key_term(question: str, token) -> str:
    """The folded word if it is a key term: a name, place, organisation or
    proper noun, or a number or time holding digits — never the question
    word itself (哪一年, 第几, 多少) or a measure after one (哪三项)."""
    word = fold(question[token.start:token.end]).strip()
    if token.tag not in _KEY_TAGS or len(word) < 2 and not word.isdigit():
        return ""
    if _QUESTION_CHARS.search(word) or question[token.start - 1:token.start] in ("哪", "第"):
        return ""
    if token.tag in ("m", "TIME") and not _DIGITS.search(word):
        return ""
    return word


def _translatable(name: str, index: LoadedIndex) -> bool:
    """An English name the article holds as written, or every word of which
    translates into the article ("State Council"; not "South Korea" of an
    article that never names Korea)."""
    stems = english_words(name)
    return fold(name) in index.folded_article or bool(stems) and all(stem in index.glossary for stem in stems)


def article_coverage(query: Query, index: LoadedIndex) -> float:
    """Share of the question's units — Chinese character pairs and English
    content words — that the article knows at all: a pair or a word in its
    vocabulary, or a word whose translation it holds (its glossary)."""
    pairs = [t for t in query.lexical_tokens if len(t) == 2 and has_han(t)]
    words = content_words(query.folded)
    if not pairs and not words:
        return 0.0
    known = sum(index.lexical.knows(p) for p in pairs)
    known += sum(index.lexical.knows(word) or stem in index.glossary for word, stem in words)
    return known / (len(pairs) + len(words))


def _known_idf(query: Query, index: LoadedIndex) -> tuple[float, float]:
    """IDF mass of the question's character pairs the article holds, and in
    all (an unknown pair weighs as much as the rarest known one)."""
    pairs = [t for t in query.lexical_tokens if len(t) == 2 and has_han(t)]
    if not pairs:
        return 0.0, 0.0
    rarest = math.log((index.lexical.num_docs + 1) / 0.5)
    known = sum(idf(index, p) for p in pairs if index.lexical.knows(p))
    total = sum(idf(index, p) if index.lexical.knows(p) else rarest for p in pairs)
    return known, total


@lru_cache(maxsize=1)
def decline_model() -> tuple[TreeEnsemble, float]:
    """The fitted classifier's trees and the probability it must reach."""
    dump = json.loads(DECLINE_FILE.read_text(encoding="utf-8"))
    return TreeEnsemble(dump, ANSWERABILITY), float(dump["article_qa"]["threshold"])


def answer_probability(row: np.ndarray) -> float:
    """The fitted classifier's probability that the article answers."""
    trees, _ = decline_model()
    return 1.0 / (1.0 + math.exp(-float(trees.predict(row[None, :])[0])))


# English questions: the decline model was fitted on Chinese questions only
# (its character-pair features are empty for English), so for them a plain
# rule decides: every name translates into the article, most content words
# are known to its vocabulary or glossary ...
ENGLISH_MIN_COVERAGE = 0.5
# ... and some sentence means roughly what it asks: on the project's
# training half every answerable English question reached a cosine of 0.22,
# the far off-topic ones (weather, recipes, code) stayed under 0.14.
ENGLISH_MIN_COSINE = 0.15


def answers(row: np.ndarray) -> bool:
    """Whether the article answers, from an :func:`answerability_features` row.

    A key term the article never names — a name, place, organisation, year
    or figure — means it does not answer, however close the rest: "美国的电子
    政务发展指数" is not answered by China's. (On the CMRC training texts this
    rule declines 0.3% of the answerable questions and 72% of the others.)
    """
    column = dict(zip(ANSWERABILITY, row))
    if column["missing_key_terms"] > 0 or unheld_and_far(column):
        return False
    if column["is_english"]:
        return column["article_coverage"] >= ENGLISH_MIN_COVERAGE and column["max_cosine"] >= ENGLISH_MIN_COSINE
    return answer_probability(row) >= decline_model()[1]


# ---- with the reader --------------------------------------------------------
# The reader's margin (its best span's score over its no-answer score) joins
# the tree decline model's verdict in a small gradient-boosted classifier
# fitted by eval/reader_calibrate.py on the dev texts (texts the reader did
# not train on), its threshold set there to keep false declines under the
# budget. A key term the article never holds is one of its inputs, and a rule
# only when the reader is not sure (its margin under ``rule_margin``, chosen
# on the dev texts; in the article's language: across languages a name often
# does not translate): as a rule alone it declined 72% of the dev texts'
# unanswerable questions but spent nearly all the false-decline budget (1.7%),
# leaving the classifier almost nothing to decline; gated by the margin, out
# of fold, 87.5% are declined at 1.3% false declines (eval/reader_calibrate.py).
READER_DECLINE_FILE = MODELS / "reader_decline.json"
READER_ANSWERABILITY = ("reader_margin", "tree_logit", "missing_key_terms", "is_english", "english_margin",
                        "article_coverage", "max_cosine", "cross_language")


def reader_answerability(row: np.ndarray, margin: float, cross_language: bool) -> np.ndarray:
    """The classifier's inputs, from an :func:`answerability_features` row, the
    reader's margin and whether the question's language is not the article's."""
    column = dict(zip(ANSWERABILITY, row))
    probability = min(max(answer_probability(row), 1e-4), 1 - 1e-4)
    english = float(column["is_english"])
    margin = float(np.clip(margin, -20.0, 20.0))
    return np.asarray([margin, math.log(probability / (1 - probability)), float(column["missing_key_terms"]),
                       english, english * margin, column["article_coverage"], column["max_cosine"],
                       float(cross_language)], dtype=np.float32)


@lru_cache(maxsize=1)
def _reader_calibration() -> dict | None:
    """``reader_decline.json`` parsed once: the classifier and the quote choice both live in it."""
    if not READER_DECLINE_FILE.is_file():
        return None
    return json.loads(READER_DECLINE_FILE.read_text(encoding="utf-8"))


@dataclass(frozen=True)
class ReaderDecline:
    """The fitted classifier, its threshold, and the margin under which a missing key term declines."""

    trees: TreeEnsemble
    threshold: float
    rule_margin: float


@lru_cache(maxsize=1)
def reader_decline_model() -> ReaderDecline | None:
    dump = _reader_calibration()
    if dump is None:
        return None
    fitted = dump["article_qa"]
    return ReaderDecline(TreeEnsemble(dump, READER_ANSWERABILITY), float(fitted["threshold"]),
                         float(fitted.get("rule_margin", math.inf)))


@dataclass(frozen=True)
class ReaderChoice:
    """Which stage quotes when both have read (``answer.answer_question``),
    chosen on the dev texts by ``eval/reader_calibrate.py``: the reader when
    its margin is at least ``quote_margin`` (always across languages), else
    the ranker's sentence, whose short answer is the reader's span inside it
    when ``reader_short_in_tree_quote``."""

    quote_margin: float = -math.inf  # before calibration: the reader always quotes
    reader_short_in_tree_quote: bool = True


@lru_cache(maxsize=1)
def reader_choice() -> ReaderChoice:
    dump = _reader_calibration()
    chosen = dump["article_qa"].get("choice") if dump else None
    if not chosen:
        return ReaderChoice()
    return ReaderChoice(float(chosen["quote_margin"]), bool(chosen["reader_short_in_tree_quote"]))


# Far off topic ("What is the capital of France?" of an article on digital
# government): no sentence close in meaning and the reader sure it is not
# there. On the dev texts this declines 0.3% of the answerable questions
# (and 23% of the unanswerable ones, before the classifier).
FAR_MAX_COSINE = 0.22
FAR_MAX_MARGIN = -3.0


def unheld_and_far(column: dict[str, float]) -> bool:
    """No word of the question, nor any translation of one, is in the article,
    and no sentence is close in meaning ("請推薦一家好吃的餐廳" of an article on
    digital government). On training texts of CMRC, DRCD and XQuAD this
    declines none of 1,306 answerable Chinese questions, 2 of 316 English
    questions on Chinese text and none of 316 on English text, and 5-57% of
    other texts' questions."""
    return bool(column["article_coverage"] == 0 and column["max_cosine"] < FAR_MAX_COSINE)


def answers_with_reader(row: np.ndarray, margin: float, cross_language: bool) -> bool:
    """Whether the article answers, weighing the reader's margin with the
    rest. Before the classifier is fitted: the reader's own verdict."""
    column = dict(zip(ANSWERABILITY, row))
    if unheld_and_far(column):
        return False
    if column["max_cosine"] < FAR_MAX_COSINE and margin < FAR_MAX_MARGIN:
        return False
    model = reader_decline_model()
    if model is None:
        return margin > 0
    if not cross_language and column["missing_key_terms"] > 0 and margin < model.rule_margin:
        return False
    features = reader_answerability(row, margin, cross_language)
    return 1.0 / (1.0 + math.exp(-float(model.trees.predict(features[None, :])[0]))) >= model.threshold
