"""Evaluate article-qa against the LangChain tutorial baseline, in one run.

    python eval/run.py                 # engine + baseline, writes eval/report.{md,json,png}
    python eval/run.py --json          # also print the report as one JSON object
    python eval/run.py --ablations     # add dense-only, BM25-only, folding and chunk-size variants
    python eval/run.py --update-readme # copy the results table into README.md
    python eval/run.py --followups-only  # only the follow-up section (eval/followups.py)

Each system runs in its own child process so that its peak memory (max RSS)
and build time are its own and torch never loads into the engine's process.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

EVAL_DIR = Path(__file__).resolve().parent
ROOT = EVAL_DIR.parent
ARTICLE = ROOT / "data" / "digital-government.txt"
QUESTIONS = EVAL_DIR / "questions.jsonl"
OFFTOPIC = EVAL_DIR / "offtopic.jsonl"
sys.path.insert(0, str(EVAL_DIR))

import scoring  # noqa: E402
import systems  # noqa: E402


def evaluate_engine(variant: systems.EngineVariant, questions, offtopic, *, embedder=None) -> dict:
    """Build the engine variant in a temporary folder and score it."""
    with tempfile.TemporaryDirectory() as tmp, systems.folding(variant.script_folding):
        started = time.perf_counter()
        qa = systems.build_engine(variant, ARTICLE, Path(tmp) / "index", embedder=embedder)
        build_s = time.perf_counter() - started
        result = scoring.score_quality(qa, questions, offtopic)
        texts = [q["question"] for q in questions]
        result.update(scoring.score_latency(_reload(variant, Path(tmp) / "index", embedder), texts))
        result.update(scoring.score_ask_latency(_reload(variant, Path(tmp) / "index", embedder), texts))
        result["mean_passage_chars"] = round(systems.engine_mean_passage_chars(qa), 1)
    result["build_s"] = round(build_s, 2)
    result["config"] = dataclasses.asdict(variant)
    result["peak_rss_mb"] = _peak_rss_mb()
    return result


def _reload(variant, index_dir: Path, embedder):
    """A freshly loaded instance, so that no question is cached yet."""
    from article_qa import ArticleQA

    return ArticleQA.load(index_dir, embedder=embedder, dense_weight=variant.dense_weight)


def evaluate_baseline(questions, offtopic, *, embedder=None) -> dict:
    started = time.perf_counter()
    baseline = systems.LangChainBaseline(ARTICLE, embedder=embedder)
    build_s = time.perf_counter() - started
    result = scoring.score_quality(baseline, questions, offtopic)
    texts = [q["question"] for q in questions]
    result.update(scoring.score_latency(baseline, texts))
    result.update(scoring.score_ask_latency(baseline, texts))
    result["mean_passage_chars"] = round(baseline.mean_passage_chars, 1)
    result["build_s"] = round(build_s, 2)
    result["config"] = {"chunk_size": systems.BASELINE_CHUNK_SIZE, "chunk_overlap": systems.BASELINE_CHUNK_OVERLAP,
                        "model": "all-MiniLM-L6-v2", "lexical": None}
    result["peak_rss_mb"] = _peak_rss_mb()
    return result


def _peak_rss_mb() -> float:
    """This process's peak resident memory; each system runs in its own child."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _run_child(spec: dict) -> dict:
    """Run one system in a child process; return its result with peak RSS."""
    completed = subprocess.run([sys.executable, __file__, "--child", json.dumps(spec)],
                               capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        sys.stderr.write(completed.stderr)
        raise SystemExit(f"evaluating {spec['name']} failed (exit {completed.returncode})")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def _child(spec: dict) -> None:
    questions, offtopic = scoring.load_jsonl(QUESTIONS), scoring.load_jsonl(OFFTOPIC)
    if spec["name"] == "langchain-baseline":
        result = evaluate_baseline(questions, offtopic)
    else:
        result = evaluate_engine(systems.EngineVariant(**spec), questions, offtopic)
    print(json.dumps(result, ensure_ascii=False))


def run(ablations: bool) -> dict:
    specs = [dataclasses.asdict(systems.EngineVariant()), {"name": "langchain-baseline"}]
    if ablations:
        specs += [dataclasses.asdict(v) for v in systems.ABLATIONS]
    results = {}
    for spec in specs:
        print(f"evaluating {spec['name']} …", file=sys.stderr, flush=True)
        results[spec["name"]] = _run_child(spec)
    engine, baseline = results["article-qa"], results["langchain-baseline"]
    return {
        "n_questions": engine["n_questions"],
        "n_offtopic": engine["n_offtopic"],
        "systems": results,
        "speed_vs_baseline": {
            key: round(engine[key] / baseline[key], 3) for key in ("retrieve_p50_ms", "ask_p50_ms", "build_s")
        },
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", action="store_true", help="print the report as one JSON object")
    parser.add_argument("--ablations", action="store_true", help="also score engine variants")
    parser.add_argument("--update-readme", action="store_true", help="copy the results table into README.md")
    parser.add_argument("--followups-only", action="store_true",
                        help="only score the follow-up sets with and without history (eval/followups.py)")
    parser.add_argument("--quality-only", action="store_true",
                        help="only the shipped index's answer quality, with the reader and without (no timing, "
                             "no baseline: about a minute)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        _child(json.loads(args.child))
        return 0
    import followups
    import report

    if args.followups_only:
        conversation = _run_followups()
        if args.update_readme:
            followups.update_readme(conversation, ROOT / "README.md")
        print(json.dumps(conversation, ensure_ascii=False) if args.json else followups.table(conversation))
        return 0
    if args.quality_only:
        print(json.dumps(_quality_with_and_without_reader(), indent=1))
        return 0
    started = time.perf_counter()
    results = run(args.ablations)
    results["followups"] = _run_followups()
    results["eval_seconds"] = round(time.perf_counter() - started, 1)
    report.write_all(results, EVAL_DIR)
    if args.update_readme:
        report.update_readme(results, ROOT / "README.md")
        followups.update_readme(results["followups"], ROOT / "README.md")
    if args.json:
        print(json.dumps(results, ensure_ascii=False))
    else:
        print(report.summary_table(results))
        print("\nFollow-up questions (answer accuracy; eval/followups.py):\n" + followups.table(results["followups"]))
    return 0


def _quality_with_and_without_reader() -> dict:
    from article_qa import ArticleQA

    questions, offtopic = scoring.load_jsonl(QUESTIONS), scoring.load_jsonl(OFFTOPIC)
    out = {}
    for name, reader in (("reader (as shipped)", True), ("reader off", False)):
        result = scoring.score_quality(ArticleQA.load(reader=reader), questions, offtopic)
        out[name] = {**{k: result[k] for k in ("answer_accuracy", "short_f1", "decline_rate", "false_decline_rate")},
                     "by_lang": {lang: {k: figures[k] for k in ("answer_accuracy", "short_f1")}
                                 for lang, figures in result["by_lang"].items()}}
    return out


def _run_followups() -> dict:
    """The follow-up section in its own process, like each system above."""
    completed = subprocess.run([sys.executable, str(EVAL_DIR / "followups.py"), "--json-only"],
                               capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        sys.stderr.write(completed.stderr)
        raise SystemExit(f"scoring the follow-ups failed (exit {completed.returncode})")
    return json.loads(completed.stdout.strip().splitlines()[-1])


if __name__ == "__main__":
    sys.exit(main())
