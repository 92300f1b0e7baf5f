"""The facade: ``ArticleQA.build`` / ``ArticleQA.load``, ``retrieve`` and ``ask``.

It wires the stages (ingest -> chunk -> embed -> index; query -> retrieve ->
answer) and holds no stage logic of its own.
"""

from __future__ import annotations

import dataclasses
from collections import OrderedDict
from pathlib import Path
from threading import Lock
from typing import Callable

import numpy as np

from .answer import answer_question, not_found
from .chunk import ChunkParams, chunk_article, embedding_text, sentence_model_text, split_sentences
from .conversation import check_history, resolve
from .embed import Embedder, load_embedder
from .errors import ArticleQAError, BadQuestionError
from .folder import check_index_target
from .index import (LoadedIndex, Manifest, load_index, package_versions, rebuild_command, relative_source,
                    save_index, sha256_file)
from .ingest import read_article
from .query import clean_question, prepare_query
from .rank import rank_passages
from .read import load_reader, use_reader
from .records import Answer, Passage, Response
from .retrieve import DENSE_WEIGHT, Retriever
from .settings import DEFAULTS, default_index_dir
from .structure import find_structure

_QUERY_CACHE_SIZE = 256

Progress = Callable[[str], None]


class ArticleQA:
    """Question answering over one article's index. Safe to share across threads."""

    def __init__(self, index: LoadedIndex, embedder: Embedder, *, dense_weight: float = DENSE_WEIGHT,
                 reader: bool | None = None, writer=None) -> None:
        self._index = index
        self._embedder = embedder
        self._retriever = Retriever(index, dense_weight=dense_weight)
        self._reader = load_reader() if use_reader(reader) else None
        self._writer = _as_writer(writer)
        self._vectors: OrderedDict[str, np.ndarray] = OrderedDict()
        self._vectors_lock = Lock()
        self._answers: OrderedDict[str, Answer] = OrderedDict()  # question -> its answer, for follow-ups

    # ---- construction -------------------------------------------------
    @classmethod
    def load(cls, index_dir: str | Path | None = None, *, embedder: Embedder | None = None,
             dense_weight: float = DENSE_WEIGHT, reader: bool | None = None, writer=None) -> "ArticleQA":
        """Open a built index (default: see :func:`settings.default_index_dir`).

        ``dense_weight`` sets the retrieval fusion (1 = dense only, 0 = BM25
        only); the default is what ships, other values are for ablations.
        ``reader=True`` answers with the trained reader (when its model file
        is there); ``False`` with the tree models and span rules alone;
        ``None`` follows ``$ARTICLE_QA_READER`` (``off`` turns it off; on by default).
        ``writer`` (a :class:`write.WriterConfig` or :class:`write.Writer`) has a
        language model word each found answer from its quotes (``Answer.written``,
        checked against them); None, the default, means none (the environment's
        ``$ARTICLE_QA_LLM_*`` is read by the CLI and the app, not here).
        """
        index_dir = Path(index_dir) if index_dir is not None else default_index_dir()
        index = load_index(index_dir, embedder=embedder)
        return cls(index, embedder or _index_embedder(index, index_dir), dense_weight=dense_weight, reader=reader,
                   writer=writer)

    @classmethod
    def build(cls, article_path: str | Path, *, index_dir: str | Path = DEFAULTS.index_folder,
              model: str = DEFAULTS.model, embedder: Embedder | None = None,
              chunk_size: int = DEFAULTS.chunk_size, chunk_overlap: int = DEFAULTS.chunk_overlap,
              encoding: str | None = None, progress: Progress | None = None,
              dense_weight: float = DENSE_WEIGHT, reader: bool | None = None, writer=None) -> "ArticleQA":
        """Clean, chunk, embed and index ``article_path`` into ``index_dir``."""
        say = progress or (lambda message: None)
        params = ChunkParams(chunk_size, chunk_overlap)
        article_path, index_dir = Path(article_path), Path(index_dir)
        check_index_target(index_dir)  # before minutes of embedding, not after
        say(f"ingest: reading {article_path}")
        article = read_article(article_path, encoding=encoding)
        chunks = chunk_article(article, params)
        sentences = split_sentences(article)
        structure = find_structure(article, sentences)
        say(f"chunk: {len(chunks)} chunks of up to {params.size} characters, {len(sentences)} sentences")
        embedder = embedder or load_embedder(model)
        say(f"embed: {len(chunks) + len(sentences)} texts with {embedder.name}")
        chunk_vectors = _embed_in_batches(embedder, [embedding_text(c) for c in chunks], say, "chunks")
        sentence_vectors = _embed_in_batches(
            embedder, [sentence_model_text(article.text[s.start:s.end], s.kind) for s in sentences], say, "sentences")
        manifest = Manifest(
            source_path=relative_source(index_dir, article_path), source_sha256=sha256_file(article_path),
            chunk_size=params.size, chunk_overlap=params.overlap, embedder=embedder.name,
            dimension=embedder.dimension, n_chunks=len(chunks), byline=article.byline,
            source_line=article.source_line, file_sha256={}, versions=package_versions(),
            embedder_revision=getattr(embedder, "revision", None) or "",
        )
        say(f"index: writing FAISS + BM25 to {index_dir}")
        save_index(index_dir, manifest=manifest, article=article.text, chunks=chunks, sentences=sentences,
                   structure=structure,
                   chunk_vectors=chunk_vectors, sentence_vectors=sentence_vectors)
        say("done")
        return cls(load_index(index_dir), embedder, dense_weight=dense_weight, reader=reader, writer=writer)

    # ---- the public questions -----------------------------------------
    @property
    def article(self) -> str:
        """The clean article text that every offset points into."""
        return self._index.article

    @property
    def index(self) -> LoadedIndex:
        """The loaded index (article, chunks, sentences, glossary), read-only by
        convention: for tests, evaluation and tools that inspect what was built."""
        return self._index

    @property
    def writer(self):
        """The :class:`write.Writer` this engine words its answers with, or None."""
        return self._writer

    @property
    def embedder(self) -> Embedder:
        return self._embedder

    def search(self, query, k: int) -> list[Passage]:
        """Retrieval alone for a prepared query (fused scores, before the
        answer stage reorders the first few): what the ranker's features and
        its training see."""
        return self._retriever.search(query, k)

    def prepare(self, question: str):
        """The question as the stages see it (a :class:`query.Query`): for
        benchmarks that time the stages one by one."""
        return prepare_query(question, self._index, self._vector)[0]

    @property
    def manifest(self) -> Manifest:
        return self._index.manifest

    @property
    def n_chunks(self) -> int:
        return len(self._index.chunks)

    def retrieve(self, question: str, k: int = DEFAULTS.retrieve_k, history=None) -> list[Passage]:
        """The ``k`` passages best matching ``question``, best first.
        ``Passage.score`` is the relevance they are ordered by: for the first
        few mostly the evidence of the best sentence each holds (the answer
        stage's ranker), the rest their retrieval score (see
        ``rank.rank_passages``). ``history`` as for ``ask``: a follow-up is
        resolved before retrieval."""
        return list(self.respond(question, k=k, answer=False, history=history).passages)

    def ask(self, question: str, history=None) -> Answer:
        """An extractive answer with numbered citations, or a plain decline.
        ``history``: the earlier turns, oldest first (questions, or
        ``{"question", "answer"}``), against which a follow-up is resolved;
        ``Answer.question`` is the question as understood."""
        return self.respond(question, history=history).answer

    def respond(self, question: str, *, k: int = DEFAULTS.retrieve_k, answer: bool = True,
                history=None, write: bool = True) -> Response:
        """The answer and the ``k`` best passages from one pass: the question
        is cleaned, resolved against ``history`` (the earlier turns, see
        ``ask``), embedded and scored once (what a chat turn shows).
        ``answer=False`` skips the answer itself (``Response.answer`` is then
        a plain decline): what ``retrieve`` needs. ``write=False`` skips the
        writer (the chat streams it instead: ``writer.stream``)."""
        if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= DEFAULTS.max_k:
            raise BadQuestionError(f"k must be a whole number from 1 to {DEFAULTS.max_k}.")
        turns = check_history(history)
        if turns:
            question = resolve(clean_question(question)[0], turns, article=self._index,
                               answer_of=self._earlier_answer)
        query, note = prepare_query(question, self._index, self._vector)
        passages = self._retriever.search(query, k=max(k, DEFAULTS.answer_passages))
        ranking = rank_passages(query, passages, self._index, DEFAULTS.answer_passages)
        reply = answer_question(query, ranking, self._index, self._reader) if answer else not_found(query)
        reply = dataclasses.replace(reply, question=query.text, note=note or reply.note)
        if answer and not turns:
            self._remember(query.text, reply)
        if write and self._writer is not None and reply.found:
            reply = self._writer.write(reply, self.article, glossary=self._index.glossary)
        return Response(answer=reply, passages=tuple(ranking.passages[:k]))

    # ---- internals ------------------------------------------------------
    def _earlier_answer(self, question: str) -> Answer:
        """An earlier turn's answer, for a follow-up whose history gave only
        the question: remembered when it was asked, else asked again."""
        with self._vectors_lock:
            if question in self._answers:
                return self._answers[question]
        return self.respond(question, write=False).answer

    def _remember(self, question: str, answer: Answer) -> None:
        with self._vectors_lock:
            self._answers[question] = answer
            self._answers.move_to_end(question)
            if len(self._answers) > _QUERY_CACHE_SIZE:
                self._answers.popitem(last=False)

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


def _as_writer(writer):
    """None stays None without importing the writer's module (nothing changes without one)."""
    if writer is None:
        return None
    from .write import as_writer

    return as_writer(writer)


def _index_embedder(index: LoadedIndex, index_dir: Path) -> Embedder:
    """The model the index was built with, or an error that offers the default instead."""
    try:
        return load_embedder(index.manifest.embedder)
    except ArticleQAError as error:
        rebuild = rebuild_command(index.manifest.source_path, index_dir, DEFAULTS.model)
        raise ArticleQAError(f"{error} Or rebuild the index with the offline default model: {rebuild}") from error


def _embed_in_batches(embedder: Embedder, texts: list[str], say: Progress, what: str,
                      batch: int = 256) -> np.ndarray:
    parts = []
    for start in range(0, len(texts), batch):
        parts.append(embedder.embed(texts[start:start + batch]))
        say(f"embed: {min(start + batch, len(texts))}/{len(texts)} {what}")
    if not parts:
        return np.zeros((0, embedder.dimension), dtype=np.float32)
    return np.concatenate(parts)
