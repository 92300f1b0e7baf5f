"""Stage 7 — span: the short answer, the exact phrase of a quoted sentence that answers.

Chinese questions about a text are mostly the text's own sentence rewritten
around a question word: 生命数耗完即算为什么？ for 生命数耗完即算为踢爆。 So
the question is split at its question word (什么, 哪一年, 多少, 谁 …) into a
left and a right context, each is aligned with the sentence (common
substrings of the script-folded texts), and the answer is what the sentence
holds between the two: up to the clause break when only one side aligns.
When nothing aligns well — an English question, a question that reorders
the sentence — the answer is the word of the asked type (a date for
when/哪一年, a number with its measure word for 多少, a person for 谁, a place
for 哪里, an organisation) nearest to the words the question shares with the
sentence, as LAC tagged them (``tagging``). ``None`` when no phrase stands out.

All matching is on folded text (Simplified script, NFKC width, lower case),
built character by character with a map back to the original offsets, since
NFKC may change a text's length.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .fold import fold
from .tagging import Token

# --- what the question asks -------------------------------------------------

TIME, NUMBER, PERSON, PLACE, ORG, WHY, HOW, WHAT = "time", "number", "person", "place", "org", "why", "how", "what"

# Question words in folded (Simplified, lower-case) text, most specific first:
# the first pattern that matches decides the kind and where the question word is.
_CHINESE_WH = [
    (TIME, r"哪一?年|哪一?天|哪一?日|何年|何时|何日|几几年|什么时[候间]|甚么时[候间]|哪个?时[候期间代]|几月几[日号]|几月|几[日号]|哪个月|哪一?个?朝代|什么年代"),
    (NUMBER, r"多少|几[个位名家种次项座条部年岁天届代]?|多[大长高远重久深宽厚]|第几"),
    (PERSON, r"谁|哪一?位|哪个人|什么人|甚么人"),
    (PLACE, r"哪里|哪儿|何处|何地|哪[个一]?(?:国家?|城市|省|地方?|地区|州)|什么地方|甚么地方"),
    (ORG, r"哪[个一家所]?(?:公司|机构|组织|大学|学校|球队|俱乐部|部门|单位|集团|银行|政党)"),
    (WHY, r"为什么|为甚么|为何|什么原因|甚么原因|原因是"),
    (HOW, r"如何|怎样|怎么样?|怎么"),
    (WHAT, r"什么|甚么|哪些|哪[个一种类部本首项]?|何"),
]
_ENGLISH_WH = [
    (TIME, r"\bwhen\b|\bwhat (?:year|date|month|day|time)\b|\bwhich (?:year|date|month|day)\b|\bhow long ago\b"),
    (NUMBER, r"\bhow (?:many|much|long|old|far|big|large|high)\b|\bwhat (?:percentage|number|rank|share)\b"),
    (PERSON, r"\bwho(?:m|se)?\b"),
    (PLACE, r"\bwhere\b|\bwhich (?:country|city|province|place|region)\b"),
    (ORG, r"\bwhich (?:company|organi[sz]ation|university|agency|department|ministry|team)\b"),
    (WHY, r"\bwhy\b"),
    (HOW, r"\bhow\b"),
    (WHAT, r"\bwhat\b|\bwhich\b"),
]
_CHINESE_WH_RE = [(kind, re.compile(p)) for kind, p in _CHINESE_WH]
_ENGLISH_WH_RE = [(kind, re.compile(p)) for kind, p in _ENGLISH_WH]
_CJK = re.compile(r"[\u3400-\u9fff]")

# LAC tags that answer each kind (``m`` a number, ``q`` a measure word).
_KIND_TAGS = {TIME: {"TIME", "t"}, NUMBER: {"m"}, PERSON: {"PER"}, PLACE: {"LOC", "s"}, ORG: {"ORG"}}

# --- how the sentence is cut --------------------------------------------------

# Clause breaks end a short answer; the enumeration comma 、 does not (lists
# answer 哪些).
_CLAUSE_BREAK = set("，,。；;：:！!？?\n")
_PUNCT = set("，,。；;：:！!？?、“”\"'‘’「」『』《》()（）[]【】·…—-~～ \t\n")
# One-character words that join an answer to its context, trimmed from its ends.
_LEADING_GLUE = set("是为在于由被从对以即就也都乃则")
_TRAILING_GLUE = set("的了是等")
MIN_ANCHOR = 2          # shortest common substring that counts as alignment
ANCHOR_DISTANCE = 0.7  # cost per question character between an anchor and the question word
PINNED_ANCHOR = 0.8     # both anchors at least this strong (alignment() scale) pin a what-phrase
MAX_SPAN_CHARS = 60     # a longer "phrase" stands out from nothing


@dataclass(frozen=True)
class _Folded:
    """A text folded character by character, with the original offset of each folded character."""

    text: str
    origin: tuple[int, ...]  # origin[k]: offset in the original of folded character k
    length: int  # of the original

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        return self.origin[start], self.origin[end - 1] + 1

    def to_folded(self, start: int, end: int) -> tuple[int, int]:
        starts = self._starts()
        return starts[start], starts[end]

    def _starts(self) -> tuple[int, ...]:
        return _first_folded(self.origin, self.length)


@lru_cache(maxsize=4096)
def _first_folded(origin: tuple[int, ...], length: int) -> tuple[int, ...]:
    """For each original offset 0..length, the first folded character at or after it."""
    starts, k = [], 0
    for i in range(length + 1):
        while k < len(origin) and origin[k] < i:
            k += 1
        starts.append(k)
    return tuple(starts)


@lru_cache(maxsize=8192)
def fold_mapped(text: str) -> _Folded:
    """``fold`` with offsets kept: NFKC and lower case per character (either may
    lengthen it: ﬁ -> fi), then the script conversion over the whole text when it
    keeps the length, as it does for nearly all text."""
    pieces, origin = [], []
    for i, char in enumerate(text):
        normal = unicodedata.normalize("NFKC", char).lower() or char
        pieces.append(normal)
        origin.extend([i] * len(normal))
    wide = "".join(pieces)
    converted = fold(wide)
    if len(converted) != len(wide):  # a phrase conversion changed length: convert per character
        converted = "".join(c if len(f := fold(c)) != 1 else f for c in wide)
    return _Folded(converted, tuple(origin), len(text))


# --- the entry point -----------------------------------------------------------

def short_span(question: str, question_tokens: tuple[Token, ...], sentence: str,
               sentence_tokens: tuple[Token, ...]) -> tuple[int, int] | None:
    """Offsets into ``sentence`` of the phrase that answers ``question``, or None."""
    q, s = fold_mapped(question), fold_mapped(sentence)
    tokens = [Token(*s.to_folded(t.start, t.end), t.tag) for t in sentence_tokens]
    options = candidates(q.text, s.text, tokens)
    span = options[choose(q.text, s.text, tokens, options)]
    return None if span is None else s.to_original(*span)


CANDIDATES = ("aligned", "typed", "clause", "reason", "none")
KINDS = (TIME, NUMBER, PERSON, PLACE, ORG, WHY, HOW, WHAT, None)


def candidates(question: str, sentence: str, tokens: list[Token]) -> dict[str, tuple[int, int] | None]:
    """The short answers worth choosing between, in folded offsets: the phrase
    between the aligned contexts, the word of the asked type nearest to it,
    the whole clause around the phrase, the cause clause, and none (the
    sentence itself answers)."""
    kind, wh = asked(question)
    aligned = _aligned_span(question, wh, sentence, kind, tokens) \
        if wh is not None and _CJK.search(question) and kind not in (WHY, HOW) else None
    typed = _typed_span(question, sentence, kind, tokens, near=aligned) if kind in _KIND_TAGS else None
    clause = (_clause_start(sentence, aligned[0]), _clause_end(sentence, aligned[1] - 1)) if aligned else None
    options = {"aligned": aligned, "typed": typed, "clause": clause,
               "reason": _reason_clause(sentence) if kind == WHY else None}
    # A cause clause keeps its marker (由于…): it is the answer's first word, not glue.
    options = {name: _clean(question, sentence, span, glue=name != "reason") for name, span in options.items()}
    options["none"] = None
    return options


def features(name: str, span: tuple[int, int] | None, question: str, sentence: str,
             tokens: list[Token]) -> dict[str, float]:
    """What the chooser weighs for one candidate: which candidate it is for
    which kind of question (a "when" is answered by the typed word, a "what"
    often by the whole clause), how long it is, how much of it the question
    already says, and whether it sits on clause breaks."""
    kind = asked(question)[0]
    out = {f"{name}": 1.0, f"{name}|{kind}": 1.0}
    left, right = alignment(question, sentence)
    out[f"{name}|left_anchor"], out[f"{name}|right_anchor"] = left, right
    out[f"{name}|both_anchors|{kind}"] = float(left > 0 and right > 0)
    if span is None:
        out[f"{name}|sentence_len"] = min(len(sentence), 200) / 100
        return out
    start, end = span
    phrase = sentence[start:end]
    wanted = _KIND_TAGS.get(kind, ())
    out.update({
        f"{name}|log_len": _log_len(end - start),
        f"{name}|share_of_sentence": (end - start) / max(len(sentence), 1),
        f"{name}|in_question": sum(c in question for c in phrase) / len(phrase),
        f"{name}|typed_words": float(sum(t.tag in wanted and start <= t.start and t.end <= end for t in tokens)),
        f"{name}|clause_start": float(start == 0 or _is_break(sentence, start - 1)
                                      or sentence[start - 1] in _PUNCT),
        f"{name}|clause_end": float(end == len(sentence) or _is_break(sentence, end)),
        f"{name}|inner_breaks": float(sum(_is_break(sentence, k) for k in range(start, end))),
    })
    return out


@lru_cache(maxsize=1024)
def alignment(question: str, sentence: str) -> tuple[float, float]:
    """How well the question's contexts left and right of its question word
    align with the sentence (best anchor scores, 0 when none): a question
    that rewrites the sentence around the question word pins its answer."""
    kind, wh = asked(question)
    if wh is None or not _CJK.search(question):
        return 0.0, 0.0
    lefts, rights = _anchors(question, wh, sentence)
    return (max(lefts[0][0], 0.0) / 4 if lefts else 0.0), (max(rights[0][0], 0.0) / 4 if rights else 0.0)


def _log_len(n: int) -> float:
    return math.log1p(n)


def choose(question: str, sentence: str, tokens: list[Token], options: dict[str, tuple[int, int] | None]) -> str:
    """An English question of a type (when, how many, who, where) is answered
    by the word of that type, the one thing it can match in a Chinese
    sentence; a Chinese what-question by the phrase its rewrite pins down when
    both its contexts align; otherwise the candidate the learned model
    scores highest (``models/span_choice.json``)."""
    kind = asked(question)[0]
    if not _CJK.search(question):
        return "typed" if options["typed"] else "none"
    if kind == WHAT and options["aligned"] and _pinned(question, sentence):
        return "aligned"
    return _learned_choice(question, sentence, tokens, options)


def _pinned(question: str, sentence: str) -> bool:
    """Both contexts of the question word align strongly with the sentence.
    (Also accepting a strong left context alone when the question word ends
    the question measured worse on the train texts.)"""
    left, right = alignment(question, sentence)
    return left >= PINNED_ANCHOR and right >= PINNED_ANCHOR


def _learned_choice(question: str, sentence: str, tokens: list[Token],
                    options: dict[str, tuple[int, int] | None]) -> str:
    weights = _model()["weights"]
    best, best_score = "none", float("-inf")
    for name in CANDIDATES:
        span = options[name]
        if span is None and name != "none":
            continue
        score = sum(weights.get(f, 0.0) * v for f, v in features(name, span, question, sentence, tokens).items())
        if score > best_score:
            best, best_score = name, score
    return best


MODEL_PATH = Path(__file__).resolve().parent / "models" / "span_choice.json"


@lru_cache(maxsize=1)
def _model() -> dict:
    with open(MODEL_PATH, encoding="utf-8") as handle:
        return json.load(handle)


def _clean(question: str, sentence: str, span: tuple[int, int] | None, glue: bool = True) -> tuple[int, int] | None:
    if span is None:
        return None
    start, end = _trim(sentence, *span, glue=glue)
    if end <= start or end - start > MAX_SPAN_CHARS or _is_restatement(question, sentence[start:end]):
        return None
    return start, end


_REASON = re.compile(r"(?:因为|由于|因|为了|鉴于)[^，,。；;！!？?]+")


def _reason_clause(sentence: str) -> tuple[int, int] | None:
    """For why: the clause a cause marker opens (由于叔侄皆锋芒过露 …); else
    None, since the sentence itself is then the best answer."""
    match = _REASON.search(sentence)
    return match.span() if match else None


def asked(folded_question: str) -> tuple[str | None, tuple[int, int] | None]:
    """The kind asked (time, number, person, place, org, why, how, what) and
    the question word's span in the folded question."""
    patterns = _CHINESE_WH_RE if _CJK.search(folded_question) else _ENGLISH_WH_RE
    for kind, pattern in patterns:
        match = pattern.search(folded_question)
        if match:
            return kind, match.span()
    return None, None


# --- alignment -------------------------------------------------------------------

def _common_substrings(part: str, sentence: str) -> list[tuple[int, int, int]]:
    """Maximal common substrings ``(part_start, sentence_start, length)`` of at
    least MIN_ANCHOR characters, punctuation excluded."""
    found = []
    previous = [0] * (len(sentence) + 1)
    for i, a in enumerate(part):
        current = [0] * (len(sentence) + 1)
        if a not in _PUNCT:
            for j, b in enumerate(sentence):
                if a == b:
                    current[j + 1] = previous[j] + 1
        for j in range(len(sentence)):  # a run that stops growing here is maximal
            run = previous[j]
            if run >= MIN_ANCHOR and current[j + 1] == 0:
                found.append((i - run, j - run, run))
        previous = current
    for j in range(len(sentence)):
        run = previous[j]
        if run >= MIN_ANCHOR:
            found.append((len(part) - run, j - run, run))
    return found


def _anchors(question: str, wh: tuple[int, int], sentence: str):
    """Best left anchor (end in the sentence) and right anchor (start in the
    sentence): long common substrings close to the question word."""
    left_part, right_part = question[:wh[0]], question[wh[1]:]
    lefts = [(n - ANCHOR_DISTANCE * (len(left_part) - (i + n)), j + n)
             for i, j, n in _common_substrings(left_part, sentence)]
    rights = [(n - ANCHOR_DISTANCE * i, j) for i, j, n in _common_substrings(right_part, sentence)]
    return sorted(lefts, reverse=True), sorted(rights, reverse=True)


def _aligned_span(question: str, wh: tuple[int, int], sentence: str, kind: str | None,
                  tokens: list[Token]) -> tuple[int, int] | None:
    lefts, rights = _anchors(question, wh, sentence)
    left = lefts[0] if lefts else None
    right = rights[0] if rights else None
    if left and right and left[1] > right[1]:
        # Crossed anchors: keep the stronger, and the best of the other side that fits.
        if left[0] >= right[0]:
            right = next((r for r in rights if r[1] >= left[1]), None)
        else:
            left = next((x for x in lefts if x[1] <= right[1]), None)
    if left and right and right[1] > left[1]:
        start, end = left[1], right[1]
        if any(_is_break(sentence, k) for k in range(start, end)):  # anchors in different clauses: trust the nearer side
            start, end = (start, _clause_end(sentence, start)) if left[0] >= right[0] \
                else (_clause_start(sentence, end), end)
    elif left:
        start, end = left[1], _clause_end(sentence, left[1])
    elif right:
        start, end = _clause_start(sentence, right[1]), right[1]
    else:
        return None
    return _snap(start, end, tokens, kind)


def _is_break(sentence: str, k: int) -> bool:
    """A clause break, but not the comma inside a number (6,476)."""
    char = sentence[k]
    if char not in _CLAUSE_BREAK:
        return False
    return not (char in ",." and 0 < k < len(sentence) - 1
                and sentence[k - 1].isdigit() and sentence[k + 1].isdigit())


def _clause_end(sentence: str, start: int) -> int:
    end = start
    while end < len(sentence) and (end == start or not _is_break(sentence, end)):
        end += 1
    return end


def _clause_start(sentence: str, end: int) -> int:
    start = end
    while start > 0 and not _is_break(sentence, start - 1):
        start -= 1
    return start


def _snap(start: int, end: int, tokens: list[Token], kind: str | None) -> tuple[int, int]:
    """Widen to whole words (a number keeps its measure word: 4 + 分钟)."""
    for t in tokens:
        if t.start < start < t.end:
            start = t.start
        if t.start < end < t.end:
            end = t.end
    if kind == NUMBER:
        after = next((t for t in tokens if t.start == end), None)
        if after is not None and after.tag == "q":
            end = after.end
    return start, end


# --- the asked type, by tags -----------------------------------------------------

def _typed_span(question: str, sentence: str, kind: str, tokens: list[Token],
                near: tuple[int, int] | None) -> tuple[int, int] | None:
    """The word of the asked type that the question does not already hold:
    inside or nearest to the aligned phrase ``near``, else nearest to what the
    question and the sentence share."""
    wanted = _KIND_TAGS[kind]
    candidates = []
    for k, t in enumerate(tokens):
        if t.tag not in wanted or sentence[t.start:t.end] in question:
            continue
        end = t.end
        if kind == NUMBER and k + 1 < len(tokens) and tokens[k + 1].tag == "q" and tokens[k + 1].start == end:
            end = tokens[k + 1].end
        candidates.append((t.start, _whole_number(sentence, end, tokens) if kind == NUMBER else end))
    if not candidates:
        return None
    if near is not None:
        return min(candidates, key=lambda c: max(near[0] - c[1], c[0] - near[1], 0))
    shared = [j + n / 2 for _, j, n in _common_substrings(question, sentence)]
    if not shared:
        return candidates[0]
    return min(candidates, key=lambda c: min(abs((c[0] + c[1]) / 2 - x) for x in shared))


_NUMBER_TAIL = re.compile(r"(?:[,.]\d+)+")


def _whole_number(sentence: str, end: int, tokens: list[Token]) -> int:
    """LAC splits 6,476 at the comma: take the digits after it, and the measure word after them."""
    tail = _NUMBER_TAIL.match(sentence, end)
    if tail is None:
        return end
    end = tail.end()
    after = next((t for t in tokens if t.start <= end < t.end or t.start == end), None)
    return after.end if after is not None and after.tag in ("q", "m") else end


# --- clean-up --------------------------------------------------------------------

def _trim(sentence: str, start: int, end: int, glue: bool = True) -> tuple[int, int]:
    """Drop punctuation and joining words at the ends ("于1999年" -> "1999年")."""
    def strip_punct():
        nonlocal start, end
        while start < end and sentence[start] in _PUNCT:
            start += 1
        while end > start and sentence[end - 1] in _PUNCT:
            end -= 1

    strip_punct()
    if not glue:
        return start, end
    if end - start > 1 and sentence[start] in _LEADING_GLUE:
        start += 1
    if end - start > 1 and sentence[end - 1] in _TRAILING_GLUE:
        end -= 1
    strip_punct()
    return start, end


def _is_restatement(question: str, phrase: str) -> bool:
    """A phrase the question already holds answers nothing."""
    return phrase in question
