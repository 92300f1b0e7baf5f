"""DRCD and XQuAD as article-sized benchmark texts, beside CMRC (``cmrc.py``).

Each Wikipedia article of DRCD dev (Traditional) and of XQuAD's half
(English and Chinese, parallel) is one text, written as CMRC's are (a title
heading line above each paragraph, blocks separated by blank lines). The
split is by article and the same as the reader's (``reader_data.split_of``):
article ``i`` is validation when ``i % 3 == 2``, dev when ``i % 9 == 0``,
train otherwise; the README reports validation only.

Sets: ``drcd``; ``xquad-en`` and ``xquad-zh`` (questions in the text's
language); ``xquad-en-on-zh`` (English questions, Chinese text) and
``xquad-zh-on-en`` (Chinese questions, English text).

Declines: ``other_questions`` are 12 questions of one other text of the same
split whose golds this text does not hold (as for CMRC); ``near_misses``
are this text's own questions with one number, year or name swapped for one
the article never holds (``reader_data.swap_one``) — the right reply to both
is a decline.
"""

from __future__ import annotations

import json
import random
from functools import lru_cache
from pathlib import Path

import cmrc
import reader_data

EVAL_DIR = Path(__file__).resolve().parent
SETS = ("drcd", "xquad-en", "xquad-zh", "xquad-en-on-zh", "xquad-zh-on-en")
ENGLISH_TEXT = ("xquad-en", "xquad-zh-on-en")  # scored with SQuAD's token F1
NEAR_MISSES = 12
SEED = 2018


def load_texts(name: str) -> list[cmrc.BenchmarkText]:
    if name not in SETS:
        raise ValueError(f"unknown set {name!r}; choose one of {', '.join(SETS)}")
    return list(_texts(name))


@lru_cache(maxsize=None)
def _texts(name: str) -> tuple[cmrc.BenchmarkText, ...]:
    if name == "drcd":
        articles = _articles(reader_data.DRCD)
    else:
        question_language, _, text_language = name.removeprefix("xquad-").partition("-on-")
        text_language = text_language or question_language
        articles = _articles(reader_data.XQUAD[text_language], questions_from=reader_data.XQUAD[question_language])
    texts = [_text(name, i, article) for i, article in enumerate(articles)]
    return tuple(cmrc.BenchmarkText(t.name, t.split, t.article, t.questions, _other_questions(i, texts))
                 for i, t in enumerate(texts))


def _articles(path: Path, questions_from: Path | None = None) -> list[dict]:
    data = json.loads(path.read_text(encoding="utf-8"))["data"]
    asked = reader_data._questions_by_id(questions_from) if questions_from else {}
    return [{"title": a["title"].replace("_", " "),
             "paragraphs": [{"title": a["title"].replace("_", " "), "context_text": p["context"],
                             "qas": [{"id": q["id"], "question": asked.get(q["id"], q["question"]),
                                      "golds": tuple(dict.fromkeys(x["text"] for x in q["answers"]))}
                                     for q in p["qas"]]}
                            for p in a["paragraphs"]]}
            for a in data]


def _text(name: str, index: int, article: dict) -> cmrc.BenchmarkText:
    questions = tuple(cmrc.Question(q["id"], q["question"].strip(), q["golds"])
                      for p in article["paragraphs"] for q in p["qas"] if q["question"].strip())
    return cmrc.BenchmarkText(name=f"{name}-{index:03d}", split=reader_data.split_of(index),
                              article=cmrc.compose_article(article["paragraphs"]), questions=questions,
                              other_questions=())


def _other_questions(index: int, texts: list[cmrc.BenchmarkText]) -> tuple[cmrc.Question, ...]:
    rng = random.Random(SEED * 1000 + index)
    same_split = [t for i, t in enumerate(texts) if i != index and t.split == texts[index].split]
    if not same_split:
        return ()
    donor = rng.choice(same_split)
    usable = [q for q in donor.questions if not any(g in texts[index].article for g in q.golds)]
    return tuple(rng.sample(usable, min(cmrc.OTHER_QUESTIONS, len(usable))))


def near_misses(text: cmrc.BenchmarkText, pool: list[cmrc.BenchmarkText]) -> tuple[cmrc.Question, ...]:
    """Up to ``NEAR_MISSES`` of the text's questions with one number or name
    the article holds swapped for one it does not hold."""
    rng = random.Random(SEED + sum(map(ord, text.name)))
    donors = [reader_data.Item("pool", t.name, t.split, q.text, "", 0, "", q.golds)
              for t in pool if t.name != text.name for q in t.questions[:20]]
    out = []
    for question in rng.sample(list(text.questions), len(text.questions)):
        swapped = reader_data.swap_one(question.text, text.article, donors, rng)
        if swapped and swapped != question.text:
            out.append(cmrc.Question(f"{question.id}-swapped", swapped, ()))
        if len(out) == NEAR_MISSES:
            break
    return tuple(out)
