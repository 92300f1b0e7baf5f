"""Hostile questions: every input gets an answer or a BadQuestionError, never a crash."""

from __future__ import annotations

import json
import time

import pytest

import article_qa.qa as qa_module
from article_qa import ArticleQA, BadQuestionError
from article_qa.answer import NOT_FOUND
from article_qa.cli import main
from article_qa.errors import ArticleQAError
from article_qa.query import MAX_QUESTION_CHARS
from article_qa.records import Answer, Passage
from article_qa.settings import DEFAULTS

from conftest import DEFAULT_ARTICLE, FakeEmbedder

ANSWER, REFUSE = "answer", "refuse"
REAL = "政府上網工程是哪一年啟動的？"

HOSTILE = [
    ("empty", "", REFUSE),
    ("spaces", "   ", REFUSE),
    ("whitespace-mix", "\t\n\r\u3000\u00a0 ", REFUSE),
    ("100k-latin", "x" * 100_000, ANSWER),
    ("100k-chinese", "政府" * 50_000, ANSWER),
    ("100k-after-question", REAL + "？" * 100_000, ANSWER),
    ("nul-and-controls", "政府\x00上網\x01工程\x1b[31m是哪一年\x7f啟動的\x85？", ANSWER),
    ("only-controls", "\x00\x01\x02\x1b\x7f", REFUSE),
    ("lone-surrogate", "\ud800", REFUSE),
    ("surrogates-around-words", "\udfff" + REAL + "\ud800", ANSWER),
    ("zero-width-only", "\u200b\u200c\u200d\u2060\ufeff", REFUSE),
    ("zero-width-inside", "政\u200b府\u200c上\u200d網工程是哪一年啟動的？", ANSWER),
    ("bidi-override", "\u202e" + REAL + "\u202c", ANSWER),
    ("emoji-only", "😀🔥👍🏽🇨🇳", REFUSE),
    ("emoji-and-words", "😀 " + REAL + " 🔥", ANSWER),
    ("html-script", "<script>alert('x')</script>", ANSWER),
    ("html-around-question", "<b>" + REAL + "</b><img src=x onerror=alert(1)>", ANSWER),
    ("sql", "'; DROP TABLE chunks; -- OR 1=1", ANSWER),
    ("full-width-punctuation-only", "？！。，、；：「」『』（）", REFUSE),
    ("full-width-letters", "ＧＯＶＥＲＮＭＥＮＴ ＯＮＬＩＮＥ １９９９", ANSWER),
    ("combining-marks-only", "\u0301\u0308\u0327", REFUSE),
    ("private-use", "\ue000\uf8ff", REFUSE),
    ("noncharacters", "\ufffe\uffff\U0010ffff", REFUSE),
    ("rare-cjk", "𠀀𠀁𪚥 政府", ANSWER),
    ("format-string", "{0} %s %(x)s ${HOME} {{}}", ANSWER),
    ("regex-metacharacters", ".*+?[](){}|^$\\ 政府", ANSWER),
    ("path-traversal", "../../etc/passwd", ANSWER),
    ("json", '{"question": "x", "k": 1e309}', ANSWER),
    ("arabic-digits", "٣٤٥", ANSWER),
    ("none", None, REFUSE),
    ("int", 42, REFUSE),
    ("float-nan", float("nan"), REFUSE),
    ("bytes", REAL.encode("utf-8"), REFUSE),
    ("list", [REAL], REFUSE),
    ("dict", {"question": REAL}, REFUSE),
]


def check_answer(qa: ArticleQA, answer: Answer) -> None:
    assert isinstance(answer, Answer)
    assert isinstance(answer.found, bool) and isinstance(answer.text, str) and answer.text
    for number, start, end in answer.evidence:
        assert 0 <= number < len(answer.passages)
        assert qa.article[start:end] in answer.text  # quoted verbatim from the article


def check_passages(qa: ArticleQA, passages: list, k: int) -> None:
    assert 0 < len(passages) <= k
    for passage in passages:
        assert isinstance(passage, Passage)
        assert qa.article[passage.start:passage.end] == passage.text


@pytest.mark.parametrize("question, outcome", [case[1:] for case in HOSTILE], ids=[case[0] for case in HOSTILE])
def test_ask(default_qa_fake, question, outcome):
    started = time.perf_counter()
    if outcome == REFUSE:
        with pytest.raises(BadQuestionError):
            default_qa_fake.ask(question)
        return
    answer = default_qa_fake.ask(question)
    check_answer(default_qa_fake, answer)
    assert time.perf_counter() - started < 5
    # Nothing of the question comes back: the text is the quoted sentences, or the fixed message.
    if answer.found:
        assert answer.text == " ".join(f"{default_qa_fake.article[s:e]}[{n + 1}]" for n, s, e in answer.evidence)
    else:
        assert answer.text in NOT_FOUND.values()
    over_long = isinstance(question, str) and len(question) > MAX_QUESTION_CHARS
    assert bool(answer.note) == over_long
    if over_long:
        assert str(MAX_QUESTION_CHARS) in answer.note


@pytest.mark.parametrize("question, outcome", [case[1:] for case in HOSTILE], ids=[case[0] for case in HOSTILE])
def test_retrieve(default_qa_fake, question, outcome):
    if outcome == REFUSE:
        with pytest.raises(BadQuestionError):
            default_qa_fake.retrieve(question, k=3)
        return
    check_passages(default_qa_fake, default_qa_fake.retrieve(question, k=3), 3)


INVISIBLE = ["政\u200b府\u200c上\u200d網工程是哪一年啟動的？", "\ufeff" + REAL, "\ud800" + REAL, "  " + REAL + "\n"]


def test_invisible_characters_do_not_change_the_answer(default_qa_fake):
    """The engine drops them before anything reads the question, so even the
    scores are the same (the fake embedder would see any of them)."""
    plain = default_qa_fake.ask(REAL).to_dict(), [p.to_dict() for p in default_qa_fake.retrieve(REAL, k=5)]
    for noisy in INVISIBLE:
        assert (default_qa_fake.ask(noisy).to_dict(), [p.to_dict() for p in default_qa_fake.retrieve(noisy, k=5)]) \
            == plain, repr(noisy)


@pytest.mark.slow
def test_spaces_inside_a_chinese_question_do_not_change_the_real_answer(real_qa):
    """Spaces between Chinese words do reach the embedder, so this is the
    model's robustness, not the engine's clean-up."""
    assert real_qa.ask("  " + REAL.replace("是", " 是 ") + "\n").text == real_qa.ask(REAL).text


def test_over_long_question_is_cut_to_its_start(default_qa_fake):
    long_question = REAL + " " + "x" * 200_000
    answer = default_qa_fake.ask(long_question)
    assert answer.note
    # The kept start still carries the question.
    assert answer.passages == default_qa_fake.ask(REAL + " " + "x" * (MAX_QUESTION_CHARS - len(REAL) - 1)).passages


@pytest.mark.parametrize("k", [0, -1, -(10**9), DEFAULTS.max_k + 1, 10**6, 10**30, "3", 3.0, True, False, None, [3]],
                         ids=repr)
def test_bad_k_is_refused(default_qa_fake, k):
    with pytest.raises(BadQuestionError):
        default_qa_fake.retrieve(REAL, k=k)


@pytest.mark.parametrize("k", [1, 2, DEFAULTS.max_k], ids=repr)
def test_large_k_is_clamped_to_the_article(default_qa_fake, k):
    passages = default_qa_fake.retrieve(REAL, k=k)
    assert len(passages) == min(k, default_qa_fake.n_chunks)
    assert len({p.chunk_id for p in passages}) == len(passages)
    assert [p.score for p in passages] == sorted((p.score for p in passages), reverse=True)


@pytest.fixture(scope="module")
def fake_index(tmp_path_factory):
    folder = tmp_path_factory.mktemp("questions")
    ArticleQA.build(DEFAULT_ARTICLE, index_dir=folder / "index", embedder=FakeEmbedder())
    return folder / "index"


@pytest.fixture
def cli_index(fake_index, monkeypatch):
    """The CLI loads the index's model by name; hand it the fake one."""
    monkeypatch.setattr(qa_module, "load_embedder", lambda name: FakeEmbedder())
    return str(fake_index)


@pytest.mark.parametrize("question", ["", "\x00\x01", "😀", "？？？"], ids=repr)
def test_cli_refuses_empty_questions_in_one_line(cli_index, capsys, question):
    assert main(["ask", question, "--index", cli_index]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.count("\n") == 1 and err.startswith("article-qa:")


def test_cli_k_zero_is_one_line(cli_index, capsys):
    assert main(["retrieve", REAL, "-k", "0", "--index", cli_index]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.startswith("article-qa: k must")


def test_cli_answers_a_hostile_but_real_question(cli_index, capsys):
    """The CLI passes markup and a NUL through to the engine and prints its
    whole answer as JSON: the same answer the Python API gives."""
    hostile = "<script>" + REAL + "</script>\x00"
    assert main(["ask", hostile, "--index", cli_index, "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    expected = ArticleQA.load(cli_index, embedder=FakeEmbedder()).ask(hostile).to_dict()
    assert printed == json.loads(json.dumps(expected))


@pytest.mark.slow
@pytest.mark.parametrize("question, outcome", [case[1:] for case in HOSTILE], ids=[case[0] for case in HOSTILE])
def test_real_model_on_shipped_index(real_qa, question, outcome):
    if outcome == REFUSE:
        with pytest.raises(ArticleQAError):
            real_qa.ask(question)
        return
    check_answer(real_qa, real_qa.ask(question))
    check_passages(real_qa, real_qa.retrieve(question, k=5), 5)


@pytest.fixture(scope="module")
def real_qa() -> ArticleQA:
    return ArticleQA.load()
