"""Answer latency and memory of a loaded engine, with the reader and without, in one run.

    python eval/speed.py [--repeats 3]

On the shipped index (the default article), every question of
``eval/questions.jsonl`` is asked ``--repeats`` times, round-robin across
four engines over the same index so that a busy machine slows them alike:

* ``ask`` with the reader (``reader=True``) and without it (the default:
  the tree models alone): p50/p95 and their ratio;
* ``ask`` with a one-turn history (an unrelated first question) against the
  same call without: what resolving follow-ups costs a question that stands
  alone;
* ``retrieve`` (k=3), which never runs the reader.

Then the resident memory (RSS) of this process: after ``import article_qa``,
and after loading the engine with its reader and answering once.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import time
from pathlib import Path

EVAL_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(EVAL_DIR))

import project_questions  # noqa: E402

UNRELATED_FIRST_TURN = "文章的作者是誰?"


def _rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _percentile(values: list[float], pct: int) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    before_import = _rss_mb()
    import article_qa
    from article_qa import ArticleQA

    imported = _rss_mb()
    started = time.perf_counter()
    reader = ArticleQA.load(reader=True)
    reader.ask("政府上網工程是哪一年啟動的?")
    first_answer_s = time.perf_counter() - started
    loaded = _rss_mb()
    trees = ArticleQA.load(reader=False)
    questions = [q["question"] for q in project_questions.load(project_questions.QUESTIONS)]
    calls = {
        "ask (reader)": lambda q: reader.ask(q),
        "ask (no reader)": lambda q: trees.ask(q),
        "ask (reader, one-turn history)": lambda q: reader.ask(q, history=[UNRELATED_FIRST_TURN]),
        "retrieve k=3": lambda q: reader.retrieve(q, k=3),
    }
    times: dict[str, list[float]] = {name: [] for name in calls}
    for _ in range(args.repeats):
        for question in questions:
            for name, call in calls.items():
                began = time.perf_counter()
                call(question)
                times[name].append((time.perf_counter() - began) * 1000)
    summary = {name: {"p50_ms": round(statistics.median(values), 2), "p95_ms": round(_percentile(values, 95), 2),
                      "n": len(values)} for name, values in times.items()}
    summary["ratio ask reader / no reader (p50)"] = round(
        summary["ask (reader)"]["p50_ms"] / summary["ask (no reader)"]["p50_ms"], 1)
    summary["history cost p50 ms"] = round(
        summary["ask (reader, one-turn history)"]["p50_ms"] - summary["ask (reader)"]["p50_ms"], 2)
    summary["memory_mb"] = {"python": round(before_import), "after import": round(imported),
                            "engine loaded + first answer": round(loaded)}
    summary["load + first answer s"] = round(first_answer_s, 2)
    summary["version"] = getattr(article_qa, "__version__", "")
    print(json.dumps(summary, indent=1, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
