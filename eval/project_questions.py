"""The project's own questions about the default article, with a fixed split.

``questions.jsonl`` (answerable) and ``offtopic.jsonl`` (the article does
not answer) are *development* questions: the engine's features, weights and
rules were designed while reading both halves. They are split by id: odd
numbers train the answer stage's models beside the CMRC training texts (they
are the only English questions, and the only paraphrased ones); even numbers
are not fitted on, and are reported as the "even half", which is not a
held-out test. Held-out figures come only from the benchmarks' validation
parts (``cmrc.py``'s validation texts), on which nothing was chosen.
"""

from __future__ import annotations

import json
from pathlib import Path

EVAL_DIR = Path(__file__).resolve().parent
ARTICLE = EVAL_DIR.parent / "data" / "digital-government.txt"
QUESTIONS = EVAL_DIR / "questions.jsonl"
OFFTOPIC = EVAL_DIR / "offtopic.jsonl"


def split_of(item_id: str) -> str:
    """"train" for odd-numbered ids (q001, o003 …), "even" for even ones."""
    return "train" if int(item_id.lstrip("qo")) % 2 else "even"


def load(path: Path, split: str | None = None) -> list[dict]:
    items = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [item for item in items if split is None or split_of(item["id"]) == split]
