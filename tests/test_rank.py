"""The answer stage's fitted models: the numpy tree walker against LightGBM
itself, and what the shipped models decide on small made-up articles."""

from __future__ import annotations

import json

import numpy as np
import pytest

from article_qa import ArticleQA, decline, rank
from article_qa.trees import TreeEnsemble
from article_qa.answer import NOT_FOUND


def test_trees_score_as_lightgbm_does_on_its_own_dump():
    lightgbm = pytest.importorskip("lightgbm")
    rng = np.random.default_rng(0)
    rows = rng.normal(size=(600, len(rank.FEATURES)))
    labels = (rows[:, 0] + 0.5 * rows[:, 3] * rows[:, 5] > 0.3).astype(int)
    model = lightgbm.LGBMRanker(n_estimators=40, num_leaves=7, min_child_samples=5, random_state=0, verbose=-1)
    model.fit(rows, labels, group=[20] * 30, feature_name=list(rank.FEATURES))
    trees = TreeEnsemble(json.loads(json.dumps(model.booster_.dump_model())), rank.FEATURES)
    probe = rng.normal(size=(50, len(rank.FEATURES))).astype(np.float32)  # what features are
    expected = model.booster_.predict(probe.astype(np.float64))
    np.testing.assert_allclose(trees.predict_reference(probe), expected, rtol=1e-9, atol=1e-9)
    # ONNX Runtime sums the leaves in float32.
    np.testing.assert_allclose(trees.predict(probe), expected, rtol=1e-5, atol=1e-5)
    assert trees.predict(probe[:0]).shape == (0,)


def test_a_ranker_fitted_on_other_features_is_refused():
    with pytest.raises(ValueError, match="retrain"):
        TreeEnsemble({"feature_names": ["cosine"], "tree_info": []}, rank.FEATURES)


def test_shipped_models_carry_their_provenance():
    _, threshold = decline.decline_model()  # refuses a file fitted on other features
    assert 0 < threshold < 1
    for path in (rank.RANKER_FILE, decline.DECLINE_FILE):
        provenance = json.loads(path.read_text(encoding="utf-8"))["article_qa"]
        assert "train" in provenance["split"] and "cmrc2018" in provenance["data"], path.name
        assert provenance["made_by"] == "python eval/train.py" and provenance["seed"] == 2018, path.name


@pytest.mark.parametrize("question, holding", [
    ("凯斯特雷尔角灯塔是哪一年建成的？", "1871年建成"),
    ("最后一位守塔人是谁？", "汤姆·艾弗里"),
    ("灯塔每年什么时候开放？", "四月到十月"),
])
def test_the_shipped_ranker_scores_the_answering_sentence_first(lighthouse, question, holding):
    """On the features this code computes for a real question, the shipped
    trees put the sentence that answers above the others, and ONNX Runtime
    scores them as the numpy walk does."""
    query = lighthouse.prepare(question)
    passages = lighthouse.search(query, 5)
    cands = rank.candidates(query, passages, lighthouse.index, lighthouse.index.sentence_tags)
    scores = rank.score(cands.features)
    assert len(scores) == len(cands.sentences) >= 3
    best = cands.sentences[int(np.argmax(scores))]
    assert holding in lighthouse.index.sentence_text(best)
    np.testing.assert_allclose(scores, rank.ranker().predict_reference(cands.features), rtol=1e-5, atol=1e-5)


ARTICLE = """# 灯塔的历史

凯斯特雷尔角灯塔由港务局于1871年建成。灯塔的灯最初燃烧鲸油，1904年改用煤油。

# 守塔人

九十年间共有三个家庭看守这座灯塔。最后一位守塔人汤姆·艾弗里于1961年离开，灯塔从此实现自动化。

# 今天

灯塔现在是一座由志愿者管理的博物馆，每年四月到十月的每个星期六开放，门票五元。
"""


@pytest.fixture(scope="module")
def lighthouse(tmp_path_factory):
    from conftest import FakeEmbedder

    folder = tmp_path_factory.mktemp("lighthouse")
    (folder / "article.md").write_text(ARTICLE, encoding="utf-8")
    return ArticleQA.build(folder / "article.md", index_dir=folder / "index", embedder=FakeEmbedder())


@pytest.mark.parametrize("question, sentence_part, short", [
    ("凯斯特雷尔角灯塔是哪一年建成的？", "1871年建成", "1871年"),
    ("最后一位守塔人是谁？", "汤姆·艾弗里", "汤姆·艾弗里"),
])
def test_answers_quote_the_sentence_and_a_shorter_phrase_holding_the_answer(lighthouse, question, sentence_part,
                                                                             short):
    """The span chooser (fitted on CMRC, whose golds are often whole clauses)
    may keep the clause around a date or a name: the short answer holds the
    fact and is shorter than the quoted sentence."""
    answer = lighthouse.ask(question)
    assert answer.found and sentence_part in answer.text
    assert short in answer.short_answer
    start, end = answer.short_span
    assert lighthouse.article[start:end] == answer.short_answer
    quoted = [(s, e) for _, s, e in answer.evidence if s <= start and end <= e]
    assert quoted and end - start < quoted[0][1] - quoted[0][0]


@pytest.mark.parametrize("question", ["巴黎铁塔是哪一年建成的？", "东京的人口是多少？"])
def test_a_question_naming_what_the_article_lacks_is_declined(lighthouse, question):
    answer = lighthouse.ask(question)
    assert not answer.found and answer.text == NOT_FOUND["zh-Hans"]
    assert answer.short_answer == "" and answer.short_span is None


@pytest.mark.parametrize("question, missing", [
    ("巴黎铁塔是哪一年建成的？", 1),         # a place the article lacks
    ("凯斯特雷尔角灯塔是哪一年建成的？", 0),  # the question word 哪一年 is no key term
    ("灯塔在2020年有多少游客？", 1),         # a year the article lacks
    ("灯塔在1904年改用什么燃料？", 0),       # a year it has
    ("守塔人有几个家庭？", 0),              # 几个 asks, it names nothing
])
def test_key_terms_missing_from_the_article(lighthouse, question, missing):
    from article_qa.tagging import tag

    query = lighthouse.prepare(question)
    assert decline.missing_key_terms(query, tag(query.text), lighthouse.index)[0] == missing


@pytest.mark.parametrize("coverage, cosine, declined", [
    (0.0, 0.10, True),    # nothing of the question in the article, nothing close in meaning
    (0.0, 0.30, False),   # a sentence means roughly what it asks: the models decide
    (0.25, 0.10, False),  # a word of it is there: the models decide
])
def test_a_question_the_article_holds_nothing_of_is_declined_by_rule(coverage, cosine, declined):
    row = np.zeros(len(decline.ANSWERABILITY), dtype=np.float32)
    row[decline.ANSWERABILITY.index("article_coverage")] = coverage
    row[decline.ANSWERABILITY.index("max_cosine")] = cosine
    column = dict(zip(decline.ANSWERABILITY, row))
    assert decline.unheld_and_far(column) is declined
    if declined:
        assert not decline.answers(row) and not decline.answers_with_reader(row, 10.0, cross_language=True)


def test_far_chinese_questions_hold_nothing_of_the_default_article(default_qa_fake):
    for question in ("請推薦一家好吃的餐廳", "明天台北會下雨嗎?", "怎么煮米饭最好吃?"):
        assert decline.article_coverage(default_qa_fake.prepare(question), default_qa_fake.index) == 0, question
    assert decline.article_coverage(default_qa_fake.prepare("政府上網工程是哪一年啟動的?"), default_qa_fake.index) > 0.5


@pytest.mark.parametrize("question, missing", [
    ("When was the Kestrel Point lighthouse built?", 0),
    ("When was the Eiffel Tower built?", 1),
    ("What happened in 1904?", 0),
    ("What happened in 1999?", 1),
])
def test_english_names_and_numbers_must_be_in_an_english_article(english_qa, question, missing):
    query = english_qa.prepare(question)
    assert decline.missing_key_terms(query, (), english_qa.index)[0] == missing
