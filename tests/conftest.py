"""Shared fixtures: a fake embedder so most tests run in milliseconds."""

from __future__ import annotations

import hashlib
import socket
from pathlib import Path

import numpy as np
import pytest

from article_qa import ArticleQA
from article_qa.fold import fold, tokens

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_ARTICLE = ROOT / "data" / "digital-government.txt"


class FakeEmbedder:
    """Hashes folded character n-grams and words into a small unit vector.

    Deterministic and instant; texts sharing words land near each other, which
    is all the pipeline tests need.
    """

    name = "fake-hash"
    dimension = 256

    def embed(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            for token in tokens(fold(text)):
                bucket = int.from_bytes(hashlib.blake2b(token.encode(), digest_size=4).digest(), "little")
                out[row, bucket % self.dimension] += 1.0
        out[:, 0] += 1e-3  # no all-zero rows
        return out / np.linalg.norm(out, axis=1, keepdims=True)


ENGLISH_ARTICLE = """# Lighthouses of the North Coast

By Jane Doe

The Kestrel Point lighthouse was built in 1871 by the harbour board. Its lamp
burned whale oil until 1904, when it was converted to kerosene.

## The keepers

Three families kept the light over ninety years. The last keeper, Tom Avery,
left in 1961 when the lamp was automated.

## Today

The tower is now a museum run by volunteers. It opens every Saturday from
April to October, and entry costs five dollars.
"""


@pytest.fixture
def fake_embedder() -> FakeEmbedder:
    return FakeEmbedder()


@pytest.fixture
def english_article(tmp_path) -> Path:
    path = tmp_path / "lighthouse.md"
    path.write_text(ENGLISH_ARTICLE, encoding="utf-8")
    return path


@pytest.fixture
def english_qa(english_article, tmp_path, fake_embedder) -> ArticleQA:
    return ArticleQA.build(english_article, index_dir=tmp_path / "index", embedder=fake_embedder,
                           chunk_size=120, chunk_overlap=0)


@pytest.fixture(scope="session")
def default_qa_fake(tmp_path_factory) -> ArticleQA:
    """The default article indexed with the fake embedder (shared, read-only)."""
    index_dir = tmp_path_factory.mktemp("default") / "index"
    return ArticleQA.build(DEFAULT_ARTICLE, index_dir=index_dir, embedder=FakeEmbedder())


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def server_url():
    """The real app on the shipped index, on a free loopback port, for the session."""
    import app

    assert app.qa is not None, f"the shipped index did not load: {app.load_error}"
    _, url, _ = app.serve(prevent_thread_lock=True, server_name="127.0.0.1", server_port=free_port(), quiet=True)
    try:
        yield url.rstrip("/")
    finally:
        app.demo.close()
