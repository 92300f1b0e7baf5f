"""One ArticleQA shared by many threads answers exactly as it does alone."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from article_qa import ArticleQA
from article_qa.errors import ArticleQAError
from article_qa.records import Sentence

from conftest import DEFAULT_ARTICLE, ENGLISH_ARTICLE, FakeEmbedder

ROOT = Path(__file__).resolve().parents[1]
THREADS = 8
PER_THREAD = 40  # 320 answers racing on one engine; each ask is a few ms of CPU
POOL_STRIDE = 3  # every third project question (both languages, answerable and not) keeps the run short
HOSTILE = ["", "   ", "\ud800", "😀", None, "x" * 5000, "<script>alert(1)</script>"]


def question_pool() -> list:
    questions = []
    for name in ("questions.jsonl", "offtopic.jsonl"):
        with open(ROOT / "eval" / name, encoding="utf-8") as handle:
            questions += [json.loads(line)["question"] for line in handle if line.strip()]
    return questions[::POOL_STRIDE] + HOSTILE


def outcome(qa: ArticleQA, question, k: int):
    """Everything a caller can observe: the answer, the passages, or the error."""
    try:
        return ("ok", qa.ask(question).to_dict(), [p.to_dict() for p in qa.retrieve(question, k=k)])
    except ArticleQAError as error:
        return ("error", type(error).__name__, str(error))


def run_threads(qa: ArticleQA, pool: list) -> list[list]:
    """THREADS threads, each PER_THREAD questions in its own order, started together."""
    start = threading.Barrier(THREADS)

    def worker(offset: int) -> list:
        start.wait()
        picks = [(offset * 37 + i * 11) % len(pool) for i in range(PER_THREAD)]
        return [(i, outcome(qa, pool[i], 1 + i % 7)) for i in picks]

    with ThreadPoolExecutor(THREADS) as executor:
        return list(executor.map(worker, range(THREADS)))


def check_threads_agree(index: Path, embedder) -> None:
    pool = question_pool()
    alone = ArticleQA.load(index, embedder=embedder)
    expected = {i: outcome(alone, question, 1 + i % 7) for i, question in enumerate(pool)}
    # A fresh instance, so the threads race on a cold question cache too;
    # the k each question gets depends on its position, as for `alone`.
    shared = ArticleQA.load(index, embedder=embedder)
    results = run_threads(shared, pool)
    assert sum(len(r) for r in results) == THREADS * PER_THREAD
    for per_thread in results:
        for i, got in per_thread:
            assert got == expected[i], f"question {pool[i]!r} differs under {THREADS} threads"
    assert {got[0] for r in results for _, got in r} == {"ok", "error"}  # both paths exercised


def test_threads_agree_with_one_thread_fake_embedder(tmp_path):
    index = tmp_path / "index"
    ArticleQA.build(DEFAULT_ARTICLE, index_dir=index, embedder=FakeEmbedder())
    check_threads_agree(index, FakeEmbedder())


@pytest.mark.slow
def test_threads_agree_with_one_thread_real_model(tmp_path):
    from article_qa.embed import UniversalSentenceEncoder

    embedder = UniversalSentenceEncoder(threads=1)
    check_threads_agree(ROOT / "index", embedder)


def test_concurrent_builds_of_one_folder(tmp_path, monkeypatch):
    """Last writer wins: no build fails, the result is a whole index, nothing is left behind."""
    import article_qa.index as index_module

    monkeypatch.setattr(index_module, "build_glossary", lambda folded: {})  # ~1 s a call, beside the point

    (tmp_path / "article.md").write_text(ENGLISH_ARTICLE, encoding="utf-8")
    ArticleQA.build(tmp_path / "article.md", index_dir=tmp_path / "source", embedder=FakeEmbedder())
    built = index_module.load_index(tmp_path / "source")
    vectors = built.dense.reconstruct_n(0, built.dense.ntotal)

    def save(_):
        start.wait()
        index_module.save_index(tmp_path / "index", manifest=built.manifest, article=built.article,
                                chunks=built.chunks, sentences=[Sentence(int(a), int(b), kind) for (a, b), kind
                                                               in zip(built.sentences, built.sentence_kinds)],
                                structure=built.structure, chunk_vectors=vectors,
                                sentence_vectors=built.sentence_vectors)

    for _ in range(10):  # the race is narrow: many rounds of 8 simultaneous saves
        start = threading.Barrier(THREADS)
        with ThreadPoolExecutor(THREADS) as executor:
            list(executor.map(save, range(THREADS)))  # re-raises any thread's exception
    assert ArticleQA.load(tmp_path / "index", embedder=FakeEmbedder()).article == built.article
    assert sorted(p.name for p in tmp_path.iterdir()) == ["article.md", "index", "source"]
