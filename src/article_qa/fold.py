"""Script folding and lexical tokens, shared by the index and the answer stage.

Folding maps Traditional to Simplified characters (OpenCC ``t2s``: the
direction without ambiguity), full-width forms to ASCII (NFKC) and case to
lower, so that a question in either script meets the article on equal terms.

This module owns OpenCC (:func:`to_simplified`) and the test for Chinese
characters (:func:`han_chars`, :func:`has_han`, :func:`han_runs`).
"""

from __future__ import annotations

import re
import threading
import unicodedata
from functools import lru_cache

_WORD = re.compile(r"[a-z0-9]+(?:\.[0-9]+)?")
# CJK Unified Ideographs with Extension A, and the compatibility ideographs.
_HAN_RANGES = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_HAN = re.compile(f"[{_HAN_RANGES}]")
_HAN_RUN = re.compile(f"[{_HAN_RANGES}]+")
_NOT_LETTER = re.compile(r"[\W_]+")
_lock = threading.Lock()


@lru_cache(maxsize=1)
def _converter():
    import opencc

    return opencc.OpenCC("t2s")


def fold(text: str) -> str:
    """Simplified script, NFKC width, lower case."""
    return to_simplified(unicodedata.normalize("NFKC", text).lower())


def to_simplified(text: str) -> str:
    """``text`` with Traditional characters converted to Simplified (OpenCC
    ``t2s``), nothing else changed."""
    with _lock:  # one shared converter; OpenCC does not promise thread safety
        return _converter().convert(text)


def tokens(folded: str) -> list[str]:
    """Character unigrams and bigrams of CJK runs plus Latin/number words, as
    written (BM25 indexes the Latin words' stems: ``lexical.terms``)."""
    out: list[str] = []
    for run in han_runs(folded):
        out.extend(run)
        out.extend(run[i:i + 2] for i in range(len(run) - 1))
    out.extend(_WORD.findall(folded))
    return out


def han_chars(text: str) -> str:
    """The Chinese characters of ``text``, in order."""
    return "".join(_HAN.findall(text))


def has_han(text: str) -> bool:
    return bool(_HAN.search(text))


def han_runs(text: str) -> list[str]:
    """The unbroken runs of Chinese characters in ``text``, in order."""
    return _HAN_RUN.findall(text)


def letters_only(text: str) -> str:
    """Letters and digits only: “十四五”規劃 and 十四五規劃 are the same term."""
    return _NOT_LETTER.sub("", text)
