"""What shaped answers cost: a list or gist answer against a factoid one,
and the index build with the structure step against the build without it.

    python eval/shaped_speed.py [--repeats 3]

On the shipped index (the default article), with the reader as shipped,
the factoid questions of ``eval/questions.jsonl`` and the default article's
list / gist / reason / manner questions of ``eval/shaped.jsonl`` are asked
round-robin ``--repeats`` times, so a busy machine slows them alike; the
ratio of their p50s is printed. Then the default article is built
``--repeats`` times into a temporary folder, and ``structure.find_structure``
is timed on the same article beside each build: the ratio of the build to
the build less that step.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

EVAL_DIR = Path(__file__).resolve().parent
ROOT = EVAL_DIR.parent
sys.path.insert(0, str(EVAL_DIR))

import project_questions  # noqa: E402

DEFAULT_ARTICLE = "data/digital-government.txt"


def _shaped_questions() -> dict[str, list[str]]:
    by_kind: dict[str, list[str]] = {}
    with open(EVAL_DIR / "shaped.jsonl", encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            if row["text"] == DEFAULT_ARTICLE:
                by_kind.setdefault(row["kind"], []).append(row["question"])
    return by_kind


def _answer_times(repeats: int) -> dict:
    from article_qa import ArticleQA
    from article_qa.fold import fold
    from article_qa.question_kind import classify

    qa = ArticleQA.load()
    facts = [q["question"] for q in project_questions.load(project_questions.QUESTIONS)
             if classify(fold(q["question"])).kind == "fact"]
    groups = {"fact": facts, **_shaped_questions()}
    times: dict[str, list[float]] = {name: [] for name in groups}
    for _ in range(repeats):
        for position in range(max(map(len, groups.values()))):
            for name, questions in groups.items():
                question = questions[position % len(questions)]
                began = time.perf_counter()
                qa.ask(question)
                times[name].append((time.perf_counter() - began) * 1000)
    p50 = {name: round(statistics.median(values), 1) for name, values in times.items()}
    return {"ask p50 ms": p50, "ratio to fact (p50)": {name: round(value / p50["fact"], 2)
                                                        for name, value in p50.items() if name != "fact"}}


def _build_times(repeats: int) -> dict:
    """The whole build, and the structure step alone on the same article (what the build spends on it)."""
    from article_qa import ArticleQA
    from article_qa.chunk import split_sentences
    from article_qa.ingest import read_article
    from article_qa.structure import find_structure

    article = read_article(ROOT / DEFAULT_ARTICLE)
    sentences = split_sentences(article)
    builds, structures = [], []
    with tempfile.TemporaryDirectory() as folder:
        for run in range(repeats):
            began = time.perf_counter()
            ArticleQA.build(ROOT / DEFAULT_ARTICLE, index_dir=Path(folder) / f"index-{run}")
            builds.append(time.perf_counter() - began)
            began = time.perf_counter()
            find_structure(article, sentences)
            structures.append(time.perf_counter() - began)
    build, structure = statistics.median(builds), statistics.median(structures)
    return {"build s (median)": round(build, 3), "structure step ms (median)": round(structure * 1000, 2),
            "ratio build / build without the structure step": round(build / (build - structure), 4)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    print(json.dumps({**_answer_times(args.repeats), **_build_times(args.repeats)}, indent=1, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
