"""The small immutable records that flow between pipeline stages."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Span:
    """A block of the clean article: a heading or a paragraph, by offsets."""

    start: int
    end: int
    is_heading: bool


@dataclass(frozen=True)
class Article:
    """The cleaned article: text plus the structure found while cleaning."""

    text: str
    spans: tuple[Span, ...]
    byline: str = ""
    source_line: str = ""


@dataclass(frozen=True)
class Chunk:
    """A retrievable piece of the article, never crossing a paragraph."""

    chunk_id: int
    text: str
    start: int
    end: int
    section: str
    paragraph: int


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
class Answer:
    """An extractive answer.

    ``text`` quotes article sentences verbatim followed by ``[n]`` marks;
    ``passages[n-1]`` is the passage cited as ``[n]``. ``evidence`` holds
    ``(passage_index, sentence_start, sentence_end)`` with offsets into the
    clean article, so a UI can highlight the quoted sentence.
    """

    found: bool
    text: str
    passages: tuple[Passage, ...] = ()
    evidence: tuple[tuple[int, int, int], ...] = ()
    note: str = ""

    def to_dict(self) -> dict:
        return {
            "found": self.found,
            "text": self.text,
            "passages": [p.to_dict() for p in self.passages],
            "evidence": [list(e) for e in self.evidence],
            "note": self.note,
        }
