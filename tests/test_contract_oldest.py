"""Every interface in its oldest documented shape: ``ask`` with the question
alone (no ``history``, which came later), and an error in words when a call is
wrong.

* Python ``qa.ask(question)``; the CLI ``article-qa ask QUESTION`` (and ``--json``);
* HTTP ``POST /v1/ask {"question"}``;
* gradio_client ``client.predict(question, api_name="/ask")``;
* raw Gradio HTTP, as curl users of a Space call it: ``POST /gradio_api/call/ask
  {"data": [question]}`` (Gradio 6 itself refuses fewer values than the
  endpoint has parameters: ``ui.mcp_json.complete_api_inputs`` fills in the
  defaults), and ``retrieve`` with the question alone;
* the MCP ``ask`` tool with ``{"question"}`` only.

The served tests run the engine as shipped, with the reader on (conftest turns
it off for tests in this process; the server gets ``ARTICLE_QA_READER=on``).
The first tests are fast: the input filling on a stand-in endpoint.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import os
import subprocess
import sys
from types import SimpleNamespace

import gradio as gr
import pytest

from article_qa.ui.mcp_json import complete_api_inputs, forget_api_session, is_api_endpoint

from conftest import ROOT, free_port
from serving import get_json, gradio_call, start_serve, stop, wait_for_ui, wait_healthy

QUESTION = "政府上網工程是哪一年啟動的?"
READER_ON = {"ARTICLE_QA_READER": "on"}


def assert_real_answer(answer: dict) -> None:
    """The answer the article gives: found, the short answer, a quoted sentence with its citation."""
    assert answer["found"] is True, answer
    assert answer["short_answer"] == "1999年" and answer["short_span"], answer
    assert "1999" in answer["text"] and "[1]" in answer["text"]
    assert answer["passages"] and "1999" in answer["passages"][0]["text"]
    assert answer["question"] == QUESTION


# ---- fast: the inputs a call leaves out ------------------------------------------
def _endpoint(fn):
    """A stand-in for Gradio's BlockFunction of ``gr.api(fn)``: its inputs are Api components."""
    from gradio.components.api_component import Api

    count = len(inspect.signature(fn).parameters)
    return SimpleNamespace(fn=fn, inputs=[Api(None, {}) for _ in range(count)], api_name=fn.__name__,
                           name=fn.__name__)


def ask(question: str, history: list | None = None) -> dict:
    return {}


def retrieve(question: str, k: int = 3) -> dict:
    return {}


def test_left_out_trailing_inputs_get_their_defaults():
    assert complete_api_inputs(_endpoint(ask), [QUESTION]) == [QUESTION, None]
    assert complete_api_inputs(_endpoint(retrieve), [QUESTION]) == [QUESTION, 3]
    full = [QUESTION, ["earlier"]]
    assert complete_api_inputs(_endpoint(ask), full) is full  # a complete call is left as it is
    assert complete_api_inputs(_endpoint(ask), [QUESTION, None, "extra"]) == [QUESTION, None, "extra"]


def test_a_missing_required_input_is_an_error_in_words():
    with pytest.raises(gr.Error) as info:
        complete_api_inputs(_endpoint(ask), [])
    message = info.value.message
    assert message.startswith("ask takes question, history (optional), in that order; this call sent 0 value(s)")
    assert "question is missing" in message and '{"data": ["your question"]}' in message


def test_other_events_are_left_to_gradio():
    ui_event = SimpleNamespace(fn=ask, inputs=[gr.Textbox(), gr.State()], api_name=None, name="chat")
    assert not is_api_endpoint(ui_event)
    assert complete_api_inputs(ui_event, ["only one"]) == ["only one"]  # Gradio's own check then applies


def test_an_api_calls_session_state_is_forgotten_but_a_visitors_is_kept():
    class Holder:
        def __init__(self):
            import threading

            self.lock = threading.Lock()
            self.session_data = {"api": SimpleNamespace(state_data={}),
                                 "visitor": SimpleNamespace(state_data={7: "their article"})}
            self.time_last_used = {"api": 0, "visitor": 0}

    blocks = SimpleNamespace(state_holder=Holder())
    for session in ("api", "visitor", "unknown", None):
        forget_api_session(blocks, session)
    assert set(blocks.state_holder.session_data) == {"visitor"} and set(blocks.state_holder.time_last_used) == {
        "visitor"}


# ---- slow: each interface, from outside, with the reader on -------------------------
@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """`article-qa serve` on the shipped index, the reader on: /v1, the Gradio API and MCP on one port."""
    port, log_path = free_port(), tmp_path_factory.mktemp("serve") / "serve.log"
    proc = start_serve(port=port, log_path=log_path, env=READER_ON)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, proc, log_path, seconds=180)
        wait_for_ui(url, proc, log_path, seconds=180)
        yield url
    finally:
        stop(proc)
    serving = log_path.read_text().split("Shutting down")[0]
    assert "Traceback" not in serving, serving[-6000:]
    assert "didn't receive enough input values" not in serving


@pytest.mark.slow
def test_python_ask_with_the_question_alone():
    from article_qa import ArticleQA

    assert_real_answer(ArticleQA.load(ROOT / "index", reader=True).ask(QUESTION).to_dict())


@pytest.mark.slow
def test_cli_ask_with_the_question_alone():
    env = {**os.environ, **READER_ON}

    def cli(*argv: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "article_qa.cli", *argv], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=300)

    plain = cli("ask", QUESTION)
    assert plain.returncode == 0, plain.stderr[-2000:]
    assert plain.stdout.startswith("Answer: 1999年") and "1999" in plain.stdout
    as_json = cli("ask", QUESTION, "--json")
    assert as_json.returncode == 0, as_json.stderr[-2000:]
    assert_real_answer(json.loads(as_json.stdout))
    refused = cli("ask", "   ")
    assert refused.returncode == 2 and "type a question" in refused.stderr and "Traceback" not in refused.stderr


@pytest.mark.slow
def test_v1_ask_with_the_question_alone(served):
    status, answer = get_json(f"{served}/v1/ask", {"question": QUESTION}, timeout=60)
    assert status == 200
    assert_real_answer(answer)
    status, body = get_json(f"{served}/v1/ask", {}, timeout=60)
    assert status == 422 and body == {"error": "question: Field required."}


@pytest.mark.slow
def test_gradio_client_ask_with_the_question_alone(served):
    from gradio_client import Client
    from gradio_client.exceptions import AppError

    client = Client(served, verbose=False)
    try:
        assert_real_answer(client.predict(QUESTION, api_name="/ask"))
        with pytest.raises(AppError, match="type a question"):
            client.predict("   ", api_name="/ask")
    finally:
        client.close()


@pytest.mark.slow
def test_raw_gradio_http_with_the_question_alone(served):
    """What the issue measured: 'event: error, data: {"error": null}' for the question alone."""
    event, data = gradio_call(served, "ask", [QUESTION])
    assert event == "complete", data
    assert_real_answer(data[0])
    event, data = gradio_call(served, "ask", [QUESTION, None])  # the newer shape answers the same
    assert event == "complete" and data[0] == gradio_call(served, "ask", [QUESTION])[1][0]
    event, data = gradio_call(served, "retrieve", ["在线服务指数"])  # k left out: its default, 3
    assert event == "complete" and len(data[0]["passages"]) == 3


@pytest.mark.slow
@pytest.mark.parametrize("data, says", [
    ([], "ask takes question, history (optional)"),
    ([123], "The question must be text."),
    (["   "], "type a question"),
    ([QUESTION, "not a list"], "history must be a list"),
])
def test_raw_gradio_http_errors_say_what_is_wrong(served, data, says):
    event, body = gradio_call(served, "ask", data)
    assert event == "error" and body["error"], body  # never {"error": null}
    assert says in body["error"]


@pytest.mark.slow
def test_mcp_ask_with_the_question_only(served):
    from mcp import ClientSession
    from mcp.client.streamable_http import streamable_http_client

    async def session_run():
        async with streamable_http_client(f"{served}/gradio_api/mcp/") as (read, write, _):
            async with ClientSession(read, write) as session:
                await session.initialize()
                return (await session.call_tool("ask", {"question": QUESTION}),
                        await session.call_tool("ask", {"question": "  "}))

    asked, refused = asyncio.run(session_run())
    assert not asked.isError
    answer = json.loads(asked.content[0].text)
    assert_real_answer(answer)
    assert asked.structuredContent == answer
    assert refused.isError and "type a question" in refused.content[0].text
