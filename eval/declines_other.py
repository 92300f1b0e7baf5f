"""Declines on articles other than the default one, with the public API.

    python eval/declines_other.py [--failures]

``eval/declines_other.jsonl`` holds questions written for three texts of
``eval/shaped/`` (the Apache-2.0 licence, attrs' "Why not…", LAC's README)
after the decline work of issue 22 began: unanswerable ones (another year,
version or figure than the text's, something it never names, far off topic)
and answerable controls (a gold phrase the answer must quote). Printed: the
share of unanswerable questions declined and of answerable ones falsely
declined, per text, with the reader (as shipped) and with the tree models
alone. Nothing was fitted or chosen on these questions.
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from pathlib import Path

EVAL_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(EVAL_DIR))

from scoring import contains_gold, load_jsonl  # noqa: E402
from shaped import engine_for  # noqa: E402

QUESTIONS = EVAL_DIR / "declines_other.jsonl"


def score(rows: list[dict], *, reader: bool) -> tuple[dict, list[str]]:
    by_text: dict[str, dict[str, list[bool]]] = defaultdict(lambda: {"declined": [], "false_declines": []})
    failures, engines = [], {}
    for row in rows:
        if row["text"] not in engines:
            engines[row["text"]] = engine_for(row["text"], reader=reader)
        answer = engines[row["text"]].ask(row["question"])
        if row["answerable"]:
            ok = answer.found and contains_gold(answer.text, row["gold"])
            by_text[row["text"]]["false_declines"].append(not answer.found)
        else:
            ok = not answer.found
            by_text[row["text"]]["declined"].append(not answer.found)
        if not ok:
            failures.append(f"- {row['id']} {row['question']} -> {answer.text[:120]}")
    return by_text, failures


def table(results: dict[str, dict]) -> str:
    lines = ["| engine | text | unanswerable declined | answerable falsely declined |", "|---|---|---|---|"]
    for engine, by_text in results.items():
        totals = {"declined": [], "false_declines": []}
        for text, figures in by_text.items():
            for key in totals:
                totals[key] += figures[key]
            lines.append(f"| {engine} | {Path(text).stem} | {_share(figures['declined'])} | "
                         f"{_share(figures['false_declines'])} |")
        lines.append(f"| {engine} | all | {_share(totals['declined'])} | {_share(totals['false_declines'])} |")
    return "\n".join(lines)


def _share(flags: list[bool]) -> str:
    return f"{sum(flags)}/{len(flags)} ({sum(flags) / len(flags):.2f})" if flags else "-"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--failures", action="store_true", help="list each question answered wrongly")
    args = parser.parse_args(argv)
    rows = load_jsonl(QUESTIONS)
    results, missed = {}, []
    for engine, reader in (("reader (as shipped)", True), ("trees alone", False)):
        results[engine], failures = score(rows, reader=reader)
        missed += [f"{engine}: {line}" for line in failures]
    print(table(results))
    if args.failures:
        print("\n" + "\n".join(missed))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
