"""The reader's examples: questions against short windows of their texts, with fixed splits.

Sources (copies with their licences in ``eval/``): CMRC 2018 trial
(Simplified), DRCD dev (Traditional), XQuAD's half (English and Chinese,
parallel: all four question/text language pairs), and the training half of
the project's own questions on the default article.

Splits are by text and fixed: a text's index ``i`` in its source (CMRC: the
grouped texts of ``cmrc.py``; DRCD and XQuAD: articles in file order; the
default article is one text) is **validation** when ``i % 3 == 2`` (what
the README reports; nothing is chosen on it), **dev** when ``i % 9 == 0``
(part of training's texts, held back to choose the answer stage's
thresholds), **train** otherwise.

A window is what the product reads: a sentence and its neighbours in the
same paragraph, up to ``read.MAX_PASSAGE_TOKENS`` tokens. A positive window
holds the gold answer (its first occurrence at the gold offset). The
no-answer windows, labelled with the first token as in SQuAD 2.0, are the
negatives users produce:

- another window of the same paragraph that holds no gold;
- the question of another paragraph of the same text on this window (same
  topic, same names: the hardest to tell apart);
- the question of another text on this window;
- a near miss: the question with one number, year or name swapped for one
  that the window does not hold;
- a window of the same text that lacks the kind asked: a when-question on
  the window sharing most words with it among those that state no time, a
  how-many question on one that states no figure.
"""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import cmrc
import project_questions

from article_qa.answer.typed import states_a_number, states_a_time
from article_qa.chunk import split_sentences
from article_qa.fold import fold, has_han, to_simplified
from article_qa.read import window_around
from article_qa.records import Article, Span
from article_qa.span import NUMBER, TIME, asked, first_asked
from article_qa.tagging import tag

EVAL_DIR = Path(__file__).resolve().parent
DRCD = EVAL_DIR / "drcd" / "DRCD_dev.json"
XQUAD = {"en": EVAL_DIR / "xquad" / "xquad.en.json", "zh": EVAL_DIR / "xquad" / "xquad.zh.json"}
SEED = 2018
OTHER_WINDOW_RATE = 0.35  # another window of the same paragraph, no gold in it
SAME_TEXT_RATE = 0.25  # a question of another paragraph of the same text on this window
OTHER_QUESTION_RATE = 0.25  # another text's question on this window
MIN_SHARED_WORDS = 2  # a kind-lacking window is on the question's topic: Han pairs or English words shared
SWAPPED_RATE = 0.3  # one number, year or name of the question swapped
CROSS_SCRIPT_RATE = 0.3  # a Chinese question asked in the other script
_NUMBER = re.compile(r"\d+")
_NAME_TAGS = {"PER", "LOC", "ORG"}


@dataclass(frozen=True)
class Item:
    """A question on a paragraph, before windows are cut."""

    source: str  # cmrc | drcd | xquad-en-en | xquad-en-zh (question-text) | ... | project
    text_id: str
    split: str
    question: str
    context: str
    answer_start: int  # -1: the question has no answer in this context
    answer: str
    golds: tuple[str, ...]


@dataclass(frozen=True)
class Example:
    """One window to read: ``answer`` is (start, end) inside ``window``, or None."""

    source: str
    kind: str  # answer | other-window | same-text | other-question | swapped | kind-lacking
    text_id: str
    split: str
    question: str
    window: str
    answer: tuple[int, int] | None
    golds: tuple[str, ...]


def split_of(index: int) -> str:
    if index % 3 == 2:
        return "validation"
    return "dev" if index % 9 == 0 else "train"


# ---- items by source -------------------------------------------------------

def cmrc_items() -> list[Item]:
    items = []
    for index, group in enumerate(cmrc.group_paragraphs(cmrc.load_paragraphs())):
        for paragraph in group:
            for qa in paragraph["qas"]:
                if not cmrc.has_words(qa["query_text"]):
                    continue
                golds = tuple(qa["answers"])
                start = paragraph["context_text"].find(golds[0])
                items.append(Item("cmrc", f"cmrc-{index}", split_of(index), qa["query_text"].strip(),
                                  paragraph["context_text"], start, golds[0], golds))
    return items


def squad_items(path: Path, source: str, questions_from: Path | None = None) -> list[Item]:
    """SQuAD-layout items; ``questions_from`` swaps in the parallel file's
    questions (XQuAD: the same id is the same question in the other language)."""
    data = json.loads(path.read_text(encoding="utf-8"))["data"]
    other = _questions_by_id(questions_from) if questions_from else {}
    items = []
    for index, article in enumerate(data):
        for paragraph in article["paragraphs"]:
            for qa in paragraph["qas"]:
                golds = tuple(dict.fromkeys(a["text"] for a in qa["answers"]))
                first = qa["answers"][0]
                question = other.get(qa["id"], qa["question"])
                items.append(Item(source, f"{source.split('-')[0]}-{index}", split_of(index), question.strip(),
                                  paragraph["context"], first["answer_start"], first["text"], golds))
    return items


def _questions_by_id(path: Path) -> dict[str, str]:
    data = json.loads(path.read_text(encoding="utf-8"))["data"]
    return {qa["id"]: qa["question"] for article in data for p in article["paragraphs"] for qa in p["qas"]}


def xquad_items() -> list[Item]:
    items = []
    for text_language in ("en", "zh"):
        for question_language in ("en", "zh"):
            other = None if question_language == text_language else XQUAD[question_language]
            items += squad_items(XQUAD[text_language], f"xquad-{question_language}-{text_language}", other)
    return items


def project_items() -> list[Item]:
    """The default article's training-half questions, on the paragraph that holds their gold."""
    article = project_questions.ARTICLE.read_text(encoding="utf-8")
    paragraphs = [p for p in re.split(r"\n\s*\n", article) if p.strip()]
    items = []
    for question in project_questions.load(project_questions.QUESTIONS, "train"):
        golds = tuple(question["answers"])
        paragraph = next((p for p in paragraphs if golds[0] in p), None)
        if paragraph is not None:
            items.append(Item("project", "project-0", "train", question["question"], paragraph,
                              paragraph.find(golds[0]), golds[0], golds))
    return items


@lru_cache(maxsize=1)
def all_items() -> tuple[Item, ...]:
    items = cmrc_items() + squad_items(DRCD, "drcd") + xquad_items() + project_items()
    return tuple(item for item in items if item.answer_start >= 0
                 and item.context[item.answer_start:item.answer_start + len(item.answer)] == item.answer)


# ---- windows -----------------------------------------------------------------

@lru_cache(maxsize=4096)
def sentences_of(context: str) -> tuple[tuple[int, int], ...]:
    """Sentence offsets (cached: the kind-lacking search reads every paragraph of a text)."""
    article = Article(text=context, spans=(Span(0, len(context), False),))
    return tuple((s.start, s.end) for s in split_sentences(article))


def examples(items, tokenizer, rng: random.Random) -> list[Example]:
    """Every item's positive window, and its no-answer windows by the rates above."""
    pool_by_source: dict[str, list[Item]] = {}
    pool_by_text: dict[tuple[str, str], list[Item]] = {}
    for item in items:
        pool_by_source.setdefault(item.source, []).append(item)
        pool_by_text.setdefault((item.source, item.text_id), []).append(item)
    out = []
    for item in items:
        sentences = sentences_of(item.context)
        positive = _positive(item, sentences, tokenizer, rng)
        if positive is None:
            continue
        out.append(positive)
        if rng.random() < OTHER_WINDOW_RATE:
            out += _other_window(item, sentences, tokenizer, rng)
        if rng.random() < SAME_TEXT_RATE:
            out += _elsewhere_question(item, positive, pool_by_text[item.source, item.text_id], "same-text", rng)
        if rng.random() < OTHER_QUESTION_RATE:
            strangers = [rng.choice(pool_by_source[item.source])]
            strangers = [s for s in strangers if s.text_id != item.text_id]
            out += _elsewhere_question(item, positive, strangers, "other-question", rng)
        if rng.random() < SWAPPED_RATE:
            swapped = swap_one(item.question, positive.window, pool_by_source[item.source], rng)
            if swapped:
                out.append(Example(item.source, "swapped", item.text_id, item.split, swapped,
                                   positive.window, None, ()))
        out += _kind_lacking(item, pool_by_text[item.source, item.text_id], tokenizer, rng)
    return [_cross_script(example, rng) for example in out]


def _positive(item: Item, sentences, tokenizer, rng) -> Example | None:
    answer_end = item.answer_start + len(item.answer)
    first = next((i for i, (s, e) in enumerate(sentences) if s <= item.answer_start < e), None)
    last = next((i for i, (s, e) in enumerate(sentences) if s < answer_end <= e), None)
    if first is None or last is None:
        return None
    start, end = window_around(item.context, sentences, first, last, tokenizer, prefer_left=rng.random() < 0.5)
    if not (start <= item.answer_start and answer_end <= end):
        return None
    return Example(item.source, "answer", item.text_id, item.split, item.question, item.context[start:end],
                   (item.answer_start - start, answer_end - start), item.golds)


def _other_window(item: Item, sentences, tokenizer, rng) -> list[Example]:
    free = [i for i, (s, e) in enumerate(sentences) if not any(g in item.context[s:e] for g in item.golds)]
    rng.shuffle(free)
    for center in free[:3]:
        start, end = window_around(item.context, sentences, center, center, tokenizer, prefer_left=rng.random() < 0.5)
        window = item.context[start:end]
        if not any(g in window for g in item.golds):
            return [Example(item.source, "other-window", item.text_id, item.split, item.question, window, None, ())]
    return []


def _elsewhere_question(item: Item, positive: Example, askers: list[Item], kind: str, rng) -> list[Example]:
    """One of ``askers``' questions from another paragraph on this window,
    when the window holds none of its golds."""
    askers = [a for a in askers if a.context != item.context and not any(g in positive.window for g in a.golds)]
    if not askers:
        return []
    asker = rng.choice(askers)
    return [Example(item.source, kind, item.text_id, item.split, asker.question, positive.window, None, ())]


def _kind_lacking(item: Item, text_items: list[Item], tokenizer, rng) -> list[Example]:
    """The window of the same text, without the gold, that shares most words
    with a when (how-many) question among those on its topic that state no
    time (figure)."""
    states = {TIME: states_a_time, NUMBER: states_a_number}.get(_asked(item.question))
    # the gold must state the kind: "哪几方面" reads as how-many but asks which
    if states is None or not states(item.answer):
        return []
    words = _words(item.question)
    scored = []
    for context in dict.fromkeys(other.context for other in text_items):
        for position, (start, end) in enumerate(sentences_of(context)):
            sentence = context[start:end]
            shared = len(words & _words(sentence))
            if shared >= MIN_SHARED_WORDS and not states(sentence) and not any(g in sentence for g in item.golds):
                scored.append((shared, rng.random(), context, position))
    for _, _, context, position in sorted(scored, reverse=True)[:3]:
        start, end = window_around(context, sentences_of(context), position, position, tokenizer,
                                   prefer_left=rng.random() < 0.5)
        window = context[start:end]
        if not states(window) and not any(g in window for g in item.golds):
            return [Example(item.source, "kind-lacking", item.text_id, item.split, item.question, window, None, ())]
    return []


def _asked(question: str) -> str | None:
    """The kind asked, as the shipped reader's data read it: the span stage's
    plain reading, where ``answer.typed`` asks for the refined one (they
    differ on 66 of the items); one reading for both is for the next retrain."""
    folded = fold(question)
    return asked(folded)[0] if has_han(folded) else first_asked(folded)


def _words(text: str) -> set[str]:
    """Pairs of Han characters and lower-cased English words of three letters or more."""
    folded = fold(text)
    pairs = {a + b for run in re.findall(r"[\u4e00-\u9fff]+", folded) for a, b in zip(run, run[1:])}
    return pairs | set(re.findall(r"[a-z]{3,}", folded.lower()))


def swap_one(question: str, window: str, pool: list[Item], rng: random.Random) -> str | None:
    """The question with one number or name that the window holds replaced
    by one it does not hold (from another question of the same source)."""
    numbers = [m for m in _NUMBER.finditer(question) if m.group() in window]
    if numbers:
        match = rng.choice(numbers)
        for _ in range(10):
            value = str(int(match.group()) + rng.choice([-3, -2, -1, 1, 2, 3, 10, 100]))
            if value not in window and int(value) >= 0:
                return question[:match.start()] + value + question[match.end():]
        return None
    names = _names(question)
    names = [(s, e) for s, e in names if question[s:e] in window]
    if not names or not pool:
        return None
    start, end = rng.choice(names)
    for _ in range(10):
        donor = rng.choice(pool)
        candidates = [donor.question[s:e] for s, e in _names(donor.question)]
        candidates = [c for c in candidates if c not in window and c != question[start:end]]
        if candidates:
            return question[:start] + rng.choice(candidates) + question[end:]
    return None


def _names(question: str) -> list[tuple[int, int]]:
    if has_han(question):
        return [(t.start, t.end) for t in tag(question) if t.tag in _NAME_TAGS]
    # English: a capitalised word that does not open the question
    return [(m.start(), m.end()) for m in re.finditer(r"\b[A-Z][a-z]+(?:\s[A-Z][a-z]+)*", question) if m.start() > 0]


def _cross_script(example: Example, rng: random.Random) -> Example:
    """A share of Traditional questions asked in Simplified, as users of the
    default article (a Traditional text) do."""
    if example.source in {"drcd", "project"} and has_han(example.question) and rng.random() < CROSS_SCRIPT_RATE:
        return Example(**{**example.__dict__, "question": to_simplified(example.question)})
    return example
