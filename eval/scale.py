"""How article-qa grows with the article: a benchmark, not a test.

For each size multiple N (default 10, 100, 1000) this script writes an
article N times the size of the default one, builds its index with the real
default model in a fresh subprocess (so peak memory is that build's alone),
and reports:

* clean text size, as a multiple of the default article's clean text
  (checks that de-duplication did not collapse the generated text);
* build time, index size on disk, peak RSS, chunk count;
* ``retrieve`` p50/p95, both cold (question embedded) and warm (cached
  question vector: the index's own cost);
* for sizes past ``index.APPROXIMATE_ABOVE_CHUNKS`` (HNSW), recall@10 of the
  HNSW dense search and of the final fused ranking against exact search
  (an ``IndexFlatIP`` over the very same vectors).

The generated text is varied so that ingest's de-duplication keeps it: the
article's sentences are recombined into new paragraphs and perturbed
(numbers changed, clauses swapped, words inserted), mixed half and half with
English prose paragraphs taken from licence files and docs that ship inside
installed packages.

    .venv/bin/python eval/scale.py                      # 10x, 100x, 1000x
    .venv/bin/python eval/scale.py --sizes 10 100       # skip the long run
    .venv/bin/python eval/scale.py --json /tmp/scale.json
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import random
import re
import resource
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
ARTICLE = ROOT / "data" / "digital-government.txt"
QUESTIONS = [ROOT / "eval" / "questions.jsonl", ROOT / "eval" / "offtopic.jsonl"]
CHINESE_SHARE = 0.5
_CJK = re.compile(r"[\u4e00-\u9fff]")
_CLAUSE = re.compile(r"(?<=[,，、;；])")
_DOCSTRING = re.compile(r'"""(.*?)"""', re.DOTALL)


# ---- generating a varied article of a given size -------------------------------
def article_sentences() -> tuple[str, list[str]]:
    """The default article's clean text and its sentences."""
    from article_qa.chunk import split_sentences
    from article_qa.ingest import read_article

    article = read_article(ARTICLE)
    return article.text, [article.text[s.start:s.end] for s in split_sentences(article)]


def english_paragraphs(limit_chars: int) -> list[str]:
    """Unique English prose paragraphs from licences, docs and docstrings in site-packages."""
    site = Path(sysconfig.get_paths()["purelib"])
    seen, out, total = set(), [], 0
    for path in _english_sources(site):
        for paragraph in _paragraphs_of(path):
            text = " ".join(paragraph.split())
            if _is_prose(text) and text not in seen:
                seen.add(text)
                out.append(text)
                total += len(text)
                if total >= limit_chars:
                    return out
    return out


def _english_sources(site: Path):
    for pattern in ("**/LICENSE*", "**/METADATA", "**/*.md", "**/*.rst", "**/*.py"):
        for path in sorted(site.glob(pattern)):
            if path.is_file() and path.stat().st_size < 2_000_000:
                yield path


def _paragraphs_of(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8", errors="ignore")
    if path.suffix == ".py":  # docstrings only, not code
        text = "\n\n".join(_DOCSTRING.findall(text))
    return re.split(r"\n\s*\n", text)


def _is_prose(text: str) -> bool:
    """Sentences of words, not code, tables or link lists."""
    if not 80 <= len(text) <= 4000 or not text.isascii():
        return False
    letters = sum(ch.isalpha() or ch == " " for ch in text)
    return letters / len(text) > 0.85 and ". " in text and not re.search(r"[{}<>|=_`$]|::|\]\(|>>>", text)


def perturb(sentence: str, rng: random.Random, vocabulary: list[str]) -> str:
    """A variant of an article sentence that reads alike but is not a copy."""
    body, end = (sentence[:-1], sentence[-1]) if sentence[-1] in "。！？" else (sentence, "。")
    clauses = [c for c in _CLAUSE.split(body) if c]
    if len(clauses) > 2 and rng.random() < 0.5:
        i = rng.randrange(len(clauses) - 1)
        clauses[i], clauses[i + 1] = clauses[i + 1], clauses[i]
    body = "".join(clauses)
    body = re.sub(r"\d+", lambda m: str(rng.randrange(1, 10 ** len(m.group()))), body)
    cut = rng.randrange(len(body) + 1)
    return body[:cut] + rng.choice(vocabulary) + body[cut:] + end


def generate_article(multiple: int, seed: int = 0) -> str:
    """About ``multiple`` times the default article's clean size, in paragraphs."""
    clean, sentences = article_sentences()
    target = multiple * len(clean)
    rng = random.Random(seed)
    vocabulary = sorted({clean[i:i + 2] for i in range(len(clean) - 1) if _CJK.fullmatch(clean[i]) and _CJK.fullmatch(clean[i + 1])})
    english = english_paragraphs(int(target * (1 - CHINESE_SHARE)) + 10_000)
    rng.shuffle(english)
    paragraphs, size, seen = [], 0, set()
    while size < target:
        if english and rng.random() > CHINESE_SHARE:
            text = english.pop()
        else:
            text = "".join(perturb(s, rng, vocabulary) for s in rng.sample(sentences, rng.randint(2, 5)))
        if text not in seen:
            seen.add(text)
            paragraphs.append(text)
            size += len(text) + 1
        if rng.random() < 0.02:  # an occasional section heading
            heading = f"第{len(paragraphs)}節 " + rng.choice(vocabulary) + rng.choice(vocabulary)
            paragraphs.append(heading)
            size += len(heading) + 1
    return "\n".join(paragraphs) + "\n"


# ---- one size, measured in its own process --------------------------------------
def measure(article_path: Path, index_dir: Path, n_queries: int) -> dict:
    from article_qa import ArticleQA
    from article_qa.embed import UniversalSentenceEncoder
    from article_qa.index import APPROXIMATE_ABOVE_CHUNKS

    embedder = UniversalSentenceEncoder()
    started = time.perf_counter()
    qa = ArticleQA.build(article_path, index_dir=index_dir, embedder=embedder)
    build_seconds = time.perf_counter() - started
    started = time.perf_counter()
    qa = ArticleQA.load(index_dir, embedder=embedder)
    load_seconds = time.perf_counter() - started
    questions = load_questions()[:n_queries]
    cold = time_each(lambda q: qa.retrieve(q, k=5), questions)  # first sight: embeds the question
    warm = time_each(lambda q: qa.retrieve(q, k=5), questions)  # cached vector: index cost only
    ask = time_each(qa.ask, questions)
    dense_ms, lexical_ms = stage_timings(qa, questions)
    result = {
        "chunks": qa.n_chunks,
        "clean_chars": len(qa.article),
        "build_s": round(build_seconds, 1),
        "load_s": round(load_seconds, 2),
        "index_mb": round(_folder_bytes(index_dir) / 2**20, 1),
        "retrieve_p50_ms": _percentile(cold, 50),
        "retrieve_p95_ms": _percentile(cold, 95),
        "retrieve_warm_p50_ms": _percentile(warm, 50),
        "ask_p50_ms": _percentile(ask, 50),
        "dense_p50_ms": _percentile(dense_ms, 50),
        "bm25_p50_ms": _percentile(lexical_ms, 50),
        "dense_index": type(qa.index.dense).__name__,
    }
    if qa.n_chunks > APPROXIMATE_ABOVE_CHUNKS:
        result.update(hnsw_recall(qa, questions))
    result["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 0)
    return result


def stage_timings(qa, questions: list[str]) -> tuple[list[float], list[float]]:
    """Where a warm retrieve spends its time: FAISS search vs BM25 scoring of every chunk."""
    from article_qa.retrieve import CANDIDATES_PER_SIDE, Retriever

    queries = [qa.prepare(q) for q in questions]
    dense = time_each(lambda query: qa.index.dense.search(query.vector[None, :], CANDIDATES_PER_SIDE), queries)
    lexical = time_each(lambda query: Retriever(qa.index).lexical_scores(query), queries)
    return dense, lexical


def hnsw_recall(qa, questions: list[str], k: int = 10) -> dict:
    """Recall@k of HNSW against an exact IndexFlatIP holding the same vectors."""
    import faiss

    from article_qa.qa import ArticleQA

    hnsw = qa.index.dense
    vectors = hnsw.reconstruct_n(0, hnsw.ntotal)
    exact = faiss.IndexFlatIP(hnsw.d)
    exact.add(vectors)
    # Queries: the eval questions plus chunk texts used as questions (a
    # near-duplicate-heavy corpus is the hard case for a graph index).
    rng = np.random.default_rng(0)
    sample = rng.choice(hnsw.ntotal, size=200, replace=False)
    query_vectors = np.vstack([qa.prepare(q).vector for q in questions] + [vectors[sample]])
    _, approx_ids = hnsw.search(query_vectors, k)
    exact_scores, exact_ids = exact.search(query_vectors, k)
    approx_scores = np.einsum("qd,qkd->qk", query_vectors, vectors[approx_ids])
    id_recall = np.mean([len(set(a) & set(e)) / k for a, e in zip(approx_ids, exact_ids)])
    # Ties: a different chunk with the same score as the exact k-th is as good.
    score_recall = np.mean(approx_scores >= exact_scores[:, -1:] - 1e-5)
    # The answer users see: the fused top-k with HNSW vs with exact search.
    exact_qa = ArticleQA(dataclasses.replace(qa.index, dense=exact), qa.embedder)
    fused = np.mean([
        len({p.chunk_id for p in qa.retrieve(q, k=k)} & {p.chunk_id for p in exact_qa.retrieve(q, k=k)}) / k
        for q in questions
    ])
    return {"dense_recall@10": round(float(id_recall), 4), "dense_score_recall@10": round(float(score_recall), 4),
            "fused_recall@10": round(float(fused), 4), "recall_queries": len(query_vectors)}


def load_questions() -> list[str]:
    questions = []
    for path in QUESTIONS:
        with open(path, encoding="utf-8") as handle:
            questions += [json.loads(line)["question"] for line in handle if line.strip()]
    return questions


def time_each(call, questions: list) -> list[float]:
    """Milliseconds of ``call`` on each item, one after another."""
    out = []
    for question in questions:
        started = time.perf_counter()
        call(question)
        out.append((time.perf_counter() - started) * 1000)
    return out


def _percentile(values: list[float], q: float) -> float:
    return round(float(np.percentile(values, q)), 2)


def _folder_bytes(folder: Path) -> int:
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())


# ---- driver --------------------------------------------------------------------
def run_size(multiple: int, work: Path, args) -> dict:
    clean, _ = article_sentences()
    article_path = work / f"article-{multiple}x.txt"
    started = time.perf_counter()
    article_path.write_text(generate_article(multiple), encoding="utf-8")
    generate_seconds = time.perf_counter() - started
    command = [sys.executable, __file__, "--child", str(article_path), str(work / f"index-{multiple}x"),
               "--queries", str(args.queries)]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=args.timeout, check=True)
    except subprocess.TimeoutExpired:
        return {"multiple": multiple, "error": f"stopped after {args.timeout} s (--timeout)"}
    except subprocess.CalledProcessError as error:
        return {"multiple": multiple, "error": error.stderr.strip().splitlines()[-1:]}
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result.update(multiple=multiple, file_mb=round(article_path.stat().st_size / 2**20, 2),
                  clean_multiple=round(result["clean_chars"] / len(clean), 1),
                  generate_s=round(generate_seconds, 1))
    if not args.keep:
        shutil.rmtree(work / f"index-{multiple}x", ignore_errors=True)
    return result


COLUMNS = [("multiple", "size"), ("clean_multiple", "clean text ×"), ("file_mb", "file MB"), ("chunks", "chunks"),
           ("build_s", "build s"), ("index_mb", "index MB"), ("peak_rss_mb", "peak RSS MB"), ("load_s", "load s"),
           ("retrieve_p50_ms", "retrieve p50 ms"), ("retrieve_warm_p50_ms", "warm p50 ms"),
           ("ask_p50_ms", "ask p50 ms"), ("dense_p50_ms", "FAISS p50 ms"), ("bm25_p50_ms", "BM25 p50 ms"),
           ("dense_index", "dense"), ("dense_recall@10", "HNSW recall@10"),
           ("fused_recall@10", "fused recall@10")]


def table(results: list[dict]) -> str:
    lines = ["| " + " | ".join(title for _, title in COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    for row in results:
        if "error" in row:
            lines.append(f"| {row['multiple']}× | {row['error']} |")
            continue
        cells = [f"{row['multiple']}×" if key == "multiple" else str(row.get(key, "—")) for key, _ in COLUMNS]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 100, 1000], help="multiples of the article")
    parser.add_argument("--queries", type=int, default=173, help="questions timed per size")
    parser.add_argument("--timeout", type=int, default=1800, help="give up on one size after this many seconds")
    parser.add_argument("--work", type=Path, default=None, help="folder for the generated articles and indexes")
    parser.add_argument("--keep", action="store_true", help="keep the built indexes")
    parser.add_argument("--json", type=Path, default=None, help="also write the results here")
    parser.add_argument("--child", nargs=2, metavar=("ARTICLE", "INDEX"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(measure(Path(args.child[0]), Path(args.child[1]), args.queries)))
        return 0
    work = args.work or Path(tempfile.mkdtemp(prefix="article-qa-scale-"))
    work.mkdir(parents=True, exist_ok=True)
    results = []
    for multiple in args.sizes:
        results.append(run_size(multiple, work, args))
        print(json.dumps(results[-1]), file=sys.stderr, flush=True)
        if args.json:
            args.json.write_text(json.dumps(results, indent=2))
    print(table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
