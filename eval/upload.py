"""Uploads as the app handles them: build time, first answer, memory held.

    python eval/upload.py [--runs 3]

For a 12,000-character article (the default article's clean text, cut to
that size) and one ten times larger (the CMRC 2018 texts joined), each run
builds the upload through ``article_qa.sessions.ArticleSessions`` — what the
app's upload box calls — in a fresh session with the app's shared embedder
already loaded (as it is on a running server), then asks one question. It
prints the medians of "upload ends -> first answer" and of the build alone,
and how much memory (RSS) one more uploaded article holds.
"""

from __future__ import annotations

import argparse
import gc
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

EVAL_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(EVAL_DIR))

import cmrc  # noqa: E402

from article_qa.ingest import read_article  # noqa: E402
from article_qa.sessions import ArticleSessions  # noqa: E402

QUESTION = "这篇文章讲了什么?"


def _rss_mb() -> float:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * resource.getpagesize() / 2**20


def articles(folder: Path) -> dict[str, Path]:
    default = read_article(EVAL_DIR.parent / "data" / "digital-government.txt").text[:12_000]
    texts = cmrc.load_texts("simplified")
    large = "\n\n".join(t.article for t in texts[1:])[:120_000]
    paths = {}
    for name, text in (("warm-up", texts[0].article), ("12k characters", default),
                       ("120k characters (10x)", large)):
        path = folder / f"{name.split()[0]}.txt"  # warm-up.txt, 12k.txt, 120k.txt
        path.write_text(text, encoding="utf-8")
        paths[name] = path
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        sessions = ArticleSessions(Path(tmp) / "sessions", max_engines=args.runs * 2 + 2)
        paths = articles(Path(tmp))
        # Loads the shared embedder and the tagger once, on other text (no
        # cache of the measured articles' sentences is warm).
        sessions.build_from_file("warm-up", paths.pop("warm-up"))
        sessions.drop("warm-up")
        for name, path in paths.items():
            totals, builds, held = [], [], []
            for run in range(args.runs):
                gc.collect()
                before = _rss_mb()
                started = time.perf_counter()
                entry = sessions.build_from_file(f"{name}-{run}", path)
                built = time.perf_counter()
                entry.qa.ask(QUESTION)
                totals.append(time.perf_counter() - started)
                builds.append(built - started)
                gc.collect()
                held.append(_rss_mb() - before)
            print(f"{name:24s} upload ends -> first answer {statistics.median(totals):5.2f} s "
                  f"(build {statistics.median(builds):5.2f} s), memory held per uploaded article "
                  f"{statistics.median(held):6.1f} MB  (median of {args.runs})")
        sessions.close()


if __name__ == "__main__":
    main()
