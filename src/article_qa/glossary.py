"""Cross-lingual bridge: English question words to the article's Chinese terms.

The multilingual embedder alone finds the right passage for well under
two thirds of English questions about a Chinese article. Dictionary-based
query translation, the classic cross-language retrieval technique, closes
most of that gap: at build time every CC-CEDICT headword that occurs in the
(script-folded) article is indexed under the English words of its glosses;
at question time the English words pull in those Chinese terms for the
lexical side. Only terms present in the article are kept, which is what
keeps the dictionary's many senses from flooding the query.

The dictionary is CC-CEDICT (CC BY-SA 4.0, by MDBG and its contributors),
shipped gzipped in ``data/cedict_ts.u8.gz`` as published, header included;
``data/README.md`` gives its source, date and licence.
"""

from __future__ import annotations

import re
import threading
from functools import lru_cache
from typing import Protocol

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
_stemmer_lock = threading.Lock()


def english_words(text: str) -> list[str]:
    """Content words of English text, lower-cased and Snowball-stemmed, so that
    a question's "construction" meets a gloss's "to construct"."""
    return stem_words(_content_words(text))


def is_stopword(word: str) -> bool:
    return word in _STOPWORDS


def content_words(text: str) -> list[tuple[str, str]]:
    """(word, Snowball stem) for each content word of lower-cased English text."""
    words = _content_words(text)
    return list(zip(words, stem_words(words)))


def stem_words(words: list[str]) -> list[str]:
    """The English Snowball stem of each lower-case word ("launched",
    "launches" -> "launch"): this module owns the stemmer, and the BM25 side
    (``lexical.py``) stems its Latin terms with it too."""
    if not words:
        return []
    with _stemmer_lock:  # PyStemmer's stemmers are not thread-safe
        return _stemmer().stemWords(words)


def _content_words(text: str) -> list[str]:
    return [w for w in _LATIN_WORD.findall(text.lower()) if w not in _STOPWORDS and len(w) > 1]


@lru_cache(maxsize=1)
def _stemmer():
    import Stemmer  # PyStemmer: the Snowball algorithms in C, ~100x the pure-Python speed

    return Stemmer.Stemmer("english")


def build_glossary(folded_article: str) -> dict[str, dict[str, float]]:
    """English stem -> {the article's (folded) Chinese term: how surely the stem
    translates to it}. A gloss that is the word itself ("China" for 中国) is
    sure (1.0); a word inside a longer gloss ("capital of the PRC" for 北京)
    shares the gloss's weight with its other words."""
    headwords = _dictionary()
    glossary: dict[str, dict[str, float]] = {}
    for term in sorted(_headwords_in(folded_article, headwords)):
        for stem, weight in _gloss_stems(term, headwords[term]).items():
            terms = glossary.setdefault(stem, {})
            terms[term] = max(weight, terms.get(term, 0.0))
    return {stem: terms for stem, terms in sorted(glossary.items())}


class PhraseLookup(Protocol):
    """What phrase translation asks of the article (``index.PhraseFinder``)."""

    def has_pair(self, pair: str) -> bool:
        """Whether the folded article holds this character pair anywhere."""

    def contains(self, phrase: str) -> bool:
        """Whether some passage of the folded article holds ``phrase``."""


def translate(question: str, glossary: dict[str, dict[str, float]],
              article: PhraseLookup | None = None) -> list[dict[str, float]]:
    """For each English word of the question that the glossary knows, the
    article's Chinese terms it may translate to, with their weights; then for
    each pair of nearby words (next or next but one), the joined translations
    that the article contains ("Digital China" -> 数字中国), which reward
    passages holding the whole phrase over passages holding its words apart."""
    words = _word_translations(question, glossary)
    phrases = [] if article is None else [
        _phrase_translations(left, right, article) for gap in (1, 2) for left, right in zip(words, words[gap:])]
    return [word for word in words + phrases if word]


def translate_phrase(phrase: str, glossary: dict[str, dict[str, float]], article: PhraseLookup) -> list[str]:
    """The Chinese phrases the article holds that an English phrase's
    neighbouring words join into, longest first ("Digital China" -> 数字中国)."""
    words = _word_translations(phrase, glossary)
    joined = {term for left, right in zip(words, words[1:]) for term in _phrase_translations(left, right, article)}
    return sorted((t for t in joined if not any(t != other and t in other for other in joined)), key=len, reverse=True)


def _word_translations(text: str, glossary: dict[str, dict[str, float]]) -> list[dict[str, float]]:
    return [glossary.get(stem, {}) for stem in dict.fromkeys(english_words(text))]


def _phrase_translations(left: dict[str, float], right: dict[str, float],
                         article: PhraseLookup) -> dict[str, float]:
    joined = {}
    for first, second in ((left, right), (right, left)):  # English "X of Y" is often Chinese "YX"
        for a, wa in first.items():
            for b, wb in second.items():
                # Both terms occur in the article, so the pair where they meet
                # decides most joins without scanning the text.
                if article.has_pair(a[-1] + b[0]) and article.contains(a + b):
                    joined[a + b] = max(wa * wb, joined.get(a + b, 0.0))
    return joined


@lru_cache(maxsize=1)
def _dictionary() -> dict[str, list[str]]:
    """Simplified headword -> glosses, from CC-CEDICT (read once per process)."""
    import gzip
    from importlib import resources

    headwords: dict[str, list[str]] = {}
    # importlib.resources finds the data in a wheel or zip install as well as
    # in a source checkout.
    data = resources.files(__package__) / "data" / "cedict_ts.u8.gz"
    with data.open("rb") as raw, gzip.open(raw, "rt", encoding="utf-8") as handle:
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


def _gloss_stems(term: str, glosses: list[str]) -> dict[str, float]:
    """English stems of a term's glosses, each weighted by 1 / the words in its
    gloss phrase; single characters only by one-word glosses, since a lone
    character has many loose senses."""
    stems: dict[str, float] = {}
    for gloss in glosses:
        gloss = _PARENTHESES.sub(" ", gloss)
        if _SKIPPED_GLOSS.match(gloss.strip()):
            continue
        for phrase in re.split(r"[;,]", gloss):
            words = set(english_words(phrase))
            if not words or len(words) > _MAX_GLOSS_WORDS or (len(term) == 1 and len(words) > 1):
                continue
            for word in words:
                stems[word] = max(1.0 / len(words), stems.get(word, 0.0))
    return stems
