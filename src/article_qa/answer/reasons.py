"""The reason and manner composers: "why…?" and "how…?" are answered with
the best sentence together with the sentences that carry the cause or the
steps, at most three in all.

The best sentence is the fact composer's (and its decline is the fact
composer's too: a why-question about something the article does not
discuss is still declined). Around it, a neighbour in the same paragraph
joins when a connective ties the two: the next sentence opens with a cause
("因為…", "This is because…") or a step ("其次", "Then…"), or the best one
opens with a consequence ("因此…", "This is why…"), whose cause is the one
before it.
"""

from __future__ import annotations

import re
from dataclasses import replace

from ..fold import fold
from ..index import LoadedIndex
from ..records import MANNER, REASON, Answer
from .quoting import continues, quote

MAX_SENTENCES = 3

_CAUSE_NEXT = re.compile(r"(?:这是)?因为|由于|究其原因|原因(?:在于|是)|为此|(?:this|that) is (?:because|why)|because\b|"
                         r"the reason\b|this (?:was|is) due to")
_CONSEQUENCE = re.compile(r"因此|为此|所以|因而|于是|therefore\b|thus\b|hence\b|as a result\b|(?:this|that) is why\b|"
                          r"consequently\b|so\b")
_STEP_NEXT = re.compile(r"首先|其次|然后|接着|再次|最后|第[二三四五六七八九十]|同时|此外|通过|一是|二是|三是|"
                        r"then\b|next\b|after that\b|finally\b|second(?:ly)?\b|third(?:ly)?\b|also\b|by\b|to do (?:so|this)\b")


def compose_reason(fact: Answer, index: LoadedIndex) -> Answer:
    return _widen(fact, index, REASON, _CAUSE_NEXT, _CONSEQUENCE)


def compose_manner(fact: Answer, index: LoadedIndex) -> Answer:
    return _widen(fact, index, MANNER, _STEP_NEXT, None)


def _widen(fact: Answer, index: LoadedIndex, kind: str, joins_next: re.Pattern,
           joins_previous: re.Pattern | None) -> Answer:
    """``fact``'s sentences with the neighbours the connectives tie to them."""
    if not fact.found:
        return fact
    sentences = sorted({_sentence_of(index, start) for _, start, _ in fact.evidence})
    first, last = sentences[0], sentences[-1]
    if joins_previous and first > 0 and continues(index, first - 1) and _opens(index, first, joins_previous):
        sentences.insert(0, first - 1)
    while len(sentences) < MAX_SENTENCES and continues(index, last) and _opens(index, last + 1, joins_next):
        last += 1
        sentences.append(last)
    if len(sentences) == len(fact.evidence):
        return replace(fact, kind=kind)
    return quote(sentences, list(fact.passages), index, short=fact.short_span, kind=kind)


def _sentence_of(index: LoadedIndex, start: int) -> int:
    return int((index.sentences[:, 0] == start).nonzero()[0][0])


def _opens(index: LoadedIndex, sentence: int, pattern: re.Pattern) -> bool:
    """Whether the sentence opens with ``pattern`` (its first few words)."""
    opening = fold(index.sentence_text(sentence).lstrip(" “\"「")[:24])
    return bool(pattern.match(opening))
