"""What a question asks for, and so how it is answered: a fact, a list, the
gist of the article (or of one section, or its conclusion), a reason or a
manner.

Rules, since the cues are plain words: "有哪些" / "what are the four …" ask
for a list, "主要講什麼" / "what is this article about" / "summarize" for the
gist, "為什麼" / "why" for a reason, "如何" / "how do …" for a manner.
Everything else is a fact, answered as before. A count in the question
("四個發展時期", "the four stages", "in three points") is kept: a list whose
length matches it is strong evidence, and a gist in n points has n sentences.

All matching is on folded text (Simplified script, lower case, NFKC width),
so one pattern serves Traditional and Simplified questions alike.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .records import FACT, GIST, LIST, MANNER, REASON

_CHINESE_DIGITS = {"一": 1, "两": 2, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}
_ENGLISH_NUMBERS = {
    "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
    "eleven": 11, "twelve": 12,
}
_MEASURE = "个项点方面种类大条步阶段时期部分层面件类型"

# --- gist: the article (or a section) as a whole ------------------------------
_DOCUMENT = r"(?:article|text|document|page|post|paper|essay|piece|story|report|licen[cs]e|readme|guide|passage)"
_GIST_EN = re.compile(
    rf"\bwhat(?:'s| is| was)? (?:this|the) {_DOCUMENT} (?:mainly |mostly |chiefly )?about\b"
    rf"|\bwhat (?:is|was) (?:it|this) (?:mainly |mostly )?about\b"
    r"|\bsummar(?:y|ise|ize|ising|izing)\b|\bgist\b|\boverview\b|\btl;?dr\b|\bin a nutshell\b"
    r"|\b(?:main|key|central) (?:points?|ideas?|idea|message|argument|takeaways?|themes?|topics?)\b"
    rf"|\bwhat does (?:this|the) {_DOCUMENT} (?:say|tell|cover|discuss|argue)\b"
    rf"|\bwhat (?:is|are) (?:this|the) {_DOCUMENT}'?s? (?:main )?(?:point|topic|subject|theme)s?\b"
    r"|\bwhat does (?:the |this )?section\b|\bwhat is (?:the |this )?section\b")
_GIST_ZH = re.compile(
    r"主要(?:讲|说|谈|写|介绍|内容|论述|讨论|观点)|(?:讲|说|谈|写)(?:了|的是)?(?:些)?什么|内容是什么|大意|主旨|要点|中心思想|"
    r"摘要|梗概|核心观点|重点是什么|什么主题")
# Verbs that also lead into a list ("可以概括为哪三个方面"): a gist cue only without a list cue.
_GIST_VERB_ZH = re.compile(r"概括|总结|概述")
_CONCLUSION = re.compile(r"\bconclu(?:sion|de|des|ded|ding)\b|\bin the end\b|\bclosing\b|\bfinal (?:point|word|thought)s?\b"
                         r"|结论|结语|结尾|最后(?:说|讲|得出)|总的来看|得出(?:了)?什么")

# --- list ------------------------------------------------------------------------
_LIST_ZH = re.compile(r"哪些|哪几|有几[个项点方面种类条]|包括什么|包含什么|列举|列出|分别是|有什么特点|有何特点|哪[一二两三四五六七八九十]+[个项点种类条大]")
_LIST_EN = re.compile(
    r"^(?:please )?(?:list|name|enumerate|give)\b|\bwhat are (?:the|its|their|some)\b|\bwhich are\b"
    r"|\bwhat (?:conditions|steps|stages|phases|features|characteristics|requirements|principles|aspects|parts|"
    r"types|kinds|rules|measures|events|projects|periods|components|elements|points|ways|items|options)\b"
    r"|\bwhat \w+s (?:are|must|should|does|do|did|were)\b")
# A count with its measure word or noun: 四个发展时期, 三方面, "the four stages", "3 conditions".
# One thing is no list, and a bare numeral is part of a name (三金工程), so a count needs a measure word.
_COUNT_ZH = re.compile(rf"(?<![第几多])([两二三四五六七八九十])(?:[{_MEASURE}])")
_COUNT_EN = re.compile(r"\b(?:the|its|their|which|what|these|those|following)\s+(two|three|four|five|six|seven|eight|nine|"
                       r"ten|eleven|twelve|[2-9]|1[0-2])\s+(?:main |key |major |important |basic |different |distinct )?"
                       r"([a-z]+s)\b")
_POINTS_EN = re.compile(r"\bin (two|three|four|five|six|seven|eight|nine|ten|[2-9]|10) (?:points|sentences|bullets|lines)\b")
_POINTS_ZH = re.compile(r"(?:用|以|分)?([一两二三四五六七八九十])(?:句话|句|点)")

# --- reason and manner -----------------------------------------------------------
_REASON_ZH = re.compile(r"为什么|为甚么|为何|什么原因|甚么原因|原因是什么|何以|缘何|因何")
_REASON_EN = re.compile(r"\bwhy\b|\bwhat (?:is|was|are|were) the (?:main )?reasons?\b|\bfor what reason\b|\bwhat (?:caused|causes)\b")
_MANNER_ZH = re.compile(r"如何|怎样|怎么(?!样[?？]?$)|通过什么(?:方式|途径|手段)|以什么方式|用什么方法|采取了?什么(?:方式|措施)")
_MANNER_EN = re.compile(r"\bhow (?:do|does|did|can|could|should|would|will|is|are|was|were|to|has|have)\b"
                        r"|\bin what way\b|\bby what means\b|\bwhat steps\b")
_HOW_FACT_EN = re.compile(r"\bhow (?:many|much|long|old|far|big|large|high|often|soon)\b")


@dataclass(frozen=True)
class QuestionKind:
    """``kind``: fact, list, gist, reason or manner. ``count``: the number
    the question names for a list ("four stages") or for a gist's points
    ("in three points"), else 0. ``conclusion``: a gist that asks only for
    how the article ends."""

    kind: str = FACT
    count: int = 0
    conclusion: bool = False


def classify(folded: str) -> QuestionKind:
    """The kind of a script-folded question (``fold.fold``)."""
    text = folded.strip()
    if _CONCLUSION.search(text) and not _asks_fact_inside(text):
        return QuestionKind(GIST, conclusion=True)
    listed = bool(_LIST_ZH.search(text) or _LIST_EN.search(text) or _list_count(text))
    gist = _GIST_EN.search(text) or _GIST_ZH.search(text) or (_GIST_VERB_ZH.search(text) and not listed)
    if gist and not _asks_fact_inside(text):
        return QuestionKind(GIST, count=_points(text))
    if listed:
        return QuestionKind(LIST, count=_list_count(text))
    if _REASON_ZH.search(text) or _REASON_EN.search(text):
        return QuestionKind(REASON)
    if (_MANNER_ZH.search(text) or _MANNER_EN.search(text)) and not _HOW_FACT_EN.search(text):
        return QuestionKind(MANNER)
    return QuestionKind(FACT)


# A question word of a fact inside a gist cue ("总结了哪一年的数据?", "who wrote the summary?").
_FACT_WORDS = re.compile(r"哪一?年|多少|几[个位名家次]|谁|哪里|何时|\bwhen\b|\bhow many\b|\bhow much\b|\bwho\b|\bwhere\b|\bwhich year\b")


def _asks_fact_inside(text: str) -> bool:
    return bool(_FACT_WORDS.search(text))


def _number(word: str) -> int:
    if word.isdigit():
        return int(word)
    return _ENGLISH_NUMBERS.get(word) or _CHINESE_DIGITS.get(word, 0)


def _list_count(text: str) -> int:
    """The count a list question names: 哪四个时期, 三个方面, "the four stages"."""
    match = _COUNT_ZH.search(text)
    if match and not _POINTS_ZH.fullmatch(match.group(0)):
        return _number(match.group(1))
    match = _COUNT_EN.search(text)
    return _number(match.group(1)) if match else 0


def _points(text: str) -> int:
    """How many points a gist is asked in: "in three points", "用三句话"."""
    match = _POINTS_EN.search(text) or _POINTS_ZH.search(text)
    return _number(match.group(1)) if match else 0
