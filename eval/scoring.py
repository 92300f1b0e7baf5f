"""Scores one system on the question sets: retrieval, answers, abstention, speed.

A *system* is anything with ``retrieve(question, k) -> list[Passage-like]``
and ``ask(question) -> Answer-like`` (``found``, ``text``); the engine's
public API fits, and so does the LangChain baseline in ``systems.py``.
"""

from __future__ import annotations

import json
import statistics
import time
from collections import defaultdict
from pathlib import Path

from article_qa.fold import fold
from cmrc import cmrc_f1
from project_questions import split_of

KS = (1, 3, 5)
MRR_DEPTH = 10


def load_jsonl(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def contains_gold(text: str, answers: list[str]) -> bool:
    """Any gold string inside ``text``, compared in folded script."""
    folded = fold(text)
    return any(fold(answer) in folded for answer in answers)


def score_quality(system, questions: list[dict], offtopic: list[dict]) -> dict:
    """Quality metrics overall and split by language and type, plus failures."""
    rows = [_score_question(system, q) for q in questions]
    declined = [not system.ask(q["question"]).found for q in offtopic]
    result = _aggregate(rows)
    result["decline_rate"] = _mean(declined)
    result["by_lang"] = _split(rows, "lang")
    result["by_type"] = _split(rows, "type")
    result["offtopic_by_type"] = {
        kind: _mean([a for a, q in zip(declined, offtopic) if q["type"] == kind])
        for kind in sorted({q["type"] for q in offtopic})
    }
    result["even_half"] = _even_half(rows, declined, offtopic)
    result["failures"] = [row for row in rows if not (row["hit@3"] and row["answer_ok"])]
    result["n_questions"], result["n_offtopic"] = len(questions), len(offtopic)
    return result


def _even_half(rows: list[dict], declined: list[bool], offtopic: list[dict]) -> dict:
    """The same figures on the half of the questions the answer stage's
    models were not fitted on (even ids, project_questions.py)."""
    held = [row for row in rows if row["split"] == "even"]
    kept = [(a, q) for a, q in zip(declined, offtopic) if split_of(q["id"]) == "even"]
    return {**_aggregate(held), "by_lang": _split(held, "lang"),
            "offtopic_by_type": {kind: _mean([a for a, q in kept if q["type"] == kind])
                                 for kind in sorted({q["type"] for _, q in kept})}}


def _score_question(system, question: dict) -> dict:
    passages = system.retrieve(question["question"], k=MRR_DEPTH)
    ranks = [i for i, p in enumerate(passages, 1) if contains_gold(p.text, question["answers"])]
    answer = system.ask(question["question"])
    row = {
        "id": question["id"], "question": question["question"], "answers": question["answers"],
        "lang": question["lang"], "type": question["type"],
        "rank": ranks[0] if ranks else None,
        "answer_ok": answer.found and contains_gold(answer.text, question["answers"]),
        "declined": not answer.found,
        # CMRC's F1 of the short answer (a system without one: its whole answer).
        "short_f1": cmrc_f1(fold(getattr(answer, "short_answer", answer.text)), [fold(a) for a in question["answers"]])
        if answer.found else 0.0,
        "split": split_of(question["id"]),
        "answer": answer.text,
        "top_passage": passages[0].text if passages else "",
    }
    for k in KS:
        row[f"hit@{k}"] = bool(ranks) and ranks[0] <= k
    return row


def _aggregate(rows: list[dict]) -> dict:
    out = {f"hit@{k}": _mean([r[f"hit@{k}"] for r in rows]) for k in KS}
    out["mrr"] = _mean([1.0 / r["rank"] if r["rank"] else 0.0 for r in rows])
    out["answer_accuracy"] = _mean([r["answer_ok"] for r in rows])
    out["short_f1"] = _mean([r["short_f1"] for r in rows])
    out["false_decline_rate"] = _mean([r["declined"] for r in rows])
    out["n"] = len(rows)
    return out


def _split(rows: list[dict], key: str) -> dict:
    groups = defaultdict(list)
    for row in rows:
        groups[row[key]].append(row)
    return {name: _aggregate(group) for name, group in sorted(groups.items())}


def _mean(values) -> float:
    values = list(values)
    return round(sum(values) / len(values), 4) if values else 0.0


def score_latency(system, questions: list[str], *, warmup: str = "warm-up question") -> dict:
    """p50/p95 milliseconds of ``retrieve(k=5)`` and ``ask`` per question.

    ``system`` should be freshly loaded so that no question is cached yet.
    """
    system.retrieve(warmup, k=5)
    system.ask(warmup)
    retrieve_ms = _timed([lambda q=q: system.retrieve(q, k=5) for q in questions])
    return {
        "retrieve_p50_ms": _percentile(retrieve_ms, 50),
        "retrieve_p95_ms": _percentile(retrieve_ms, 95),
    }


def score_ask_latency(system, questions: list[str]) -> dict:
    system.ask("warm-up question")
    ask_ms = _timed([lambda q=q: system.ask(q) for q in questions])
    return {"ask_p50_ms": _percentile(ask_ms, 50), "ask_p95_ms": _percentile(ask_ms, 95)}


def _timed(calls) -> list[float]:
    out = []
    for call in calls:
        started = time.perf_counter()
        call()
        out.append((time.perf_counter() - started) * 1000)
    return out


def _percentile(values: list[float], pct: int) -> float:
    if len(values) < 2:
        return round(values[0], 3) if values else 0.0
    return round(statistics.quantiles(values, n=100, method="inclusive")[pct - 1], 3)
