"""Stage 2 — chunk: the clean article to passages and sentences.

Chunks come from LangChain's ``RecursiveCharacterTextSplitter`` run on one
paragraph at a time, so a chunk never crosses a paragraph or a section, and
its offsets point into the clean article. Sizes are in characters, which is
what a reader of Chinese counts. Sentences are split separately: the answer
stage quotes whole sentences, not chunk fragments.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import ArticleQAError
from .records import Article, Chunk

# Strongest break first: sentence ends, then clause breaks, then spaces.
SEPARATORS = ["\n", "。", "！", "？", "；", "!", "?", ";", ". ", "，", ",", " ", ""]
_SENTENCE = re.compile(r".+?(?:[。！？!?]+[”」』\"')）]*|\.(?=\s)|$)", re.DOTALL)


@dataclass(frozen=True)
class ChunkParams:
    """How the article is cut; recorded in the index manifest."""

    size: int = 200
    overlap: int = 40

    def __post_init__(self) -> None:
        if self.size < 20:
            raise ArticleQAError("chunk size must be at least 20 characters")
        if not 0 <= self.overlap < self.size:
            raise ArticleQAError("chunk overlap must be at least 0 and smaller than the chunk size")


def chunk_article(article: Article, params: ChunkParams = ChunkParams()) -> list[Chunk]:
    """Cut every paragraph into chunks that keep their section heading.

    A heading is a chunk of its own (numbered with the paragraph it opens):
    some facts, such as how many periods a history has, live only there.
    """
    # Imported here: LangChain takes a second to import and only builds need it.
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    splitter = RecursiveCharacterTextSplitter(
        chunk_size=params.size,
        chunk_overlap=params.overlap,
        separators=SEPARATORS,
        keep_separator="end",
        add_start_index=True,
    )
    chunks: list[Chunk] = []
    section, paragraph = "", 0
    for span in article.spans:
        text = article.text[span.start:span.end]
        if span.is_heading:
            section = text
            chunks.append(Chunk(len(chunks), text, span.start, span.end, section, paragraph + 1))
            continue
        paragraph += 1
        for doc in splitter.create_documents([text]):
            start = span.start + doc.metadata["start_index"]
            chunks.append(Chunk(len(chunks), doc.page_content, start, start + len(doc.page_content),
                                section, paragraph))
    return chunks


def split_sentences(article: Article) -> list[tuple[int, int]]:
    """Sentence spans ``(start, end)`` in order; a heading counts as one sentence."""
    spans = []
    for span in article.spans:
        for match in _SENTENCE.finditer(article.text, span.start, span.end):
            start, end = _strip_span(article.text, match.start(), match.end())
            if end > start:
                spans.append((start, end))
    return spans


def _strip_span(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end
