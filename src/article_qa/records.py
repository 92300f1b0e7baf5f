"""The small immutable records that flow between pipeline stages."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Span:
    """A block of the clean article: a heading or a paragraph, by offsets."""

    start: int
    end: int
    is_heading: bool
    list_level: int = 0  # 1 for a list item (Markdown, HTML, a bulleted line), 2 nested, ...; 0 otherwise


@dataclass(frozen=True)
class Article:
    """The cleaned article: text plus the structure found while cleaning."""

    text: str
    spans: tuple[Span, ...]
    byline: str = ""
    source_line: str = ""


# What a block of the article is, for chunks and sentences alike: a heading
# opens a section, the byline names the author, everything else is body text.
HEADING, BYLINE, BODY = "heading", "byline", "body"


@dataclass(frozen=True)
class Chunk:
    """A retrievable piece of the article, never crossing a paragraph."""

    chunk_id: int
    text: str
    start: int
    end: int
    section: str
    paragraph: int
    kind: str = BODY


@dataclass(frozen=True)
class Sentence:
    """A quotable sentence of the article, by offsets; ``kind`` as for chunks."""

    start: int
    end: int
    kind: str = BODY


@dataclass(frozen=True)
class Passage:
    """A chunk returned for a question, with its fused relevance score."""

    text: str
    score: float
    chunk_id: int
    section: str
    paragraph: int
    start: int
    end: int

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Item:
    """One item of a list answer: its quoted text (the item's opening
    sentence), its offsets in the clean article and the ``[n]`` it cites."""

    text: str
    start: int
    end: int
    citation: int

    def to_dict(self) -> dict:
        return asdict(self)


# What a question asks for (query.QuestionKind.kind), and so how it is answered.
FACT, LIST, GIST, REASON, MANNER = "fact", "list", "gist", "reason", "manner"


@dataclass(frozen=True)
class Answer:
    """An extractive answer.

    ``text`` quotes article sentences verbatim followed by ``[n]`` marks;
    ``passages[n-1]`` is the passage cited as ``[n]``. ``evidence`` holds
    ``(passage_index, sentence_start, sentence_end)`` with offsets into the
    clean article, so a UI can highlight the quoted sentence. ``short_answer``
    is the exact phrase that answers (``""`` when none stands out) and
    ``short_span`` its ``(start, end)`` in the article, always inside a
    quoted sentence. ``question`` is the question as understood: the one
    asked (cleaned), or a follow-up resolved against the history
    (conversation.py), so a wrong resolution is visible. ``kind`` is the
    kind of question answered (fact, list, gist, reason, manner); a list
    answer's ``items`` are its items in article order, each quoted in
    ``text`` too. ``written`` is the optional writer's checked text (``""``
    when no writer is configured or it fell back).
    """

    found: bool
    text: str
    passages: tuple[Passage, ...] = ()
    evidence: tuple[tuple[int, int, int], ...] = ()
    note: str = ""
    short_answer: str = ""
    short_span: tuple[int, int] | None = None
    question: str = ""
    kind: str = FACT
    items: tuple[Item, ...] = ()
    written: str = ""

    def quoted(self) -> list[tuple[str, int, int, int]]:
        """``(sentence, citation, start, end)`` for each quoted sentence, cut
        from ``text`` (each is its article text and its ``[n]``, joined by spaces)."""
        out, position = [], 0
        for number, start, end in self.evidence:
            out.append((self.text[position:position + end - start], number + 1, start, end))
            position += end - start + len(f"[{number + 1}]") + 1
        return out

    def to_dict(self) -> dict:
        return {
            "found": self.found,
            "question": self.question,
            "kind": self.kind,
            "short_answer": self.short_answer,
            "short_span": list(self.short_span) if self.short_span else None,
            "text": self.text,
            "passages": [p.to_dict() for p in self.passages],
            "evidence": [list(e) for e in self.evidence],
            "note": self.note,
            "items": [item.to_dict() for item in self.items],
            "written": self.written,
        }


@dataclass(frozen=True)
class Topic:
    """What a question is about, for the follow-ups that point back at it
    (conversation.py): offsets into ``question``; ``kind`` of a span is
    ``phrase`` (the article holds it), ``quoted``, ``time`` (a year, a date,
    a number) or ``ordinal`` (第六部分, "the sixth part")."""

    question: str
    phrase: str = ""  # the key phrase: the first quoted one, else the first
    phrases: tuple[str, ...] = ()  # every phrase found, in order
    spans: tuple[tuple[int, int, str], ...] = ()
    person: str = ""  # a person the question names
    asks_person: bool = False  # 誰 / who
    # The question word asks for a thing the answer names ("哪份文件", "which
    # document"), as subject or object, not as a place or an agent ("由哪個機構").
    asks_entity: bool = False


@dataclass(frozen=True)
class Response:
    """One engine pass over a question: the answer, and the ``k`` passages
    ranked for it (the answer's cited passages are among the first ones).
    Chat UIs show both without asking the engine twice."""

    answer: Answer
    passages: tuple[Passage, ...]
