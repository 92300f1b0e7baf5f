"""Outside benchmark: article-qa on CMRC 2018, DRCD and XQuAD texts, against two baselines.

    python eval/benchmark.py                        # validation split, all three variants
    python eval/benchmark.py --split train          # for reference: eval/benchmark-train.{md,json}
    python eval/benchmark.py --variants simplified,cross-script
    python eval/benchmark.py --layouts blank-line   # one layout only (default: both, see below)
    python eval/benchmark.py --update-readme        # copy the quality table into README.md
    python eval/benchmark.py --json                 # print the summary as one JSON object
    python eval/benchmark.py --summarize eval/benchmark.json   # rewrite the summary from a run's full dump

Each run writes ``eval/benchmark-summary.json`` (the figures the README's
table is made from: per variant and system, per layout; tracked, ~20 KB),
``eval/benchmark.md`` and ``eval/benchmark.json`` (the summary with every
question's row, ~9 MB: not tracked, see .gitignore).

Variants: CMRC 2018's three script variants (``cmrc.py``), DRCD
(Traditional), XQuAD English, XQuAD Chinese, English questions on the
Chinese text and Chinese questions on the English text
(``benchmark_sets.py``). Each text is built with ``ArticleQA.build`` in a
temporary folder and asked its own questions, a dozen questions of another
text and a dozen near misses (one of its own questions with a number or name
swapped for one the article never holds); it should decline the last two.
article-qa runs with the trained reader (``reader=True``) and, on the same
built index, with the reader off (the tree models and span rules alone). Short answers are scored with SQuAD's
token F1 on English texts and CMRC's character F1 on Chinese ones. In the same run, on the same texts: the LangChain
RAG tutorial baseline (``systems.LangChainBaseline``: its answer is its first
passage) and a lexical sentence picker (the sentence sharing the most
character bigrams with the question). Neither baseline ever declines.

Every text is built in each layout of ``cmrc.LAYOUTS``: a blank line after
each title, and each title directly above its paragraph (``Title\ntext``).
The engine answers both; the baselines run on the first layout only. The
ingest must read the two alike: the layout table prints both and the
difference in answer accuracy, which must stay within ``LAYOUT_TOLERANCE``.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

EVAL_DIR = Path(__file__).resolve().parent
ROOT = EVAL_DIR.parent
sys.path.insert(0, str(EVAL_DIR))

import benchmark_sets  # noqa: E402
import cmrc  # noqa: E402
import squad_metric  # noqa: E402
from scoring import contains_gold  # noqa: E402

from systems import BaselineAnswer, BaselinePassage  # noqa: E402

ENGINE, ENGINE_TREES = "article-qa (reader)", "article-qa"  # reader=True (the default); reader=False
LANGCHAIN, LEXICAL = "langchain-baseline", "lexical-sentence"
SYSTEMS = (ENGINE, ENGINE_TREES, LANGCHAIN, LEXICAL)
VARIANTS = (*cmrc.VARIANTS, *benchmark_sets.SETS)
OVERALL = "overall"
CMRC = "cmrc (all variants)"
ROWS_CACHE = EVAL_DIR / ".cache" / "benchmark-rows.json"  # every row, written before the tables
ARTICLE_CHARS = 12_000  # build time is reported per text of this size
QUALITY = ("hit@1", "hit@3", "answer_accuracy", "short_em", "short_f1", "decline_rate", "near_decline_rate",
           "false_decline_rate")
README_START, README_END = "<!-- benchmark:start -->", "<!-- benchmark:end -->"
WARMUP_QUESTION = "这篇文章讲了什么?"
MISS_EXAMPLES = 5
LAYOUT_TOLERANCE = 0.01
LAYOUT_QUALITY = ("hit@1", "answer_accuracy", "short_f1", "decline_rate", "false_decline_rate")
# Characters kept of each answer and passage in benchmark.json (the full dump): enough to
# study a miss. A baseline's answer is its first passage, kept once and shorter.
KEPT_CHARS = 300
BASELINE_KEPT_CHARS = 80


# ---- the lexical baseline ---------------------------------------------------

class LexicalPicker:
    """Ranks the clean article's sentences by how many distinct character
    bigrams of the question they share (as written: no script folding), and
    answers with the first."""

    name = LEXICAL

    def __init__(self, article_text: str) -> None:
        from article_qa.ingest import clean_article

        self.sentences = [m.group().strip() for m in _SENTENCE.finditer(clean_article(article_text).text)]
        self.sentences = [s for s in self.sentences if s]
        self._bigrams = [_bigrams(s) for s in self.sentences]

    def retrieve(self, question: str, k: int = 3) -> list[BaselinePassage]:
        wanted = _bigrams(question)
        shared = [len(wanted & bigrams) for bigrams in self._bigrams]
        order = sorted(range(len(shared)), key=lambda i: -shared[i])  # stable: earlier sentence wins a tie
        return [BaselinePassage(self.sentences[i], float(shared[i])) for i in order[:k]]

    def ask(self, question: str) -> BaselineAnswer:
        top = self.retrieve(question, k=1)
        return BaselineAnswer(found=bool(top), text=top[0].text if top else "")


# A sentence runs to its end mark (and any closing quotes); a line (heading or
# paragraph) always ends one.
_SENTENCE = re.compile(r"[^。！？!?\n]+(?:[。！？!?]+[”」』\"']*)?")


def _bigrams(text: str) -> set[str]:
    chars = re.sub(r"\s+", "", text)
    return {chars[i:i + 2] for i in range(len(chars) - 1)}


# ---- scoring one system on one text ------------------------------------------

def score_text(system, text: cmrc.BenchmarkText, *, system_name: str, variant: str, timed: bool = True,
               layout: str = cmrc.LAYOUTS[0], near_misses: tuple = ()) -> list[dict]:
    """One row per question: the text's own questions, then the other text's, then the near misses.

    ``system`` has ``ask(q)`` (``found``, ``text``, optional ``short_answer``)
    and ``retrieve(q, k)`` (passages with ``text``). ``ask`` is timed before
    ``retrieve`` so that its time includes embedding the question; with
    ``timed=False`` no time is recorded (the question vectors were made ahead).
    """
    system.ask(WARMUP_QUESTION)
    base = {"system": system_name, "variant": variant, "layout": layout, "text": text.name}
    english = variant in benchmark_sets.ENGLISH_TEXT
    rows = [{**base, "kind": "own", **_own_row(system, q, timed, english)} for q in text.questions]
    rows += [{**base, "kind": "other", **_other_row(system, q)} for q in text.other_questions]
    rows += [{**base, "kind": "near", **_other_row(system, q)} for q in near_misses]
    return rows


def _own_row(system, question: cmrc.Question, timed: bool, english: bool = False) -> dict:
    started = time.perf_counter()
    answer = system.ask(question.text)
    ask_ms = (time.perf_counter() - started) * 1000
    passages = system.retrieve(question.text, k=3)
    golds = list(question.golds)
    short = _short_answer(answer)
    return {
        "id": question.id, "question": question.text, "golds": golds,
        "hit@1": bool(passages) and contains_gold(passages[0].text, golds),
        "hit@3": any(contains_gold(p.text, golds) for p in passages[:3]),
        "found": answer.found,
        "answer_ok": answer.found and contains_gold(answer.text, golds),
        "short_answer": short,
        "short_em": short_em(short, golds, english=english),
        "short_f1": round(short_f1(short, golds, english=english), 4),
        "ask_ms": round(ask_ms, 3) if timed else None,
        "answer": answer.text[:KEPT_CHARS],
        "top_passage": passages[0].text[:KEPT_CHARS] if passages else "",
    }


def short_f1(prediction: str, golds: list[str], *, english: bool = False) -> float:
    """SQuAD's token F1 on an English text's answers, CMRC's character F1 otherwise."""
    return squad_metric.squad_f1(prediction, golds) if english else cmrc.cmrc_f1(prediction, golds)


def short_em(prediction: str, golds: list[str], *, english: bool = False) -> float:
    return squad_metric.squad_em(prediction, golds) if english else cmrc.cmrc_em(prediction, golds)


def compact(row: dict) -> dict:
    """A baseline's row as stored: its short answer and top passage are its
    answer, and the question and golds are in the engine's row of the same id."""
    if row["system"] == ENGINE:
        return row
    out = {k: v for k, v in row.items() if k not in ("short_answer", "top_passage", "question", "golds")}
    out["answer"] = row["answer"][:BASELINE_KEPT_CHARS]
    return out


def _short_answer(answer) -> str:
    """The engine's short answer; a baseline's whole answer text, for reference.
    A decline answers nothing: ""."""
    if not answer.found:
        return ""
    return getattr(answer, "short_answer", answer.text)


def _other_row(system, question: cmrc.Question) -> dict:
    answer = system.ask(question.text)
    return {"id": question.id, "question": question.text, "golds": list(question.golds),
            "found": answer.found, "answer": answer.text[:KEPT_CHARS]}


# ---- aggregation -----------------------------------------------------------

def summarize(rows: list[dict]) -> dict:
    """Quality over the own questions, declines over the other texts' ones."""
    own = [r for r in rows if r["kind"] == "own"]
    other = [r for r in rows if r["kind"] == "other"]
    near = [r for r in rows if r["kind"] == "near"]
    return {
        "n": len(own), "n_other": len(other), "n_near": len(near),
        "hit@1": _mean(r["hit@1"] for r in own),
        "hit@3": _mean(r["hit@3"] for r in own),
        "answer_accuracy": _mean(r["answer_ok"] for r in own),
        "short_em": _mean(r["short_em"] for r in own),
        "short_f1": _mean(r["short_f1"] for r in own),
        "decline_rate": _mean(not r["found"] for r in other),
        "near_decline_rate": _mean(not r["found"] for r in near),
        "false_decline_rate": _mean(not r["found"] for r in own),
        "ask_p50_ms": _median([r["ask_ms"] for r in own if r["ask_ms"] is not None]),
    }


def _mean(values) -> float:
    values = [float(v) for v in values]
    return round(sum(values) / len(values), 4) if values else 0.0


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 3) if values else None


def summaries(rows: list[dict], variants: list[str]) -> dict:
    """``{variant or "overall": {system: summary}}``."""
    out = {}
    for variant in [*variants, OVERALL]:
        chosen = [r for r in rows if variant == OVERALL or r["variant"] == variant]
        out[variant] = {name: summarize([r for r in chosen if r["system"] == name])
                        for name in SYSTEMS if any(r["system"] == name for r in chosen)}
    return out


# ---- the run -----------------------------------------------------------------

class QuestionVectors:
    """The baseline's embedder, with each text's questions embedded up front
    in one batch: one MiniLM call per question (twice, for ``ask`` and
    ``retrieve``) would cost minutes on two cores; the vectors are the same."""

    def __init__(self, embedder) -> None:
        self._embedder = embedder
        self.name, self.dimension = embedder.name, embedder.dimension
        self._vectors: dict[str, object] = {}

    def prepare(self, questions: list[str]) -> None:
        self._vectors = dict(zip(questions, self._embedder.embed(questions)))

    def embed(self, texts: list[str]):
        if len(texts) == 1 and texts[0] in self._vectors:
            return self._vectors[texts[0]][None, :]
        return self._embedder.embed(texts)


@dataclass
class Embedders:
    """One engine embedder and one MiniLM for the baseline, shared by every build."""

    engine: object
    baseline: object

    @classmethod
    def real(cls) -> "Embedders":
        from article_qa.embed import PACKAGED_MINILM, load_embedder

        return cls(engine=load_embedder(), baseline=QuestionVectors(load_embedder(PACKAGED_MINILM)))


def run(split: str, variants: list[str], embedders: Embedders | None, layouts: tuple[str, ...] = cmrc.LAYOUTS,
        jobs: int = 1) -> dict:
    """``summary``: every system on the first layout; ``by_layout``: the engine on each.
    ``jobs`` > 1 runs the texts in that many processes (each loads its own
    embedders; ``embedders`` is then unused and may be None)."""
    rows, builds, missing = [], [], {}
    work = [(text, variant, layout, layout == layouts[0]) for layout in layouts for variant in variants
            for text in variant_texts(variant, layout, layout == layouts[0]) if split == "all" or text.split == split]
    for (text, variant, layout, first), (text_rows, build, n_missing, seconds) in zip(work, _each(work, embedders, jobs)):
        print(f"{layout} {variant} {text.name}: {len(text.questions)} questions, build "
              f"{build['seconds']:.1f} s, all {seconds:.1f} s", file=sys.stderr, flush=True)
        rows += text_rows
        if first:
            builds.append(build)
            missing[variant] = missing.get(variant, 0) + n_missing
    ROWS_CACHE.parent.mkdir(parents=True, exist_ok=True)
    ROWS_CACHE.write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
    engine = [r for r in rows if r["system"] == ENGINE]
    return {
        "split": split, "variants": variants, "layouts": list(layouts),
        "texts": sorted({r["text"] for r in rows}),
        "summary": summaries([r for r in rows if r["layout"] == layouts[0]], variants),
        "by_layout": {layout: {**{variant: systems[ENGINE] for variant, systems in
                                  summaries([r for r in engine if r["layout"] == layout], variants).items()
                                  if ENGINE in systems and variant != OVERALL},
                               # the layouts are compared on CMRC, the one set built in both
                               CMRC: summarize([r for r in engine if r["layout"] == layout
                                                and r["variant"] in cmrc.VARIANTS])}
                      for layout in layouts},
        "build_s_per_12k_chars": round(sum(b["seconds"] for b in builds) / sum(b["chars"] for b in builds)
                                       * ARTICLE_CHARS, 3) if builds else 0.0,
        "questions_without_gold_in_article": missing,
        "rows": [compact(r) for r in rows],
    }


_WORKER_EMBEDDERS: Embedders | None = None


def _each(work, embedders: Embedders | None, jobs: int):
    """``_run_text`` over the work items, in order, in this process or in ``jobs`` processes."""
    if jobs <= 1:
        return (_timed_text(item, embedders) for item in work)
    import os
    from concurrent.futures import ProcessPoolExecutor

    os.environ["OMP_NUM_THREADS"] = "1"  # one core a worker: the baseline's torch would take them all
    pool = ProcessPoolExecutor(max_workers=jobs)
    return pool.map(_timed_text, work, chunksize=1)


def _timed_text(item, embedders: Embedders | None = None):
    global _WORKER_EMBEDDERS
    if embedders is None:
        _WORKER_EMBEDDERS = _WORKER_EMBEDDERS or Embedders.real()  # once per worker process
        embedders = _WORKER_EMBEDDERS
    text, variant, layout, first = item
    started = time.perf_counter()
    text_rows, build, n_missing = _run_text(text, variant, embedders, layout=layout, baselines=first)
    return text_rows, build, n_missing, time.perf_counter() - started


def variant_texts(variant: str, layout: str, first_layout: bool) -> list[cmrc.BenchmarkText]:
    """CMRC's texts in every layout; the other sets' in the first layout only."""
    if variant in cmrc.VARIANTS:
        return cmrc.load_texts(variant, layout)
    return benchmark_sets.load_texts(variant) if first_layout else []


def _run_text(text: cmrc.BenchmarkText, variant: str, embedders: Embedders, *, layout: str,
              baselines: bool) -> tuple[list[dict], dict, int]:
    from article_qa import ArticleQA
    from systems import LangChainBaseline

    with tempfile.TemporaryDirectory() as tmp:
        path = cmrc.write_article(text, Path(tmp))
        started = time.perf_counter()
        qa = ArticleQA.build(path, index_dir=Path(tmp) / "index", embedder=embedders.engine, reader=True)
        build = {"seconds": time.perf_counter() - started, "chars": len(qa.article)}
        pool = variant_texts(variant, layout, True)
        near = benchmark_sets.near_misses(text, [t for t in pool if t.split == text.split])
        rows = score_text(qa, text, system_name=ENGINE, variant=variant, layout=layout, near_misses=near)
        if baselines:
            trees = ArticleQA.load(Path(tmp) / "index", embedder=embedders.engine, reader=False)
            rows += score_text(trees, text, system_name=ENGINE_TREES, variant=variant, layout=layout,
                               near_misses=near)
            rows += score_text(LexicalPicker(text.article), text, system_name=LEXICAL, variant=variant, layout=layout)
            baseline = LangChainBaseline(path, embedder=embedders.baseline)
            if isinstance(embedders.baseline, QuestionVectors):
                embedders.baseline.prepare([q.text for q in text.questions + text.other_questions]
                                           + [WARMUP_QUESTION])
            rows += score_text(baseline, text, system_name=LANGCHAIN, variant=variant, layout=layout,
                               timed=not isinstance(embedders.baseline, QuestionVectors))
    return rows, build, count_missing_golds(qa.article, text)


def count_missing_golds(article: str, text: cmrc.BenchmarkText) -> int:
    """Questions none of whose golds occurs verbatim in the built article."""
    return sum(not any(gold in article for gold in q.golds) for q in text.questions)


# ---- reports -----------------------------------------------------------------

def quality_table(results: dict) -> str:
    """Quality by variant and system: no timing (it varies from run to run)."""
    lines = ["| variant | system | n | " + " | ".join(QUALITY) + " |", "|---" * (len(QUALITY) + 3) + "|"]
    for variant, systems in results["summary"].items():
        for name, row in systems.items():
            lines.append(f"| {variant} | {name} | {row['n']} | " + " | ".join(f"{row[k]:.3f}" for k in QUALITY) + " |")
    return "\n".join(lines)


def layout_table(results: dict) -> str:
    """The engine in each layout, by variant, and the gap in answer accuracy."""
    layouts = results.get("layouts", [])
    lines = ["| layout | variant | n | " + " | ".join(LAYOUT_QUALITY) + " |",
             "|---" * (len(LAYOUT_QUALITY) + 3) + "|"]
    for layout in layouts:
        for variant, row in results["by_layout"][layout].items():
            lines.append(f"| {layout} | {variant} | {row['n']} | "
                         + " | ".join(f"{row[k]:.3f}" for k in LAYOUT_QUALITY) + " |")
    table = "\n".join(lines)
    if len(layouts) < 2:
        return table
    gap = layout_gap(results)
    verdict = "within" if abs(gap) <= LAYOUT_TOLERANCE else "NOT within"
    return (f"{table}\n\nanswer_accuracy, {layouts[1]} − {layouts[0]}, CMRC: {gap:+.3f} "
            f"({verdict} {LAYOUT_TOLERANCE})")


def layout_gap(results: dict) -> float:
    """The engine's answer accuracy on CMRC (every variant) in the second layout minus the first."""
    first, second = results["layouts"][:2]
    by_layout = results["by_layout"]
    return round(by_layout[second][CMRC]["answer_accuracy"] - by_layout[first][CMRC]["answer_accuracy"], 4)


def speed_table(results: dict) -> str:
    """ask p50 per system; "—" where the question vectors were made ahead (the baseline)."""
    lines = ["| variant | system | ask_p50_ms |", "|---|---|---|"]
    for variant, systems in results["summary"].items():
        for name, row in systems.items():
            p50 = row["ask_p50_ms"]
            lines.append(f"| {variant} | {name} | {'—' if p50 is None else f'{p50:.2f}'} |")
    return "\n".join(lines)


def readme_block(results: dict) -> str:
    texts = results["texts"]
    n_other = results["summary"][OVERALL][ENGINE]["n_other"]
    n_near = results["summary"][OVERALL][ENGINE]["n_near"]
    return (f"{quality_table(results)}\n\n{results['split'].capitalize()} split of every set: {len(texts)} texts "
            f"(CMRC 2018: ~12,000 characters each; DRCD and XQuAD: one Wikipedia article each), {n_other} other "
            f"texts' questions and {n_near} near misses to decline (`eval/benchmark-summary.json`). "
            f"Layout `{results['layouts'][0]}`; article-qa in every layout (CMRC):\n\n{layout_table(results)}")


def markdown(results: dict) -> str:
    parts = [
        "# Outside benchmark: CMRC 2018",
        f"Split `{results['split']}`: texts {', '.join(results['texts'])}; produced by `python eval/benchmark.py` "
        f"in {results.get('eval_seconds', '?')} s. Texts, split and variants are described in `eval/cmrc.py`.",
        "## Quality", quality_table(results),
        f"Layout `{results['layouts'][0]}`. article-qa on the same texts in every layout (a blank line after each "
        "title, or the title directly above its paragraph):",
        layout_table(results),
        "hit@k: a gold answer inside a top-k passage (script-folded). answer_accuracy: an answer given, with a gold "
        "inside it. short_em / short_f1: CMRC 2018's metric on `Answer.short_answer` (a baseline's whole answer, "
        "for reference; a decline scores 0). decline_rate: share of another text's questions declined (right); "
        "false_decline_rate: share of the text's own questions declined (wrong).",
        "The LangChain baseline's passages are its 1,000-character chunks, the lexical picker's are sentences "
        "(its top 3 by shared bigrams); both answer with their first passage and never decline.",
        "## Speed",
        speed_table(results),
        "ask p50 after a warm-up question, over each text's own questions (a fresh question each time). The "
        "baseline's question vectors are made in one batch ahead, so its time is not measured here "
        "(`eval/report.md` has it).",
        f"Build (`ArticleQA.build`, shared embedder): {results['build_s_per_12k_chars']:.2f} s per 12,000 characters.",
        "Questions with no gold verbatim in the built article, by variant: "
        + ", ".join(f"{v}: {n}" for v, n in results["questions_without_gold_in_article"].items()) + ".",
        "## Example misses of article-qa", _misses(results["rows"]),
    ]
    return "\n\n".join(parts) + "\n"


def _misses(rows: list[dict]) -> str:
    """A few own questions the engine answered without a gold, spread over the run."""
    misses = [r for r in rows if r["system"] == ENGINE and r["kind"] == "own" and not r["answer_ok"]]
    if not misses:
        return "None."
    chosen = misses[::max(1, len(misses) // MISS_EXAMPLES)][:MISS_EXAMPLES]
    return "\n".join(
        f"- **{r['id']}** ({r['variant']}) {r['question']}  \n"
        f"  gold: {' / '.join(r['golds'])}; hit@3: {r['hit@3']}; found: {r['found']}  \n"
        f"  answered: {r['answer'][:160]}" for r in chosen)


def to_json(results: dict) -> str:
    """Indented, but one line per question row: diffs stay readable, the file small."""
    head = json.dumps({k: v for k, v in results.items() if k != "rows"}, ensure_ascii=False, indent=1)
    rows = ",\n".join(json.dumps(r, ensure_ascii=False) for r in results["rows"])
    return f'{head[:-2]},\n "rows": [\n{rows}\n ]\n}}\n'


def summary_of(results: dict) -> dict:
    """What the README's and the tests' figures come from, without the per-question rows: the run's
    fields but ``rows``, and the layouts each system ran on (the baselines on the first only)."""
    head = {k: v for k, v in results.items() if k != "rows"}
    if "rows" in results:
        layouts: dict[str, set] = {}
        for row in results["rows"]:
            layouts.setdefault(row["system"], set()).add(row["layout"])
        head["layouts_by_system"] = {system: sorted(found, key=results["layouts"].index)
                                     for system, found in sorted(layouts.items())}
    return head


def summary_json(results: dict) -> str:
    return json.dumps(summary_of(results), ensure_ascii=False, indent=1) + "\n"


def output_paths(split: str) -> tuple[Path, Path, Path]:
    """The run's Markdown report, its full dump (every row; not tracked) and its summary (tracked)."""
    stem = "benchmark" if split == "validation" else f"benchmark-{split}"
    return EVAL_DIR / f"{stem}.md", EVAL_DIR / f"{stem}.json", EVAL_DIR / f"{stem}-summary.json"


def update_readme(results: dict, readme: Path) -> None:
    text = readme.read_text(encoding="utf-8")
    pattern = re.compile(re.escape(README_START) + ".*?" + re.escape(README_END), re.DOTALL)
    if not pattern.search(text):
        raise SystemExit(f"{readme.name} has no {README_START} … {README_END} block to update")
    block = f"{README_START}\n{readme_block(results)}\n{README_END}"
    readme.write_text(pattern.sub(lambda _: block, text), encoding="utf-8")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--split", choices=("validation", "train", "dev", "all"), default="validation")
    parser.add_argument("--variants", default=",".join(VARIANTS), help="comma-separated")
    parser.add_argument("--layouts", default=",".join(cmrc.LAYOUTS),
                        help="comma-separated; the baselines run on the first (default: all)")
    parser.add_argument("--update-readme", action="store_true", help="copy the quality table into README.md")
    parser.add_argument("--jobs", type=int, default=1, help="texts run in this many processes (one a core)")
    parser.add_argument("--json", action="store_true", help="print the summary as one JSON object")
    parser.add_argument("--summarize", type=Path, metavar="FULL_JSON",
                        help="only write the summary of an earlier run's full dump beside it (no run)")
    args = parser.parse_args(argv)
    if args.summarize:
        results = json.loads(args.summarize.read_text(encoding="utf-8"))
        summary_path = output_paths(results["split"])[2]
        summary_path.write_text(summary_json(results), encoding="utf-8")
        print(f"wrote {summary_path.name} from {args.summarize.name}")
        return 0
    variants = [v.strip() for v in args.variants.split(",") if v.strip()]
    if unknown := sorted(set(variants) - set(VARIANTS)):
        parser.error(f"unknown variants {unknown}; choose from {', '.join(VARIANTS)}")
    layouts = tuple(v.strip() for v in args.layouts.split(",") if v.strip())
    if not layouts or set(layouts) - set(cmrc.LAYOUTS):
        parser.error(f"--layouts takes some of {', '.join(cmrc.LAYOUTS)}")
    if args.update_readme and args.split != "validation":
        parser.error("--update-readme reports the validation split only")

    started = time.perf_counter()
    results = run(args.split, variants, Embedders.real() if args.jobs <= 1 else None, layouts, jobs=args.jobs)
    results["eval_seconds"] = round(time.perf_counter() - started, 1)
    md_path, json_path, summary_path = output_paths(args.split)
    json_path.write_text(to_json(results), encoding="utf-8")
    summary_path.write_text(summary_json(results), encoding="utf-8")
    md_path.write_text(markdown(results), encoding="utf-8")
    if args.update_readme:
        update_readme(results, ROOT / "README.md")
    if args.json:
        print(json.dumps({k: v for k, v in results.items() if k != "rows"}, ensure_ascii=False))
    else:
        print(quality_table(results) + "\n\n" + layout_table(results) + "\n\n" + speed_table(results))
        print(f"build: {results['build_s_per_12k_chars']:.2f} s per 12k chars; "
              f"questions without gold in article: {results['questions_without_gold_in_article']}; "
              f"{results['eval_seconds']} s; wrote {md_path.name}, {summary_path.name}, {json_path.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
