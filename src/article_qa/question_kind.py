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
_MEASURE = "个|项|点|方面|种|类|大|条|步|阶段|时期|部分|层面|件|类型"

# --- gist: the article (or a section) as a whole ------------------------------
_DOCUMENT = (r"(?:article|text|document|page|post|paper|essay|piece|story|report|licen[cs]e|readme|guide|passage|"
             r"appendix|chapter|section|part|introduction|project|tool|library|package)")
_GIST_EN = re.compile(
    rf"\bwhat(?:'s| is| was)? (?:this|the) {_DOCUMENT} (?:mainly |mostly |chiefly )?about\b"
    rf"|\bwhat (?:is|was) (?:it|this) (?:mainly |mostly )?about\b"
    r"|\bsummar(?:y|ise|ize|ising|izing)\b|\bgist\b|\boverview\b|\btl;?dr\b|\bin a nutshell\b"
    r"|\b(?:main|key|central) (?:points?|ideas?|idea|message|argument|takeaways?|themes?|topics?)\b"
    rf"|\bwhat does (?:this|the) {_DOCUMENT} (?:say|tell|cover|discuss|argue|do)\b|\bwhat is (?:this|the) {_DOCUMENT} for\b"
    rf"|\bwhat (?:is|are) (?:this|the) {_DOCUMENT}'?s? (?:main )?(?:point|topic|subject|theme)s?\b"
    r"|\bwhat does (?:the |this )?section\b")
_GIST_ZH = re.compile(
    r"主要(?:讲|说|谈|写|介绍|内容|论述|讨论|观点)|(?:讲|说|谈|写)(?:了|的是)?(?:些)?什么|内容是什么|大意|主旨|要点|中心思想|"
    r"摘要|梗概|核心观点|重点是什么|什么主题|是(?:做|干)什么(?:用)?的|有什么用")
# Verbs that also lead into a list ("可以概括为哪三个方面"): a gist cue only without a list cue.
_GIST_VERB_ZH = re.compile(r"概括|总结|概述")
_CONCLUSION = re.compile(r"\bconclu(?:sion|de|des|ded|ding)\b|\bin the end\b|\bclosing\b|\bfinal (?:point|word|thought)s?\b"
                         r"|结论|结语|结尾|最后(?:说|讲|得出)|总的来看|得出(?:了)?什么")

# --- list ------------------------------------------------------------------------
_LIST_ZH = re.compile(r"哪些|哪几(?![年月天日岁号次])|包括什么|包含什么|列举|列出|分别是|有什么特点|有何特点|"
                      r"哪[二两三四五六七八九十]+(?:个|项|点|种|类|条|大|方面)")
_LIST_EN = re.compile(
    r"^(?:please )?(?:list|enumerate)\b|^name (?:all|some|the \w+s\b|(?:two|three|four|five|six) )"
    r"|\bwhat are (?:the|its|their|some)\b|\bwhich are\b|\b(?:which|what) (?:two|three|four|five|six|seven|eight|nine|ten)\b"
    r"|\bwhat (?:conditions|steps|stages|phases|features|characteristics|requirements|principles|aspects|parts|"
    r"types|kinds|rules|measures|events|projects|periods|components|elements|points|ways|items|options)\b"
    r"|\bwhat \w+s (?:are|must|should|were)\b")
# One item of a list is a fact: "the first of the three aspects", "“十二金”的最后一项".
# A thing's name is a fact too: "What are the hairs on ctenophores called?".
_ONE_ITEM = re.compile(r"\b(?:first|second|third|fourth|fifth|last|one|each|any) of\b|最后一[项个]|第[一二三四五六七八九十]+[项个]|其中一"
                       r"|\b(?:called|named|known as)\W*$")
# A count with its measure word or noun: 四个发展时期, 三方面, "the four stages", "3 conditions".
# One thing is no list, and a bare numeral is part of a name (三金工程), so a count needs a measure word.
_COUNT_ZH = re.compile(rf"(?<![第几多])([两二三四五六七八九十])(?:{_MEASURE})")
_COUNT_EN = re.compile(r"\b(?:the|its|their|which|what|these|those|following)\s+(two|three|four|five|six|seven|eight|nine|"
                       r"ten|eleven|twelve|[2-9]|1[0-2])\s+(?:main |key |major |important |basic |different |distinct )?"
                       r"([a-z]+s)\b")
_POINTS_EN = re.compile(r"\bin (two|three|four|five|six|seven|eight|nine|ten|[2-9]|10) (?:points|sentences|bullets|lines)\b")
_POINTS_ZH = re.compile(r"(?:用|以|分)?([一两二三四五六七八九十])(?:句话|句|点)")

# --- reason and manner -----------------------------------------------------------
# 称为什么 / 成为什么 ask what a thing is called or became, not why (span.py's list of verbs that take 为).
_REASON_ZH = re.compile(r"(?<![算称成作视改定列名译分选评封任变化划奉尊誉叫转设立升降更认])(?:为什么|为甚么|为何)"
                        r"|什么原因|甚么原因|原因是什么|何以|缘何|因何")
_REASON_EN = re.compile(r"\bwhy\b|\bwhat (?:is|was|are|were) the (?:main )?reasons?\b|\bfor what reason\b|\bwhat (?:caused|causes)\b")
_MANNER_ZH = re.compile(r"如何|怎样(?!的)|怎么(?!样)|通过什么(?:方式|途径|手段)|以什么方式|用什么方法|采取了?什么(?:方式|措施)")
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
    topic: bool = False  # a gist question that names something beyond the gist words: one section's gist
    counted: str = ""  # what the count counts: 发展时期 of 哪四个发展时期, "stages" of "the four stages"


def classify(folded: str) -> QuestionKind:
    """The kind of a script-folded question (``fold.fold``)."""
    text = folded.strip()
    topic = names_topic(text)
    # "政务信息化的主要内容是什么" asks about one thing the article names, not about the article.
    about_article = bool(_DOCUMENT_ZH.search(text) or _GIST_EN.search(text) or not topic) and not _asks_fact_inside(text)
    if _CONCLUSION.search(text) and about_article:
        return QuestionKind(GIST, conclusion=True)
    # A count alone is no list ("分成两个部分,西部则是?"): a list question asks 哪些 / 哪三个 / "what are the".
    listed = bool(_LIST_ZH.search(text) or _LIST_EN.search(text)) and not _ONE_ITEM.search(text)
    gist = _GIST_EN.search(text) or _GIST_ZH.search(text) or (_GIST_VERB_ZH.search(text) and not listed)
    if gist and about_article:
        return QuestionKind(GIST, count=_points(text), topic=topic)
    if listed and not _asks_fact_inside(text):
        count, counted = _list_count(text)
        return QuestionKind(LIST, count=count, counted=counted)
    if _REASON_ZH.search(text) or _REASON_EN.search(text):
        return QuestionKind(REASON)
    if (_MANNER_ZH.search(text) or _MANNER_EN.search(text)) and not _HOW_FACT_EN.search(text):
        return QuestionKind(MANNER)
    return QuestionKind(FACT)


_DOCUMENT_ZH = re.compile(r"文章|本文|全文|这篇|这份|这本|本报告|本书|此文|该文|文中|作者|[这那该本此]一?(?:部分|节|章|段)|"
                          r"(?:这个|本|该)(?:项目|工具|软件|库|文档|文件)|文档|文件最后|第[一二三四五六七八九十]+(?:部分|节|章)")
# The words of a gist question that name no topic: what is left names the section asked about.
_GIST_WORDS = re.compile(
    r"这篇|本篇|这个|本文|文章|全文|这份|本份|文档|一下|主要|内容|讲|说|谈|写|了|的|是|什么|哪些|些|请|概括|总结|"
    r"摘要|大意|主旨|要点|中心思想|关于|有关|部分|这|吗|呢|用|几|句话?|点|项目|工具|软件|库|做|干|有|[一两二三四五六七八九十\d]|[?？。，,!！.:：;；'\s]"
    r"|\b(?:what|is|was|are|the|this|that|a|an|article|text|document|page|post|paper|essay|piece|story|report|"
    r"license|licence|readme|guide|passage|about|say|says|tell|tells|me|us|of|on|in|summar\w*|gist|overview|main|"
    r"key|points?|ideas?|please|give|does|do|it|its|s|section|part|briefly|short|few|sentences?|mostly|mainly|can|you|"
    r"could|brief|words?|one|two|three|four|five|six|seven|eight|nine|ten|bullets?|lines?|conclusion|conclude|project|tool|library|package|for)\b")


def names_topic(folded: str) -> bool:
    """Whether a question names something beyond the words that ask for a gist."""
    return bool(_GIST_WORDS.sub("", folded).strip())


# A question word of a fact inside a gist cue ("总结了哪一年的数据?", "who wrote the summary?").
_FACT_WORDS = re.compile(r"哪一?年|多少|(?<!哪)几[个位名家次]|谁|哪里|何时|\bwhen\b|\bhow many\b|\bhow much\b|\bwho\b|\bwhere\b|\bwhich year\b")


def _asks_fact_inside(text: str) -> bool:
    return bool(_FACT_WORDS.search(text))


def _number(word: str) -> int:
    if word.isdigit():
        return int(word)
    return _ENGLISH_NUMBERS.get(word) or _CHINESE_DIGITS.get(word, 0)


def _list_count(text: str) -> tuple[int, str]:
    """The count a list question names and what it counts: 哪四个时期, 三个方面, "the four stages"."""
    match = _COUNT_ZH.search(text)
    if match and not _POINTS_ZH.fullmatch(match.group(0)):
        noun = re.match(r"[\u4e00-\u9fff]{0,4}", text[match.end():]).group(0)
        return _number(match.group(1)), noun or match.group(0)[-1]
    match = _COUNT_EN.search(text)
    return (_number(match.group(1)), match.group(2)) if match else (0, "")


def _points(text: str) -> int:
    """How many points a gist is asked in: "in three points", "用三句话"."""
    match = _POINTS_EN.search(text) or _POINTS_ZH.search(text)
    return _number(match.group(1)) if match else 0
