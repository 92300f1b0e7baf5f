"""The facade: ``ArticleQA.build`` / ``ArticleQA.load``, ``retrieve`` and ``ask``."""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from collections import OrderedDict
from pathlib import Path
from threading import Lock
from typing import Callable

import numpy as np

from .answer import answer_question
from .chunk import ChunkParams, chunk_article, split_sentences
from .embed import DEFAULT_MODEL, Embedder, load_embedder
from .errors import ArticleQAError, BadQuestionError
from .fold import fold, tokens
from .folder import check_index_target
from .glossary import translate
from .index import (LoadedIndex, Manifest, embedding_text, labelled, load_index, package_versions,
                    rebuild_command, relative_source, save_index, sha256_file)
from .ingest import read_article
from .records import Answer, Passage, Response
from .retrieve import Query, Retriever, Translation, quoted_phrases
from .settings import default_index_dir

MAX_QUESTION_CHARS = 500
_QUERY_CACHE_SIZE = 256
# Zero-width and bidi controls, stray surrogates and C0/C1 controls carry no
# meaning in a question and break tokenizers.
_INVISIBLE = re.compile(r"[\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff\ud800-\udfff]")

Progress = Callable[[str], None]


class ArticleQA:
    """Question answering over one article's index. Safe to share across threads."""

    def __init__(self, index: LoadedIndex, embedder: Embedder) -> None:
        self._index = index
        self._embedder = embedder
        self._retriever = Retriever(index)
        self._vectors: OrderedDict[str, np.ndarray] = OrderedDict()
        self._vectors_lock = Lock()

    # ---- construction -------------------------------------------------
    @classmethod
    def load(cls, index_dir: str | Path | None = None, *, embedder: Embedder | None = None) -> "ArticleQA":
        """Open a built index (default: see :func:`default_index_dir`)."""
        index_dir = Path(index_dir) if index_dir is not None else default_index_dir()
        index = load_index(index_dir, embedder_name=embedder.name if embedder else None,
                           embedder_dimension=embedder.dimension if embedder else None)
        return cls(index, embedder or _index_embedder(index, index_dir))

    @classmethod
    def build(cls, article_path: str | Path, *, index_dir: str | Path = "index", model: str = DEFAULT_MODEL,
              embedder: Embedder | None = None, chunk_size: int = ChunkParams.size,
              chunk_overlap: int = ChunkParams.overlap, encoding: str | None = None,
              progress: Progress | None = None) -> "ArticleQA":
        """Clean, chunk, embed and index ``article_path`` into ``index_dir``."""
        say = progress or (lambda message: None)
        params = ChunkParams(chunk_size, chunk_overlap)
        article_path, index_dir = Path(article_path), Path(index_dir)
        check_index_target(index_dir)  # before minutes of embedding, not after
        say(f"ingest: reading {article_path}")
        article = read_article(article_path, encoding=encoding)
        chunks = chunk_article(article, params)
        sentences = split_sentences(article)
        say(f"chunk: {len(chunks)} chunks of up to {params.size} characters, {len(sentences)} sentences")
        embedder = embedder or load_embedder(model)
        say(f"embed: {len(chunks) + len(sentences)} texts with {embedder.name}")
        chunk_vectors = _embed_in_batches(embedder, [embedding_text(c, article.byline) for c in chunks], say, "chunks")
        sentence_vectors = _embed_in_batches(embedder, [labelled(article.text[s:e], article.byline)
                                                         for s, e in sentences], say, "sentences")
        manifest = Manifest(
            source_path=relative_source(index_dir, article_path), source_sha256=sha256_file(article_path),
            chunk_size=params.size, chunk_overlap=params.overlap, embedder=embedder.name,
            dimension=embedder.dimension, n_chunks=len(chunks), byline=article.byline,
            source_line=article.source_line, file_sha256={}, versions=package_versions(),
        )
        say(f"index: writing FAISS + BM25 to {index_dir}")
        save_index(index_dir, manifest=manifest, article=article.text, chunks=chunks, sentences=sentences,
                   chunk_vectors=chunk_vectors, sentence_vectors=sentence_vectors)
        say("done")
        return cls(load_index(index_dir), embedder)

    # ---- the public questions -----------------------------------------
    @property
    def article(self) -> str:
        """The clean article text that every offset points into."""
        return self._index.article

    @property
    def manifest(self) -> Manifest:
        return self._index.manifest

    @property
    def n_chunks(self) -> int:
        return len(self._index.chunks)

    def retrieve(self, question: str, k: int = 3) -> list[Passage]:
        """The ``k`` passages best matching ``question``, best first."""
        if isinstance(k, bool) or not isinstance(k, int) or k < 1:
            raise BadQuestionError("k must be a whole number of at least 1.")
        query, _ = self._prepare(question)
        return self._retriever.search(query, k)

    def ask(self, question: str) -> Answer:
        """An extractive answer with numbered citations, or a plain decline."""
        return self.respond(question).answer

    def respond(self, question: str, *, k: int = 3) -> Response:
        """The answer and the ``k`` best passages from one pass: the question
        is cleaned, embedded and scored once (what a chat turn shows)."""
        if isinstance(k, bool) or not isinstance(k, int) or k < 1:
            raise BadQuestionError("k must be a whole number of at least 1.")
        query, note = self._prepare(question)
        passages = self._retriever.search(query, k=max(k, 3))
        answer = answer_question(query, passages, self._index)
        answer = dataclasses.replace(answer, note=note) if note else answer
        return Response(answer=answer, passages=tuple(passages[:k]))

    # ---- internals ------------------------------------------------------
    def _prepare(self, question: str) -> tuple[Query, str]:
        text, note = clean_question(question)
        folded = fold(text)
        # Folding serves the lexical side; the embedder reads the question as
        # written (it knows both scripts, and case), which measured better.
        own_tokens = tokens(folded)
        lexical_ids = self._retriever.lexical_ids
        translations = tuple(
            tuple(Translation(term, weight, tuple(lexical_ids(tokens(term)))) for term, weight in word.items())
            for word in translate(folded, self._index.glossary, self._index.phrases))
        query = Query(text=text, folded=folded, lexical_tokens=tuple(own_tokens),
                      token_ids=lexical_ids(own_tokens), translations=translations,
                      vector=self._vector(unicodedata.normalize("NFKC", text)),
                      phrases=quoted_phrases(text, self._index.glossary, self._index.phrases))
        return query, note

    def _vector(self, text: str) -> np.ndarray:
        """Question vectors, cached: chat users repeat and retry questions."""
        with self._vectors_lock:
            if text in self._vectors:
                self._vectors.move_to_end(text)
                return self._vectors[text]
        vector = self._embedder.embed([text])[0]
        with self._vectors_lock:
            self._vectors[text] = vector
            if len(self._vectors) > _QUERY_CACHE_SIZE:
                self._vectors.popitem(last=False)
        return vector


def _index_embedder(index: LoadedIndex, index_dir: Path) -> Embedder:
    """The model the index was built with, or an error that offers the default instead."""
    try:
        return load_embedder(index.manifest.embedder)
    except ArticleQAError as error:
        rebuild = rebuild_command(index.manifest.source_path, index_dir, DEFAULT_MODEL)
        raise ArticleQAError(f"{error} Or rebuild the index with the offline default model: {rebuild}") from error


def clean_question(question: object) -> tuple[str, str]:
    """Question text fit for the models, plus a note if it was shortened."""
    if not isinstance(question, str):
        raise BadQuestionError("The question must be text.")
    text = _INVISIBLE.sub("", question)
    text = "".join(" " if unicodedata.category(ch) == "Cc" else ch for ch in text)
    text = " ".join(text.split())
    if not any(ch.isalnum() for ch in text):
        raise BadQuestionError("Please type a question (the text was empty or had no words).")
    note = ""
    if len(text) > MAX_QUESTION_CHARS:
        text = text[:MAX_QUESTION_CHARS]
        note = f"The question was shortened to its first {MAX_QUESTION_CHARS} characters."
    return text, note


def _embed_in_batches(embedder: Embedder, texts: list[str], say: Progress, what: str,
                      batch: int = 256) -> np.ndarray:
    parts = []
    for start in range(0, len(texts), batch):
        parts.append(embedder.embed(texts[start:start + batch]))
        say(f"embed: {min(start + batch, len(texts))}/{len(texts)} {what}")
    if not parts:
        return np.zeros((0, embedder.dimension), dtype=np.float32)
    return np.concatenate(parts)
