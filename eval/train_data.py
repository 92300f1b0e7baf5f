"""What eval/train.py fits on: the slices of data, and the questions asked of built texts.

A *slice* is the CMRC texts (train and validation), the default article and
the project's questions that one run uses: all of them (``full_slice``) or a
few small texts for ``--smoke``. ``collect`` builds each text with the real
public API and asks it its own questions and other texts' (which it should
decline), keeping what the models need: the prepared query, the passages,
the ranker's candidate rows and which candidates hold a gold answer.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

import cmrc
import project_questions

from article_qa import ArticleQA, rank
from article_qa.fold import fold
from article_qa.settings import DEFAULTS
from article_qa.tagging import tag

SEED = 2018
EXTRA_NEGATIVES = 36  # per text, on top of the benchmark's 12 other-text questions
DEFAULT_ARTICLE = "default-article"
# --smoke: CMRC texts of a few paragraphs each and a slice of the project's questions.
SMOKE_TEXTS, SMOKE_PARAGRAPHS, SMOKE_ARTICLE_LINES, SMOKE_OWN_OFFTOPIC = 4, 2, 12, 8
# Few trees, one thread: on a few hundred rows LightGBM's threads only wait on each other.
SMOKE_OVERRIDES = {"n_estimators": 20, "n_jobs": 1}


@dataclass
class Asked:
    """One question put to one built text, with everything the models need."""

    text_name: str
    answerable: bool
    query: object
    question_tags: tuple
    passages: list
    cands: rank.Candidates
    labels: np.ndarray
    qa: ArticleQA


@dataclass(frozen=True)
class Slice:
    """What a run fits on: CMRC train and validation texts, the project's questions."""

    train: list
    validation: list
    own_article: str  # the default article's text (the smoke run: its first lines)
    own_questions: list
    own_offtopic: list
    extra_negatives: int
    span_texts: list  # the span scorer's CMRC texts (Simplified only)
    overrides: dict  # LightGBM parameters set over every model's (the smoke run's fewer trees)


def full_slice(variants: list[str]) -> Slice:
    texts = [t for v in variants for t in cmrc.load_texts(v)]
    return Slice(train=[t for t in texts if t.split == "train"],
                 validation=[t for t in texts if t.split == "validation"],
                 own_article=project_questions.ARTICLE.read_text(encoding="utf-8"),
                 own_questions=project_questions.load(project_questions.QUESTIONS, "train"),
                 own_offtopic=project_questions.load(project_questions.OFFTOPIC, "train"),
                 extra_negatives=EXTRA_NEGATIVES,
                 span_texts=[t for t in cmrc.load_texts("simplified") if t.split == "train"], overrides={})


def smoke_slice() -> Slice:
    """A few small CMRC texts (Simplified, plus one Traditional copy so the
    script-variant grouping is exercised) and a slice of the project's questions."""
    texts = cmrc.small_texts(SMOKE_TEXTS + 1, SMOKE_PARAGRAPHS)
    train, validation = texts[:SMOKE_TEXTS], texts[SMOKE_TEXTS:]
    train.append(cmrc.converted(train[0], convert_questions=True))
    article = "\n".join(project_questions.ARTICLE.read_text(encoding="utf-8").splitlines()[:SMOKE_ARTICLE_LINES])
    questions = [q for q in project_questions.load(project_questions.QUESTIONS, "train")
                 if any(gold in article for gold in q["answers"])]
    offtopic = project_questions.load(project_questions.OFFTOPIC, "train")
    return Slice(train=train, validation=validation, own_article=article, own_questions=questions,
                 own_offtopic=offtopic[:SMOKE_OWN_OFFTOPIC], extra_negatives=4, span_texts=texts[:SMOKE_TEXTS],
                 overrides=SMOKE_OVERRIDES)


def collect(texts: list[cmrc.BenchmarkText], embedder, workdir: Path, *, extra_negatives: int) -> list[Asked]:
    asked: list[Asked] = []
    pool = [q for t in texts for q in t.questions]
    rng = random.Random(SEED)
    for number, text in enumerate(texts, 1):
        started = time.perf_counter()
        folder = workdir / f"{text.name}-{number}"
        qa = ArticleQA.build(cmrc.write_article(text, folder), index_dir=folder / "index", embedder=embedder)
        negatives = list(text.other_questions) + _extra_negatives(text, pool, qa.article, rng, extra_negatives)
        for question, answerable in [(q, True) for q in text.questions] + [(q, False) for q in negatives]:
            asked.append(_ask(qa, text.name, question, answerable))
        print(f"  {text.name} ({number}/{len(texts)}): {len(text.questions)} questions, "
              f"{len(negatives)} from other texts, {time.perf_counter() - started:.1f} s", flush=True)
    return asked


def collect_default_article(embedder, workdir: Path, article: str, questions: list[dict], offtopic: list[dict],
                            label: str) -> list[Asked]:
    """The project's own questions on the default article, asked like a benchmark text's."""
    folder = workdir / ("default-index" if label == "train half" else "default-index-even")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder.with_name(folder.name + ".txt")
    path.write_text(article, encoding="utf-8")
    qa = ArticleQA.build(path, index_dir=folder, embedder=embedder)
    asked = [_ask(qa, DEFAULT_ARTICLE, cmrc.Question(item["id"], item["question"], tuple(item["answers"])), True)
             for item in questions]
    asked += [_ask(qa, DEFAULT_ARTICLE, cmrc.Question(item["id"], item["question"], ()), False) for item in offtopic]
    print(f"  default article ({label}): {len(asked)} questions", flush=True)
    return asked


def _extra_negatives(text, pool, article: str, rng: random.Random, count: int) -> list[cmrc.Question]:
    own = {q.id for q in text.questions}
    others = [q for q in pool if q.id not in own and not any(g in article for g in q.golds)]
    return rng.sample(others, min(count, len(others)))


def _ask(qa: ArticleQA, text_name: str, question, answerable: bool) -> Asked:
    query = qa.prepare(question.text)
    passages = qa.search(query, DEFAULTS.answer_passages)
    cands = rank.candidates(query, passages, qa.index, qa.index.sentence_tags)
    golds = [fold(g) for g in question.golds]
    labels = np.asarray([answerable and any(g in fold(qa.index.sentence_text(s)) for g in golds)
                         for s in cands.sentences], dtype=np.int32)
    return Asked(text_name, answerable, query, tag(query.text), passages, cands, labels, qa)


def sentence_hit_rate(asked: list[Asked], scores) -> float:
    """Share of answerable questions whose top-scored candidate holds a gold."""
    hits = [bool(a.labels[int(np.argmax(s))]) if s is not None and len(s) else False
            for a, s in zip(asked, scores) if a.answerable]
    return float(np.mean(hits)) if hits else 0.0


def oracle_rate(asked: list[Asked]) -> float:
    rates = [bool(a.labels.any()) for a in asked if a.answerable]
    return float(np.mean(rates)) if rates else 0.0


def weighted_threshold(probabilities: np.ndarray, weights: np.ndarray, share: float) -> float:
    """The highest threshold below which lies at most ``share`` of the weight
    (the decline models' thresholds: at most that share of the answerable
    questions declined)."""
    order = np.argsort(probabilities)
    cumulative = np.cumsum(weights[order]) / weights.sum()
    allowed = np.searchsorted(cumulative, share, side="right")
    if allowed >= len(order):
        return float(probabilities.max())
    return float(probabilities[order][allowed]) - 1e-6

