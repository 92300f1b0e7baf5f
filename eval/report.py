"""Writes the runner's results: report.json, report.md, report.png, README table."""

from __future__ import annotations

import json
import re
from pathlib import Path

QUALITY = ("hit@1", "hit@3", "hit@5", "mrr", "answer_accuracy", "short_f1", "decline_rate", "false_decline_rate")
SPEED = ("retrieve_p50_ms", "retrieve_p95_ms", "ask_p50_ms", "ask_p95_ms", "build_s", "peak_rss_mb")
# The README shows two generated blocks: the results, which tests/test_eval.py
# compares with report.json, and the latency of the same run, which it does not.
RESULTS_START, RESULTS_END = "<!-- results:start -->", "<!-- results:end -->"
SPEED_START, SPEED_END = "<!-- speed:start -->", "<!-- speed:end -->"


def write_all(results: dict, folder: Path) -> None:
    (folder / "report.json").write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    (folder / "report.md").write_text(markdown(results), encoding="utf-8")
    plot(results, folder / "report.png")


def summary_table(results: dict) -> str:
    """The headline table: every system, quality and speed side by side."""
    columns = QUALITY + ("mean_passage_chars",) + SPEED
    lines = ["| system | " + " | ".join(columns) + " |", "|---" * (len(columns) + 1) + "|"]
    for name, row in results["systems"].items():
        lines.append(f"| {name} | " + " | ".join(_fmt(row[c]) for c in columns) + " |")
    return "\n".join(lines)


def _fmt(value) -> str:
    return f"{value:.3f}" if isinstance(value, float) and value < 10 else str(value)


def markdown(results: dict) -> str:
    engine = results["systems"]["article-qa"]
    ratios = results["speed_vs_baseline"]
    parts = [
        "# Evaluation report",
        f"{results['n_questions']} answerable questions (eval/questions.jsonl), "
        f"{results['n_offtopic']} off-topic (eval/offtopic.jsonl); produced by `python eval/run.py` "
        f"in {results.get('eval_seconds', '?')} s.",
        "## Systems", summary_table(results),
        "Speed of article-qa as a ratio to the baseline (lower is faster): "
        + ", ".join(f"{k} ×{v}" for k, v in ratios.items()) + ".",
        "A hit means the passage contains a gold string (script-folded). A hit inside a long passage is cheap, "
        "so compare hit rates together with mean_passage_chars.",
        "## Hit@1 and answer accuracy by language, every system",
        "Rows after the baseline are ablations of article-qa (`--ablations`): one setting changed at a time.",
        _language_table(results),
        "## article-qa by language", _split_table(engine["by_lang"]),
        "## article-qa on the even half (even ids: not fitted on, but development questions like the odd ones)",
        even_half_table(engine),
        "## article-qa by question type", _split_table(engine["by_type"]),
        "## Off-topic abstention by kind",
        "\n".join(f"- {k}: {v:.3f}" for k, v in engine["offtopic_by_type"].items()),
        "## article-qa failures (missed in the top 3, or answer without the gold string)",
        _failures(engine["failures"]),
    ]
    return "\n\n".join(parts) + "\n"


def _language_table(results: dict) -> str:
    languages = sorted(results["systems"]["article-qa"]["by_lang"])
    header = [f"hit@1 {lang}" for lang in languages] + [f"answer {lang}" for lang in languages]
    lines = ["| system | " + " | ".join(header) + " |", "|---" * (len(header) + 1) + "|"]
    for name, row in results["systems"].items():
        cells = [row["by_lang"][lang]["hit@1"] for lang in languages]
        cells += [row["by_lang"][lang]["answer_accuracy"] for lang in languages]
        lines.append(f"| {name} | " + " | ".join(_fmt(c) for c in cells) + " |")
    return "\n".join(lines)


def _split_table(groups: dict) -> str:
    columns = ("n", "hit@1", "hit@3", "mrr", "answer_accuracy", "short_f1", "false_decline_rate")
    lines = ["| group | " + " | ".join(columns) + " |", "|---" * (len(columns) + 1) + "|"]
    for name, row in groups.items():
        lines.append(f"| {name} | " + " | ".join(_fmt(row[c]) for c in columns) + " |")
    return "\n".join(lines)


def _failures(rows: list[dict]) -> str:
    if not rows:
        return "None."
    out = []
    for row in rows:
        out.append(
            f"- **{row['id']}** ({row['lang']}, {row['type']}) {row['question']}  \n"
            f"  gold: {' / '.join(row['answers'])}; first hit at rank {row['rank']}  \n"
            f"  answered: {row['answer'][:160]}  \n"
            f"  top passage: {row['top_passage'][:160]}"
        )
    return "\n".join(out)


def plot(results: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    names = list(results["systems"])
    rows = [results["systems"][n] for n in names]
    fig, (left, right) = plt.subplots(1, 2, figsize=(14, 5), gridspec_kw={"width_ratios": [2, 1]})
    width = 0.8 / len(names)
    x = np.arange(len(QUALITY))
    for i, (name, row) in enumerate(zip(names, rows)):
        left.bar(x + i * width, [row[m] for m in QUALITY], width, label=name)
    left.set_xticks(x + width * (len(names) - 1) / 2, QUALITY, rotation=20)
    left.set_ylim(0, 1.05)
    left.set_title("Quality (higher is better, except false_decline_rate)")
    left.legend(fontsize=8)
    latency = ("retrieve_p50_ms", "retrieve_p95_ms", "ask_p50_ms", "ask_p95_ms")
    x = np.arange(len(latency))
    for i, (name, row) in enumerate(zip(names, rows)):
        right.bar(x + i * width, [row[m] for m in latency], width, label=name)
    right.set_xticks(x + width * (len(names) - 1) / 2, latency, rotation=20)
    right.set_yscale("log")
    right.set_title("Latency per question, ms (log scale)")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def readme_table(results: dict) -> str:
    """The README's results block: only figures that a given code, data and
    question set reproduce (quality and passage length), so that a new run
    leaves it unchanged unless the engine's answers changed. The two systems,
    abstention by kind, and hit@1/answer accuracy by language for every system
    (ablations included when the run had them). Latency goes in
    ``readme_speed_line``, outside the compared block."""
    keys = ("hit@1", "hit@3", "mrr", "answer_accuracy", "short_f1", "decline_rate", "false_decline_rate",
            "mean_passage_chars")
    lines = ["| system | " + " | ".join(keys) + " |", "|---" * (len(keys) + 1) + "|"]
    for name in ("article-qa", "langchain-baseline"):
        row = results["systems"][name]
        lines.append(f"| {name} | " + " | ".join(_fmt(row[k]) for k in keys) + " |")
    abstention = results["systems"]["article-qa"]["offtopic_by_type"]
    declined = ", ".join(f"{kind}: {share:.3f}" for kind, share in abstention.items())
    return "\n".join(lines) + f"\n\narticle-qa declines off-topic questions by kind: {declined}.\n\n" \
        + _language_table(results) + "\n\n" + even_half_table(results["systems"]["article-qa"])


def even_half_table(engine: dict) -> str:
    """article-qa on the even half of the questions (not fitted on; still development questions), by language."""
    held = engine["even_half"]
    columns = ("n", "answer_accuracy", "short_f1", "false_decline_rate")
    lines = ["| even half (not fitted on) | " + " | ".join(columns) + " |", "|---" * (len(columns) + 1) + "|"]
    for name, row in list(held["by_lang"].items()) + [("all", held)]:
        lines.append(f"| {name} | " + " | ".join(_fmt(row[c]) for c in columns) + " |")
    declined = ", ".join(f"{kind}: {share:.3f}" for kind, share in held["offtopic_by_type"].items())
    return "\n".join(lines) + f"\n\nOn that half article-qa declines off-topic questions by kind: {declined}."


def readme_speed_line(results: dict) -> str:
    """Latency of the run that wrote the results block: it changes from run to
    run and machine to machine, so it is shown but never compared."""
    systems = results["systems"]
    parts = [f"{name} retrieve {systems[name]['retrieve_p50_ms']:.1f} ms, ask {systems[name]['ask_p50_ms']:.1f} ms"
             for name in ("article-qa", "langchain-baseline")]
    return (f"Median latency per new question in the run that made these tables: {'; '.join(parts)} "
            "(timings differ between runs and machines; eval/report.md has p95, build time and memory).")


def readme_results_block(readme_text: str) -> str:
    """What the README holds between the results markers (the compared part)."""
    return _block(RESULTS_START, RESULTS_END).search(readme_text).group(1).strip()


def update_readme(results: dict, readme: Path) -> None:
    text = readme.read_text(encoding="utf-8")
    for (start, end), body in (((RESULTS_START, RESULTS_END), readme_table(results)),
                               ((SPEED_START, SPEED_END), readme_speed_line(results))):
        pattern = _block(start, end)
        if not pattern.search(text):
            raise SystemExit(f"README.md has no {start} … {end} block to update")
        text = pattern.sub(lambda _, start=start, end=end, body=body: f"{start}\n{body}\n{end}", text)
    readme.write_text(text, encoding="utf-8")


def _block(start: str, end: str) -> re.Pattern:
    return re.compile(re.escape(start) + "(.*?)" + re.escape(end), re.DOTALL)
