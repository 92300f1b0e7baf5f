"""Far off-topic questions (weather, recipes, sports, other countries'
capitals, chit-chat) are declined, in Chinese and in English, on the default
article and on an English one — by the engine with the reader (the default) and
without it (real embedder: slow tier). None of these is in eval/offtopic.jsonl."""

from __future__ import annotations

import pytest

from article_qa import ArticleQA

pytestmark = pytest.mark.slow

FAR_CHINESE = [
    "法國的首都是哪裡?", "日本的首都是哪個城市?", "巴西的首都是什麼?",
    "請推薦一家好吃的餐廳", "明天台北會下雨嗎?", "紅燒肉怎麼做?", "番茄炒蛋要放多少糖?",
    "世界盃足球賽冠軍是哪一隊?", "誰贏得了2022年的NBA總冠軍?", "籃球比賽一節有幾分鐘?",
    "今天天气怎么样?", "怎么煮米饭最好吃?", "周末去哪里爬山比较好?", "猫为什么喜欢睡觉?",
    "推荐一部好看的电影", "如何学好吉他?", "澳大利亚的首都是哪里?",
]
FAR_ENGLISH = [
    "What is the capital of France?", "What is the capital of Canada?", "Which city is the capital of Kenya?",
    "Can you recommend a good restaurant?", "Will it rain tomorrow?", "How do I bake sourdough bread?",
    "How long should I boil an egg?", "Who won the 2018 football World Cup?", "How many players are on a rugby team?",
    "What is the best way to learn the guitar?", "Why do cats sleep so much?", "What's a good movie to watch tonight?",
    "How tall is Mount Everest?",
]


ENGINES = ("trees", "reader")  # ArticleQA.load(reader=False) (the tree models alone) and reader=True (the default)


@pytest.fixture(scope="module", params=ENGINES)
def engine(request):
    return request.param


@pytest.fixture(scope="module")
def default_qa(engine):
    return ArticleQA.load(reader=engine == "reader")


@pytest.fixture(scope="module")
def lighthouse_qa(tmp_path_factory, engine):
    from conftest import ENGLISH_ARTICLE

    folder = tmp_path_factory.mktemp("lighthouse")
    article = folder / "lighthouse.md"
    article.write_text(ENGLISH_ARTICLE, encoding="utf-8")
    return ArticleQA.build(article, index_dir=folder / "index", reader=engine == "reader")


# Known misses (issue 15, item 4): answered with the closest sentence. Strict,
# so a fix shows up as an unexpected pass and the entry comes off. Without the reader,
# an English question on a Chinese article passes the decline rule when its
# words translate at all: "France" glosses to 法 (as in 法律), "capital" to 本.
MISSES = {
    ("trees", "default"): {"What is the capital of France?"},
    ("trees", "english"): set(),
    ("reader", "default"): set(),
    ("reader", "english"): {"Will it rain tomorrow?"},
}


def _expect_declined(engine: str, article: str, question: str) -> None:
    if question in MISSES[engine, article]:
        pytest.xfail("known miss: answered with the closest sentence")


@pytest.mark.parametrize("question", FAR_CHINESE + FAR_ENGLISH)
def test_the_default_article_declines_far_off_topic_questions(default_qa, engine, question):
    answer = default_qa.ask(question)
    if answer.found:
        _expect_declined(engine, "default", question)
    assert not answer.found, answer.text
    assert question not in MISSES[engine, "default"], "declined now: take it off the known misses"


@pytest.mark.parametrize("question", FAR_ENGLISH + FAR_CHINESE[:8])
def test_an_english_article_declines_far_off_topic_questions(lighthouse_qa, engine, question):
    answer = lighthouse_qa.ask(question)
    if answer.found:
        _expect_declined(engine, "english", question)
    assert not answer.found, answer.text
    assert question not in MISSES[engine, "english"], "declined now: take it off the known misses"


@pytest.mark.parametrize("question, gold", [
    ("When was the Kestrel Point lighthouse built?", "1871"),
    ("燈塔是哪一年建成的?", "1871"),
])
def test_the_english_article_still_answers_its_own_questions(lighthouse_qa, engine, question, gold):
    answer = lighthouse_qa.ask(question)
    if engine == "trees" and question == "燈塔是哪一年建成的?" and not answer.found:
        pytest.xfail("without the reader a Chinese question on an English article is declined")
    if engine == "reader" and question == "燈塔是哪一年建成的?" and "1871" not in answer.text:
        # the weakest pairing (XQuAD zh-on-en validation short F1 0.39): the reader takes 1961's sentence
        pytest.xfail("known miss: the reader quotes another year's sentence")
    assert answer.found and gold in answer.text
