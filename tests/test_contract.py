"""One contract in every interface: the same question through Python, the
CLI's ``--json``, HTTP ``/v1/ask`` and ``/v1/retrieve``, the Gradio API
(gradio_client) and MCP gives the same result in the same shape
(``Answer.to_dict()``; ``{"passages": [...]}``, where Python's ``retrieve``
returns the list itself), and every one takes ``k`` from 1 to
``DEFAULTS.max_k`` and refuses 0 and ``max_k + 1`` with a message that names
``k`` and the bound.

The fast tier calls each interface in this process on the fake embedder
(the Gradio API through the handler gradio_client reaches); the slow tier
starts a real ``article-qa serve`` on the shipped index and calls all five
from outside, MCP included.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from types import SimpleNamespace

import gradio as gr
import pytest
from fastapi.testclient import TestClient

from article_qa import ArticleQA, BadQuestionError, cli
from article_qa.server import create_app
from article_qa.settings import DEFAULTS
from article_qa.ui import ArticleSessions, ChatApp

from conftest import ROOT, free_port
from serving import get_json, start_serve, stop, wait_for_ui, wait_healthy

QUESTION = "政府上網工程是哪一年啟動的?"
K = 3
OUT_OF_RANGE = [pytest.param(0, "1", id="k=0"), pytest.param(DEFAULTS.max_k + 1, str(DEFAULTS.max_k), id="k=max+1")]


class Refused(Exception):
    """An interface said no; the message is what its caller reads."""


def outcome(call, *args):
    """``call(*args)``, or the Refused it raised."""
    try:
        return call(*args)
    except Refused as refusal:
        return refusal


def assert_clear_refusal(result, bound: str) -> None:
    """A refusal whose message names k and the bound it broke, and no trace."""
    assert isinstance(result, Refused), result
    message = str(result)
    assert "k" in message and bound in message and "Traceback" not in message, message


def slot_for(qa: ArticleQA) -> SimpleNamespace:
    """An EngineSlot stand-in around an engine already open."""
    return SimpleNamespace(get=lambda: qa, load=lambda: "")


# ---- calling each interface: its result as its caller gets it, or Refused -------
def python_retrieve(qa: ArticleQA, question: str, k: int) -> dict:
    """Python returns the list itself; the other interfaces wrap it as ``{"passages": [...]}``."""
    try:
        return {"passages": [p.to_dict() for p in qa.retrieve(question, k=k)]}
    except BadQuestionError as error:
        raise Refused(str(error)) from None


def cli_json(capsys, *argv: str) -> dict:
    """``article-qa ... --json`` in this process (``ArticleQA.load`` patched to the test's engine)."""
    status = cli.main([*argv, "--json"])
    out, err = capsys.readouterr()
    if status != 0:
        raise Refused(err)
    return json.loads(out)


def http_result(response) -> dict:
    if response.status_code != 200:
        raise Refused(response.json()["error"])
    return response.json()


def gradio_result(call, *args) -> dict:
    try:
        return call(*args)
    except gr.Error as error:
        raise Refused(str(error)) from None


# ---- the interfaces in this process, on the fake embedder (fast tier) -----------
@pytest.fixture
def here(default_qa_fake, monkeypatch, capsys, tmp_path, fake_embedder):
    """interface -> (retrieve(question, k), ask(question)), all on one engine."""
    qa = default_qa_fake
    monkeypatch.setattr(ArticleQA, "load", classmethod(lambda cls, index_dir=None, **kw: qa))
    handlers = ChatApp(slot_for(qa), ArticleSessions(tmp_path, embedder=fake_embedder))
    with TestClient(create_app(slot_for(qa), ui=False), raise_server_exceptions=False) as http:
        yield SimpleNamespace(http=http, capsys=capsys, calls={
            "python": (lambda q, k: python_retrieve(qa, q, k), lambda q: qa.ask(q).to_dict()),
            "cli": (lambda q, k: cli_json(capsys, "retrieve", q, "-k", str(k)), lambda q: cli_json(capsys, "ask", q)),
            "http": (lambda q, k: http_result(http.post("/v1/retrieve", json={"question": q, "k": k})),
                     lambda q: http_result(http.post("/v1/ask", json={"question": q}))),
            # What gradio_client and the MCP tools reach: the endpoint functions themselves.
            "gradio": (lambda q, k: gradio_result(handlers.retrieve, q, k), lambda q: gradio_result(handlers.ask, q)),
        })


FAST_INTERFACES = ["python", "cli", "http", "gradio"]


@pytest.mark.parametrize("interface", FAST_INTERFACES)
def test_retrieve_is_one_passages_object_everywhere(here, default_qa_fake, interface):
    result = here.calls[interface][0](QUESTION, K)
    assert result == {"passages": [p.to_dict() for p in default_qa_fake.retrieve(QUESTION, k=K)]}
    assert len(result["passages"]) == K


@pytest.mark.parametrize("interface", FAST_INTERFACES)
def test_ask_is_the_answer_dict_everywhere(here, default_qa_fake, interface):
    assert here.calls[interface][1](QUESTION) == default_qa_fake.ask(QUESTION).to_dict()


@pytest.mark.parametrize("interface", FAST_INTERFACES)
@pytest.mark.parametrize(("k", "bound"), OUT_OF_RANGE)
def test_k_out_of_range_is_refused_everywhere_with_a_clear_message(here, interface, k, bound):
    assert_clear_refusal(outcome(here.calls[interface][0], QUESTION, k), bound)


@pytest.mark.parametrize("interface", FAST_INTERFACES)
def test_k_at_the_bound_is_accepted_everywhere(here, default_qa_fake, interface):
    result = here.calls[interface][0](QUESTION, DEFAULTS.max_k)
    assert len(result["passages"]) == min(DEFAULTS.max_k, default_qa_fake.n_chunks)


def test_every_interface_states_the_same_k_range(here):
    """What callers read about k: the HTTP schema, the Gradio/MCP docstring, the CLI's help, the slider."""
    schema = here.http.get("/openapi.json").json()["components"]["schemas"]["RetrieveRequest"]["properties"]["k"]
    assert (schema["minimum"], schema["maximum"]) == (1, DEFAULTS.max_k)
    assert f"k: How many passages to return, 1 to {DEFAULTS.max_k}." in ChatApp.retrieve.__doc__
    with pytest.raises(SystemExit):
        cli.main(["retrieve", "--help"])
    assert f"1 to {DEFAULTS.max_k}" in " ".join(here.capsys.readouterr().out.split())


# ---- the five interfaces from outside, on a real server (slow tier) ------------
@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """`article-qa serve` on the shipped index: /v1, the Gradio API and MCP on one port."""
    port, log_path = free_port(), tmp_path_factory.mktemp("serve") / "serve.log"
    proc = start_serve(port=port, log_path=log_path)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, proc, log_path, seconds=180)
        wait_for_ui(url, proc, log_path, seconds=180)
        yield url
    finally:
        stop(proc)
    # While it served: shutting down cancels streams a client still holds open (gradio_client's heartbeat).
    serving = log_path.read_text().split("Shutting down")[0]
    assert "Traceback" not in serving, serving[-6000:]


@pytest.fixture(scope="module")
def real_qa() -> ArticleQA:
    return ArticleQA.load(ROOT / "index")


def http_call(url: str, path: str, body: dict) -> dict:
    status, result = get_json(f"{url}{path}", body, timeout=60)
    if status != 200:
        raise Refused(result["error"])
    return result


@pytest.fixture(scope="module")
def gradio(served):
    """One gradio_client for the module, closed before the server stops (its
    heartbeat stream would otherwise hold the server's shutdown)."""
    from gradio_client import Client

    client = Client(served, verbose=False)
    yield client
    client.close()


def gradio_call(client, *args, api_name: str) -> dict:
    from gradio_client.exceptions import AppError

    try:
        return client.predict(*args, api_name=api_name)
    except AppError as error:
        raise Refused(str(error)) from None


def mcp_calls(url: str, calls: list[tuple[str, dict]]) -> list:
    """Each tool call's result in one MCP session: the structured object, or Refused."""
    from mcp import ClientSession
    from mcp.client.streamable_http import streamable_http_client

    async def session_run():
        async with streamable_http_client(f"{url}/gradio_api/mcp/") as (read, write, _):
            async with ClientSession(read, write) as session:
                await session.initialize()
                return [await session.call_tool(name, arguments) for name, arguments in calls]

    results = []
    for result in asyncio.run(session_run()):
        if result.isError:
            results.append(Refused(result.content[0].text))
        else:
            assert json.loads(result.content[0].text) == result.structuredContent  # JSON text = structured
            results.append(result.structuredContent)
    return results


def cli_process(*argv: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "article_qa.cli", *argv, "--index", str(ROOT / "index")],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)


@pytest.mark.slow
def test_the_same_question_gives_the_same_result_in_all_five_interfaces(served, gradio, real_qa):
    passages = {"passages": [p.to_dict() for p in real_qa.retrieve(QUESTION, k=K)]}
    answer = real_qa.ask(QUESTION).to_dict()
    assert answer["found"] and len(passages["passages"]) == K

    retrieved = cli_process("retrieve", QUESTION, "-k", str(K), "--json")
    asked = cli_process("ask", QUESTION, "--json")
    assert retrieved.returncode == 0 and asked.returncode == 0, retrieved.stderr[-2000:] + asked.stderr[-2000:]
    assert json.loads(retrieved.stdout) == passages and json.loads(asked.stdout) == answer

    assert http_call(served, "/v1/retrieve", {"question": QUESTION, "k": K}) == passages
    assert http_call(served, "/v1/ask", {"question": QUESTION}) == answer
    assert gradio_call(gradio, QUESTION, K, api_name="/retrieve") == passages
    assert gradio_call(gradio, QUESTION, api_name="/ask") == answer
    assert mcp_calls(served, [("retrieve", {"question": QUESTION, "k": K}), ("ask", {"question": QUESTION})]) == [
        passages, answer]


@pytest.mark.slow
def test_the_k_range_is_the_same_in_all_five_interfaces(served, gradio, real_qa, monkeypatch, capsys):
    tries = [0, DEFAULTS.max_k + 1, DEFAULTS.max_k]

    def check(results: list) -> None:
        too_few, too_many, most = results
        assert_clear_refusal(too_few, "1")
        assert_clear_refusal(too_many, str(DEFAULTS.max_k))
        assert not isinstance(most, Refused) and len(most["passages"]) == min(DEFAULTS.max_k, real_qa.n_chunks)

    def each(call) -> list:
        return [outcome(call, k) for k in tries]

    check(each(lambda k: python_retrieve(real_qa, QUESTION, k)))
    # The CLI's own code path on the engine already loaded here (a process per k would load the model thrice).
    monkeypatch.setattr(ArticleQA, "load", classmethod(lambda cls, index_dir=None, **kw: real_qa))
    check(each(lambda k: cli_json(capsys, "retrieve", QUESTION, "-k", str(k))))
    check(each(lambda k: http_call(served, "/v1/retrieve", {"question": QUESTION, "k": k})))
    check(each(lambda k: gradio_call(gradio, QUESTION, k, api_name="/retrieve")))
    check(mcp_calls(served, [("retrieve", {"question": QUESTION, "k": k}) for k in tries]))
