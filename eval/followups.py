"""Follow-up questions, scored with and without the history; standalone questions after an unrelated turn.

    python eval/followups.py            # prints the tables (the README's follow-up figures)
    python eval/followups.py --json     # and the whole result as one JSON object
    python eval/followups.py --failures # and each pair answered wrong with history
    python eval/followups.py --update-readme  # copy the table into README.md (also: eval/run.py --update-readme)

Sets: ``eval/followups.jsonl`` (the default article, Traditional and
Simplified Chinese and English) and ``eval/followups_warsaw.jsonl`` (an
English article, eval/warsaw/). Each row is a first question (``history``)
and a second that needs it (``question``); it is answered right when the
answer is found and a gold phrase is inside its quoted text (script-folded),
as in eval/run.py. "Without history" asks the second question alone: the
baseline a conversation has to beat. "Written out by hand" asks the row's
``standalone`` question (the follow-up as a person would write it in full):
what the engine answers when the resolution is perfect, so misses that are
the answer stage's, not the resolution's, show as the gap to it.

The standalone check asks every question of eval/questions.jsonl (and the
Warsaw article's XQuAD questions) after each of a few unrelated first turns
and counts the answers that differ from the answer without history (target: 0).
The cost of a history is timed as ``ask(question, history=[first])`` less
``ask(question)`` for the standalone questions (the resolution that decides
they stand alone), and the resolution step alone for the follow-ups.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

EVAL_DIR = Path(__file__).resolve().parent
ROOT = EVAL_DIR.parent
sys.path.insert(0, str(EVAL_DIR))

from scoring import contains_gold, load_jsonl  # noqa: E402

FOLLOWUPS = EVAL_DIR / "followups.jsonl"
WARSAW_FOLLOWUPS = EVAL_DIR / "followups_warsaw.jsonl"
WARSAW_ARTICLE = EVAL_DIR / "warsaw" / "warsaw.txt"
WARSAW_QUESTIONS = EVAL_DIR / "warsaw" / "questions.jsonl"
QUESTIONS = EVAL_DIR / "questions.jsonl"
# Unrelated first turns: one per language, and one the article does not answer.
UNRELATED = {
    "default": ["文章發表在哪本雜誌上?", "起步期是哪几年?", "Who wrote the article?", "What is the capital of France?"],
    "warsaw": ["What is the basic unit of territorial division in Poland?", "When was the Summer Theatre in operation?",
               "Who painted the Mona Lisa?"],
}


def score_followups(qa, rows: list[dict]) -> dict:
    """Answer accuracy with and without the history, per language, plus each row."""
    scored = []
    for row in rows:
        alone = qa.ask(row["question"])
        with_history = qa.ask(row["question"], history=row["history"])
        written_out = qa.ask(row["standalone"])
        scored.append({
            "id": row["id"], "lang": row["lang"], "kind": row["kind"], "history": row["history"],
            "question": row["question"], "answers": row["answers"], "resolved": with_history.question,
            "ok_with_history": _right(with_history, row["answers"]), "ok_alone": _right(alone, row["answers"]),
            "ok_written_out": _right(written_out, row["answers"]),
            "answer": with_history.text,
        })
    groups = defaultdict(list)
    for row in scored:
        groups[row["lang"]].append(row)
    by_lang = {lang: _figures(group) for lang, group in sorted(groups.items())}
    return {**_figures(scored), "by_lang": by_lang, "rows": scored}


def _right(answer, golds: list[str]) -> bool:
    return answer.found and contains_gold(answer.text, golds)


def _figures(rows: list[dict]) -> dict:
    return {"n": len(rows), "with_history": _mean(r["ok_with_history"] for r in rows),
            "without_history": _mean(r["ok_alone"] for r in rows),
            "written_out": _mean(r["ok_written_out"] for r in rows),
            "resolved": _mean(r["resolved"] != r["question"] for r in rows)}


def standalone_check(qa, questions: list[str], unrelated: list[str]) -> dict:
    """Questions that stand alone, asked after each unrelated first turn:
    how many answers (or resolved questions) differ from asking alone."""
    changed = []
    for question in questions:
        alone = qa.ask(question).to_dict()
        for first in unrelated:
            after = qa.ask(question, history=[first]).to_dict()
            if after != alone:
                changed.append({"question": question, "first": first, "resolved": after["question"]})
    return {"n_questions": len(questions), "n_first_turns": len(unrelated), "changed": len(changed),
            "changed_rows": changed}


def time_history(qa, questions: list[str], first: str, followups: list[dict], *, repeat: int = 5) -> dict:
    """Milliseconds a history adds: ``ask`` with it less ``ask`` without, per
    standalone question (the best of ``repeat`` runs each, warm caches, so
    the other jobs on the machine add less noise); for each follow-up pair,
    ``ask`` with the history less ``ask`` of the question it resolved to,
    after its first question was asked (a chat: the earlier answer is
    remembered), and the resolution alone cold (where a rule needs the
    earlier answer, it is asked again)."""
    from article_qa.conversation import resolve

    extra, resolving = [], []
    for question in questions:
        started = time.perf_counter()  # first sight of this question: nothing cached for it yet
        resolve(question, [first], article=qa.index)
        resolving.append((time.perf_counter() - started) * 1000)
        qa.ask(question)
        qa.ask(question, history=[first])
        without = _best_ms(lambda: qa.ask(question), repeat)
        with_history = _best_ms(lambda: qa.ask(question, history=[first]), repeat)
        extra.append(with_history - without)
    warm, cold = [], []
    for row in followups:
        qa.ask(row["history"][0])  # the chat asked it first: its answer is remembered
        resolved = qa.ask(row["question"], history=row["history"]).question
        with_history = _best_ms(lambda: qa.ask(row["question"], history=row["history"]), repeat)
        warm.append(with_history - _best_ms(lambda: qa.ask(resolved), repeat))
        cold.append(_best_ms(lambda: resolve(row["question"], row["history"], article=qa.index,
                                             answer_of=qa.ask), 1))
    return {"standalone_extra_p50_ms": _round(statistics.median(extra)),
            "standalone_extra_p95_ms": _round(_p95(extra)),
            "standalone_resolve_p50_ms": _round(statistics.median(resolving)),
            "standalone_resolve_max_ms": _round(max(resolving)),
            "followup_resolve_p50_ms": _round(statistics.median(warm)),
            "followup_resolve_p95_ms": _round(_p95(warm)),
            "followup_resolve_cold_p50_ms": _round(statistics.median(cold)),
            "followup_resolve_cold_p95_ms": _round(_p95(cold))}


def _best_ms(call, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return min(times)


def _p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[94] if len(values) > 1 else values[0]


def _round(value: float) -> float:
    return round(value, 3)


def _mean(values) -> float:
    values = list(values)
    return round(sum(values) / len(values), 4) if values else 0.0


def run(*, timing: bool = True) -> dict:
    from article_qa import ArticleQA

    qa = ArticleQA.load(ROOT / "index")
    default_rows, warsaw_rows = load_jsonl(FOLLOWUPS), load_jsonl(WARSAW_FOLLOWUPS)
    questions = [q["question"] for q in load_jsonl(QUESTIONS)]
    result = {"default": score_followups(qa, default_rows),
              "default_standalone": standalone_check(qa, questions, UNRELATED["default"])}
    if timing:
        result["timing"] = time_history(qa, questions, UNRELATED["default"][0], default_rows)
    with tempfile.TemporaryDirectory() as tmp:
        warsaw = ArticleQA.build(WARSAW_ARTICLE, index_dir=Path(tmp) / "index")
        result["warsaw"] = score_followups(warsaw, warsaw_rows)
        result["warsaw_standalone"] = standalone_check(
            warsaw, [q["question"] for q in load_jsonl(WARSAW_QUESTIONS)], UNRELATED["warsaw"])
    return result


def table(result: dict) -> str:
    """The README's follow-up table: answer accuracy per language, with and without history."""
    lines = ["| set | language | pairs | with history | without history | written out by hand | resolved |",
             "|---|---|---|---|---|---|---|"]
    for name, label in (("default", "default article"), ("warsaw", "Warsaw (English article)")):
        for lang, row in result[name]["by_lang"].items():
            lines.append(f"| {label} | {lang} | {row['n']} | {row['with_history']:.3f} | "
                         f"{row['without_history']:.3f} | {row['written_out']:.3f} | {row['resolved']:.3f} |")
    checks = []
    for name, label in (("default_standalone", "default article"), ("warsaw_standalone", "Warsaw")):
        check = result[name]
        checks.append(f"{label}: {check['changed']} changed of {check['n_questions']} questions × "
                      f"{check['n_first_turns']} unrelated first turns")
    text = "\n".join(lines) + "\n\nStandalone questions after an unrelated first turn: " + "; ".join(checks) + "."
    if "timing" in result:
        t = result["timing"]
        text += (f"\n\nCost of a history: `ask` with it less `ask` without, standalone questions p50 "
                 f"{t['standalone_extra_p50_ms']} ms (p95 {t['standalone_extra_p95_ms']} ms; the resolution itself, "
                 f"first sight of each question, p50 {t['standalone_resolve_p50_ms']} ms, max "
                 f"{t['standalone_resolve_max_ms']} ms: the rest of the p95 is the other jobs on the machine); a "
                 f"follow-up, "
                 f"`ask` with its history less `ask` of the question it resolved to, p50 "
                 f"{t['followup_resolve_p50_ms']} ms (p95 {t['followup_resolve_p95_ms']} ms) after "
                 f"its first question was asked; resolving it cold p50 {t['followup_resolve_cold_p50_ms']} ms (p95 "
                 f"{t['followup_resolve_cold_p95_ms']} ms), where a rule asks the first question again "
                 f"for the thing its answer named.")
    return text


README_START, README_END = "<!-- followups:start -->", "<!-- followups:end -->"


def update_readme(result: dict, path: Path) -> None:
    """Replace the README's follow-up block with this run's table."""
    text = path.read_text(encoding="utf-8")
    start, end = text.index(README_START) + len(README_START), text.index(README_END)
    path.write_text(text[:start] + "\n" + table(result) + "\n" + text[end:], encoding="utf-8")


def failures(result: dict) -> str:
    out = []
    for name in ("default", "warsaw"):
        for row in result[name]["rows"]:
            if not row["ok_with_history"]:
                out.append(f"- {row['id']} ({row['lang']}, {row['kind']}) {row['history'][0]} → {row['question']}\n"
                           f"  resolved: {row['resolved']}\n  gold: {' / '.join(row['answers'])}\n"
                           f"  answered: {row['answer'][:160]}")
        for row in result[f"{name}_standalone"]["changed_rows"]:
            out.append(f"- changed ({name}): {row['first']} → {row['question']}  resolved: {row['resolved']}")
    return "\n".join(out) or "None."


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", action="store_true", help="print the whole result as one JSON object")
    parser.add_argument("--failures", action="store_true", help="list the pairs answered wrong with history")
    parser.add_argument("--no-timing", action="store_true", help="skip the timing of the history")
    parser.add_argument("--update-readme", action="store_true", help="copy the table into README.md")
    parser.add_argument("--json-only", action="store_true", help=argparse.SUPPRESS)  # eval/run.py's child
    args = parser.parse_args(argv)
    result = run(timing=not args.no_timing)
    if args.json_only:
        print(json.dumps(result, ensure_ascii=False))
        return 0
    if args.update_readme:
        update_readme(result, ROOT / "README.md")
    print(table(result))
    if args.failures:
        print("\n" + failures(result))
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
