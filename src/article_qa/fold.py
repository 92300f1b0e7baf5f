"""Script folding and lexical tokens, shared by the index and the answer stage.

Folding maps Traditional to Simplified characters (OpenCC ``t2s``: the
direction without ambiguity), full-width forms to ASCII (NFKC) and case to
lower, so that a question in either script meets the article on equal terms.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from functools import lru_cache

_CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_WORD = re.compile(r"[a-z0-9]+(?:\.[0-9]+)?")
_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_NOT_LETTER = re.compile(r"[\W_]+")
_lock = threading.Lock()


@lru_cache(maxsize=1)
def _converter():
    import opencc

    return opencc.OpenCC("t2s")


def fold(text: str) -> str:
    """Simplified script, NFKC width, lower case."""
    text = unicodedata.normalize("NFKC", text).lower()
    with _lock:  # one shared converter; OpenCC does not promise thread safety
        return _converter().convert(text)


def tokens(folded: str) -> list[str]:
    """Character unigrams and bigrams of CJK runs plus Latin/number words."""
    out: list[str] = []
    for run in _CJK_RUN.findall(folded):
        out.extend(run)
        out.extend(run[i:i + 2] for i in range(len(run) - 1))
    out.extend(_WORD.findall(folded))
    return out


def han_chars(text: str) -> str:
    """The Chinese characters of ``text``, in order."""
    return "".join(_HAN.findall(text))


def has_han(text: str) -> bool:
    return bool(_HAN.search(text))


def letters_only(text: str) -> str:
    """Letters and digits only: “十四五”規劃 and 十四五規劃 are the same term."""
    return _NOT_LETTER.sub("", text)
