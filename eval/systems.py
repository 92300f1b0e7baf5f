"""The systems the runner compares: the engine (and its ablations) and the
LangChain RAG tutorial baseline, each built from the same clean article."""

from __future__ import annotations

import contextlib
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from unittest import mock

import numpy as np

from article_qa import ArticleQA
from article_qa.ingest import read_article
from article_qa.retrieve import DENSE_WEIGHT

BASELINE_CHUNK_SIZE = 1000
BASELINE_CHUNK_OVERLAP = 200


@dataclass(frozen=True)
class EngineVariant:
    """One engine configuration; the default is what ships."""

    name: str = "article-qa"
    chunk_size: int = 200
    chunk_overlap: int = 40
    dense_weight: float = DENSE_WEIGHT
    script_folding: bool = True


ABLATIONS = [
    EngineVariant("dense only", dense_weight=1.0),
    EngineVariant("BM25 only", dense_weight=0.0),
    EngineVariant("no script folding", script_folding=False),
    EngineVariant("chunks 100", chunk_size=100, chunk_overlap=20),
    EngineVariant("chunks 300", chunk_size=300, chunk_overlap=60),
    EngineVariant("chunks 500", chunk_size=500, chunk_overlap=100),
]


def _no_folding(text: str) -> str:
    return unicodedata.normalize("NFKC", text).lower()


@contextlib.contextmanager
def folding(enabled: bool):
    """Ablation switch: swap the engine's script folding for width/case only."""
    if enabled:
        yield
        return
    targets = ("article_qa.index.fold", "article_qa.query.fold", "article_qa.rank.fold", "article_qa.decline.fold")
    with contextlib.ExitStack() as stack:
        for target in targets:
            stack.enter_context(mock.patch(target, _no_folding))
        yield


def build_engine(variant: EngineVariant, article: Path, index_dir: Path, *, embedder=None) -> ArticleQA:
    return ArticleQA.build(article, index_dir=index_dir, embedder=embedder, chunk_size=variant.chunk_size,
                           chunk_overlap=variant.chunk_overlap, dense_weight=variant.dense_weight)


@dataclass(frozen=True)
class BaselinePassage:
    text: str
    score: float


@dataclass(frozen=True)
class BaselineAnswer:
    found: bool
    text: str


class LangChainBaseline:
    """As the LangChain RAG tutorial builds it: 1,000/200 character chunks,
    all-MiniLM-L6-v2, FAISS, no lexical index; the first passage is the answer."""

    name = "langchain-baseline"

    def __init__(self, article: Path, *, embedder=None) -> None:
        import faiss
        from langchain_text_splitters import RecursiveCharacterTextSplitter

        from article_qa.embed import PACKAGED_MINILM, load_embedder

        text = read_article(article).text
        splitter = RecursiveCharacterTextSplitter(chunk_size=BASELINE_CHUNK_SIZE, chunk_overlap=BASELINE_CHUNK_OVERLAP)
        self.chunks = splitter.split_text(text)
        self._embedder = embedder or load_embedder(PACKAGED_MINILM)
        vectors = self._embedder.embed(self.chunks)
        self._index = faiss.IndexFlatIP(vectors.shape[1])
        self._index.add(vectors)

    @property
    def mean_passage_chars(self) -> float:
        return float(np.mean([len(c) for c in self.chunks]))

    def retrieve(self, question: str, k: int = 3) -> list[BaselinePassage]:
        vector = self._embedder.embed([question])
        scores, ids = self._index.search(vector, min(k, len(self.chunks)))
        return [BaselinePassage(self.chunks[i], float(s)) for s, i in zip(scores[0], ids[0]) if i >= 0]

    def ask(self, question: str) -> BaselineAnswer:
        top = self.retrieve(question, k=1)
        return BaselineAnswer(found=bool(top), text=top[0].text if top else "")


def engine_mean_passage_chars(qa: ArticleQA) -> float:
    return float(np.mean([chunk.end - chunk.start for chunk in qa.index.chunks]))
