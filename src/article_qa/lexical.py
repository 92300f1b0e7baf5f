"""The lexical side: a BM25 index over script-folded chunk tokens.

Its terms are ``fold.tokens`` with each Latin word replaced by its English
Snowball stem (:func:`terms`), in the chunks and in the question alike, so
that "When was it launched?" meets "the launch of ..." and "lighthouses"
meets "lighthouse". Every lookup here (:meth:`LexicalIndex.knows`,
:meth:`~LexicalIndex.token_ids`, postings, document frequencies) takes the
tokens as ``fold.tokens`` gives them and stems them itself: callers never
see a stem. Chinese n-grams and numbers are terms as they are.

This module owns ``bm25s``: it builds, saves and loads the index and reads
its precomputed per-(token, chunk) scores directly — a sparse CSC matrix —
to score weighted queries in one pass over the postings. Reading those
arrays is right only for methods whose score of a chunk is the sum of its
tokens' stored scores (``lucene``, ``robertson``, ``atire``; not ``bm25l`` or
``bm25+``, which also score absent tokens), so the method is fixed here and
checked on load. ``bm25s`` is pinned to a compatible range in pyproject.toml.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .errors import IndexMissingError
from .glossary import stem_words

METHOD = "lucene"
_SUMMABLE_METHODS = ("lucene", "robertson", "atire")


def terms(tokens: list[str]) -> list[str]:
    """The BM25 terms of ``fold.tokens`` output: Latin words (ASCII letters
    only) as their Snowball stems, every other token unchanged."""
    words = list(dict.fromkeys(token for token in tokens if _is_latin_word(token)))
    if not words:
        return list(tokens)
    stems = dict(zip(words, stem_words(words)))
    return [stems.get(token, token) for token in tokens]


def _term(token: str) -> str:
    return stem_words([token])[0] if _is_latin_word(token) else token


def _is_latin_word(token: str) -> bool:
    return token.isascii() and token.isalpha()


class LexicalIndex:
    """BM25 over token lists, one list per chunk."""

    def __init__(self, bm25) -> None:
        if getattr(bm25, "method", METHOD) not in _SUMMABLE_METHODS:
            raise IndexMissingError(f"BM25 method {bm25.method!r} is not supported; rebuild the index.")
        self._bm25 = bm25
        self._vocab: dict[str, int] = bm25.vocab_dict
        self._data = bm25.scores["data"]
        self._indices = bm25.scores["indices"]
        self._indptr = bm25.scores["indptr"]
        self.num_docs = int(bm25.scores["num_docs"])

    # ---- build / save / load ---------------------------------------------
    @classmethod
    def build(cls, token_lists: list[list[str]]) -> "LexicalIndex":
        """One list of ``fold.tokens`` per chunk, indexed as their :func:`terms`."""
        import bm25s

        token_lists = [terms(tokens) for tokens in token_lists]
        # Token ids assigned in sorted order, not by bm25s (which numbers them
        # in set order, different in every process): the same text then
        # builds the same files, so a test can compare them with index/.
        vocab = {token: i for i, token in enumerate(sorted({t for tokens in token_lists for t in tokens} | {""}))}
        ids = [[vocab[token] for token in tokens] or [vocab[""]] for tokens in token_lists]
        bm25 = bm25s.BM25(method=METHOD)
        bm25.index((ids, vocab), show_progress=False)
        return cls(bm25)

    def save(self, path: Path) -> None:
        self._bm25.save(str(path), show_progress=False)

    @classmethod
    def load(cls, path: Path) -> "LexicalIndex":
        """Raises whatever bm25s raises for a damaged folder (the caller words it)."""
        import bm25s

        return cls(bm25s.BM25.load(str(path)))

    # ---- vocabulary ------------------------------------------------------
    def knows(self, token: str) -> bool:
        """Whether some chunk holds ``token`` (a Latin word: in any form with its stem)."""
        return _term(token) in self._vocab

    def token_ids(self, tokens: list[str]) -> list[int]:
        """Ids of the tokens' terms the index knows, in order (unknown ones left out)."""
        vocab = self._vocab
        return [vocab[term] for term in terms(tokens) if term in vocab]

    def document_frequency(self, token: str) -> int:
        """In how many chunks ``token``'s term occurs (0 when unknown)."""
        token_id = self._vocab.get(_term(token))
        return 0 if token_id is None else int(self._indptr[token_id + 1] - self._indptr[token_id])

    def chunks_with(self, token: str) -> np.ndarray:
        """The chunk ids holding ``token``'s term (its postings)."""
        token_id = self._vocab.get(_term(token))
        if token_id is None:
            return np.zeros(0, dtype=np.int64)
        return self._indices[self._indptr[token_id]:self._indptr[token_id + 1]]

    # ---- scoring ---------------------------------------------------------
    def plain_scores(self, token_ids: list[int]) -> np.ndarray:
        """bm25s's own scoring of a bag of token ids: the reference that
        :meth:`weighted_scores` must agree with (tests check it)."""
        return np.asarray(self._bm25.get_scores_from_ids(list(token_ids)), dtype=np.float32)

    def weighted_scores(self, coefficients: dict[int, float]) -> np.ndarray:
        """Sum over tokens of coefficient x the token's BM25 score in each chunk,
        read straight from the postings: one pass, however many tokens."""
        if not coefficients:
            return np.zeros(self.num_docs, dtype=np.float32)
        token_ids = np.fromiter(coefficients, dtype=np.int64, count=len(coefficients))
        weights = np.fromiter(coefficients.values(), dtype=np.float64, count=len(coefficients))
        starts = self._indptr[token_ids]
        lengths = self._indptr[token_ids + 1] - starts
        positions = np.arange(lengths.sum()) + np.repeat(starts - (np.cumsum(lengths) - lengths), lengths)
        contributions = self._data[positions] * np.repeat(weights, lengths)
        summed = np.bincount(self._indices[positions], weights=contributions, minlength=self.num_docs)
        return summed.astype(np.float32)
