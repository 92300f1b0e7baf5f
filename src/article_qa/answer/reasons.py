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
from ..records import BODY, MANNER, REASON, Answer
from .quoting import continues, quote, sentence_at

MAX_SENTENCES = 3

_CAUSE_NEXT = re.compile(r"(?:这是)?因为|由于|究其原因|原因(?:在于|是)|为此|(?:this|that) is (?:because|why)|because\b|"
                         r"the reason\b|this (?:was|is) due to")
_CONSEQUENCE = re.compile(r"因此|为此|所以|因而|于是|therefore\b|thus\b|hence\b|as a result\b|(?:this|that) is why\b|"
                          r"consequently\b|so\b")
# Words that state a cause, or a means, inside a sentence.
_CAUSE_WORDS = re.compile(r"因为|由于|为了|因此|所以|导致|原因|必然|需要|要求|旨在|目的|以便|以免|否则|"
                          r"\bbecause\b|\bsince\b|\bdue to\b|\bso that\b|\bin order to\b|\bto (?:avoid|make|ensure|keep|"
                          r"allow|let|prevent)\b|\breasons?\b|\bcauses?d?\b|\bneeds?\b|\botherwise\b")
_MANNER_WORDS = re.compile(r"通过|经过|利用|采用|采取|依靠|借助|按照|根据|负责|首先|步骤|方法|方式|"
                           r"\bby\b|\bthrough\b|\busing\b|\bwith\b|\bvia\b|\bsteps?\b|\bfirst\b|\bthen\b")
_STEP_NEXT = re.compile(r"首先|其次|然后|接着|再次|最后|第[二三四五六七八九十]|同时|此外|通过|一是|二是|三是|"
                        r"then\b|next\b|after that\b|finally\b|second(?:ly)?\b|third(?:ly)?\b|also\b|by\b|to do (?:so|this)\b")


def compose_reason(fact: Answer, index: LoadedIndex) -> Answer:
    return _widen(fact, index, REASON, _CAUSE_NEXT, _CONSEQUENCE, _CAUSE_WORDS)


def compose_manner(fact: Answer, index: LoadedIndex) -> Answer:
    return _widen(fact, index, MANNER, _STEP_NEXT, None, _MANNER_WORDS)


def _widen(fact: Answer, index: LoadedIndex, kind: str, joins_next: re.Pattern,
           joins_previous: re.Pattern | None, carried: re.Pattern) -> Answer:
    """``fact``'s sentences with the neighbours the connectives tie to them;
    and, while the quote itself holds no cause (or no means) — it only names
    the thing ("第三是全面開啟政務雲建設。") or asks a question of its own —
    the next sentence of its paragraph."""
    if not fact.found:
        return fact
    sentences = sorted({sentence_at(index, start) for _, start, _ in fact.evidence})
    first, last = sentences[0], sentences[-1]
    if joins_previous and first > 0 and continues(index, first - 1) and _opens(index, first, joins_previous):
        sentences.insert(0, first - 1)
    while len(sentences) < MAX_SENTENCES and (
            continues(index, last) and (_opens(index, last + 1, joins_next) or not _carries(index, sentences, carried))
            or _asks(index, last) and last + 1 < len(index.sentences) and index.sentence_kinds[last + 1] == BODY):
        last += 1
        sentences.append(last)
    if len(sentences) == len(fact.evidence):
        return replace(fact, kind=kind)
    return quote(sentences, list(fact.passages), index, short=fact.short_span, kind=kind)


def _asks(index: LoadedIndex, sentence: int) -> bool:
    """A question of the article's own ("Why would you want …?"): its answer follows, in the next paragraph too."""
    return index.sentence_text(sentence).rstrip().endswith(("?", "？"))


def _carries(index: LoadedIndex, sentences: list[int], words: re.Pattern) -> bool:
    """Whether the quoted sentences state a cause (or a means): a word that
    says so, in a sentence that is no question."""
    return any(words.search(fold(index.sentence_text(s))) and not _asks(index, s) for s in sentences)


def _opens(index: LoadedIndex, sentence: int, pattern: re.Pattern) -> bool:
    """Whether the sentence opens with ``pattern`` (its first few words)."""
    opening = fold(index.sentence_text(sentence).lstrip(" “\"「")[:24])
    return bool(pattern.match(opening))
