"""Stage — query: a question, prepared once for retrieval and answering.

Cleaning (invisible characters, controls, length), script folding for the
lexical side, English words translated into the article's own Chinese terms
(see glossary.py), quoted phrases, and the question's vector. The embedder
reads the question as written (it knows both scripts, and case), which
measured better than reading it folded.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cached_property
from typing import Callable

import numpy as np

from .errors import BadQuestionError
from .fold import fold, han_chars, tokens
from .glossary import PhraseLookup, translate, translate_phrase
from .index import LoadedIndex
from .settings import DEFAULTS

# Zero-width and bidi controls, stray surrogates and C0/C1 controls carry no
# meaning in a question and break tokenizers.
_INVISIBLE = re.compile(r"[\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff\ud800-\udfff]")
_QUOTED = re.compile(r"“([^”]+)”|\"([^\"]+)\"|「([^」]+)」|『([^』]+)』|《([^》]+)》|‘([^’]+)’")
MAX_QUESTION_CHARS = DEFAULTS.max_question_chars


@dataclass(frozen=True)
class Translation:
    term: str  # folded Chinese
    weight: float  # how surely the English word means it, up to 1
    token_ids: tuple[int, ...]


@dataclass(frozen=True)
class Query:
    """A question prepared once and shared by retrieval and answering."""

    text: str
    folded: str
    lexical_tokens: tuple[str, ...]  # the question's own folded n-grams
    token_ids: list[int]  # their ids in the BM25 vocabulary
    # Per English word (or neighbouring pair) of the question, the article
    # terms it may translate to (see glossary.py).
    translations: tuple[tuple[Translation, ...], ...]
    vector: np.ndarray  # float32 [dimension], unit length
    # Folded phrases the question quotes (“三金工程”, "Digital China" -> 数字中国)
    # that occur in the article: a passage holding one exactly is preferred.
    phrases: tuple[str, ...] = ()

    # Facts later stages read, each worked out once, on first use (retrieve
    # needs none of them): frozen records allow cached_property, which writes
    # to the instance's own __dict__.
    @cached_property
    def language(self) -> str:
        return question_language(self.text)

    @cached_property
    def tags(self):
        """LAC's words, parts of speech and entities of the question (``tagging.Token``s)."""
        from .tagging import tag

        return tag(self.text)

    @cached_property
    def shape(self):
        """What the question asks for: a fact, a list, the gist, a reason or a
        manner, with any count it names (``question_kind.QuestionKind``)."""
        from .question_kind import classify

        return classify(self.folded)

    @cached_property
    def asked(self):
        """The kind of thing asked for and the question word's span in ``folded`` (``span.asked``)."""
        from .span import asked

        return asked(self.folded)


def prepare_query(question: object, index: LoadedIndex, embed: Callable[[str], np.ndarray]) -> tuple[Query, str]:
    """The prepared question, plus a note when it had to be shortened."""
    text, note = clean_question(question)
    folded = fold(text)
    own_tokens = tokens(folded)
    lexical = index.lexical
    translations = tuple(
        tuple(Translation(term, weight, tuple(lexical.token_ids(tokens(term)))) for term, weight in word.items())
        for word in translate(folded, index.glossary, index.phrases))
    query = Query(text=text, folded=folded, lexical_tokens=tuple(own_tokens),
                  token_ids=lexical.token_ids(own_tokens), translations=translations,
                  vector=embed(unicodedata.normalize("NFKC", text)),
                  phrases=quoted_phrases(text, index.glossary, index.phrases))
    return query, note


def clean_question(question: object) -> tuple[str, str]:
    """Question text fit for the models, plus a note if it was shortened."""
    if not isinstance(question, str):
        raise BadQuestionError("The question must be text.")
    text = _INVISIBLE.sub("", question)
    text = "".join(" " if unicodedata.category(ch) == "Cc" else ch for ch in text)
    text = " ".join(text.split())
    if not any(ch.isalnum() for ch in text):
        raise BadQuestionError("Please type a question (the text was empty or had no words).")
    note = ""
    if len(text) > MAX_QUESTION_CHARS:
        text = text[:MAX_QUESTION_CHARS]
        note = f"The question was shortened to its first {MAX_QUESTION_CHARS} characters."
    return text, note


def quoted_phrases(question: str, glossary: dict, article: PhraseLookup) -> tuple[str, ...]:
    """The folded phrases that the question quotes and the article holds: a
    quote as written (either script), or an English quote's words joined into
    the Chinese phrase they translate to ("Digital China" -> 数字中国)."""
    found: dict[str, None] = {}
    for match in _QUOTED.finditer(question):
        quote = fold(next(group for group in match.groups() if group)).strip()
        if len(quote) > 1 and article.contains(quote):
            found[quote] = None
        found.update(dict.fromkeys(translate_phrase(quote, glossary, article)))  # held by the article already
    return tuple(found)


def question_language(question: str) -> str:
    """zh-Hant, zh-Hans or en, for wording replies in the asker's language.

    Decided on the Chinese characters alone: full-width punctuation ("？")
    and Latin letters fold too, and must not make a Simplified question look
    Traditional.
    """
    han = han_chars(question)
    if not han:
        return "en"
    return "zh-Hant" if fold(han) != han else "zh-Hans"
