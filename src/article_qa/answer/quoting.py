"""The one quoting helper every composer ends with: article sentences,
verbatim, each followed by the ``[n]`` of the passage it stands in."""

from __future__ import annotations

import numpy as np

from ..index import LoadedIndex
from ..query import Query
from ..records import FACT, Answer, Item, Passage

NOT_FOUND = {
    "zh-Hant": "文章沒有提到這一點。",
    "zh-Hans": "文章没有提到这一点。",
    "en": "The article does not say.",
}


def quote(sentences: list[int], passages: list[Passage], index: LoadedIndex, *,
          short: tuple[int, int] | None = None, kind: str = FACT,
          items: list[tuple[int, int]] = ()) -> Answer:
    """An answer quoting ``sentences`` (index numbers, in the order given),
    citing the passage of ``passages`` that holds each (else the chunk that
    does). ``items``: a list answer's items as article offsets, each inside
    a quoted sentence, cited as that sentence is."""
    cited: list[Passage] = []
    parts, evidence = [], []
    for sentence in sentences:
        start, end = (int(x) for x in index.sentences[sentence])
        passage = next((p for p in passages if p.start < end and start < p.end), None) or chunk_passage(index, start, end)
        if passage not in cited:
            cited.append(passage)
        number = cited.index(passage) + 1
        parts.append(f"{index.article[start:end]}[{number}]")
        evidence.append((number - 1, start, end))
    listed = tuple(Item(index.article[start:end], start, end, _citation(evidence, start)) for start, end in items)
    return Answer(found=True, text=" ".join(parts), passages=tuple(cited), evidence=tuple(evidence),
                  short_answer=index.article[short[0]:short[1]] if short else "", short_span=short,
                  kind=kind, items=listed)


def _citation(evidence: list[tuple[int, int, int]], start: int) -> int:
    """The ``[n]`` of the quoted sentence that holds offset ``start``."""
    return next(number + 1 for number, first, last in evidence if first <= start < last)


def chunk_passage(index: LoadedIndex, start: int, end: int) -> Passage:
    """The chunk that holds most of a sentence, as a passage: a composer can
    quote a sentence that no top passage holds."""
    chunk = max(index.chunks, key=lambda c: min(c.end, end) - max(c.start, start))
    return Passage(text=chunk.text, score=0.0, chunk_id=chunk.chunk_id, section=chunk.section,
                   paragraph=chunk.paragraph, start=chunk.start, end=chunk.end)


def sentence_at(index: LoadedIndex, offset: int) -> int:
    """The number of the sentence that holds (or starts after) ``offset``."""
    starts = index.sentences[:, 0]
    return max(int(np.searchsorted(starts, offset, side="right")) - 1, 0)


def sentences_within(index: LoadedIndex, start: int, end: int) -> list[int]:
    """The numbers of the sentences inside ``[start, end)``, in order."""
    first = sentence_at(index, start)
    if int(index.sentences[first][1]) <= start:
        first += 1
    numbers = []
    while first < len(index.sentences) and int(index.sentences[first][0]) < end:
        numbers.append(first)
        first += 1
    return numbers


def continues(index: LoadedIndex, sentence: int) -> bool:
    """Whether the next sentence continues this one's paragraph."""
    if sentence + 1 >= len(index.sentences):
        return False
    gap = index.article[index.sentences[sentence][1]:index.sentences[sentence + 1][0]]
    return "\n" not in gap


def not_found(query: Query) -> Answer:
    return Answer(found=False, text=NOT_FOUND[query.language], kind=query.shape.kind)
