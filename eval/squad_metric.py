"""SQuAD's answer metrics (v1.1 evaluation script): token F1 and exact match
after lower-casing and removing punctuation, articles (a, an, the) and extra
white space; the best over the gold answers."""

from __future__ import annotations

import re
import string
from collections import Counter

_PUNCTUATION = set(string.punctuation)


def normalise(text: str) -> str:
    text = "".join(char for char in text.lower() if char not in _PUNCTUATION)
    text = re.sub(r"\b(a|an|the)\b", " ", text)
    return " ".join(text.split())


def _f1_one(prediction: str, gold: str) -> float:
    predicted, wanted = normalise(prediction).split(), normalise(gold).split()
    common = sum((Counter(predicted) & Counter(wanted)).values())
    if common == 0:
        return 0.0
    precision, recall = common / len(predicted), common / len(wanted)
    return 2 * precision * recall / (precision + recall)


def squad_f1(prediction: str, golds) -> float:
    return max((_f1_one(prediction, gold) for gold in golds), default=0.0)


def squad_em(prediction: str, golds) -> float:
    return float(any(normalise(prediction) == normalise(gold) for gold in golds))
