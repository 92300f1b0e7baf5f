"""Answers shaped by the question (issue 21): list, gist, reason and manner questions.

    python eval/shaped.py                  # the dev split, reader on (as shipped): the table
    python eval/shaped.py --split test     # the held-out half (tune on dev only)
    python eval/shaped.py --split all      # every question
    python eval/shaped.py --failures       # and each failed question with what came back
    python eval/shaped.py --reader off     # the tree models alone

Each run also prints the factoid figures of the default article's own
questions (what eval/run.py --quality-only scores), which must not move.

The set is ``eval/shaped.jsonl``: questions on the default article and on
the texts in ``eval/shaped/`` (where each came from and its licence:
eval/shaped/README.md). A list answer should quote each item, a gist the
lead and one sentence per section, a reason or manner answer the sentences
that carry the cause or the steps. Each question has ``must`` groups of
phrases quoted from its text: it passes when the answer is found, every
group has one of its phrases verbatim in ``answer.text`` and the text is at
most ``max_chars`` long (a whole section quoted is no answer).

The baseline is the top-3 passages of ``qa.retrieve(question, k=3)`` joined
as the answer, scored by the same rule and cap: what a plain retriever shows
for the same question, in the same run.

Indexes of the texts are built once and cached in ``eval/.cache/shaped/<name>/``,
rebuilt when the text's sha256 changes or the engine refuses the cached
index as stale; the default article uses the shipped ``index/``.
"""

from __future__ import annotations

import argparse
import hashlib
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

EVAL_DIR = Path(__file__).resolve().parent
ROOT = EVAL_DIR.parent
sys.path.insert(0, str(EVAL_DIR))

import scoring  # noqa: E402
from scoring import load_jsonl  # noqa: E402

QUESTIONS = EVAL_DIR / "shaped.jsonl"
DEFAULT_ARTICLE = "data/digital-government.txt"
CACHE = EVAL_DIR / ".cache" / "shaped"
KINDS = ("list", "gist", "reason", "manner")
WARM_UP = "Hello?"  # asked once per engine before timing, so lazy loading is not timed


def passes(*, found: bool, text: str, must: list[list[str]], max_chars: int) -> bool:
    """The set's rule: found, every must group held (one of its phrases
    verbatim in ``text``) and ``text`` within the length cap."""
    return found and len(text) <= max_chars and all(any(phrase in text for phrase in group) for group in must)


def select(rows: list[dict], split: str) -> list[dict]:
    return rows if split == "all" else [row for row in rows if row["split"] == split]


def engine_for(text: str, *, reader: bool):
    """The engine for one text: the shipped index for the default article,
    else a cached index keyed by the text's sha256 (rebuilt when the text
    changed or the engine no longer loads it)."""
    from article_qa import ArticleQA, ArticleQAError

    if text == DEFAULT_ARTICLE:
        try:
            return ArticleQA.load(ROOT / "index", reader=reader)
        except ArticleQAError as error:  # a stale shipped index while the engine changes: build our own
            print(f"note: shipped index not loaded ({error}); building one in {CACHE}", file=sys.stderr)
    path = ROOT / text
    folder = CACHE / path.stem
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    stamp = folder / "text.sha256"
    if stamp.is_file() and stamp.read_text().strip() == digest:
        try:
            return ArticleQA.load(folder / "index", reader=reader)
        except ArticleQAError:
            pass  # stale after an engine change: rebuild below
    folder.mkdir(parents=True, exist_ok=True)
    qa = ArticleQA.build(path, index_dir=folder / "index", reader=reader)
    stamp.write_text(digest + "\n")
    return qa


def ask_all(rows: list[dict], *, reader: bool) -> list[dict]:
    """Each question asked of article-qa (timed) and of the top-3 baseline,
    one engine per text, both scored by ``passes``."""
    by_text = defaultdict(list)
    for row in rows:
        by_text[row["text"]].append(row)
    results = []
    for text, group in by_text.items():
        qa = engine_for(text, reader=reader)
        qa.ask(WARM_UP)
        for row in group:
            started = time.perf_counter()
            answer = qa.ask(row["question"])
            latency_ms = (time.perf_counter() - started) * 1000
            top3 = "\n".join(p.text for p in qa.retrieve(row["question"], k=3))
            rule = {"must": row["must"], "max_chars": row["max_chars"]}
            results.append({
                **row, "answer": answer.text, "answer_kind": getattr(answer, "kind", ""),
                "ok": passes(found=answer.found, text=answer.text, **rule), "chars": len(answer.text),
                "latency_ms": latency_ms,
                "baseline": top3, "baseline_ok": passes(found=bool(top3), text=top3, **rule),
                "baseline_chars": len(top3),
            })
    return results


def _groups(results: list[dict]) -> list[tuple[str, list[dict]]]:
    """Rows of the table: by kind, by language, by text, then all."""
    groups = []
    for field, label in (("kind", "kind"), ("language", "language"), ("text", "text")):
        values = sorted({r[field] for r in results}, key=lambda v: (KINDS.index(v) if v in KINDS else 9, v))
        groups += [(f"{label}: {_short(value)}", [r for r in results if r[field] == value]) for value in values]
    return groups + [("all", results)]


def _short(value: str) -> str:
    return Path(value).stem if "/" in value else value


def _mean(values) -> float:
    values = list(values)
    return sum(values) / len(values) if values else 0.0


def table(results: list[dict]) -> str:
    """Pass rates and mean answer lengths for article-qa and the baseline;
    "kind named" is the share of answers whose ``kind`` is the question's."""
    lines = ["| group | n | article-qa pass | top-3 passages pass | article-qa chars | top-3 chars | kind named |",
             "|---|---|---|---|---|---|---|"]
    for name, rows in _groups(results):
        lines.append(f"| {name} | {len(rows)} | {_mean(r['ok'] for r in rows):.3f} | "
                     f"{_mean(r['baseline_ok'] for r in rows):.3f} | {_mean(r['chars'] for r in rows):.0f} | "
                     f"{_mean(r['baseline_chars'] for r in rows):.0f} | "
                     f"{_mean(r['answer_kind'] == r['kind'] for r in rows):.3f} |")
    latencies = [r["latency_ms"] for r in results]
    lines.append(f"\narticle-qa ask latency: mean {_mean(latencies):.1f} ms, "
                 f"p50 {statistics.median(latencies):.1f} ms over {len(latencies)} questions.")
    return "\n".join(lines)


def _trim(text: str, limit: int = 240) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + "…"


def failures(results: list[dict]) -> str:
    """Each failed question: the groups it missed, the length against the cap, what came back."""
    out = []
    for r in results:
        if r["ok"]:
            continue
        missed = [" / ".join(group) for group in r["must"] if not any(p in r["answer"] for p in group)]
        out.append(f"- {r['id']} ({r['kind']}, {r['language']}, answered as {r['answer_kind'] or '?'}) "
                   f"{r['question']}\n  missed: {'; '.join(missed) or 'none'}  length {r['chars']}/{r['max_chars']}\n"
                   f"  answered: {_trim(r['answer'])}")
    return "\n".join(out) or "None."


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--split", choices=("dev", "test", "all"), default="dev")
    parser.add_argument("--failures", action="store_true", help="list each failed question with its answer")
    parser.add_argument("--reader", choices=("on", "off"), default="on", help="the trained reader (on as shipped)")
    args = parser.parse_args(argv)
    rows = select(load_jsonl(QUESTIONS), args.split)
    results = ask_all(rows, reader=args.reader == "on")
    print(f"Shaped answers, split {args.split}, reader {args.reader}:\n")
    print(table(results))
    print("\n" + factoid_line(reader=args.reader == "on"))
    if args.failures:
        print("\n" + failures(results))
    return 0


def factoid_line(*, reader: bool) -> str:
    """The project's factoid figures on the default article (eval/questions.jsonl and
    eval/offtopic.jsonl, as ``eval/run.py --quality-only`` scores them): shaped answers must not move them."""
    from article_qa import ArticleQA

    result = scoring.score_quality(ArticleQA.load(ROOT / "index", reader=reader),
                                   load_jsonl(EVAL_DIR / "questions.jsonl"), load_jsonl(EVAL_DIR / "offtopic.jsonl"))
    return ("Factoid questions of the default article: " + ", ".join(
        f"{name} {result[name]:.3f}" for name in ("answer_accuracy", "short_f1", "decline_rate", "false_decline_rate")))


if __name__ == "__main__":
    sys.exit(main())
