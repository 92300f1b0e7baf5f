"""English follow-ups (conversation.py): reading one, a question's key phrases, the rewrite.

No tagger: words are function words (a closed list) or content words, and a
question's key phrases are its runs of content words ("of" and "to" may join
two), without the question word's own phrase ("How many times", "What
score") and without the verb that closes a "did X verb" or "was X built"
clause; where the article holds a run's words as a phrase, the longest such
part is kept. A pronoun points back only when no content word precedes it
in the question outside the question word's phrase ("What type of city has
Warsaw been as long as it's been a city?" points at Warsaw, not back).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

from .fold import fold
from .records import Topic

_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+|[.,\-–][^\W_]+)*")
_QUOTED = re.compile(r"“[^”]+”|\"[^\"]+\"|‘[^’]+’")
_WH = frozenset("what which who whom whose when where why how".split())
_DO = frozenset("do does did".split())
_BE = frozenset("is are was were be been being am".split())
_AUX = _DO | _BE | frozenset("has have had can could will would shall should may might must".split())
_THING = frozenset("it its they their them theirs itself themselves".split())
_PERSON = frozenset("he his him himself she her hers herself".split())
_POSSESSIVE = frozenset("its their his her".split())
_DEM = frozenset("this that these those".split())
_FILLERS = frozenset("and but so ok okay then also well now".split())
_PREPOSITIONS = frozenset("""of in on at by for with from to into onto about after before during since until till
between among over under through against without within across along around behind beyond near per via toward
towards upon like""".split())
_ORDINALS = frozenset("first second third fourth fifth sixth seventh eighth ninth tenth last final next".split())
_FUNCTION = _WH | _AUX | _THING | _PERSON | _DEM | _FILLERS | _PREPOSITIONS | _ORDINALS | frozenset("""
a an the i me my we our us you your one ones many much some any all each every more most other another such both
either neither few several not no nor or as than there here very just only too ever else same whether if
according prior also again still yet out up off down""".split())
# Nouns that name an attribute rather than a thing ("What is the goal?").
_ATTRIBUTES = frozenset("""goal goals aim purpose objective role function content contents reason reasons cause
time date year years period name title rank ranking position score value number amount size level share focus
core meaning significance effect impact result results feature features task tasks requirement requirements
direction part parts aspect aspects example examples type kind sort percentage figure total""".split())
_PARTICIPLES = frozenset("""built held made born known found founded located called named set led won given taken
seen done run put left kept sold paid brought thought begun become written""".split())
# Adjectives that follow "is" ("responsible for", "known as"): never part of a name.
_PREDICATIVE = frozenset("responsible able known likely important possible necessary available similar different "
                         "famous used due".split())
_VERB_AFTER_WH = frozenset("led made makes caused causes brought happened won became took gave set".split())
_DOCUMENT_WORDS = frozenset("article text passage story piece".split())  # the article itself
_TIME = re.compile(r"^\d[\d,.]*%?$|^\d{4}s?$")
_JOIN = frozenset({"of", "to", "and", "&"})


class Word(NamedTuple):
    start: int
    end: int
    text: str

    @property
    def low(self) -> str:
        base = self.text.lower().replace("’", "'")
        return base[:-2] if base.endswith("'s") and base[:-2] in _THING | _PERSON else base

    @property
    def content(self) -> bool:
        return self.low not in _FUNCTION

    @property
    def nominal(self) -> bool:
        """A content word that may be part of a name or a noun phrase."""
        return self.content and self.low not in _PREDICATIVE


class Reading(NamedTuple):
    kind: str  # person, thing, noun, there, ellipsis, short
    start: int = 0
    end: int = 0
    x: str = ""
    possessive: bool = False


@lru_cache(maxsize=1024)
def _words(text: str) -> tuple[Word, ...]:
    return tuple(Word(m.start(), m.end(), m.group()) for m in _WORD.finditer(text))


def read(question: str) -> Reading | None:
    """How ``question`` points back at an earlier turn, or None when it stands alone."""
    words = _words(question)
    if not words:
        return None
    at, joined = 0, False
    while at < len(words) - 1 and words[at].low in _FILLERS:
        joined = joined or words[at].low in {"and", "so", "but"}
        at += 1
    rest = words[at:]
    x = ""
    if len(rest) > 2 and rest[0].low in {"what", "how"} and rest[1].low == "about":
        x = _tail(question, rest[1].end)
    elif joined and rest[0].low not in _WH | _AUX and len(rest) <= 7:
        x = _tail(question, words[at - 1].end)
    elif at == 0 and rest[0].low in _PREPOSITIONS - {"of"} and len(rest) <= 4 \
            and not any(w.low in _WH | _AUX for w in rest):
        x = _tail(question, 0)
    if x and not any(w.low in _THING | _PERSON | _DEM for w in _words(x)):
        return Reading("ellipsis", x=x)
    pointer = _pointer(question, words)
    if pointer is not None:
        return pointer if pointer.kind != "none" else None
    # Too short to stand alone: no noun of its own ("Why?", "What is the goal?",
    # "How many were rebuilt?"); "Who was the last keeper?" has one and stands.
    content = [w for w in words if w.content and w.low not in _ATTRIBUTES]
    if len(words) <= 6 and all(_participle(w.low) for w in content) and not _QUOTED.search(question):
        return Reading("short", x=" ".join(w.text for w in content))
    return None


def _participle(word: str) -> bool:
    return word.endswith("ed") or any(word.endswith(p) for p in _PARTICIPLES)


def _tail(question: str, start: int) -> str:
    """The elliptical part: the question from ``start``, without the openers'
    commas or the question mark, its quotation marks kept."""
    return question[start:].strip(" ,?.!")


def _pointer(question: str, words) -> Reading | None:
    asked = _asked(words)
    for index, word in enumerate(words):
        low = word.low
        before = any(_antecedent(words, i) for i in range(index) if i not in asked)
        if low in _THING | _PERSON:
            if before:
                return Reading("none")
            possessive = low in _POSSESSIVE and index + 1 < len(words) and words[index + 1].content
            return Reading("person" if low in _PERSON else "thing", word.start, word.end, possessive=possessive)
        if low in _DEM:
            following = index + 1 < len(words) and words[index + 1].content
            if index and words[index - 1].content and following:
                continue  # "the projects that made up …": a relative clause
            if following:
                end = index + 1
                while end < len(words) and words[end].content:
                    end += 1
                return Reading("noun", word.start, words[end - 1].end, question[words[index + 1].start:words[end - 1].end])
            return Reading("none") if before else Reading("thing", word.start, word.end)
        if low == "there" and not before:
            near = {words[i].low for i in (index - 1, index + 1) if 0 <= i < len(words)}
            if not near & _BE:
                return Reading("there", word.start, word.end)
    return None


def _antecedent(words, index: int) -> bool:
    """Whether ``words[index]`` may be what a later pronoun means: a name
    (capitalised, not the first word), or a noun after an article or a
    possessive ("the company", "Warsaw's") -- not a verb ("Who issued it?")."""
    word = words[index]
    if not word.nominal:
        return False
    if word.text[0].isupper() and index > 0 or word.low.endswith("'s"):
        return True
    return index > 0 and words[index - 1].low in {"the", "a", "an", "this", "that", "these", "those"} | _POSSESSIVE


def _asked(words) -> set[int]:
    """Indices of the question word's phrase: "How many times", "What kind of
    academy", "In which year" (not "Who" + its verb)."""
    at = 0
    while at < len(words) and (words[at].low in _FILLERS or words[at].low in _PREPOSITIONS):
        at += 1
    if at >= len(words) or words[at].low not in _WH:
        return set()
    out, wh = {at}, words[at].low
    if wh == "who":
        return out
    index = at + 1
    if index < len(words) and words[index].low in _VERB_AFTER_WH or words[index - 1].low in ("whom",):
        return out
    while index < len(words) and (words[index].content or words[index].low in {"many", "much", "of", "kind"}):
        if words[index].low == "of" and not (index + 1 < len(words) and words[index + 1].content):
            break
        out.add(index)
        index += 1
    return out


# ---- key phrases -------------------------------------------------------------

def topic(question: str, vocabulary=None) -> Topic:
    return _topic(question, vocabulary)


@lru_cache(maxsize=512)
def _topic(question: str, vocabulary) -> Topic:
    words, asked = _words(question), _asked(_words(question))
    verb = _verb_after_wh(words, asked)
    spans: list[tuple[int, int, str]] = [(m.start(), m.end(), "quoted") for m in _QUOTED.finditer(question)]
    inside = lambda w: any(s <= w.start < e for s, e, k in spans if k == "quoted")  # noqa: E731
    runs, current, after = [], [], ""
    for index, word in enumerate(words):
        if _TIME.match(word.low):
            spans.append((word.start, word.end, "time"))
        if word.low in _ORDINALS:
            spans.append((word.start, _run_end(words, index + 1, word.end), "ordinal"))
        following = index + 1 < len(words) and words[index + 1].nominal
        joinable = following and (bool(current) and word.low in _JOIN or word.low in _ORDINALS)
        if index not in asked and index != verb and not inside(word) and not _TIME.match(word.low) \
                and (word.nominal or joinable):
            current.append(index)
            continue
        if current:
            runs.append((after, current))
        current = []
        if word.low in _AUX | _WH or word.low in _PREPOSITIONS:
            after = word.low
    if current:
        runs.append((after, current))
    for after, run in runs:
        run = _without_verb(words, after, run)
        spans.extend(_held(question, words, run, vocabulary))
    spans.extend((words[i].start, words[i].end, "asked") for i in sorted(asked) if words[i].content
                 and words[i].low not in _ATTRIBUTES)
    spans.sort()
    phrases = [_with_article(question, s, e) for s, e, kind in spans if kind in ("quoted", "phrase")]
    phrases = [p for p in phrases if _head(p) not in _DOCUMENT_WORDS] or phrases
    quoted = [question[s:e] for s, e, kind in spans if kind == "quoted"]
    people = [question[s:e] for s, e, kind in spans if kind == "phrase" and question[s].isupper() and s > 0]
    asks_person, asks_entity = _asks(words, asked, verb)
    return Topic(question=question, phrase=(quoted or phrases or [""])[0], phrases=tuple(phrases),
                 spans=tuple(spans), person=people[0] if people else "", asks_person=asks_person,
                 asks_entity=asks_entity)


def _verb_after_wh(words, asked: set[int]) -> int:
    """The index of the verb right after "Who"/"What" ("Who won", "What led"), or -1."""
    if not asked:
        return -1
    at = max(asked) + 1
    first = words[min(asked)].low
    if at < len(words) and words[at].content and len(asked) == 1 and (
            first == "who" or words[at].low in _VERB_AFTER_WH or words[at].low.endswith("ed")):
        return at
    return -1


def _asks(words, asked: set[int], verb: int) -> tuple[bool, bool]:
    """Whether the question word asks for a person, and whether it is the
    subject: then a next "it" means what the answer named, by the rule that
    a pronoun continues the previous subject."""
    if not asked or words[min(asked)].low not in {"what", "which", "who", "whom", "whose"}:
        return False, False
    first, last = min(asked), max(asked)
    if first > 0 and words[first - 1].low in _PREPOSITIONS:
        return False, False
    person = words[first].low in {"who", "whom", "whose"}
    after = [w.low for w in words[last + 1:last + 3]]
    if verb >= 0 or (after and after[0] not in _AUX):
        return person, True
    if after and after[0] in _BE:  # "Which technology is described …": the subject, passive
        return person, len(after) > 1 and (after[1] in _PARTICIPLES or after[1].endswith("ed"))
    return person, False


def _run_end(words, index: int, end: int) -> int:
    while index < len(words) and words[index].content:
        end, index = words[index].end, index + 1
    return end


def _without_verb(words, after: str, run: list[int]) -> list[int]:
    """A run less the verb that closes its clause: "did [China] get", "was [it] built"."""
    last = words[run[-1]].low
    if after in _BE and (last in _PARTICIPLES or last.endswith(("ed", "en"))):
        return run[:-1]
    if after in _DO and len(run) > 1:
        return run[:-1]
    return run


def _held(question: str, words, run: list[int], vocabulary) -> list[tuple[int, int, str]]:
    """The run, or its longest parts that the article holds as phrases."""
    while run and words[run[-1]].low in _JOIN:
        run = run[:-1]
    if not run:
        return []
    kind = "attribute" if _head(question[words[run[0]].start:words[run[-1]].end]) in _ATTRIBUTES else "phrase"
    whole = (words[run[0]].start, words[run[-1]].end, kind)
    if vocabulary is None or kind == "attribute":
        return [whole]
    out, start = [], 0
    while start < len(run):
        for end in range(len(run), start, -1):
            part = run[start:end]
            if words[part[-1]].low in _JOIN or words[part[0]].low in _JOIN:
                continue
            if vocabulary.contains(fold(question[words[part[0]].start:words[part[-1]].end])):
                out.append((words[part[0]].start, words[part[-1]].end, "phrase"))
                start = end
                break
        else:
            start += 1
    return out or [whole]


def _with_article(question: str, start: int, end: int) -> str:
    """The phrase with the "the" (and a year after it) written before it: "the 2002 document"."""
    match = re.search(r"\b(the|The) (?:\d{4} )?$", question[:start])
    return question[match.start():end] if match else question[start:end]


# ---- the rewrite -------------------------------------------------------------

def rewrite(question: str, reading: Reading, context) -> str:
    if reading.kind == "ellipsis":
        return _ellipsis(reading.x, context)
    if reading.kind == "short":
        return _short(question, reading, context)
    kind = {"person": "person", "noun": "noun"}.get(reading.kind, "thing")
    referent = context.referent(kind, reading.x)
    if not referent:
        return ""
    if reading.possessive:
        referent += "'" if referent.endswith("s") else "'s"
    if reading.kind == "there":
        referent = "in " + referent
    return _join(question[:reading.start], referent, question[reading.end:])


def _join(before: str, middle: str, after: str) -> str:
    if not before.strip():
        middle = middle[:1].upper() + middle[1:]
    elif middle.startswith("The "):
        middle = "the " + middle[4:]
    return before + middle + after


def _short(question: str, reading: Reading, context) -> str:
    previous, words = context.question, _words(question)
    before, asked = _words(previous), sorted(_asked(_words(previous)))
    if not reading.x and asked and all(w.low in _WH | _FILLERS | {"many", "much", "long", "often"} for w in words):
        # "Why?" after "When was X relegated?" -> "Why was X relegated?"
        first = asked[0] - 1 if asked[0] and before[asked[0] - 1].low in _PREPOSITIONS else asked[0]
        wh_words = [w for w in words if w.low not in _FILLERS] or list(words)
        wh = question[wh_words[0].start:wh_words[-1].end]
        return previous[:before[first].start] + _join("", wh, previous[before[asked[-1]].end:])
    referent = context.referent("focus")
    if not referent:
        return ""
    stem = question.rstrip(" ?.!")
    last = words[-1].low if words else ""
    if last in _ATTRIBUTES or last in _ORDINALS or last in {"one", "ones"} or (words and words[-1].content):
        joiner = " of " if last in _ATTRIBUTES | _ORDINALS | {"one", "ones", "issue", "issues"} else " "
        if joiner == " ":
            return f"{stem} ({referent})?"
        return f"{stem}{joiner}{referent.replace('The ', 'the ', 1)}?"
    return f"{stem} ({referent})?"


def _ellipsis(x: str, context) -> str:
    """The previous question with ``x`` in the place of its part of the same kind."""
    previous, topic = context.question, context.topic
    words, x_words = _words(previous), _words(x)
    if not x_words:
        return ""
    first = x_words[0].low
    if first in _PREPOSITIONS:  # "And in the cities?" -> the previous "in …" phrase
        for index, word in enumerate(words):
            if word.low == first and index + 1 < len(words):
                end = _phrase_end(words, index + 1)
                return previous[:word.start] + x + previous[end:]
        return f"{previous.rstrip(' ?.!')} {x}?"
    if _TIME.match(x.strip()):
        times = [(s, e) for s, e, kind in topic.spans if kind == "time"]
        if times:
            return previous[:times[0][0]] + x.strip() + previous[times[0][1]:]
        return f"{previous.rstrip(' ?.!')} in {x.strip()}?"
    candidates = [(s, e) for s, e, kind in topic.spans if kind in ("phrase", "quoted", "asked", "attribute")]
    head = _head(x)
    same = [(s, e) for s, e in candidates if same_head(previous[s:e], head)]
    if not same and any(w.low in _ORDINALS for w in x_words):
        same = [(s, e) for s, e, kind in topic.spans if kind == "ordinal"]
    quoted = [(s, e) for s, e, kind in topic.spans if kind == "quoted"] if x[0] in "“\"‘" else []
    proper = [(s, e) for s, e in candidates if previous[s].isupper() == any(w.text[0].isupper() for w in x_words)
              and (s > 0)]
    topic_span = [(s, e) for s, e in candidates if previous[s:e] in (topic.phrase, topic.phrase[4:])]
    target = (same or quoted or proper or topic_span or candidates or [None])[0]
    if target is None:
        return ""
    start, end = target
    if previous[:start].lower().endswith("the ") and first in {"the", "a", "an"}:
        start -= 4
    prepositions = [w.low for w in x_words[1:] if w.low in _PREPOSITIONS - {"of"}]
    if prepositions:  # "the districts in Warsaw" for "the districts in Kraków"
        following = [w for w in words if w.start >= end]
        if following and following[0].low == prepositions[0] and len(following) > 1:
            end = _phrase_end(following, 1)
    return previous[:start] + x + previous[end:]


def _phrase_end(words, index: int) -> int:
    """End of the noun phrase that starts at ``words[index]`` ("the communes", "1901")."""
    end = words[index - 1].end
    while index < len(words) and (words[index].content or words[index].low in {"the", "a", "an"}):
        end, index = words[index].end, index + 1
    return end


def _head(phrase: str) -> str:
    """The head word of a noun phrase: the last content word before "of"/"in"."""
    head = ""
    for word in _words(phrase):
        if word.low in _PREPOSITIONS and head:
            break
        if word.content:
            head = word.low
    return head


_NAME = re.compile(r"(?:[A-Z][\w'’.-]*)(?: (?:of |the |de |von )?[A-Z][\w'’.-]*)*")


def named_in(quote: str, question: str) -> str:
    """The first name (capitalised words, not opening the sentence as a mere
    function word) in an answer's quote that the question does not already
    hold: what a "Who …?" answered when no short answer stands out."""
    asked = {w.low for w in _words(question)}
    for match in _NAME.finditer(re.sub(r"\[\d+\]", "", quote)):
        words = [w for w in match.group().split() if w.lower().strip("'’s") not in _FUNCTION]
        if words and not all(w.lower().rstrip("'’s") in asked or w.lower() in asked for w in words):
            return " ".join(words)
    return ""


def plausible_entity(answer: str, *, person: bool = False) -> bool:
    """Whether a short answer names something a pronoun can stand for: a few
    words, and capitalised when a person is wanted."""
    words = _words(answer)
    if not words or len(words) > 8 or all(_TIME.match(w.low) for w in words):
        return False
    return not person or words[0].text[0].isupper()


def same_head(phrase: str, head: str) -> bool:
    """Whether ``phrase``'s head word is ``head`` (singular and plural alike)."""
    mine = _head(phrase)
    head = _head(head) or head.lower()
    return bool(mine) and bool(head) and mine.rstrip("s") == head.rstrip("s")
