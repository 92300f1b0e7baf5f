"""Short answers (span) and word tags (tagging): LAC and the span scorer on
ONNX Runtime, no embedder, so the fast tier runs them all (about a second)."""

import pytest

from article_qa.chunk import split_sentences
from article_qa.ingest import read_article
from article_qa.span import asked, candidates, fold_mapped, short_span
from article_qa.tagging import Token, from_rows, tag, to_rows

from conftest import DEFAULT_ARTICLE


def answer(question: str, sentence: str) -> str | None:
    span = short_span(question, tag(question), sentence, tag(sentence))
    return None if span is None else sentence[span[0]:span[1]]


@pytest.mark.parametrize("question, sentence, expected", [
    # date, in either script
    ("政府上網工程是哪一年啟動的？", "三是1999年啟動的“政府上網工程”。", "1999年"),
    ("政府上网工程是哪一年启动的？", "三是1999年啟動的“政府上網工程”。", "1999年"),
])
def test_short_answers(question, sentence, expected):
    assert answer(question, sentence) == expected


# The default article's own sentence listing three projects and their years:
# the question names one of them, and only its year answers.
def article_sentence(holding: str) -> str:
    article = read_article(DEFAULT_ARTICLE)
    return next(article.text[s.start:s.end] for s in split_sentences(article)
                if holding in article.text[s.start:s.end])


THREE_EVENTS = "三是1999年啟動的“政府上網工程”"


@pytest.mark.parametrize("question, expected", [
    ("政府上網工程是哪一年啟動的？", "1999年"),
    ("政府上网工程是哪一年启动的？", "1999年"),
    ("第一次全國信息化工作大會是哪一年召開的？", "1997年"),
    pytest.param("三金工程是哪一年啟動的？", "1993年", marks=pytest.mark.xfail(
        strict=False, reason="span takes the year nearest the aligned 啟動的, the last one (1999年)")),
])
def test_the_article_sentence_of_three_years_answers_with_the_asked_one(question, expected):
    sentence = article_sentence(THREE_EVENTS)
    assert sentence.startswith("在這期間,有三個重要的歷史事件:一是1993年啟動的“三金工程”")
    assert answer(question, sentence) == expected


# ---- English questions ---------------------------------------------------------

@pytest.mark.parametrize("question, sentence, expected", [
    # asked in English about a Chinese sentence: the word of the asked type
    ("When was the Government Online Project launched?", "三是1999年啟動的“政府上網工程”。", "1999年"),
    ("How many spectators can the stadium hold?", "地球体育场可以容纳6,476名观众。", "6,476名"),
    ("Who killed him?", "金国派兵来攻，耶律乞奴战败，东渡鸭绿江。", "耶律乞奴"),
    ("Where is the headquarters?", "该银行的总部位于胡志明市，注册资本为30亿越南盾。", "胡志明市"),
    # on an English sentence
    ("How many spectators can the stadium hold?", "The stadium can hold 6,476 spectators.", "6,476"),
])
def test_english_questions_get_the_phrase(question, sentence, expected):
    assert answer(question, sentence) == expected


@pytest.mark.parametrize("question, expected", [
    # nothing of these English questions aligns with the sentence: with three
    # years to choose from, no short answer (it used to be the first, 1993年)
    ("When was the Government Online Project launched?", "1999年"),
    ("In what year was the \"Three Golds\" project launched?", "1993年"),
    ("When was the first national conference on informatization work held?", "1997年"),
])
def test_english_question_on_the_article_sentence_gets_its_year_or_nothing(question, expected):
    """The sentence holds three years; an English question shares no
    characters with it. The right year, or no short answer — never another year."""
    assert answer(question, article_sentence(THREE_EVENTS)) in (expected, None)


def test_an_english_question_with_one_word_of_its_type_still_gets_it():
    assert answer("When was the Government Online Project launched?",
                  "政府上網工程於1999年啟動。") == "1999年"


LIGHTHOUSE = [
    "The Kestrel Point lighthouse was built in 1871 by the harbour board.",
    "Its lamp burned whale oil until 1904, when it was converted to kerosene.",
    "The last keeper, Tom Avery, left in 1961 when the lamp was automated.",
    "It opens every Saturday from April to October, and entry costs five dollars.",
]


@pytest.mark.parametrize("question, sentence, right", [
    ("When was the lighthouse built?", LIGHTHOUSE[0], {"1871", "in 1871"}),
    pytest.param("Who built the lighthouse?", LIGHTHOUSE[0], {"the harbour board", "harbour board"},
                 marks=pytest.mark.xfail(strict=False, reason="takes the capitalised word 'Kestrel' for the name")),
    ("When was the lamp converted to kerosene?", LIGHTHOUSE[1], {"1904", "until 1904"}),
    ("Who was the last keeper?", LIGHTHOUSE[2], {"Tom Avery"}),
    ("When did the last keeper leave?", LIGHTHOUSE[2], {"1961", "in 1961"}),
    ("How much does entry cost?", LIGHTHOUSE[3], {"five dollars"}),
])
def test_english_question_on_an_english_sentence_gets_the_phrase_or_nothing(question, sentence, right):
    """Short answers for English are weak (most come back empty); what comes
    back must answer the question."""
    got = answer(question, sentence)
    assert got is None or got in right, got


def test_number_in_traditional_keeps_digits_and_unit():
    got = answer("地球體育場能容納多少名觀眾？", "地球體育場可以容納6,476名觀眾，其中主看台有2,173個坐席。")
    assert got in ("6,476名", "6,476名觀眾")  # not the other figure, and not the whole clause


def test_kinds_of_question():
    assert asked("政府上网工程是哪一年启动的？")[0] == "time"
    assert asked("能容纳多少名观众？")[0] == "number"
    assert asked("耶律乞奴被谁所杀？")[0] == "person"
    assert asked("渠成是哪里人？")[0] == "place"
    assert asked("这款游戏由哪家公司开发？")[0] == "org"
    assert asked("为什么时人反感高英？")[0] == "why"
    assert asked("踢爆是什么？")[0] == "what"
    assert asked("how many people live there?")[0] == "number"


def test_definition_and_list_candidates_are_the_aligned_phrase():
    # The chooser may still prefer the whole sentence for what-questions
    # (it scores better on CMRC), but the aligned phrase must be right.
    for question, sentence, expected in [
        ("踢爆是什么？", "踢爆是将敌人的水泡击破。", "将敌人的水泡击破"),
        ("游戏有哪些模式？", "游戏有经典、热血、狙击等模式。", "经典、热血、狙击"),
    ]:
        q, s = fold_mapped(question), fold_mapped(sentence)
        tokens = [Token(*s.to_folded(t.start, t.end), t.tag) for t in tag(sentence)]
        span = candidates(q.text, s.text, tokens)["aligned"]
        assert span is not None and sentence[slice(*s.to_original(*span))] == expected


def test_why_candidate_is_the_cause_clause():
    question, sentence = "为什么时人强烈反感高英叔侄？", "但由于叔侄皆锋芒过露，排挤异己，引起时人的强烈反感。"
    q, s = fold_mapped(question), fold_mapped(sentence)
    span = candidates(q.text, s.text, [])["reason"]
    assert sentence[slice(*s.to_original(*span))] == "由于叔侄皆锋芒过露"


def test_none_when_no_phrase_stands_out():
    assert answer("今天天气怎么样？", "这个词首次出现于1985年。") is None
    assert answer("Who wrote it?", "这个词首次出现于1985年。") is None


def test_offsets_survive_length_changing_folding():
    # NFKC turns the ligature into two letters and ① into 1: offsets must still point into the original.
    sentence = "ﬁ①號：三是１９９９年啟動的工程。"
    got = answer("When was it launched?", sentence)
    assert got == "１９９９年"
    folded = fold_mapped("ﬁ①ＡＢ")
    assert folded.text == "fi1ab" and folded.to_original(2, 5) == (1, 4)


@pytest.mark.parametrize("text", [
    "政府上網工程是哪一年啟動的？",
    "１９９９年，ＡＢＣ公司 在 北京 成立。\n第二行 Latin words, 6,476 名",
    "ﬁ test \t x\n新行" + "很长的句子，" * 80,
])
def test_tag_offsets_reassemble_the_text(text):
    tokens = tag(text)
    assert "".join(text[t.start:t.end] for t in tokens) == "".join(text.split())
    assert all(a.end <= b.start for a, b in zip(tokens, tokens[1:]))
    assert from_rows(to_rows(tokens)) == tokens


def test_tags_entities_in_traditional_text():
    text = "李廣乾於2022年8月在北京發表文章。"
    tags = {text[t.start:t.end]: t.tag for t in tag(text)}
    assert tags.get("2022年8月") == "TIME" and tags.get("北京") == "LOC"


def _refined(question: str):
    q = fold_mapped(question)
    tokens = [Token(*q.to_folded(t.start, t.end), t.tag) for t in tag(question)]
    kind, wh = asked(q.text, tokens, refined=True)
    return kind, None if wh is None else q.text[wh[0]:wh[1]]


def test_question_words_that_are_not_one():
    # 算为什么 is 算为 + 什么 (what), 为何时 is 为 + 何时 (when), 几乎 asks nothing
    assert _refined("生命数耗完即算为什么？") == ("what", "什么")
    assert _refined("这座桥为何时所建？") == ("time", "何时")
    assert _refined("几乎所有人都去了哪里？") == ("place", "哪里")
    assert _refined("为什么时人反感高英？") == ("why", "为什么")
    # the sentence ranker's reading is left as it was fitted
    assert asked("几乎所有人都去了哪里？")[0] == "number"


def test_scorer_candidates_cover_phrases_and_clauses():
    from article_qa.span import SPAN_FEATURES, span_candidates

    question, sentence = "中国象棋大赛的原名是什么？", "中国象棋大赛原名中国象棋邀请赛，首届比赛于2008年举行。"
    q, s = fold_mapped(question), fold_mapped(sentence)
    tokens = [Token(*s.to_folded(t.start, t.end), t.tag) for t in tag(sentence)]
    spans, rows = span_candidates(q.text, s.text, tokens)
    texts = {sentence[slice(*s.to_original(*span))] for span in spans}
    assert {"中国象棋邀请赛", "中国象棋大赛原名中国象棋邀请赛", "2008年"} <= texts
    assert rows.shape == (len(spans), len(SPAN_FEATURES))


@pytest.mark.parametrize("question, sentence, expected", [
    # A known miss, kept visible (strict: it fails the day it passes): with
    # the question word last only the left context aligns, and since the
    # scorer is also fitted on the project's questions it keeps the whole
    # sentence here.
    pytest.param("中国象棋大赛的原名是什么？", "中国象棋大赛原名中国象棋邀请赛，首届比赛于2008年举行。", "中国象棋邀请赛",
                 marks=pytest.mark.xfail(strict=True, reason="left-context-only what-question keeps the sentence")),
    ("首届比赛是哪一年举行的？", "中国象棋大赛原名中国象棋邀请赛，首届比赛于2008年举行。", "2008年"),
    ("张国强在赛季结束后退役，谁接任了队长？", "张国强在赛季结束后退役，李文华接任了队长。", "李文华"),
])
def test_learned_scorer_picks_the_phrase(question, sentence, expected):
    assert answer(question, sentence) == expected
