"""Broken, stale and half-written indexes.

``ArticleQA.load()`` must refuse a damaged or stale index with an
``ArticleQAError`` that names the problem and the rebuild command, and a
build killed at any point must leave the previous index loadable and
answering exactly as before.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from article_qa import ArticleQA
from article_qa.errors import ArticleQAError, IndexMissingError, StaleIndexError

from conftest import ENGLISH_ARTICLE, FakeEmbedder

ROOT = Path(__file__).resolve().parents[1]
TESTS = Path(__file__).resolve().parent
QUESTIONS = ["When was the Kestrel Point lighthouse built?", "Who was the last keeper?",
             "How much does entry cost?", "What did the lamp burn until 1904?", "Who painted the tower?"]
OTHER_ARTICLE = "The Harbour Cafe\n\nThe harbour cafe opened in 2003 and serves fish soup every Friday.\n"


class OtherFakeEmbedder(FakeEmbedder):
    name = "fake-other"


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("built")
    (folder / "article.md").write_text(ENGLISH_ARTICLE, encoding="utf-8")
    ArticleQA.build(folder / "article.md", index_dir=folder / "index", embedder=FakeEmbedder())
    (folder / "other.txt").write_text(OTHER_ARTICLE, encoding="utf-8")
    ArticleQA.build(folder / "other.txt", index_dir=folder / "other-index", embedder=FakeEmbedder())
    return folder


@pytest.fixture
def workspace(built, tmp_path) -> Path:
    """A private copy of the built article and indexes."""
    for name in ("article.md", "other.txt"):
        shutil.copy2(built / name, tmp_path / name)
    for name in ("index", "other-index"):
        shutil.copytree(built / name, tmp_path / name)
    return tmp_path


def answers(qa: ArticleQA) -> list[dict]:
    return [qa.ask(q).to_dict() for q in QUESTIONS] + [[p.to_dict() for p in qa.retrieve(q, k=5)] for q in QUESTIONS]


def snapshot(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def load(index: Path, embedder=None) -> ArticleQA:
    return ArticleQA.load(index, embedder=embedder or FakeEmbedder())


def assert_refused(index: Path, error_type: type, *words: str, embedder=None) -> str:
    with pytest.raises(error_type) as caught:
        load(index, embedder)
    message = str(caught.value)
    assert "\n" not in message
    assert "article-qa build" in message, message
    assert f"--index {index}" in message, message
    for word in words:
        assert word in message, message
    return message


def edit_manifest(index: Path, **changes) -> None:
    path = index / "manifest.json"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    manifest.update(changes)
    path.write_text(json.dumps(manifest), encoding="utf-8")


# ---- the shipped index -----------------------------------------------------------------
def test_shipped_glossary_is_what_the_packaged_dictionary_gives():
    """The glossary is all the index takes from CC-CEDICT: rebuilt from the
    shipped article with the dictionary file shipped in the package, it must
    be the shipped glossary.json exactly (same stems, terms, weights, order)."""
    from article_qa.fold import fold
    from article_qa.glossary import build_glossary

    article = (ROOT / "index" / "article.txt").read_text(encoding="utf-8")
    shipped = json.loads((ROOT / "index" / "glossary.json").read_text(encoding="utf-8"))
    rebuilt = build_glossary(fold(article))
    assert list(rebuilt) == list(shipped)
    assert rebuilt == shipped


# ---- damaged files ------------------------------------------------------------------
def test_intact_copy_loads(workspace):
    assert load(workspace / "index").ask(QUESTIONS[0]).found


def test_truncated_faiss_index(workspace):
    path = workspace / "index" / "faiss.index"
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    assert_refused(workspace / "index", IndexMissingError, "faiss.index", "truncated")


def test_unreadable_faiss_index_even_with_matching_hash(workspace):
    index = workspace / "index"
    (index / "faiss.index").write_bytes(b"not a faiss index at all")
    hashes = json.loads((index / "manifest.json").read_text())["file_sha256"]
    edit_manifest(index, file_sha256={**hashes, "faiss.index": hashlib.sha256(b"not a faiss index at all").hexdigest()})
    assert_refused(index, IndexMissingError, "faiss.index", "unreadable")


@pytest.mark.parametrize("name", ["chunks.jsonl", "faiss.index", "article.txt", "sentences.json", "sentences.npy"])
def test_missing_file(workspace, name):
    (workspace / "index" / name).unlink()
    assert_refused(workspace / "index", IndexMissingError, name)


def test_missing_bm25_folder(workspace):
    shutil.rmtree(workspace / "index" / "bm25")
    assert_refused(workspace / "index", IndexMissingError, "BM25")


def test_bm25_from_another_index(workspace):
    shutil.rmtree(workspace / "index" / "bm25")
    shutil.copytree(workspace / "other-index" / "bm25", workspace / "index" / "bm25")
    assert_refused(workspace / "index", StaleIndexError, "BM25")


def test_missing_manifest_says_how_to_build(workspace):
    (workspace / "index" / "manifest.json").unlink()
    with pytest.raises(IndexMissingError, match="article-qa build ARTICLE --index"):
        load(workspace / "index")


def test_missing_index_folder(tmp_path):
    with pytest.raises(IndexMissingError, match="article-qa build"):
        load(tmp_path / "nothing-here")


# ---- mismatched or stale manifests --------------------------------------------------------
def test_index_from_another_embedder(workspace):
    message = assert_refused(workspace / "index", StaleIndexError, "fake-hash", "fake-other",
                             embedder=OtherFakeEmbedder())
    assert "--model fake-other" in message


def test_manifest_with_another_dimension(workspace):
    other = FakeEmbedder.dimension * 2
    edit_manifest(workspace / "index", dimension=other)
    assert_refused(workspace / "index", StaleIndexError, "dimension", str(other), str(FakeEmbedder.dimension))


def test_manifest_with_another_chunk_count(workspace):
    edit_manifest(workspace / "index", n_chunks=9999)
    assert_refused(workspace / "index", StaleIndexError, "9999")


def test_manifest_of_another_format(workspace):
    edit_manifest(workspace / "index", format_version=99)
    assert_refused(workspace / "index", StaleIndexError, "format 99")


@pytest.mark.parametrize("changes", [{"file_sha256": None}, {"dimension": "64"}, {"n_chunks": None},
                                     {"embedder": 7}, {"unexpected": 1}], ids=str)
def test_hand_edited_manifest(workspace, changes):
    edit_manifest(workspace / "index", **changes)
    with pytest.raises(IndexMissingError, match="article-qa build"):
        load(workspace / "index")


@pytest.mark.parametrize("content", [b"", b"{not json", b"[1, 2]", b"\xff\xfe\x00garbage", b"null"])
def test_corrupt_manifest(workspace, content):
    (workspace / "index" / "manifest.json").write_bytes(content)
    with pytest.raises(IndexMissingError, match="article-qa build"):
        load(workspace / "index")


def test_article_edited_after_build(workspace):
    with open(workspace / "article.md", "a", encoding="utf-8") as handle:
        handle.write("\nA new paragraph added after the build.\n")
    message = assert_refused(workspace / "index", StaleIndexError, "article.md", "changed")
    assert f"article-qa build {workspace / 'article.md'} --index {workspace / 'index'}" in message


def test_rebuild_command_runs_from_the_current_folder(workspace, monkeypatch, tmp_path_factory):
    (workspace / "article.md").write_text(ENGLISH_ARTICLE + "\nEdited.\n", encoding="utf-8")
    monkeypatch.chdir(workspace)
    with pytest.raises(StaleIndexError, match="Rebuild it: article-qa build article.md --index index --model fake-hash$"):
        load(Path("index"))
    monkeypatch.chdir(tmp_path_factory.mktemp("elsewhere"))  # absolute paths, still runnable
    with pytest.raises(StaleIndexError, match=f"article-qa build {workspace / 'article.md'} --index {workspace / 'index'} "):
        load(workspace / "index")


def test_article_removed_after_build_still_loads(workspace):
    # The index keeps its own copy of the clean article; only a *changed*
    # source makes it stale.
    before = answers(load(workspace / "index"))
    (workspace / "article.md").unlink()
    assert answers(load(workspace / "index")) == before


def test_every_refusal_is_an_article_qa_error(workspace):
    (workspace / "index" / "chunks.jsonl").write_text("{}\n", encoding="utf-8")
    with pytest.raises(ArticleQAError):
        load(workspace / "index")


# ---- interrupted builds --------------------------------------------------------------
CHILD = textwrap.dedent("""
    import os, signal, sys, time
    sys.path.insert(0, {tests!r})
    from conftest import FakeEmbedder
    from article_qa import ArticleQA
    import article_qa.index as index_module

    mode = {mode!r}

    class SlowEmbedder(FakeEmbedder):
        def embed(self, texts):
            time.sleep(0.05)
            return super().embed(texts)

    def die():
        os.kill(os.getpid(), signal.SIGKILL)

    if mode == "while-writing":  # some files staged, FAISS not yet written
        index_module._write_dense = lambda path, vectors: die()
    elif mode == "mid-swap":  # old index parked aside, new one not yet in
        real_replace = os.replace
        def replace(src, dst):
            real_replace(src, dst)
            die()
        index_module.os.replace = replace

    def progress(message):
        print(message, flush=True)

    ArticleQA.build({article!r}, index_dir={index!r}, embedder=SlowEmbedder(), progress=progress, chunk_size=20,
                    chunk_overlap=0)
    print("finished", flush=True)
""")


def run_child(workspace: Path, mode: str) -> subprocess.Popen:
    code = CHILD.format(tests=str(TESTS), mode=mode, article=str(workspace / "other.txt"),
                        index=str(workspace / "index"))
    return subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def kill_when(child: subprocess.Popen, marker: str) -> None:
    """SIGKILL the child as soon as it prints a line containing ``marker``."""
    for line in child.stdout:
        if marker in line:
            os.kill(child.pid, signal.SIGKILL)
            break
    child.wait(timeout=60)
    assert child.returncode == -signal.SIGKILL, child.stderr.read()


@pytest.mark.parametrize("mode", ["while-embedding", "while-writing", "mid-swap"])
def test_killed_build_leaves_previous_index_answering_identically(workspace, mode):
    index = workspace / "index"
    before_files, before_answers = snapshot(index), answers(load(index))
    child = run_child(workspace, mode)
    if mode == "while-embedding":
        kill_when(child, "embed: ")
    else:  # the child kills itself at the chosen point
        child.wait(timeout=120)
        assert child.returncode == -signal.SIGKILL, child.stderr.read()
    after = load(index)  # mid-swap: this load puts the parked index back
    assert answers(after) == before_answers
    assert snapshot(index) == before_files


def test_next_build_clears_what_a_killed_build_left(workspace):
    child = run_child(workspace, "while-writing")
    child.wait(timeout=120)
    assert [p.name for p in workspace.iterdir() if p.name.startswith(".index.tmp-")]  # staging left behind
    qa = ArticleQA.build(workspace / "other.txt", index_dir=workspace / "index", embedder=FakeEmbedder())
    assert "fish soup" in qa.article
    assert [p.name for p in workspace.iterdir() if p.name.startswith(".index.")] == []


def test_parked_index_of_a_live_build_is_left_alone(workspace):
    """A build still running between its two renames must not be raced."""
    parked = workspace / f".index.old-{os.getpid()}-test"
    os.replace(workspace / "index", parked)
    with pytest.raises(IndexMissingError):
        load(workspace / "index")
    assert (parked / "manifest.json").is_file()


def test_failed_embedder_leaves_index_and_no_staging(workspace):
    class BrokenEmbedder(FakeEmbedder):
        def embed(self, texts):
            raise RuntimeError("model crashed")

    before = snapshot(workspace / "index")
    with pytest.raises(RuntimeError):
        ArticleQA.build(workspace / "other.txt", index_dir=workspace / "index", embedder=BrokenEmbedder())
    assert snapshot(workspace / "index") == before
    assert [p.name for p in workspace.iterdir() if p.name.startswith(".index.")] == []


def test_failure_while_writing_leaves_no_staging(workspace, monkeypatch):
    import article_qa.index as index_module

    def fail(path, vectors):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(index_module, "_write_dense", fail)
    before = snapshot(workspace / "index")
    with pytest.raises(OSError):
        ArticleQA.build(workspace / "other.txt", index_dir=workspace / "index", embedder=FakeEmbedder())
    assert snapshot(workspace / "index") == before
    assert [p.name for p in workspace.iterdir() if p.name.startswith(".index.")] == []


@pytest.mark.slow
def test_real_cli_build_killed_midway(tmp_path):
    """``article-qa build`` with the real default model, killed during embedding."""
    index = tmp_path / "index"
    shutil.copy2(ROOT / "data" / "digital-government.txt", tmp_path / "article.txt")
    (tmp_path / "small.md").write_text(ENGLISH_ARTICLE, encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "article_qa.cli", "build", "small.md", "--index", "index"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    before_files = snapshot(index)
    before = [ArticleQA.load(index).ask(q).to_dict() for q in QUESTIONS]
    child = subprocess.Popen([sys.executable, "-m", "article_qa.cli", "build", "article.txt", "--index", "index"],
                             cwd=tmp_path, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    started = time.monotonic()
    for line in child.stderr:
        if "embed: " in line:
            os.kill(child.pid, signal.SIGKILL)
            break
    child.wait(timeout=60)
    assert child.returncode == -signal.SIGKILL
    assert time.monotonic() - started < 120
    assert snapshot(index) == before_files
    assert [ArticleQA.load(index).ask(q).to_dict() for q in QUESTIONS] == before


class NarrowFakeEmbedder(FakeEmbedder):
    """Same name as the index's embedder, another vector size (a changed model behind one name)."""

    dimension = FakeEmbedder.dimension // 2


def test_load_index_refuses_an_embedder_of_another_dimension(workspace):
    from article_qa.index import load_index

    with pytest.raises(StaleIndexError, match=r"dimension .*article-qa build"):
        load_index(workspace / "index", embedder=NarrowFakeEmbedder())


def test_article_qa_load_refuses_an_embedder_of_another_dimension(workspace):
    assert_refused(workspace / "index", StaleIndexError, "dimension", embedder=NarrowFakeEmbedder())
