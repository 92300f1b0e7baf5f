"""An answer must be of the kind asked, and state the figures the question names.

A when-question whose quoted sentences state no time is not answered by
them ("李廣乾是哪一年出生的?" by a sentence naming 李廣乾 and 8月1日 but no
year): a year for 哪一年 / "which year", a day for 哪一天, any time else — a
date, an era year (至元二十六年, 庚申年), a dynasty, a decade, an hour, "…之後"
for Chinese; a year, a date, a weekday, an hour ("at nine"), a part of the
day, a season for English.

A question that names a year or a figure ("in 2016") is a near miss when the
quoted sentences' paragraph never states it: the article's 2018 and 2020
indices do not answer a question about 2016, though 2016 occurs elsewhere.

How-many, who and where are not checked: on the benchmark's dev texts
(``eval/benchmark.py --split dev``) requiring a number, a name or a place,
by LAC's tags or by rule, declined 4.6 points more of the texts' own
questions (Wikipedia answers a "where" with "在山上", a "who" with "日本人")
and caught no more near misses.
"""

from __future__ import annotations

import re

from ..fold import fold, has_han
from ..index import LoadedIndex
from ..query import Query
from ..records import FACT, Answer
from ..span import TIME, asked, first_asked
from .quoting import sentence_at

# A figure standing alone: not the number of a name (COVID-19, G20, MP3).
_FIGURE = re.compile(r"(?<![A-Za-z\d.-])\d+(?:\.\d+)?(?![A-Za-z\d])")
_MONTHS = "january|february|march|april|may|june|july|august|september|october|november|december"
_WEEKDAYS = "monday|tuesday|wednesday|thursday|friday|saturday|sunday"
# A year, a date, a month, a weekday, an hour ("at nine", "7:30", "5 pm"), a part of the day or a season.
_ENGLISH_TIME = re.compile(
    rf"\b(?:1\d{{3}}|20\d{{2}}|\d{{1,2}}(?:st|nd|rd|th)|{_MONTHS}|{_WEEKDAYS}|centur(?:y|ies)|decades?|years?|"
    r"at (?:\d{1,2}|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|noon|midnight|dawn|dusk)|"
    r"\d{1,2}:\d{2}|\d{1,2}\s*[ap]\.?m\b|o'clock|mornings?|afternoons?|evenings?|nights?|noon|midnight|daily|weekly|"
    r"monthly|today|tomorrow|yesterday|spring|summer|autumn|winter|weeks?|months?|days?|hours?|ago|since|until)\b",
    re.IGNORECASE)
# Any way Chinese states a time: a year by digits, numerals, an era name or the sexagenary cycle
# (至元二十六年, 庚申年), a month or day, a dynasty, a decade or century, or a time said by an event (…之后).
_CHINESE_TIME = re.compile(r"\d+\s*[年月日号]|[〇零一二三四五六七八九十百]+[年月日]|[甲乙丙丁戊己庚辛壬癸][子丑寅卯辰巳午未申酉戌亥]年|"
                           r"[朝代]|世纪|年代|时期|时代|之[后前时际]|以[后前]|期间|当时|初期|末期|"
                           r"[点时]|早上|上午|中午|下午|晚上|每天|每周|每月|星期|周[一二三四五六日末]|[春夏秋冬]季")
_ASKS_YEAR = re.compile(r"哪一?年|何年|\b(?:which|what) year\b|\bin what year\b")
_ASKS_DAY = re.compile(r"哪一?天|哪一?日|几月几[日号]|\b(?:which|what) (?:day|date)\b|\bon what (?:day|date)\b")
_YEAR = re.compile(r"\d{2,4}\s*年|(?<!\d)(?:1\d{3}|20\d{2})(?!\d)|[〇零一二三四五六七八九十百]+年|"
                   r"[甲乙丙丁戊己庚辛壬癸][子丑寅卯辰巳午未申酉戌亥]年|\b\d{3,4}s?\b")
_DAY = re.compile(r"\d{1,2}\s*[日号號]|[一二三四五六七八九十]+[日号號]|\d{1,2}(?:st|nd|rd|th)\b|\b(?:" + _MONTHS + r")\s+\d{1,2}\b"
                  r"|\b\d{1,2}\s+(?:" + _MONTHS + r")\b", re.IGNORECASE)

# 一 is left out: it is in too many words (一些, 统一) to mark a figure.
_ANY_NUMBER = re.compile(r"\d|[〇零二两三四五六七八九十百千万亿]|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|"
                         r"eleven|twelve|twenty|thirty|forty|fifty|hundreds?|thousands?|millions?|billions?|"
                         r"dozens?|half|several|many|few)\b", re.IGNORECASE)


def of_the_kind_asked(query: Query, answer: Answer, index: LoadedIndex) -> bool:
    """Whether a quoted sentence states a time, when the question asks when
    (always true for other questions, and for lists, summaries, reasons)."""
    if query.shape.kind != FACT or _asked_kind(query) != TIME:
        return True
    sentences = [index.sentence_text(sentence_at(index, start)) for _, start, _ in answer.evidence]
    unit = _ASKS_YEAR.search(query.folded) and _YEAR or _ASKS_DAY.search(query.folded) and _DAY
    if unit:  # 哪一年 is not answered by a month and a day, nor 哪一天 by a year
        return any(unit.search(sentence) for sentence in sentences)
    return any(states_a_time(sentence) for sentence in sentences)


def states_a_time(text: str) -> bool:
    """Whether a passage states any time (the when-check's reading)."""
    return bool(_CHINESE_TIME.search(fold(text)) if has_han(text) else _ENGLISH_TIME.search(text))


def states_a_number(text: str) -> bool:
    """Whether a passage states any figure, in digits, Chinese numerals or English words."""
    return bool(_ANY_NUMBER.search(fold(text) if has_han(text) else text))


def _asked_kind(query: Query) -> str | None:
    """The kind asked; in English the question's first question word decides
    ("What concept … when strengthening …?" asks what)."""
    if has_han(query.folded):
        return asked(query.folded, refined=True)[0]
    return first_asked(query.folded)


def states_the_figures(query: Query, answer: Answer, index: LoadedIndex) -> bool:
    """Whether every year or figure the question names is in the paragraph of a quoted sentence."""
    figures = _FIGURE.findall(query.folded)
    if not figures:
        return True
    paragraphs = fold("\n".join(_paragraph(index, start) for _, start, _ in answer.evidence))
    return all(figure in paragraphs for figure in figures)


def _paragraph(index: LoadedIndex, offset: int) -> str:
    start = index.article.rfind("\n", 0, offset) + 1
    end = index.article.find("\n", offset)
    return index.article[start:end if end >= 0 else len(index.article)]
