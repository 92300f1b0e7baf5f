"""Stage — rank: score the candidate sentences of the top passages.

Candidates are the sentences inside the passages retrieval ranked first.
Each gets a row of evidence features (below); a gradient-boosted ranker
(LightGBM lambdarank, fitted on the CMRC 2018 training texts by
``eval/train.py``) turns a row into a score. The fitted trees ship as JSON in
``models/`` and are evaluated here with numpy, so answering needs no
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
from functools import cached_property, lru_cache
from pathlib import Path

import numpy as np

from .chunk import sentence_model_text
from .fold import fold, tokens
from .index import LoadedIndex
from .query import Query
from .records import BYLINE, HEADING, Passage
from .span import NUMBER, ORG, PERSON, PLACE, TIME, asked

MODELS = Path(__file__).resolve().parent / "models"
RANKER_FILE = MODELS / "sentence_ranker.json"
# Share of a passage's relevance that is its best sentence's evidence (0.9 ranked
# the CMRC training texts best: hit@1 0.971 against 0.963 at 0.5).
EVIDENCE_SHARE = 0.9

_CJK_RUN = re.compile(r"[\u3400-\u9fff]+")
_LATIN_TOKEN = re.compile(r"[a-z0-9]+")
_HAS_DATE = re.compile(r"\d{3,4}\s*年|\d{1,2}\s*月|\d{1,2}\s*日|[一二三四五六七八九十〇零]{2,4}年|\b(1[5-9]|20)\d{2}\b")
_HAS_NUMBER = re.compile(r"\d|[一二三四五六七八九十百千万亿兩两]+[个位名项种次年岁倍%％]")
_LEAD_IN_END = ("：", ":")
_KIND_TAGS = {TIME: {"TIME", "t"}, NUMBER: {"m"}, PERSON: {"PER"}, PLACE: {"LOC", "s"}, ORG: {"ORG"}}

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
    weights = {t: _idf(index, t) for t in terms}
    bigrams = [t for t in terms if len(t) == 2]
    texts = [index.sentence_text(s) for s in sentences]
    folded = [_folded_sentence(sentence_model_text(t, index.sentence_kinds[s])) for t, s in zip(texts, sentences)]
    # How many candidates hold each question term: the topic is in most of
    # them and tells them apart least.
    spread = {t: sum(t in f[1] for f in folded) for t in terms}
    kind, wh = asked(query.folded)
    left, right = _wh_contexts(query.folded, wh)
    # The stretches of question text a sentence may repeat: its Chinese runs;
    # for an English question, the whole question (an English article) or
    # its translations (a Chinese one).
    question_runs = _CJK_RUN.findall(query.folded) or translated
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
            kind in _KIND_TAGS, _has_kind(kind, text), _has_kind_tag(kind, tags[sentence] if tags else ()),
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
    from .glossary import is_stopword

    return {term for term in query.lexical_tokens if index.lexical.knows(term) and not is_stopword(term)}


def has_chinese(text: str) -> bool:
    return bool(_CJK_RUN.search(text))


def _translated_terms(query: Query) -> list[str]:
    """For each English word of the question, its surest translations (the
    article terms of its highest weight)."""
    if _CJK_RUN.search(query.text):
        return []
    chosen: dict[str, None] = {}
    for word in query.translations:
        if word:
            best = max(t.weight for t in word)
            chosen.update(dict.fromkeys(t.term for t in word if t.weight >= best))
    return list(chosen)


def _idf(index: LoadedIndex, term: str) -> float:
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
    before = _CJK_RUN.findall(folded_question[:wh[0]])
    after = _CJK_RUN.findall(folded_question[wh[1]:])
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
    wanted = _KIND_TAGS.get(kind)
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


# ---- the fitted model ----------------------------------------------------
class TreeEnsemble:
    """A LightGBM model's trees (from ``Booster.dump_model()``), evaluated by
    ONNX Runtime's TreeEnsembleRegressor (tens of microseconds for a
    question's candidates; the engine already runs ONNX Runtime), with a
    plain numpy walk as the reference it is tested against."""

    def __init__(self, dump: dict, features: tuple[str, ...] = FEATURES) -> None:
        if dump.get("feature_names") and tuple(dump["feature_names"]) != tuple(features):
            raise ValueError("the ranker file was fitted on other features; retrain it (make train)")
        feature, threshold, left, right, value = [], [], [], [], []
        roots = []
        for tree in dump["tree_info"]:
            roots.append(len(feature))
            self._flatten(tree["tree_structure"], feature, threshold, left, right, value)
        self._feature = np.asarray(feature, dtype=np.int64)
        self._threshold = np.asarray(threshold, dtype=np.float64)
        self._left = np.asarray(left, dtype=np.int64)
        self._right = np.asarray(right, dtype=np.int64)
        self._value = np.asarray(value, dtype=np.float64)
        self._roots = np.asarray(roots, dtype=np.int64)

    @staticmethod
    def _flatten(node: dict, feature, threshold, left, right, value) -> int:
        at = len(feature)
        feature.append(-1)
        threshold.append(0.0)
        left.append(at)
        right.append(at)
        value.append(float(node.get("leaf_value", 0.0)))
        if "split_index" in node:
            if node.get("decision_type", "<=") != "<=":
                raise ValueError("only numerical '<=' splits are supported")
            feature[at] = int(node["split_feature"])
            threshold[at] = float(node["threshold"])
            left[at] = TreeEnsemble._flatten(node["left_child"], feature, threshold, left, right, value)
            right[at] = TreeEnsemble._flatten(node["right_child"], feature, threshold, left, right, value)
        return at

    def predict(self, rows: np.ndarray) -> np.ndarray:
        rows = np.ascontiguousarray(rows, dtype=np.float32)
        if len(rows) == 0:
            return np.zeros(0)
        return self._session().run(None, {"rows": rows})[0][:, 0].astype(np.float64)

    @cached_property
    def _sessions(self) -> list:
        return []

    def _session(self):
        """Built on first use and kept (one per ensemble; ONNX Runtime
        sessions are safe to run from many threads)."""
        if not self._sessions:
            import onnxruntime

            options = onnxruntime.SessionOptions()
            options.intra_op_num_threads = 1
            options.inter_op_num_threads = 1
            self._sessions.append(onnxruntime.InferenceSession(
                self._onnx_model(), options, providers=["CPUExecutionProvider"]))
        return self._sessions[0]

    def _onnx_model(self) -> bytes:
        from onnx import TensorProto, helper

        tree_of = np.searchsorted(self._roots, np.arange(len(self._feature)), side="right") - 1
        local = np.arange(len(self._feature)) - self._roots[tree_of]
        leaf = self._feature < 0
        node = helper.make_node(
            "TreeEnsembleRegressor", ["rows"], ["scores"], domain="ai.onnx.ml", n_targets=1,
            nodes_treeids=tree_of.tolist(), nodes_nodeids=local.tolist(),
            nodes_featureids=np.where(leaf, 0, self._feature).tolist(),
            nodes_values=self._threshold.astype(np.float32).tolist(),
            nodes_modes=["LEAF" if is_leaf else "BRANCH_LEQ" for is_leaf in leaf],
            nodes_truenodeids=(self._left - self._roots[tree_of]).tolist(),
            nodes_falsenodeids=(self._right - self._roots[tree_of]).tolist(),
            nodes_missing_value_tracks_true=[0] * len(leaf),
            target_treeids=tree_of[leaf].tolist(), target_nodeids=local[leaf].tolist(),
            target_ids=[0] * int(leaf.sum()), target_weights=self._value[leaf].tolist(),
            aggregate_function="SUM", post_transform="NONE")
        graph = helper.make_graph([node], "trees",
                                  [helper.make_tensor_value_info("rows", TensorProto.FLOAT, [None, None])],
                                  [helper.make_tensor_value_info("scores", TensorProto.FLOAT, [None, 1])])
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17),
                                                        helper.make_opsetid("ai.onnx.ml", 3)])
        return model.SerializeToString()

    def predict_reference(self, rows: np.ndarray) -> np.ndarray:
        """The same scores by walking the trees in numpy (all trees step down
        one level per pass)."""
        rows = np.asarray(rows, dtype=np.float32).astype(np.float64)
        nodes = np.repeat(self._roots[None, :], len(rows), axis=0)  # [rows, trees]
        line = np.arange(len(rows))[:, None]
        while True:
            features = self._feature[nodes]
            inner = features >= 0
            if not inner.any():
                break
            values = rows[line, np.where(inner, features, 0)]
            step = np.where(values <= self._threshold[nodes], self._left[nodes], self._right[nodes])
            nodes = np.where(inner, step, nodes)
        return self._value[nodes].sum(axis=1)


@lru_cache(maxsize=1)
def ranker() -> TreeEnsemble:
    return TreeEnsemble(json.loads(RANKER_FILE.read_text(encoding="utf-8")))


def score(rows: np.ndarray) -> np.ndarray:
    """The fitted ranker's score of each feature row (higher answers better)."""
    if len(rows) == 0:
        return np.zeros(0)
    return ranker().predict(rows)


# ---- does the article answer at all? ---------------------------------------
DECLINE_FILE = MODELS / "decline.json"
_KEY_TAGS = {"PER", "LOC", "ORG", "TIME", "nz", "nw", "m"}
_NOUN_TAGS = {"n", "vn"}
_FOCUS_TAGS = {"n", "vn", "nz"}
# A capitalised word that does not open the question: "Denmark", "State Council".
_LATIN_NAME = re.compile(r"(?<=[a-z,;:'\"]\s)[A-Z][a-z]+(?:[\s-]+[A-Z][a-z]+)*")
_DIGITS = re.compile(r"\d+(?:\.\d+)?")
_QUESTION_CHARS = re.compile(r"[几幾多少哪何啥么麽谁誰]")
_NOT_LETTER = re.compile(r"[\W_]+")

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
    column = {name: i for i, name in enumerate(FEATURES)}
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
        not _CJK_RUN.search(query.text), missing_nouns(query, question_tags, index),
        rows[best, column["off_topic_coverage"]], rows[best, column["left_anchor"]] + rows[best, column["right_anchor"]],
        focus_missing(query, question_tags, index),
    ], dtype=np.float32)


def focus_missing(query: Query, question_tags, index: LoadedIndex) -> bool:
    """Whether the article lacks the noun the question asks about — the last
    noun before its question word ("政府上网工程的总预算是多少" asks about 总预算)."""
    _, wh = asked(query.folded)
    if wh is None:
        return False
    nouns = [t for t in question_tags if t.end <= wh[0] and t.tag in _FOCUS_TAGS and t.end - t.start >= 2]
    if not nouns:
        return False
    word = _letters(fold(query.text[nouns[-1].start:nouns[-1].end]))
    return bool(word) and not _present(word, index.folded_article_letters)


def missing_nouns(query: Query, question_tags, index: LoadedIndex) -> int:
    """How many of the question's common nouns (两字以上) the article lacks: a
    paraphrase brings some, a question about something else brings more
    (总预算, 注册用户 of an article without budgets or users)."""
    article = index.folded_article_letters
    count = 0
    for token in question_tags:
        word = _letters(fold(query.text[token.start:token.end]))
        if token.tag in _NOUN_TAGS and len(word) >= 2 and not _QUESTION_CHARS.search(word):
            count += not _present(word, article)
    return count


def missing_key_terms(query: Query, question_tags, index: LoadedIndex) -> tuple[int, int]:
    """(how many of the question's key terms the article lacks, how many
    there are). Chinese: LAC's names, places, organisations, times, proper
    nouns and numbers, looked up in the folded article. English: capitalised
    names, which must translate into the article (the glossary holds only the
    article's own terms), and numbers."""
    if not _CJK_RUN.search(query.text):
        article = index.folded_article
        names = list(dict.fromkeys(m.group(0) for m in _LATIN_NAME.finditer(query.text)))
        numbers = list(dict.fromkeys(_DIGITS.findall(query.folded)))
        missing = sum(not _translatable(n, index) for n in names) + sum(n not in article for n in numbers)
        return missing, len(names) + len(numbers)
    keys = list(dict.fromkeys(word for word in (_key_term(query.text, token) for token in question_tags) if word))
    article = index.folded_article_letters
    return sum(not _present(_letters(word), article) for word in keys), len(keys)


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


def _letters(text: str) -> str:
    """Letters and digits only: “十四五”規劃 and 十四五规划 are the same term."""
    return _NOT_LETTER.sub("", text)


def _translatable(name: str, index: LoadedIndex) -> bool:
    """An English name the article holds as written, or every word of which
    translates into the article ("State Council"; not "South Korea" of an
    article that never names Korea)."""
    from .glossary import english_words

    stems = english_words(name)
    return fold(name) in index.folded_article or bool(stems) and all(stem in index.glossary for stem in stems)


def article_coverage(query: Query, index: LoadedIndex) -> float:
    """Share of the question's units — Chinese character pairs and English
    content words — that the article knows at all: a pair or a word in its
    vocabulary, or a word whose translation it holds (its glossary)."""
    from .glossary import content_words

    pairs = [t for t in query.lexical_tokens if len(t) == 2 and _CJK_RUN.fullmatch(t)]
    words = content_words(query.folded)
    if not pairs and not words:
        return 0.0
    known = sum(index.lexical.knows(p) for p in pairs)
    known += sum(index.lexical.knows(word) or stem in index.glossary for word, stem in words)
    return known / (len(pairs) + len(words))


def _known_idf(query: Query, index: LoadedIndex) -> tuple[float, float]:
    """IDF mass of the question's character pairs the article holds, and in
    all (an unknown pair weighs as much as the rarest known one)."""
    pairs = [t for t in query.lexical_tokens if len(t) == 2 and _CJK_RUN.fullmatch(t)]
    if not pairs:
        return 0.0, 0.0
    rarest = math.log((index.lexical.num_docs + 1) / 0.5)
    known = sum(_idf(index, p) for p in pairs if index.lexical.knows(p))
    total = sum(_idf(index, p) if index.lexical.knows(p) else rarest for p in pairs)
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
    if column["missing_key_terms"] > 0:
        return False
    if column["is_english"]:
        return column["article_coverage"] >= ENGLISH_MIN_COVERAGE and column["max_cosine"] >= ENGLISH_MIN_COSINE
    return answer_probability(row) >= decline_model()[1]
