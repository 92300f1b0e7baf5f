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
from .records import BODY, BYLINE, HEADING, Article, Chunk, Sentence, Span
from .settings import DEFAULTS

# Strongest break first: sentence ends, then clause breaks, then spaces.
SEPARATORS = ["\n", "。", "！", "？", "；", "!", "?", ";", ". ", "，", ",", " ", ""]
_SENTENCE = re.compile(r".+?(?:[。！？!?]+[”」』\"')）]*|\.(?=\s)|$)", re.DOTALL)


@dataclass(frozen=True)
class ChunkParams:
    """How the article is cut; recorded in the index manifest."""

    size: int = DEFAULTS.chunk_size
    overlap: int = DEFAULTS.chunk_overlap

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
        kind = block_kind(article, span)
        if kind == HEADING:
            section = text
            chunks.append(Chunk(len(chunks), text, span.start, span.end, section, paragraph + 1, kind))
            continue
        paragraph += 1
        for doc in splitter.create_documents([text]):
            start = span.start + doc.metadata["start_index"]
            chunks.append(Chunk(len(chunks), doc.page_content, start, start + len(doc.page_content),
                                section, paragraph, kind))
    return chunks


def block_kind(article: Article, span: Span) -> str:
    if span.is_heading:
        return HEADING
    if article.byline and article.text[span.start:span.end] == article.byline:
        return BYLINE
    return BODY


def split_sentences(article: Article) -> list[Sentence]:
    """Sentences in order; a heading (and the byline) counts as one sentence."""
    sentences = []
    for span in article.spans:
        kind = block_kind(article, span)
        for match in _SENTENCE.finditer(article.text, span.start, span.end):
            start, end = strip_span(article.text, match.start(), match.end())
            if end > start:
                sentences.append(Sentence(start, end, kind))
    return sentences


# The byline ("文|北京 李廣乾", "By Jane Doe") names the author without saying
# so; a label lets "who wrote this?" / "作者是誰?" find it. The embedder reads
# the full label; BM25 only "byline": in a chunk of two words, "author"
# outscored the closing note ("(作者係…研究員)") for questions about the
# author's position.
BYLINE_LABEL = "作者 署名 author byline"
BYLINE_TERMS = "署名 byline"


def embedding_text(chunk: Chunk) -> str:
    """What the embedder reads for a chunk: its section heading gives it
    context, and the byline says that it is the byline."""
    if chunk.kind == BYLINE:
        return f"{BYLINE_LABEL}\n{chunk.text}"
    if not chunk.section or chunk.kind == HEADING:
        return chunk.text
    return f"{chunk.section}\n{chunk.text}"


def lexical_text(chunk: Chunk) -> str:
    """What BM25 reads for a chunk (see BYLINE_TERMS)."""
    if chunk.kind == BYLINE:
        return f"{BYLINE_TERMS}\n{chunk.text}"
    return embedding_text(chunk)


def sentence_model_text(text: str, kind: str) -> str:
    """What the embedder and the answer stage read for a sentence."""
    return f"{BYLINE_LABEL}\n{text}" if kind == BYLINE else text


def strip_span(text: str, start: int, end: int) -> tuple[int, int]:
    """``(start, end)`` moved inward past whitespace at either end."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end
