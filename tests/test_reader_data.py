"""eval/reader_data.py: the reader's no-answer windows are the negatives users produce, and never hold the answer."""

from __future__ import annotations

import random
import sys
from pathlib import Path

import pytest

from article_qa import read
from article_qa.answer.typed import states_a_number, states_a_time

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "eval"))

import reader_data  # noqa: E402

PARAGRAPHS = [
    "The Riverside Library opened in 1921. Its reading room holds 40,000 books.",
    "The library's garden was planned by Anna Berg. Anna Berg also designed the library's reading room lamps.",
    "Visitors praise the quiet garden. Concerts are held in the garden.",
]
QUESTIONS = [  # (question, paragraph, gold)
    ("When did the Riverside Library open?", 0, "1921"),
    ("How many books does the reading room hold?", 0, "40,000"),
    ("Who planned the library's garden?", 1, "Anna Berg"),
    ("What is held in the garden?", 2, "Concerts"),
]
STRANGER = ("Which river flows through Porto?", "The Douro flows through Porto.", "The Douro")


class CharTokenizer:
    """One token per character: windows measured in characters."""

    @staticmethod
    def encode(text: str) -> read.Encoded:
        return read.Encoded(list(range(len(text))), [(i, i + 1) for i in range(len(text))])


def items() -> list[reader_data.Item]:
    out = [reader_data.Item("xquad-en-en", "xquad-0", "train", question, PARAGRAPHS[paragraph],
                            PARAGRAPHS[paragraph].find(gold), gold, (gold,))
           for question, paragraph, gold in QUESTIONS]
    question, context, gold = STRANGER
    return out + [reader_data.Item("xquad-en-en", "xquad-1", "train", question, context, context.find(gold), gold,
                                   (gold,))]


@pytest.fixture
def every_negative(monkeypatch):
    """Each rate at 1: every kind of no-answer window is tried for every question."""
    for rate in ("OTHER_WINDOW_RATE", "SAME_TEXT_RATE", "OTHER_QUESTION_RATE", "SWAPPED_RATE"):
        monkeypatch.setattr(reader_data, rate, 1.0)
    monkeypatch.setattr(read, "MAX_PASSAGE_TOKENS", 60)  # about one sentence of these
    return reader_data.examples(items(), CharTokenizer(), random.Random(0))


def test_no_answer_windows_never_hold_their_question_s_answer(every_negative):
    golds = {item.question: item.golds for item in items()}
    negatives = [e for e in every_negative if e.answer is None]
    assert {e.kind for e in negatives} >= {"other-window", "same-text", "kind-lacking"}
    for example in negatives:
        question = example.question
        if example.kind == "swapped":
            continue  # a question no text asks: nothing can answer it
        assert not any(gold in example.window for gold in golds[question]), example


def test_same_text_questions_come_from_another_paragraph_of_the_same_text(every_negative):
    paragraph_of = {item.question: item.context for item in items()}
    for example in (e for e in every_negative if e.kind == "same-text"):
        assert example.question != STRANGER[0]
        assert paragraph_of[example.question] not in example.window


def test_a_when_or_how_many_question_gets_a_window_on_its_topic_without_a_time_or_figure(every_negative):
    lacking = {e.question: e.window for e in every_negative if e.kind == "kind-lacking"}
    when, how_many = QUESTIONS[0][0], QUESTIONS[1][0]
    assert not states_a_time(lacking[when]) and "library" in lacking[when].lower()
    assert not states_a_number(lacking[how_many]) and "reading room" in lacking[how_many]
    assert QUESTIONS[2][0] not in lacking and QUESTIONS[3][0] not in lacking  # who / what: no kind to lack


@pytest.mark.parametrize("text, time, number", [
    ("The library opened in 1921.", True, True),
    ("Concerts are held in the garden.", False, False),
    ("It holds forty thousand books.", False, True),
    ("三金工程於1993年啟動。", True, True),
    ("統一部署電子政務建設。", False, False),   # 一 inside a word is no figure
    ("共有三个阶段。", False, True),
])
def test_what_a_passage_states(text, time, number):
    assert states_a_time(text) is time
    assert states_a_number(text) is number
