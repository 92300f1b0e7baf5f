"""Suggested questions that the article answers: what the chat offers to click.

Made from the article's own sentences by a few patterns that turn a stated
fact back into its question, in the article's language —

- a year, a verb and a quoted name: 1993年啟動的“三金工程” ->
  “三金工程”是哪一年啟動的?; "the first stock exchange was established in
  1817" -> "When was the first stock exchange established?";
- a quoted term and its definition: “兩網”即電子政務內網、外網 -> “兩網”指的是甚麼?;
- a figure a measure rose to: 在線服務指數上升為0.9059 -> 在線服務指數是多少?;
- the article's headings (關於「…」,文章說了什麼? / "What does the article say about …?")

— and each is asked at build time: only those the engine answers with a short
answer are kept, and only when that short answer holds the fact the question
was made from (the year, the definition, the figure), at most
:data:`MAX_SUGGESTIONS`, the kinds taken in turn. So a suggestion never leads
to a decline, to a sentence without a phrase that answers, or to a wrong one.
"""

from __future__ import annotations

import re

MAX_SUGGESTIONS = 5
# Candidates asked before giving up: each costs one answer (a few milliseconds).
MAX_CANDIDATES = 12

_HAN = r"[\u4e00-\u9fff]"
_YEAR_NAME = re.compile(rf"(\d{{4}})年(?:\d{{1,2}}月)?({_HAN}{{2}})的[“「《]([^”」》]{{2,24}})[”」》]")
_DEFINITION = re.compile(r"[“「]([^”」]{1,10})[”」]即([^;；。,，)）]{2,40})")
_FIGURE = re.compile(rf"((?:{_HAN}|[A-Za-z]){{3,14}}?(?:指數|指数|率|額|额|量|數|数))(?:上升為|上升为|提高到|達到|达到|增至)"
                     r"(\d+(?:[.,]\d+)*%?)")
_EN_WHEN = re.compile(r"\b((?:[Tt]he |[A-Z][\w'’-]+ )(?:[\w'’-]+ ){0,4}?[\w'’-]+) (was|were) ((?:re-)?[a-z]+ed|built|held|made|founded|begun|written|won|sold|born) "
                      r"(?:in|on) (?:[A-Z][a-z]+ )?(\d{4})\b")
_PRONOUNS = frozenset("it its they this that these those he she".split())

_TEMPLATES = {
    "when": {"zh-Hant": "“{}”是哪一年{}的?", "zh-Hans": "“{}”是哪一年{}的?"},
    "define": {"zh-Hant": "“{}”指的是甚麼?", "zh-Hans": "“{}”指的是什么?"},
    "figure": {"zh-Hant": "{}是多少?", "zh-Hans": "{}是多少?"},
    "heading": {"zh-Hant": "關於「{}」,文章說了什麼?", "zh-Hans": "关于「{}」,文章说了什么?",
                "en": "What does the article say about {}?"},
}


def candidates(article: str, language: str, headings: list[str] = ()) -> list[tuple[str, str]]:
    """(question, the fact its answer must hold) made from the article's
    sentences, the kinds taken in turn, without repeats; headings last
    (their fact is "": any short answer will do)."""
    kinds: list[list[tuple[str, str]]] = []
    if language == "en":
        kinds.append([(f"When {m.group(2)} {_subject(m.group(1))} {m.group(3)}?", m.group(4))
                      for m in _EN_WHEN.finditer(article) if m.group(1).split()[0].lower() not in _PRONOUNS])
    else:
        templates = {kind: table[language] for kind, table in _TEMPLATES.items()}
        kinds.append([(templates["when"].format(m.group(3), m.group(2)), m.group(1))
                      for m in _YEAR_NAME.finditer(article)])
        kinds.append([(templates["define"].format(m.group(1)), m.group(2)[:4]) for m in _DEFINITION.finditer(article)])
        kinds.append([(templates["figure"].format(re.split(r"[的、,，]", m.group(1))[-1]), m.group(2))
                      for m in _FIGURE.finditer(article)])
    found = [pair for group in _in_turn(kinds) for pair in group]
    found += [(_TEMPLATES["heading"][language].format(_topic(h, language)), "") for h in headings]
    seen, out = set(), []
    for question, fact in found:
        if question not in seen:
            seen.add(question)
            out.append((question, fact))
    return out


def _in_turn(kinds: list[list]) -> list[list]:
    """One of each kind, then the next of each: a mix rather than five years."""
    longest = max((len(kind) for kind in kinds), default=0)
    return [[kind[i] for kind in kinds if i < len(kind)] for i in range(longest)]


def _subject(phrase: str) -> str:
    return phrase[0].lower() + phrase[1:] if phrase.startswith("The ") else phrase


def suggested_questions(qa, language: str, headings: list[str] = ()) -> tuple[str, ...]:
    """Up to :data:`MAX_SUGGESTIONS` candidates that ``qa`` answers with a
    short answer holding the fact they were made from."""
    from .fold import fold

    kept = []
    for question, fact in candidates(qa.article, language, headings)[:MAX_CANDIDATES]:
        answer = qa.ask(question)
        if not (answer.found and answer.short_answer):
            continue
        if fold(fact) in fold(answer.short_answer):  # the year, the figure, the definition's start
            kept.append(question)
            if len(kept) == MAX_SUGGESTIONS:
                break
    return tuple(kept)


def _topic(heading: str, language: str) -> str:
    # "The keepers" reads as "... about the keepers"; "NASA" keeps its capitals.
    if language == "en" and heading[:1].isupper() and heading[1:2].islower():
        return heading[0].lower() + heading[1:]
    return heading


# A list question from an enumeration's lead-in: "…具有以下若干重大特點。" -> "…具有哪些重大特點?",
# "…概括為三個方面。" -> "…概括為哪三個方面?", "…the following conditions:" -> "What are the conditions?".
_ZH_ANNOUNCED = re.compile(r"(?:以下|如下|下列)(?:若干|幾個|几个|幾項|几项|幾點|几点)?")
_ZH_COUNTED = re.compile(r"(?<![第哪几幾])([兩两二三四五六七八九十])([個个項项點点種种大])")
_EN_FOLLOWING = re.compile(r"\bthe following ([a-z]+s)\b", re.IGNORECASE)
_LIST_QUESTION_CHARS = 30  # a long lead-in keeps its last clauses: what is listed, and its subject if short


def list_question(qa, language: str) -> str | None:
    """A question made from the first enumeration's lead-in that the engine
    answers with that list (two items or more), in the article's language."""
    for enumeration in qa.index.structure.enumerations:
        if not enumeration.lead_in:
            continue
        question = _list_question(qa.article[enumeration.lead_in[0]:enumeration.lead_in[1]], language)
        if question:
            answer = qa.ask(question)
            if answer.found and answer.kind == "list" and len(answer.items) >= 2:
                return question
    return None


def _list_question(lead_in: str, language: str) -> str | None:
    if language == "en":
        match = _EN_FOLLOWING.search(lead_in)
        return f"What are the {match.group(1).lower()}?" if match else None
    text = lead_in.rstrip("。:：;；,， ")
    if _ZH_ANNOUNCED.search(text):
        text = _ZH_ANNOUNCED.sub("哪些", text, count=1)
    elif _ZH_COUNTED.search(text):
        text = _ZH_COUNTED.sub(r"哪\1\2", text, count=1)
    else:
        return None
    clauses = re.split(r"(?<=[,，])", text)
    kept = clauses[-1]
    for clause in reversed(clauses[:-1]):  # the subject before it, while the question stays short
        if len(clause + kept) > _LIST_QUESTION_CHARS:
            break
        kept = clause + kept
    return kept.strip() + "?"
