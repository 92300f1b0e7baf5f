"""Stage — conversation: a question and the earlier turns -> the question as understood.

People chat in follow-ups: "它的目標是什麼?", "那三金工程呢?", "What was its
global rank?", "Why?". Read alone, such a question is answered about whatever
it happens to match. ``resolve`` rewrites a follow-up into a question that
stands alone, by rules and the article's own vocabulary (no language model):

- a pronoun or demonstrative that points outside the question (它/他/其/該/
  這個/那, it/its/he/they/this/that/there with nothing before it to point at)
  is replaced by what the previous question was about: its key phrase, or the
  entity its answer named when the previous question asked for one;
- an elliptical question ("那X呢?", "X呢?", "And X?", "What about X?") is the
  previous question with X in the place of the part of the same kind (a year
  for a year, "in the cities" for "in the communes", a phrase with the same
  head word, else the key phrase);
- a question too short to stand alone (no words of its own beyond question
  words and generic ones like 目標, "goal") gets the previous key phrase added,
  and a bare "Why?"/"When?" takes the previous question's place of its
  question word.

A question that stands alone comes back unchanged, so it is answered exactly
as without history: the rules fire only on the forms above, and a
demonstrative with a noun of its own (那份五年規劃, "that building") is
rewritten only when the previous turn names a thing with that head word.

The key phrase of a question is the first phrase of it that the article holds
(a quoted one first), found on LAC's words for Chinese (``followup_zh``) and
on word runs for English (``followup_en``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Callable

from . import followup_en, followup_zh
from .errors import BadQuestionError
from .fold import has_han, letters_only
from .glossary import PhraseLookup
from .records import Topic
from .settings import DEFAULTS

MAX_TURNS = 20
MAX_TURN_CHARS = DEFAULTS.max_question_chars
# A follow-up of a follow-up is resolved through at most this many earlier turns.
_CHAIN = 3
_NUMERIC = re.compile(r"^[\d\s.,:%/年月日号號時时分秒第至到\-–—~～]+$")


@dataclass(frozen=True)
class Turn:
    """One earlier turn: the question, and the short answer when the caller gave it."""

    question: str
    answer: str = ""


@dataclass
class Context:
    """What a follow-up may point at: the previous question (as understood),
    its key phrases, and its answer (given, or asked for on first need)."""

    question: str
    topic: Topic
    given_answer: str = ""
    answer_of: Callable[[str], object] | None = None
    _answer: str | None = field(default=None, repr=False)

    def answer(self) -> str:
        """The thing the previous answer named: the short answer given with
        the history, else the re-derived answer's short answer, else the first
        name its quote adds to the question (an English answer often has no
        short answer: "Who won …?" -> "… Polonia Warsaw … managed to win …")."""
        if self._answer is None:
            self._answer = self.given_answer or (self._derived() if self.answer_of else "")
        return self._answer

    def _derived(self) -> str:
        answer = self.answer_of(self.question)
        if isinstance(answer, str):
            return answer
        if not getattr(answer, "found", False):
            return ""
        if answer.short_answer or not self.topic.asks_entity:
            return answer.short_answer
        return _rules(answer.text).named_in(answer.text, self.question)

    def referent(self, kind: str, head: str = "") -> str:
        """The phrase a pointer of ``kind`` (``person``, ``thing``, ``noun``,
        or ``focus`` for a short question) stands for; ``head`` is the noun a
        demonstrative came with ("" when no phrase of the previous turn has
        that head)."""
        topic = self.topic
        if kind == "noun":
            for phrase in topic.phrases:
                if _same_head(phrase, head):
                    return phrase
            answer = self._named() if topic.asks_entity or topic.asks_person else ""
            return answer if _same_head(answer, head) else ""
        if kind == "person":
            if topic.asks_person and (answer := self._named(person=True)):
                return answer
            return topic.person or topic.phrase
        if kind == "focus":  # a short question goes on about what was just answered
            return self._named() or topic.phrase
        # A pronoun continues the previous subject: what the previous answer
        # named when the question word was the subject ("哪份文件啟動了…?",
        # "Which document launched …?"), else the key phrase.
        return (self._named() if topic.asks_entity else "") or topic.phrase

    def _named(self, *, person: bool = False) -> str:
        """The previous answer when it names something (a person when
        ``person``): not a year or a figure, not a clause."""
        answer = self.answer()
        if not answer or _NUMERIC.match(answer):
            return ""
        return answer if _rules(answer).plausible_entity(answer, person=person) else ""


def check_history(history) -> tuple[Turn, ...]:
    """Earlier turns, oldest first, each a question or ``{"question", "answer"}``;
    ``BadQuestionError`` naming the field for anything else."""
    if history is None:
        return ()
    if isinstance(history, (str, bytes)) or not isinstance(history, Sequence):
        raise BadQuestionError("history must be a list of the earlier turns, oldest first: questions, "
                               "or objects with \"question\" and \"answer\".")
    if len(history) > MAX_TURNS:
        raise BadQuestionError(f"history has {len(history)} turns; send at most the last {MAX_TURNS}.")
    return tuple(_turn(turn, f"history[{number}]") for number, turn in enumerate(history))


def _turn(turn, name: str) -> Turn:
    if isinstance(turn, Turn):
        return turn
    if isinstance(turn, str):
        return Turn(_text(turn, name))
    if not isinstance(turn, Mapping):
        raise BadQuestionError(f"{name} must be a question (text) or an object with \"question\" and \"answer\".")
    question = _text(turn.get("question"), f"{name}.question")
    answer = turn.get("answer")
    if isinstance(answer, Mapping):  # an Answer.to_dict(): the phrase it named
        answer = answer.get("short_answer") or ""
    if answer is None:
        answer = ""
    return Turn(question, _text(answer, f"{name}.answer", empty_ok=True))


def _text(value, name: str, *, empty_ok: bool = False) -> str:
    if not isinstance(value, str):
        raise BadQuestionError(f"{name} must be text.")
    if len(value) > MAX_TURN_CHARS:
        raise BadQuestionError(f"{name} is {len(value)} characters long; at most {MAX_TURN_CHARS} are allowed.")
    if not empty_ok and not value.strip():
        raise BadQuestionError(f"{name} is empty.")
    return value.strip()


def resolve(question: str, history=(), *, article=None, answer_of: Callable[[str], object] | None = None) -> str:
    """The question as understood: ``question`` itself when it stands alone,
    else the follow-up rewritten against the last turns of ``history``.

    ``article`` (the loaded index) lets key phrases be the article's own;
    ``answer_of(question) -> Answer`` (or its short answer) re-derives an
    earlier answer the history does not give, and is called only when a
    follow-up most likely means the thing that answer named.
    """
    turns = check_history(history)
    if not turns:
        return question
    return _resolve(question, turns, ArticleTerms.of(article) if article is not None else None, answer_of, _CHAIN)


class ArticleTerms:
    """Whether the article holds a phrase (folded): as written, through the
    index's phrase lookups, or with the punctuation inside it ignored
    (十四五規劃 for “十四五”規劃). Hashable, so key phrases can be cached."""

    def __init__(self, phrases: PhraseLookup, letters: str) -> None:
        self._phrases, self._letters = phrases, letters

    @classmethod
    def of(cls, index) -> "ArticleTerms":
        return cls(index.phrases, index.folded_article_letters)

    def contains(self, phrase: str) -> bool:
        return self._phrases.contains(phrase) or (len(phrase) > 1 and letters_only(phrase) in self._letters)

    def __eq__(self, other) -> bool:
        return isinstance(other, ArticleTerms) and other._phrases is self._phrases

    def __hash__(self) -> int:
        return id(self._phrases)


def _resolve(question: str, turns: tuple[Turn, ...], vocabulary, answer_of, depth: int) -> str:
    rules = _rules(question)
    reading = rules.read(question)
    if reading is None:
        return question
    context = _context(turns, vocabulary, answer_of, depth)
    if context is None:
        return question
    return rules.rewrite(question, reading, context) or question


def _context(turns: tuple[Turn, ...], vocabulary, answer_of, depth: int) -> Context | None:
    """The latest earlier turn that is about something, resolved itself first."""
    for back in range(1, min(len(turns), _CHAIN) + 1):
        turn, earlier = turns[-back], turns[:-back]
        previous = _resolve(turn.question, earlier, vocabulary, answer_of, depth - 1) if depth > 1 and earlier \
            else turn.question
        topic = _rules(previous).topic(previous, vocabulary)
        if topic.spans or topic.person or turn.answer:
            return Context(previous, topic, turn.answer if previous == turn.question else "", answer_of)
    return None


def _rules(text: str):
    return followup_zh if has_han(text) else followup_en


def _same_head(phrase: str, head: str) -> bool:
    """Whether ``phrase`` ends in the head word of ``head`` (工程 / 三金工程,
    "building" / "the Great Theatre building"), compared folded."""
    if not head:
        return False
    if has_han(head):
        return followup_zh.same_head(phrase, head)
    return followup_en.same_head(phrase, head)
