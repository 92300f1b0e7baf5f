"""An answer must be of the kind asked, and state the figures the question names.

A when / how-many / who / where question whose quoted sentences hold no
date, no number, no name of a person or organisation, no place (LAC's tags
for Chinese sentences; for English ones, years, months, figures and number
words, capitalised names) is not answered by them: "李廣乾是哪一年出生的?"
is no question that a sentence naming 李廣乾 but no year answers.

A question that names a year or a figure ("in 2016") is a near miss when the
quoted sentences' paragraph never states it: the article's 2018 and 2020
indices do not answer a question about 2016, though 2016 occurs elsewhere.
"""

from __future__ import annotations

import re

from ..fold import fold, has_han
from ..index import LoadedIndex
from ..query import Query
from ..records import FACT, Answer
from ..span import NUMBER, PERSON, PLACE, TIME, asked, first_asked
from ..tagging import KIND_TAGS
from .quoting import sentence_at

# A figure standing alone: not the number of a name (COVID-19, G20, MP3).
_FIGURE = re.compile(r"(?<![A-Za-z\d.-])\d+(?:\.\d+)?(?![A-Za-z\d])")
_RANK = re.compile(r"\b(?:rank|ranked|place|placed|stand|stood|finish|finished)\b")
_MONTHS = "january|february|march|april|may|june|july|august|september|october|november|december"
_ENGLISH_KIND = {
    TIME: re.compile(rf"\b(?:1\d{{3}}|20\d{{2}}|\d{{1,2}}(?:st|nd|rd|th)|{_MONTHS}|centur(?:y|ies)|decades?|years?)\b",
                     re.IGNORECASE),
    NUMBER: re.compile(r"\d|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|"
                       r"fifty|hundred|thousand|million|billion|dozens?|half|several|many|few)\b", re.IGNORECASE),
    # A capitalised word past the sentence's first: a name, of a person or an organisation; or a
    # pronoun opening the sentence ("It carried trams…"), which stands for a thing named before it.
    PERSON: re.compile(r"(?<=\S\s)[A-Z][a-z]+|^(?:He|She|They|It|Its|His|Her|Their)\b"),
    # The same, or a place said with a preposition ("on the bridge", "across the river").
    PLACE: re.compile(r"(?<=\S\s)[A-Z][a-z]+|^(?:He|She|They|It|Its|His|Her|Their)\b|\b(?:in|on|at|near|across|over|under|along|beside|inside|outside|"
                      r"from|to|into|through|between)\s+(?:the|a|an|its|their)\b"),
}
# Chinese figures LAC may tag otherwise: digits and numerals with a measure word.
_CHINESE_NUMBER = re.compile(r"\d|[一二两三四五六七八九十百千万亿]+[个名位项次年种家座条倍%％]")
_CHINESE_TIME = re.compile(r"\d{2,4}年|\d{1,2}月|\d{1,2}日|[一二三四五六七八九十]+世纪|年代")
_ASKS_YEAR = re.compile(r"哪一?年|何年|\b(?:which|what) year\b|\bin what year\b")
_ASKS_DAY = re.compile(r"哪一?天|哪一?日|几月几[日号]|\b(?:which|what) (?:day|date)\b|\bon what (?:day|date)\b")
_YEAR = re.compile(r"\d{2,4}\s*年|(?<!\d)(?:1\d{3}|20\d{2})(?!\d)|[〇零一二三四五六七八九]{4}年")
_DAY = re.compile(r"\d{1,2}\s*[日号號]|[一二三四五六七八九十]+[日号號]|\d{1,2}(?:st|nd|rd|th)\b|\b(?:" + _MONTHS + r")\s+\d{1,2}\b"
                  r"|\b\d{1,2}\s+(?:" + _MONTHS + r")\b", re.IGNORECASE)
_PERSON_TAGS = {"PER", "ORG", "nr", "nt"}  # who: a person or an organisation ("由哪個機構" is asked as who too)
TYPED = (TIME, NUMBER, PERSON, PLACE)


def of_the_kind_asked(query: Query, answer: Answer, index: LoadedIndex) -> bool:
    """Whether a quoted sentence holds a thing of the kind the question asks
    for (always, for questions that ask for no such kind, and for lists)."""
    kind = asked_kind(query)
    if kind not in TYPED or query.shape.kind != FACT:
        return True
    sentences = _quoted_sentences(answer, index)
    unit = _ASKS_YEAR.search(query.folded) and _YEAR or _ASKS_DAY.search(query.folded) and _DAY
    if unit:  # 哪一年 is not answered by a month and a day, nor 哪一天 by a year
        return any(unit.search(index.sentence_text(sentence)) for sentence in sentences)
    return any(_holds(index, sentence, kind) for sentence in sentences)


def asked_kind(query: Query) -> str | None:
    """The kind asked. In English the question's first question word decides
    ("What concept … when strengthening …?" asks what), and "where … rank"
    asks for a rank; in Chinese 哪幾方面 asks which, not how many."""
    if has_han(query.folded):
        kind, _ = asked(query.folded, refined=True)
        return None if kind == NUMBER and "哪几" in query.folded else kind
    kind = first_asked(query.folded)
    return NUMBER if kind == PLACE and _RANK.search(query.folded) else kind


def states_the_figures(query: Query, answer: Answer, index: LoadedIndex) -> bool:
    """Whether every year or figure the question names is in the paragraph of a quoted sentence."""
    figures = _FIGURE.findall(query.folded)
    if not figures:
        return True
    paragraphs = fold("\n".join(_paragraph(index, start) for _, start, _ in answer.evidence))
    return all(figure in paragraphs for figure in figures)


def _quoted_sentences(answer: Answer, index: LoadedIndex) -> list[int]:
    return [sentence_at(index, start) for _, start, _ in answer.evidence]


def _holds(index: LoadedIndex, sentence: int, kind: str) -> bool:
    text = index.sentence_text(sentence)
    if not has_han(text):
        return bool(_ENGLISH_KIND[kind].search(text))
    tags = {token.tag for token in index.sentence_tags[sentence]}
    if kind == PERSON:
        return bool(tags & _PERSON_TAGS)
    if kind == NUMBER and _CHINESE_NUMBER.search(fold(text)):
        return True
    if kind == TIME and _CHINESE_TIME.search(fold(text)):
        return True
    return bool(tags & KIND_TAGS[kind])


def _paragraph(index: LoadedIndex, offset: int) -> str:
    start = index.article.rfind("\n", 0, offset) + 1
    end = index.article.find("\n", offset)
    return index.article[start:end if end >= 0 else len(index.article)]
