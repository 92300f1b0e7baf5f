"""Does the format change the answers? The default article as .txt and as PDF.

Prints the default article (``data/digital-government.txt``) to PDF with
chromium, exactly as a reader would save it (browser header and footer
included), builds both with the real default embedder, and scores both on
``eval/questions.jsonl`` and ``eval/offtopic.jsonl`` in one run. Then reads
the saved news page of ``tests/test_formats.py`` and counts how much of its
chrome (menus, cookie banner, share bar, newsletter box, comments, footer,
scripts) reaches the clean article.

    .venv/bin/python eval/formats.py
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

EVAL_DIR = Path(__file__).resolve().parent
ROOT = EVAL_DIR.parent
sys.path.insert(0, str(EVAL_DIR))
sys.path.insert(0, str(ROOT / "tests"))

import scoring  # noqa: E402

ARTICLE = ROOT / "data" / "digital-government.txt"
METRICS = ("hit@1", "hit@3", "mrr", "answer_accuracy", "false_decline_rate", "decline_rate")


def print_to_pdf(source: Path, pdf: Path) -> None:
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", f"--print-to-pdf={pdf}",
                    source.as_uri()], check=True, capture_output=True, timeout=300)


def score(path: Path, index_dir: Path, embedder, questions, offtopic) -> dict:
    from article_qa import ArticleQA

    qa = ArticleQA.build(path, index_dir=index_dir, embedder=embedder)
    result = scoring.score_quality(qa, questions, offtopic)
    result["n_paragraphs"] = sum(1 for _ in qa.article.split("\n"))
    return result


def news_page_chrome(folder: Path) -> tuple[int, int, list[str]]:
    """(chrome strings kept, chrome strings in the page, headings found)."""
    from test_formats import CHROME, NEWS_PAGE

    from article_qa.ingest import read_article

    path = folder / "page.html"
    path.write_text(NEWS_PAGE, encoding="utf-8")
    article = read_article(path)
    kept = [c for c in CHROME if c in article.text]
    headings = [article.text[s.start:s.end] for s in article.spans if s.is_heading]
    return len(kept), len(CHROME), headings


def main() -> int:
    from article_qa.embed import load_embedder

    questions = scoring.load_jsonl(EVAL_DIR / "questions.jsonl")
    offtopic = scoring.load_jsonl(EVAL_DIR / "offtopic.jsonl")
    embedder = load_embedder()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        pdf = folder / "digital-government.pdf"
        print_to_pdf(ARTICLE, pdf)
        results = {"txt": score(ARTICLE, folder / "index-txt", embedder, questions, offtopic),
                   "pdf": score(pdf, folder / "index-pdf", embedder, questions, offtopic)}
        kept, total, headings = news_page_chrome(folder)
    print(f"default article, {len(questions)} questions + {len(offtopic)} off-topic, embedder {embedder.name}")
    print("| format | " + " | ".join(METRICS) + " | paragraphs |")
    print("|---" * (len(METRICS) + 2) + "|")
    for name, result in results.items():
        print(f"| {name} | " + " | ".join(f"{result[m]:.3f}" for m in METRICS) + f" | {result['n_paragraphs']} |")
    for name, result in results.items():
        failed = [row["id"] for row in result["failures"]]
        print(f"{name} failures: {', '.join(failed) or 'none'}")
    print(f"saved news page: {kept} of {total} chrome strings kept; headings: {headings}")
    return 0 if kept == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
