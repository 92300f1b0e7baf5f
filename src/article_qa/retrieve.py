"""Stage 5 — retrieve: dense and lexical scores fused into one ranking.

Dense similarity carries paraphrases and English questions; BM25 over
script-folded character n-grams and English word stems (``lexical.terms``:
"launched" meets "launch") carries names, numbers and exact terms in either
Chinese script. Each side nominates its best candidates; the union is
scored by a weighted sum of the cosine and the query-normalised BM25 score.
"""

from __future__ import annotations

import numpy as np

from .index import LoadedIndex
from .query import Query
from .records import Passage

# Chosen on eval/questions.jsonl (see eval/report.md, "Ablations").
DENSE_WEIGHT = 0.5
CANDIDATES_PER_SIDE = 100
# The question's own words weigh twice a translation: translations are guesses.
OWN_TOKEN_WEIGHT = 2.0
# Added to the fused score of a passage holding every quoted phrase (a share
# for some): quotes mean "this exact term", as in a search engine. 0.1-0.3
# gave the same rankings on the development set; 0.2 sits in the middle.
QUOTE_BONUS = 0.2


class Retriever:
    def __init__(self, index: LoadedIndex, *, dense_weight: float = DENSE_WEIGHT) -> None:
        self._index = index
        self._dense_weight = dense_weight

    def search(self, query: Query, k: int) -> list[Passage]:
        """The ``k`` best passages, best first (``k`` clamped to the corpus)."""
        n_chunks = len(self._index.chunks)
        k = max(0, min(k, n_chunks))
        if k == 0:
            return []
        ids, dense, lexical = self._candidate_scores(query, min(n_chunks, max(CANDIDATES_PER_SIDE, k)))
        peak = lexical.max(initial=0.0)
        lexical_share = lexical / peak if peak > 0 else lexical
        fused = self._dense_weight * dense + (1.0 - self._dense_weight) * lexical_share
        if query.phrases:
            fused = fused + QUOTE_BONUS * self._quoted_share(query.phrases, ids)
        order = np.lexsort((ids, -fused))[:k]  # ties go to the earlier chunk
        return [self._passage(int(ids[i]), float(fused[i])) for i in order]

    def _quoted_share(self, phrases: tuple[str, ...], ids: np.ndarray) -> np.ndarray:
        """For each candidate, the share of the quoted phrases it holds verbatim."""
        folded = self._index.folded_chunks
        return np.array([sum(p in folded[i] for p in phrases) for i in ids], dtype=np.float32) / len(phrases)

    def _candidate_scores(self, query: Query, per_side: int):
        dense_scores, dense_ids = self._index.dense.search(query.vector[None, :], per_side)
        found = dense_ids[0] >= 0
        dense_ids, dense_scores = dense_ids[0][found], dense_scores[0][found]
        lexical_all = self.lexical_scores(query)
        n_chunks = len(lexical_all)
        if len(dense_ids) == n_chunks:  # a small article: FAISS has already scored every chunk
            dense_all = np.empty(n_chunks, dtype=np.float32)
            dense_all[dense_ids] = dense_scores
            return np.arange(n_chunks), dense_all, lexical_all
        lexical_ids = np.argpartition(-lexical_all, per_side - 1)[:per_side] if per_side < len(lexical_all) \
            else np.arange(len(lexical_all))
        ids = np.union1d(dense_ids, lexical_ids).astype(np.int64)
        vectors = self._index.dense.reconstruct_batch(ids)
        return ids, vectors @ query.vector, lexical_all[ids]

    def lexical_scores(self, query: Query) -> np.ndarray:
        """BM25 of the question's own n-grams, plus for each English word the
        weighted mean BM25 of its translations (a structured query): a word
        with a dozen loose senses then weighs no more than a word with one
        exact sense, instead of a dozen times more. Senses that are all weak
        (weights summing under 1) are not scaled up to look sure."""
        coefficients: dict[int, float] = {}
        for token in query.token_ids:
            coefficients[token] = coefficients.get(token, 0.0) + OWN_TOKEN_WEIGHT
        for word in query.translations:
            total_weight = max(sum(t.weight for t in word), 1.0)
            for translation in word:
                for token in translation.token_ids:
                    coefficients[token] = coefficients.get(token, 0.0) + translation.weight / total_weight
        return self._index.lexical.weighted_scores(coefficients)

    def _passage(self, chunk_id: int, score: float) -> Passage:
        chunk = self._index.chunks[chunk_id]
        return Passage(text=chunk.text, score=round(score, 6), chunk_id=chunk.chunk_id, section=chunk.section,
                       paragraph=chunk.paragraph, start=chunk.start, end=chunk.end)
