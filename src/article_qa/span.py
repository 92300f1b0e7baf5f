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
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from .fold import fold, has_han
from .tagging import KIND_TAGS, Token

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
    """Offsets into ``sentence`` of the phrase that answers ``question``, or
    None when the sentence itself (without its closing mark) answers best.

    A Chinese question: every candidate phrase (``span_candidates``) is
    scored by the learned span scorer (``models/span_scorer.json``) and the
    best wins. An English question of a type (when, how many, who, where)
    aligns with nothing in a Chinese sentence and the scorer never saw one:
    its answer is the word of that type."""
    q, s = fold_mapped(question), fold_mapped(sentence)
    tokens = [Token(*s.to_folded(t.start, t.end), t.tag) for t in sentence_tokens]
    q_tokens = [Token(*q.to_folded(t.start, t.end), t.tag) for t in question_tokens]
    if not has_han(q.text):
        typed = candidates(q.text, s.text, tokens, q_tokens)["typed"]
        if typed is None or _several_of_kind(q.text, q_tokens, s.text, tokens):
            return None  # nothing aligns to choose between them: no short answer rather than a wrong one
        return s.to_original(*typed)
    spans, rows = span_candidates(q.text, s.text, tokens, q_tokens)
    if not spans:
        return None
    best = spans[int(np.argmax(scorer().predict(rows)))]
    if best == whole(s.text):
        return None
    return s.to_original(*best)


KINDS = (TIME, NUMBER, PERSON, PLACE, ORG, WHY, HOW, WHAT, None)


def _several_of_kind(question: str, question_tokens: list[Token], sentence: str, tokens: list[Token]) -> bool:
    """Whether the sentence holds more than one word of the asked type that
    the question does not already hold ("1993年 … 1997年 … 1999年" for "when")."""
    kind = asked(question, question_tokens, refined=True)[0]
    if kind not in KIND_TAGS:
        return False
    runs: list[list[int]] = []  # [start, end] of words of the kind, "6" "," "476" joined as one
    for t in tokens:
        if t.tag not in KIND_TAGS[kind] or sentence[t.start:t.end] in question:
            continue
        if runs and sentence[runs[-1][1]:t.start] in ("", ",", ".", "，"):
            runs[-1][1] = t.end
        else:
            runs.append([t.start, t.end])
    return len({sentence[start:end] for start, end in runs}) > 1


def candidates(question: str, sentence: str, tokens: list[Token],
               question_tokens: list[Token] | None = None) -> dict[str, tuple[int, int] | None]:
    """The named candidates, in folded offsets: the phrase between the
    aligned contexts, the word of the asked type nearest to it, the whole
    clause around the phrase, the cause clause, and none (the sentence
    itself answers)."""
    kind, wh = asked(question, question_tokens, refined=True)
    aligned = _aligned_span(question, wh, sentence, kind, tokens) \
        if wh is not None and has_han(question) and kind not in (WHY, HOW) else None
    typed = _typed_span(question, sentence, kind, tokens, near=aligned) if kind in KIND_TAGS else None
    clause = (_clause_start(sentence, aligned[0]), _clause_end(sentence, aligned[1] - 1)) if aligned else None
    options = {"aligned": aligned, "typed": typed, "clause": clause,
               "reason": _reason_clause(sentence) if kind == WHY else None}
    # A cause clause keeps its marker (由于…): it is the answer's first word, not glue.
    options = {name: _clean(question, sentence, span, glue=name != "reason") for name, span in options.items()}
    options["none"] = None
    return options


# --- the learned span scorer ------------------------------------------------------

# Which generator proposed a candidate (a candidate may come from several).
GENERATORS = ("aligned", "typed", "clause", "reason", "whole", "clauses1", "clauses2", "clauses3",
              "after_left", "before_right", "entity", "list", "bracket", "ngram")
# LAC tags grouped for the share of a candidate's characters under each.
_TAG_GROUPS = {"PER": 0, "nr": 0, "LOC": 1, "ns": 1, "s": 1, "ORG": 2, "nt": 2, "TIME": 3, "t": 3,
               "m": 4, "q": 5, "n": 6, "nz": 6, "nw": 6, "f": 6, "v": 7, "vn": 7, "vd": 7, "a": 8, "ad": 8,
               "an": 8, "r": 9, "p": 10, "u": 10, "c": 10, "d": 10, "xc": 10, "w": 11}
_N_GROUPS = 13  # 12: any other tag or no token (whitespace)
_TAG_IDS = {t: i for i, t in enumerate(("n", "nz", "nw", "f", "s", "t", "PER", "LOC", "ORG", "TIME", "nr", "ns",
                                        "nt", "v", "vd", "vn", "a", "ad", "an", "d", "m", "q", "r", "p", "c",
                                        "u", "xc", "w"))}
_ENTITY_TAGS = {"PER", "LOC", "ORG", "TIME", "t", "m", "nz", "nw", "n", "s", "nr", "ns", "nt", "f", "vn"}
_LIST_ITEM_STOP = {"v", "vd", "p", "u", "c", "d", "r", "w", "xc"}
_BRACKETS = {"《": "》", "“": "”", "「": "」", "『": "』", "（": "）", "(": ")", "【": "】", "[": "]", "\"": "\""}
# Clause pieces are cut at clause breaks and at brackets.
_PIECE_CUT = _CLAUSE_BREAK | set("（）()【】[]「」『』")
MAX_NGRAM = 4  # longest run of words proposed as a phrase

SPAN_FEATURES = (
    *(f"gen_{g}" for g in GENERATORS), "n_generators",
    *(f"kind_{k}" for k in KINDS),
    "q_len", "wh_position", "wh_at_end", "s_len",
    "length", "log_length", "share", "start_rel", "end_rel", "n_tokens",
    "in_question", "bigrams_in_question", "prev_in_question", "next_in_question",
    "prev_char", "next_char", "starts_at_break", "ends_at_break", "inner_breaks", "enumeration_commas",
    "digits", *(f"tag_{g}" for g in range(_N_GROUPS)), "asked_tag_share", "first_tag", "last_tag",
    "left_anchor", "right_anchor", "from_left", "to_right", "starts_at_left", "ends_at_right",
    "covers_left", "covers_right", "iou_aligned", "iou_typed", "iou_reason",
    "left_context", "left_context_len", "right_context", "right_context_len", "sandwiched",
    "sentence_in_question", "question_in_sentence", "ends_with_head", "holds_head", "wh_word",
    "left_ends_with_shi", "span_before_shared", "span_after_shared",
    *(f"{f}_vs_best" for f in ("left_context", "right_context", "in_question", "asked_tag_share", "length")),
)
# Features also given relative to the question's best candidate on them.
_RELATIVE = ("left_context", "right_context", "in_question", "asked_tag_share", "length")
# The question words told apart by ``wh_word`` (others: 0).
_WH_WORDS = ("什么", "哪些", "哪", "多少", "几", "谁", "何时", "何", "为什么", "为何", "如何", "怎么", "怎样",
             "哪里", "哪一年", "什么时候", "多大", "多长", "多久", "第几", "哪个", "哪一", "哪位")
SCORER_PATH = Path(__file__).resolve().parent / "models" / "span_scorer.json"


@lru_cache(maxsize=1)
def scorer():
    """The fitted span scorer: LightGBM trees evaluated with numpy."""
    from .trees import TreeEnsemble

    with open(SCORER_PATH, encoding="utf-8") as handle:
        return TreeEnsemble(json.load(handle), features=SPAN_FEATURES)


def whole(sentence: str) -> tuple[int, int]:
    """The sentence without punctuation at its ends: what None stands for."""
    return _trim(sentence, 0, len(sentence), glue=False)


def _pieces(sentence: str) -> list[tuple[int, int]]:
    out, start = [], 0
    for k, char in enumerate(sentence):
        if char in _PIECE_CUT and (char not in _CLAUSE_BREAK or _is_break(sentence, k)):
            if k > start:
                out.append((start, k))
            start = k + 1
    if len(sentence) > start:
        out.append((start, len(sentence)))
    return out


def span_candidates(question: str, sentence: str, tokens: list[Token],
                    question_tokens: list[Token] | None = None) -> tuple[list[tuple[int, int]], np.ndarray]:
    """Every phrase worth scoring (folded offsets) and its feature row
    (``SPAN_FEATURES``): runs of one to three clauses, the named candidates,
    words and runs of up to MAX_NGRAM words inside a clause, the words after
    the aligned left context up to the clause break and before the right
    one, the 、-list, bracketed text, and the whole sentence."""
    kind, wh = asked(question, question_tokens, refined=True)
    named = candidates(question, sentence, tokens, question_tokens)
    found: dict[tuple[int, int], int] = {}
    bit = {g: 1 << i for i, g in enumerate(GENERATORS)}

    def add(span, generator, glue=False):
        if span is None:
            return
        start, end = _trim(sentence, *span, glue=glue)
        if end <= start or sentence[start:end] in question:
            return
        found[(start, end)] = found.get((start, end), 0) | bit[generator]

    for name in ("aligned", "typed", "clause", "reason"):
        add(named[name], name)
    add((0, len(sentence)), "whole")
    pieces = _pieces(sentence)
    for i in range(len(pieces)):
        for n in (1, 2, 3):
            if i + n <= len(pieces):
                add((pieces[i][0], pieces[i + n - 1][1]), f"clauses{n}")
    # words and word runs inside a clause
    words = [t for t in tokens if t.tag != "w" and not _is_break(sentence, t.start)]
    breaks = [0]
    for k in range(len(sentence)):
        breaks.append(breaks[-1] + _is_break(sentence, k))
    for i, t in enumerate(words):
        if t.tag in _ENTITY_TAGS:
            end = t.end
            if t.tag == "m":
                after = next((u for u in tokens if u.start == end), None)
                if after is not None and after.tag == "q":
                    end = after.end
                end = _whole_number(sentence, end, tokens)
            add((t.start, end), "entity")
        for n in range(1, MAX_NGRAM + 1):
            if i + n > len(words):
                break
            last = words[i + n - 1]
            if breaks[last.end] > breaks[t.start]:
                break
            add((t.start, last.end), "ngram")
    lefts, rights = _anchors(question, wh, sentence) if wh is not None else ([], [])
    left = lefts[0][1] if lefts else None
    right = rights[0][1] if rights else None
    if left is not None:
        stop = _clause_end(sentence, left)
        for t in tokens:
            if left < t.end <= stop:
                add((left, t.end), "after_left", glue=True)
    if right is not None:
        begin = _clause_start(sentence, right)
        for t in tokens:
            if begin <= t.start < right:
                add((t.start, right), "before_right", glue=True)
    add(_enumeration(sentence, tokens, left), "list")
    for k, char in enumerate(sentence):
        close = _BRACKETS.get(char)
        if close:
            end = sentence.find(close, k + 1)
            if end > k + 1:
                add((k + 1, end), "bracket")
    if not found:
        return [], np.zeros((0, len(SPAN_FEATURES)))
    spans = list(found)
    return spans, _rows(spans, [found[s] for s in spans], question, wh, kind, sentence, tokens,
                        named, lefts, rights)


def _enumeration(sentence: str, tokens: list[Token], left: int | None) -> tuple[int, int] | None:
    """The 、-list nearest after the left context (else the first one): from
    the item before its first 、 to the item after its last, an item being a
    run of content words."""
    marks = [k for k, c in enumerate(sentence) if c == "、"]
    if not marks:
        return None
    first = next((k for k in marks if left is None or k >= left), marks[0])
    last = first
    while True:  # the marks of one list follow each other without a clause break
        following = next((k for k in marks if k > last), None)
        if following is None or any(_is_break(sentence, j) for j in range(last, following)):
            break
        last = following
    before = [t for t in tokens if t.end <= first]
    start = first
    for t in reversed(before):
        if t.tag in _LIST_ITEM_STOP or _is_break(sentence, t.start):
            break
        start = t.start
    end = last + 1
    for t in (t for t in tokens if t.start > last):
        if t.tag in _LIST_ITEM_STOP or _is_break(sentence, t.start) or sentence[t.start:t.end] == "等":
            break
        end = t.end
    return (start, end) if end > start else None


def _prefix(values) -> np.ndarray:
    return np.concatenate([[0.0], np.cumsum(np.asarray(values, dtype=np.float64), axis=0)]) \
        if np.ndim(values) == 1 else np.vstack([np.zeros((1, np.shape(values)[1])),
                                                 np.cumsum(np.asarray(values, dtype=np.float64), axis=0)])


def _char_class(char: str) -> int:
    if char in _CLAUSE_BREAK:
        return 1
    if char in _PUNCT:
        return 2
    if char == "是":
        return 3
    if char in _LEADING_GLUE:
        return 4
    if char == "的":
        return 5
    if char.isascii() and char.isalnum():
        return 6
    return 7


def _iou(starts: np.ndarray, ends: np.ndarray, span: tuple[int, int] | None) -> np.ndarray:
    if span is None:
        return np.zeros(len(starts))
    inter = np.clip(np.minimum(ends, span[1]) - np.maximum(starts, span[0]), 0, None)
    return inter / (np.maximum(ends, span[1]) - np.minimum(starts, span[0]))


def _rows(spans, flags, question, wh, kind, sentence, tokens, named, lefts, rights) -> np.ndarray:
    n_chars = len(sentence)
    starts = np.array([s for s, _ in spans], dtype=np.float64)
    ends = np.array([e for _, e in spans], dtype=np.float64)
    lo, hi = starts.astype(np.int64), ends.astype(np.int64)
    length = ends - starts
    asked_chars = {c for c in question if c not in _PUNCT}
    bigrams = {question[i:i + 2] for i in range(len(question) - 1)}
    in_q = _prefix([c in asked_chars for c in sentence])
    big = _prefix([sentence[k:k + 2] in bigrams for k in range(n_chars)])
    breaks = _prefix([_is_break(sentence, k) for k in range(n_chars)])
    commas = _prefix([c == "、" for c in sentence])
    digits = _prefix([c.isdigit() for c in sentence])
    group = np.full(n_chars, _N_GROUPS - 1)
    token_of = np.full(n_chars + 1, -1)
    wanted = KIND_TAGS.get(kind, ())
    asked_tag = np.zeros(n_chars)
    tag_ids = np.array([_TAG_IDS.get(t.tag, len(_TAG_IDS)) for t in tokens] + [-1])
    for i, t in enumerate(tokens):
        group[t.start:t.end] = _TAG_GROUPS.get(t.tag, _N_GROUPS - 1)
        token_of[t.start:t.end] = i
        if t.tag in wanted:
            asked_tag[t.start:t.end] = 1
    groups = _prefix(np.eye(_N_GROUPS)[group]) if n_chars else np.zeros((1, _N_GROUPS))
    asked_tags = _prefix(asked_tag)
    is_start = np.zeros(n_chars)
    is_start[[t.start for t in tokens]] = 1
    token_starts = _prefix(is_start)
    classes = np.array([0] + [_char_class(c) for c in sentence] + [0])  # classes[k + 1] is char k's

    rows = np.zeros((len(spans), len(SPAN_FEATURES)))
    col = {name: i for i, name in enumerate(SPAN_FEATURES)}
    flag_array = np.array(flags, dtype=np.int64)
    for i, g in enumerate(GENERATORS):
        rows[:, col[f"gen_{g}"]] = (flag_array >> i) & 1
    rows[:, col["n_generators"]] = rows[:, :len(GENERATORS)].sum(axis=1)
    rows[:, col[f"kind_{kind}"]] = 1
    rows[:, col["q_len"]] = len(question)
    if wh is not None:
        rows[:, col["wh_position"]] = wh[0] / max(len(question), 1)
        rows[:, col["wh_at_end"]] = float(len(question.rstrip("？?。. ")) <= wh[1])
    rows[:, col["s_len"]] = n_chars
    rows[:, col["length"]] = length
    rows[:, col["log_length"]] = np.log1p(length)
    rows[:, col["share"]] = length / max(n_chars, 1)
    rows[:, col["start_rel"]] = starts / max(n_chars, 1)
    rows[:, col["end_rel"]] = ends / max(n_chars, 1)
    rows[:, col["n_tokens"]] = token_starts[hi] - token_starts[lo] + 1
    rows[:, col["in_question"]] = (in_q[hi] - in_q[lo]) / length
    rows[:, col["bigrams_in_question"]] = (big[np.maximum(hi - 1, lo)] - big[lo]) / np.maximum(length - 1, 1)
    rows[:, col["prev_in_question"]] = np.where(lo > 0, in_q[lo] - in_q[np.maximum(lo - 1, 0)], -1)
    rows[:, col["next_in_question"]] = np.where(hi < n_chars, in_q[np.minimum(hi + 1, n_chars)] - in_q[hi], -1)
    rows[:, col["prev_char"]] = classes[lo]
    rows[:, col["next_char"]] = classes[hi + 1]
    rows[:, col["starts_at_break"]] = np.isin(classes[lo], (0, 1, 2))
    rows[:, col["ends_at_break"]] = np.isin(classes[hi + 1], (0, 1, 2))
    rows[:, col["inner_breaks"]] = breaks[hi] - breaks[lo]
    rows[:, col["enumeration_commas"]] = commas[hi] - commas[lo]
    rows[:, col["digits"]] = (digits[hi] - digits[lo]) / length
    share = (groups[hi] - groups[lo]) / length[:, None]
    for g in range(_N_GROUPS):
        rows[:, col[f"tag_{g}"]] = share[:, g]
    rows[:, col["asked_tag_share"]] = (asked_tags[hi] - asked_tags[lo]) / length
    rows[:, col["first_tag"]] = tag_ids[token_of[lo]]
    rows[:, col["last_tag"]] = tag_ids[token_of[hi - 1]]
    left, right = (lefts[0] if lefts else None), (rights[0] if rights else None)
    if left is not None:
        rows[:, col["left_anchor"]] = left[0]
        rows[:, col["from_left"]] = starts - left[1]
        rows[:, col["starts_at_left"]] = starts == left[1]
        rows[:, col["covers_left"]] = (starts < left[1]) & (left[1] < ends)
    else:
        rows[:, col["from_left"]] = -999
    if right is not None:
        rows[:, col["right_anchor"]] = right[0]
        rows[:, col["to_right"]] = right[1] - ends
        rows[:, col["ends_at_right"]] = ends == right[1]
        rows[:, col["covers_right"]] = (starts < right[1]) & (right[1] < ends)
    else:
        rows[:, col["to_right"]] = -999
    rows[:, col["iou_aligned"]] = _iou(starts, ends, named["aligned"])
    rows[:, col["iou_typed"]] = _iou(starts, ends, named["typed"])
    rows[:, col["iou_reason"]] = _iou(starts, ends, named["reason"])
    _context_features(rows, col, lo, hi, question, wh, sentence, in_q)
    for name in _RELATIVE:
        rows[:, col[f"{name}_vs_best"]] = rows[:, col[name]] - rows[:, col[name]].max()
    return rows


def _context_features(rows, col, lo, hi, question, wh, sentence, in_q) -> None:
    """How well the sentence around a candidate matches the question around
    its question word: the best common substring of the question's left
    context ending where the candidate starts (or one joining character
    before), scored as the anchors are, and likewise on the right."""
    n_chars = len(sentence)
    shared = in_q[-1] / max(n_chars, 1)
    rows[:, col["sentence_in_question"]] = shared
    rows[:, col["question_in_sentence"]] = sum(c in sentence for c in question if c not in _PUNCT) / max(
        sum(c not in _PUNCT for c in question), 1)
    before = in_q[lo]
    rows[:, col["span_before_shared"]] = before / max(in_q[-1], 1)
    rows[:, col["span_after_shared"]] = (in_q[-1] - in_q[hi]) / max(in_q[-1], 1)
    if wh is None:
        return
    left_part, right_part = question[:wh[0]], question[wh[1]:]
    left_score = np.full(n_chars + 1, -9.0)
    left_len = np.zeros(n_chars + 1)
    for i, j, n in _common_substrings(left_part, sentence):
        for p in range(j + MIN_ANCHOR, j + n + 1):
            score = (p - j) - ANCHOR_DISTANCE * (len(left_part) - (i + p - j))
            if score > left_score[p]:
                left_score[p], left_len[p] = score, p - j
    right_score = np.full(n_chars + 1, -9.0)
    right_len = np.zeros(n_chars + 1)
    for i, j, n in _common_substrings(right_part, sentence):
        for p in range(j, j + n - MIN_ANCHOR + 1):
            score = (j + n - p) - ANCHOR_DISTANCE * (i + p - j)
            if score > right_score[p]:
                right_score[p], right_len[p] = score, j + n - p
    glue_before = np.array([k > 0 and sentence[k - 1] in _LEADING_GLUE for k in range(n_chars + 1)])
    glue_after = np.array([k < n_chars and sentence[k] in _TRAILING_GLUE for k in range(n_chars + 1)])
    at = np.where(glue_before[lo] & (left_score[np.maximum(lo - 1, 0)] > left_score[lo]), np.maximum(lo - 1, 0), lo)
    rows[:, col["left_context"]] = left_score[at]
    rows[:, col["left_context_len"]] = left_len[at]
    after = np.where(glue_after[hi] & (right_score[np.minimum(hi + 1, n_chars)] > right_score[hi]),
                     np.minimum(hi + 1, n_chars), hi)
    rows[:, col["right_context"]] = right_score[after]
    rows[:, col["right_context_len"]] = right_len[after]
    rows[:, col["sandwiched"]] = (left_len[at] > 0) & (right_len[after] > 0)
    word = question[wh[0]:wh[1]]
    rows[:, col["wh_word"]] = next((k + 1 for k, w in enumerate(_WH_WORDS) if w == word), 0)
    rows[:, col["left_ends_with_shi"]] = float(left_part.endswith("是"))
    head = question[wh[1]:wh[1] + 1]
    if has_han(head):
        rows[:, col["ends_with_head"]] = [sentence[e - 1] == head for e in hi]
        rows[:, col["holds_head"]] = [head in sentence[s:e] for s, e in zip(lo, hi)]


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


def asked(folded_question: str, question_tokens: list[Token] | None = None,
          refined: bool = False) -> tuple[str | None, tuple[int, int] | None]:
    """The kind asked (time, number, person, place, org, why, how, what) and
    the question word's span in the folded question.

    ``refined`` (the span stage's reading) also knows the question words that
    are not one: 为什么 after a verb that takes 为 (算为什么, 称为什么) asks
    what, 为何时/为何人/为何地 ask when/who/where (为 + 何时), and 几 in 几乎,
    何 in 任何 or 几何 ask nothing; a match that cuts one of the question's
    LAC words (``question_tokens``, folded offsets) inside is passed over
    when another fits. Without it, the reading the sentence ranker was
    fitted on (``rank``)."""
    patterns = _CHINESE_WH_RE if has_han(folded_question) else _ENGLISH_WH_RE
    if not refined:
        for kind, pattern in patterns:
            match = pattern.search(folded_question)
            if match:
                return kind, match.span()
        return None, None
    found = []
    for order, (kind, pattern) in enumerate(patterns):
        for match in pattern.finditer(folded_question):
            reading = _refine(folded_question, kind, *match.span())
            if reading is not None:
                found.append((order, *reading))
    if not found:
        return None, None
    if question_tokens:
        inner = {k for t in question_tokens for k in range(t.start + 1, t.end)}
        whole = [f for f in found if f[2] not in inner and f[3] not in inner]
        found = whole or found
    order, kind, start, end = min(found)
    return kind, (start, end)


def first_asked(folded_question: str) -> str | None:
    """The kind of an English question's first question word ("What concept
    … when strengthening …?" asks what: the later "when" is a conjunction)."""
    found = [(match.start(), order, kind) for order, (kind, pattern) in enumerate(_ENGLISH_WH_RE)
             for match in [pattern.search(folded_question)] if match]
    return min(found)[2] if found else None


_TAKES_WEI = set("算称成作视改定列名译分选评封任变化划奉尊誉叫转设立升降更认")
_WEI_HE = {"时": TIME, "年": TIME, "日": TIME, "人": PERSON, "地": PLACE, "处": PLACE}


def _refine(question: str, kind: str, start: int, end: int) -> tuple[str, int, int] | None:
    """A question word match read in context (see ``asked``), or None when it asks nothing."""
    word = question[start:end]
    before, after = question[start - 1:start], question[end:end + 1]
    if word in ("为什么", "为甚么") and before and before in _TAKES_WEI:
        return WHAT, start + 1, end
    if word == "为何" and after in _WEI_HE:
        return _WEI_HE[after], start + 1, end + 1
    if word.startswith("几") and after in ("乎", "何", "率") and len(word) == 1:
        return None
    if word == "何" and (before in ("任", "几", "如", "为") or after in ("况", "必", "止", "以")):
        return None
    return kind, start, end


# --- alignment -------------------------------------------------------------------

@lru_cache(maxsize=512)
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


@lru_cache(maxsize=256)
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
    wanted = KIND_TAGS[kind]
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
