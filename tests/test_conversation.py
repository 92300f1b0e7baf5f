"""The conversation stage: history validated, follow-ups resolved, standalone questions untouched."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from article_qa.conversation import MAX_TURNS, check_history, resolve
from article_qa.errors import BadQuestionError

EVAL = Path(__file__).resolve().parents[1] / "eval"


# ---- history validation ---------------------------------------------------------

@pytest.mark.parametrize("history, field", [
    ("政府上網工程是哪一年啟動的?", "history must be a list"),
    (["q"] * (MAX_TURNS + 1), f"send at most the last {MAX_TURNS}"),
    (["ok", 3], "history[1] must be a question"),
    (["ok", "x" * 501], "history[1] is 501 characters long"),
    ([{"answer": "1999年"}], "history[0].question must be text"),
    ([{"question": "q", "answer": "y" * 501}], "history[0].answer is 501 characters long"),
    ([{"question": "q", "answer": 5}], "history[0].answer must be text"),
    (["   "], "history[0] is empty"),
])
def test_bad_history_names_the_field(history, field):
    with pytest.raises(BadQuestionError, match=field.replace("[", r"\[").replace("]", r"\]")):
        check_history(history)


def test_history_turns_take_questions_and_answers():
    turns = check_history(["Who wrote the article?", {"question": "本文作者是谁?", "answer": {"short_answer": "李廣乾"}},
                           {"question": "q", "answer": None}])
    assert [(t.question, t.answer) for t in turns] == [("Who wrote the article?", ""), ("本文作者是谁?", "李廣乾"),
                                                       ("q", "")]
    assert check_history(None) == () and check_history([]) == ()


def test_ask_refuses_a_bad_history(default_qa_fake):
    with pytest.raises(BadQuestionError, match="history"):
        default_qa_fake.ask("它的目標是什麼?", history="not a list")


# ---- English rules, no article needed -------------------------------------------

@pytest.mark.parametrize("first, question, resolved", [
    ("When was Warsaw's first stock exchange established?", "When was it re-established?",
     "When was Warsaw's first stock exchange re-established?"),
    ("When was Polonia relegated from the country's top flight?", "Why?",
     "Why was Polonia relegated from the country's top flight?"),
    ("What is the mayor called in the communes?", "And in the cities?", "What is the mayor called in the cities?"),
    ("Do the districts in Kraków have the entitlements of a powiat?", "What about the districts in Warsaw?",
     "Do the districts in Warsaw have the entitlements of a powiat?"),
    ("What was China's E-Government Development Index in 2018?", "And in 2020?",
     "What was China's E-Government Development Index in 2020?"),
    ("How many companies were listed on the Warsaw Stock Exchange in 2009?", "What was its total capitalization?",
     "What was the Warsaw Stock Exchange's total capitalization?"),
    ("What is the Saxon Garden called in Polish?", "What theatre operated there?",
     "What theatre operated in the Saxon Garden?"),
    ("How many Mariavites lived in Warsaw in 1909?", "And Protestants?", "How many Protestants lived in Warsaw in 1909?"),
    ("When did the initiative to put government agencies online begin?", "What about the Three Golds project?",
     "When did the Three Golds project begin?"),
    ("What is the sixth part of the guiding opinion called?", "What about the fifth part?",
     "What is the fifth part of the guiding opinion called?"),
])
def test_english_follow_ups(first, question, resolved):
    assert resolve(question, [first]) == resolved


@pytest.mark.parametrize("question", [
    "What type of city has Warsaw been for as long as it's been a city?",  # "it" points at Warsaw, inside
    "Name one of the projects that made up the Three Golds project.",  # a relative "that"
    "Who wrote the article?",
    "How many Jews were there in 1909?",  # an existential "there"
    "Why did the State Council issue its 2016 guidance?",
    "Who was the last keeper?",  # short, but with a noun of its own
    "Which issue?",
])
def test_english_questions_that_stand_alone_are_unchanged(question):
    for first in ("What is the basic unit of territorial division in Poland?",
                  "When was the Kestrel Point lighthouse built?"):
        assert resolve(question, [first]) == question


def test_a_pronoun_for_a_person_takes_the_answer_the_history_gave():
    history = [{"question": "Who won the Ekstraklasa Championship in 2000?", "answer": "Polonia Warsaw"}]
    assert resolve("When did they win the cup?", history) == "When did Polonia Warsaw win the cup?"


# ---- Chinese rules on the default article's words --------------------------------

@pytest.mark.parametrize("first, question, resolved", [
    ("政府上網工程是哪一年啟動的?", "那三金工程呢?", "三金工程是哪一年啟動的?"),
    ("在線服務指數上升到多少?", "它的全球排名是第幾?", "在線服務指數的全球排名是第幾?"),
    ("2018年我國電子政務發展指數是多少?", "2020年呢?", "2020年我國電子政務發展指數是多少?"),
    ("行程碼和健康碼是在甚麼時候開發的?", "它們有甚麼作用?", "行程碼和健康碼有甚麼作用?"),
    ("起步期的時間範圍是哪幾年?", "那快速發展時期呢?", "快速發展時期的時間範圍是哪幾年?"),
    ("快速发展时期是哪几年?", "充分发展时期呢?", "充分发展时期是哪几年?"),
    ("“指導意見”第六部分叫甚麼?", "那第五部分呢?", "“指導意見”第五部分叫甚麼?"),
    ("“兩網”指的是甚麼?", "那“一站”呢?", "“一站”指的是甚麼?"),
    ("中央政府在数字政府建设中负责哪些工作?", "那各地呢?", "各地在数字政府建设中负责哪些工作?"),
    ("在数据驱动方面,我国电子政务建设坚持什么?", "整体协同呢?", "在整体协同方面,我国电子政务建设坚持什么?"),
    ("“十四五”规划是什么时候发布的?", "它提出了什么目标?", "“十四五”规划提出了什么目标?"),
    ("我国数字政府建设统筹推进管理体制由哪个机构领导?", "这个体制是从哪里到哪里协同的?",
     "统筹推进管理体制是从哪里到哪里协同的?"),
    ("政府上網工程是哪一年啟動的?", "目標呢?", "政府上網工程的目標是什麼?"),
])
def test_chinese_follow_ups(default_qa_fake, first, question, resolved):
    assert resolve(question, [first], article=default_qa_fake.index) == resolved


def test_a_name_from_the_answer_is_borrowed_as_the_article_writes_it(default_qa_fake):
    """Not converted to the question's script: t2s would turn 李廣乾 into 李广干."""
    history = [{"question": "本文作者是谁?", "answer": "李廣乾"}]
    assert resolve("他是哪个机构的研究员?", history, article=default_qa_fake.index) == "李廣乾是哪个机构的研究员?"


@pytest.mark.parametrize("question", [
    "那份五年規劃所展望的遠景目標年份是哪一年?",  # a demonstrative with a noun of its own
    "這篇探討我國數字政府建設的文章出自哪位研究員之手?",  # 這篇: the article itself
    "在那套「兩網一站四庫十二金」裏,那個「站」是指甚麼?",
    "起步期是哪几年?",
])
def test_chinese_questions_that_stand_alone_are_unchanged(default_qa_fake, question):
    for first in ("“指導意見”中專門規劃數據資源問題的第五部分叫甚麼?", "Who wrote the article?", question):
        assert resolve(question, [first], article=default_qa_fake.index) == question


def test_every_project_question_stands_alone_after_an_unrelated_turn(default_qa_fake):
    """The hard target: a history never changes a question that stands alone
    (resolve returns it unchanged, so ask answers it exactly as without)."""
    questions = [json.loads(line)["question"] for line in (EVAL / "questions.jsonl").open(encoding="utf-8")]
    firsts = ["文章發表在哪本雜誌上?", "起步期是哪几年?", "Who wrote the article?", "What is the capital of France?"]
    changed = [(first, q) for q in questions for first in firsts
               if resolve(q, [first], article=default_qa_fake.index) != q]
    assert changed == []


def test_the_answer_is_asked_for_only_when_a_follow_up_needs_it(default_qa_fake):
    asked = []

    def answer_of(question):
        asked.append(question)
        return "全國一體化政務服務平台"

    index = default_qa_fake.index
    first = "哪個平台成為我國數字政府後台建設的重要支撐條件?"
    assert resolve("起步期是哪几年?", [first], article=index, answer_of=answer_of) == "起步期是哪几年?"
    assert asked == []
    assert resolve("它是由誰整合建設的?", [first], article=index, answer_of=answer_of) == \
        "全國一體化政務服務平台是由誰整合建設的?"
    assert asked == [first]


def test_a_follow_up_of_a_follow_up_resolves_through_the_chain(default_qa_fake):
    history = ["起步期的時間範圍是哪幾年?", "那快速發展時期呢?"]
    assert resolve("那充分發展時期呢?", history, article=default_qa_fake.index) == "充分發展時期的時間範圍是哪幾年?"


# ---- through the facade -------------------------------------------------------------

def test_answer_question_is_the_question_as_understood(default_qa_fake):
    alone = default_qa_fake.ask("政府上網工程是哪一年啟動的?")
    assert alone.question == "政府上網工程是哪一年啟動的?" and alone.to_dict()["question"] == alone.question
    follow_up = default_qa_fake.ask("那三金工程呢?", history=["政府上網工程是哪一年啟動的?"])
    assert follow_up.question == "三金工程是哪一年啟動的?"
    assert follow_up.to_dict() == default_qa_fake.ask("三金工程是哪一年啟動的?").to_dict()


def test_a_standalone_question_with_history_is_answered_as_without(default_qa_fake):
    question = "“三金工程”指哪三項工程?"
    assert default_qa_fake.ask(question, history=["Who wrote the article?"]).to_dict() == \
        default_qa_fake.ask(question).to_dict()


def test_the_follow_up_sets_are_sound():
    article = (Path(__file__).resolve().parents[1] / "data" / "digital-government.txt").read_text(encoding="utf-8")
    warsaw = (EVAL / "warsaw" / "warsaw.txt").read_text(encoding="utf-8")
    from article_qa.fold import fold

    for path, text, minimum in (("followups.jsonl", article, 40), ("followups_warsaw.jsonl", warsaw, 20)):
        rows = [json.loads(line) for line in (EVAL / path).open(encoding="utf-8")]
        assert len(rows) >= minimum and len({r["id"] for r in rows}) == len(rows)
        for row in rows:
            assert len(row["history"]) == 1 and row["question"] and row["standalone"]
            assert all(fold(gold) in fold(text) for gold in row["answers"]), row["id"]
        if path == "followups.jsonl":
            counts = {lang: sum(r["lang"] == lang for r in rows) for lang in ("zh-Hant", "zh-Hans", "en")}
            assert min(counts.values()) >= 13, counts


# ---- suggested questions ------------------------------------------------------------

def test_suggestions_are_made_from_the_articles_sentences():
    from article_qa.suggest import candidates

    text = ("在這期間:一是1993年啟動的“三金工程”。“兩網”即電子政務內網、外網;其中,在線服務指數上升為0.9059,"
            "指數排名為全球第9位。")
    assert candidates(text, "zh-Hant", ["製茶工序"]) == [
        ("“三金工程”是哪一年啟動的?", "1993"), ("“兩網”指的是甚麼?", "電子政務"), ("在線服務指數是多少?", "0.9059"),
        ("關於「製茶工序」,文章說了什麼?", "")]
    english = "Warsaw's first stock exchange was established in 1817. It was re-established in April 1991."
    assert candidates(english, "en") == [("When was Warsaw's first stock exchange established?", "1817")]


def test_suggested_questions_are_answered_with_the_fact_they_came_from(default_qa_fake):
    from article_qa.fold import fold
    from article_qa.suggest import MAX_SUGGESTIONS, candidates, suggested_questions

    suggested = suggested_questions(default_qa_fake, "zh-Hant")
    facts = dict(candidates(default_qa_fake.article, "zh-Hant"))
    assert 3 <= len(suggested) <= MAX_SUGGESTIONS
    for question in suggested:
        answer = default_qa_fake.ask(question)
        assert answer.found and fold(facts[question]) in fold(answer.short_answer)


def test_without_a_short_answer_the_name_the_quote_adds_is_what_a_who_question_found():
    """English answers often have no short answer: "they" after "Who won …?" is
    the first name the quoted sentence adds to the question."""
    class Found:
        found, short_answer = True, ""
        text = ("Their local rivals, Polonia Warsaw, have significantly fewer supporters, yet they managed to win "
                "Ekstraklasa Championship in 2000.[1]")

    resolved = resolve("In which year did they win the cup?", ["Who won the Ekstraklasa Championship in 2000?"],
                       answer_of=lambda question: Found())
    assert resolved == "In which year did Polonia Warsaw win the cup?"
