"""The JSON HTTP API (``article_qa.server``): fast tests against the fake
embedder with FastAPI's TestClient, then real ``article-qa serve`` processes
on free 127.0.0.1 ports (marked slow)."""

from __future__ import annotations

import json
import logging
import os
import time
import urllib.error
import urllib.request

import pytest
from fastapi.testclient import TestClient

from article_qa.engines import EngineSlot
from article_qa.server import MAX_BODY_BYTES, create_app
from article_qa.settings import DEFAULTS

from conftest import free_port
from serving import get_json, start_serve, stop, wait_for_ui, wait_healthy

QUESTION = "When was the lighthouse built?"


@pytest.fixture
def client(english_qa):
    slot = EngineSlot()
    slot._engine = english_qa  # the fake-embedder engine, already open
    with TestClient(create_app(slot, ui=False), raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def broken_client(tmp_path):
    slot = EngineSlot(tmp_path / "no-index-here")
    with TestClient(create_app(slot, ui=False), raise_server_exceptions=False) as test_client:
        yield test_client


# ------------------------------------------------------------ answers ---
def test_ask_returns_the_engines_answer(client, english_qa):
    response = client.post("/v1/ask", json={"question": QUESTION})
    assert response.status_code == 200
    assert response.json() == english_qa.ask(QUESTION).to_dict()
    assert response.json()["found"] is True and "1871" in response.json()["text"]


def test_retrieve_returns_k_passages_as_the_engine_ranks_them(client, english_qa):
    response = client.post("/v1/retrieve", json={"question": "lamp kerosene", "k": 2})
    assert response.status_code == 200
    assert response.json() == {"passages": [p.to_dict() for p in english_qa.retrieve("lamp kerosene", k=2)]}
    assert len(response.json()["passages"]) == 2


def test_retrieve_k_defaults_to_the_settings_value(client):

    response = client.post("/v1/retrieve", json={"question": "lamp"})
    assert response.status_code == 200 and len(response.json()["passages"]) == DEFAULTS.retrieve_k


def test_health_describes_the_loaded_index(client, english_qa):
    response = client.get("/v1/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok" and body["pid"] == os.getpid() and body["ui"] == "off"
    assert body["source"] == english_qa.manifest.source_path
    assert body["embedder"] == "fake-hash" and body["dimension"] == english_qa.manifest.dimension
    assert body["chunks"] == english_qa.n_chunks and body["chunk_size"] == 120
    assert body["built_with"]["article-qa"]


def test_openapi_docs_describe_the_routes(client):
    assert client.get("/docs").status_code == 200
    schema = client.get("/openapi.json").json()
    assert {"/v1/ask", "/v1/retrieve", "/v1/health"} <= set(schema["paths"])
    assert schema["components"]["schemas"]["RetrieveRequest"]["properties"]["k"]["maximum"] == DEFAULTS.max_k


# ---------------------------------------------------------- bad input ---
BAD_REQUESTS = [
    pytest.param("/v1/ask", {"json": {"question": "   "}}, 422, "type a question", id="blank question"),
    pytest.param("/v1/ask", {"json": {"question": "?!…"}}, 422, "type a question", id="no words"),
    pytest.param("/v1/ask", {"json": {"question": 3}}, 422, "question: Input should be a valid string", id="number"),
    pytest.param("/v1/ask", {"json": {"question": None}}, 422, "question:", id="null"),
    pytest.param("/v1/ask", {"json": {"question": ["a"]}}, 422, "question:", id="list"),
    pytest.param("/v1/ask", {"json": {}}, 422, "question: Field required", id="missing field"),
    pytest.param("/v1/ask", {"json": ["a question"]}, 422, "body:", id="array body"),
    pytest.param("/v1/ask", {"json": {"question": "lamp", "k": 3}}, 422, "k: unknown field", id="extra field"),
    pytest.param("/v1/ask", {"content": b'{"question": "lamp"', "headers": {"content-type": "application/json"}},
                 400, "not valid JSON", id="malformed JSON"),
    pytest.param("/v1/ask", {"content": b"\xff\xfe\x00", "headers": {"content-type": "application/json"}},
                 400, "body", id="binary body"),
    pytest.param("/v1/ask", {"content": b"", "headers": {"content-type": "application/json"}},
                 422, "body: Field required", id="empty body"),
    pytest.param("/v1/retrieve", {"json": {"question": "lamp", "k": 0}}, 422, "k: Input should be greater", id="k=0"),
    pytest.param("/v1/retrieve", {"json": {"question": "lamp", "k": -2}}, 422, "k:", id="negative k"),
    pytest.param("/v1/retrieve", {"json": {"question": "lamp", "k": DEFAULTS.max_k + 1}}, 422,
                 "k: Input should be less",
                 id="k too large"),
    pytest.param("/v1/retrieve", {"json": {"question": "lamp", "k": "3"}}, 422, "k: Input should be a valid integer",
                 id="k as text"),
    pytest.param("/v1/retrieve", {"json": {"question": "lamp", "k": 2.5}}, 422, "k:", id="fractional k"),
    pytest.param("/v1/retrieve", {"json": {"question": "lamp", "k": True}}, 422, "k:", id="k as bool"),
]


@pytest.mark.parametrize("path, request_kwargs, status, message", BAD_REQUESTS)
def test_bad_input_is_a_4xx_with_an_error_body(client, caplog, path, request_kwargs, status, message):
    with caplog.at_level(logging.WARNING, logger="article_qa.server"):
        response = client.post(path, **request_kwargs)
    assert response.status_code == status
    assert set(response.json()) == {"error"} and message in response.json()["error"]
    rejected = [r for r in caplog.records if r.name == "article_qa.server"]
    assert len(rejected) == 1 and rejected[0].levelno == logging.WARNING and rejected[0].exc_info is None


def test_oversized_body_is_413_before_parsing(client):
    huge = json.dumps({"question": "x" * MAX_BODY_BYTES}).encode()
    response = client.post("/v1/ask", content=huge, headers={"content-type": "application/json"})
    assert response.status_code == 413 and "larger than" in response.json()["error"]


def test_oversized_streamed_body_without_length_is_413(client):
    def chunks():  # no Content-Length: the limit is enforced while reading
        for _ in range(MAX_BODY_BYTES // 1024 + 2):
            yield b" " * 1024

    response = client.post("/v1/ask", content=chunks(), headers={"content-type": "application/json"})
    assert response.status_code == 413 and set(response.json()) == {"error"}


def test_a_long_question_under_the_body_limit_is_answered_with_a_note(client):
    response = client.post("/v1/ask", json={"question": "lighthouse " * 300})
    assert response.status_code == 200 and "shortened" in response.json()["note"]


def test_wrong_method_and_unknown_path_are_json_errors(client):
    wrong = client.get("/v1/ask")
    assert wrong.status_code == 405 and "POST" in wrong.json()["error"]
    unknown = client.post("/v1/answer", json={"question": "lamp"})
    assert unknown.status_code == 404 and "/docs" in unknown.json()["error"]


def test_a_real_fault_is_a_500_with_a_generic_body_and_a_traceback(client, english_qa, monkeypatch, caplog):
    def broken(question):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(english_qa, "ask", broken)
    with caplog.at_level(logging.ERROR, logger="article_qa.server"):
        response = client.post("/v1/ask", json={"question": QUESTION})
    assert response.status_code == 500 and response.json() == {"error": "internal error"}
    assert any(r.exc_info and "disk on fire" in str(r.exc_info[1]) for r in caplog.records)


# ---------------------------------------------------------- no index ----
@pytest.mark.parametrize("method, path, body", [
    ("GET", "/v1/health", None),
    ("POST", "/v1/ask", {"question": QUESTION}),
    ("POST", "/v1/retrieve", {"question": QUESTION, "k": 2}),
])
def test_without_an_index_every_route_is_503_with_the_load_message(broken_client, method, path, body):
    response = broken_client.request(method, path, json=body)
    assert response.status_code == 503
    assert set(response.json()) == {"error"} and "article-qa build" in response.json()["error"]


def test_without_an_index_bad_input_is_still_a_4xx(broken_client):
    assert broken_client.post("/v1/ask", json={"question": 3}).status_code == 422


def test_inline_mode_gives_the_same_answers(english_qa):
    slot = EngineSlot()
    slot._engine = english_qa
    with TestClient(create_app(slot, ui=False, inline=True)) as inline:
        assert inline.post("/v1/ask", json={"question": QUESTION}).json() == english_qa.ask(QUESTION).to_dict()
        assert inline.post("/v1/ask", json={"question": " "}).status_code == 422


# -------------------------------------------------------- real server ---
@pytest.mark.slow
def test_serve_answers_the_json_api_and_the_ui_on_one_port(tmp_path):
    port, log_path = free_port(), tmp_path / "serve.log"
    proc = start_serve(port=port, log_path=log_path)
    url = f"http://127.0.0.1:{port}"
    try:
        health = wait_healthy(url, proc, log_path)
        assert health["embedder"] == "use-multilingual-v3" and health["chunks"] > 0
        status, answer = get_json(f"{url}/v1/ask", {"question": "政府上網工程是哪一年啟動的?"})
        assert status == 200 and answer["found"] and "1999" in answer["text"]
        status, error = get_json(f"{url}/v1/ask", {"question": " "})
        assert status == 422 and "type a question" in error["error"]
        wait_for_ui(url, proc, log_path)
        with urllib.request.urlopen(f"{url}/", timeout=10) as page:
            assert page.status == 200 and "gradio" in page.read().decode().lower()
        with urllib.request.urlopen(f"{url}/gradio_api/mcp/schema", timeout=10) as schema:
            assert {tool["name"] for tool in json.load(schema)} == {"ask", "retrieve"}
    finally:
        stop(proc)
    assert "Traceback" not in log_path.read_text()


@pytest.mark.slow
def test_serve_with_two_workers_answers_from_two_processes_api_only(tmp_path):
    port, log_path = free_port(), tmp_path / "serve.log"
    proc = start_serve("--workers", "2", port=port, log_path=log_path)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, proc, log_path)
        pids, deadline = set(), time.monotonic() + 60
        while len(pids) < 2 and time.monotonic() < deadline:
            # A fresh connection each call: the kernel hands it to either worker.
            status, health = get_json(f"{url}/v1/health")
            if status == 200:
                pids.add(health["pid"])
        assert len(pids) == 2, f"only {pids} answered:\n{log_path.read_text()[-3000:]}"
        status, answer = get_json(f"{url}/v1/ask", {"question": "在线服务指数排名全球第几?"})
        assert status == 200 and answer["found"] and health["ui"] == "off"
        try:
            urllib.request.urlopen(f"{url}/", timeout=10)
            ui_status = 200
        except urllib.error.HTTPError as error:
            ui_status = error.code
        assert ui_status == 404  # no UI across processes
    finally:
        stop(proc)
    assert "serving the JSON API (/v1) only" in log_path.read_text()


@pytest.mark.slow
def test_the_mounted_ui_answers_in_a_browser(tmp_path):
    """The chat UI mounted by `serve` (not Gradio's own launch) works end to end in chromium."""
    from pathlib import Path

    chromium = Path("/usr/bin/chromium")
    if not chromium.exists():
        pytest.skip(f"{chromium} is missing (apt-get install chromium fonts-noto-cjk)")
    from playwright.sync_api import sync_playwright

    port, log_path = free_port(), tmp_path / "serve.log"
    proc = start_serve(port=port, log_path=log_path)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, proc, log_path)
        wait_for_ui(url, proc, log_path)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(chromium),
                                                 args=["--headless", "--no-sandbox", "--disable-gpu"])
            try:
                page = browser.new_page()
                errors: list[str] = []
                page.on("pageerror", lambda error: errors.append(str(error)))
                page.goto(url)
                page.fill("#aqa-question textarea", "政府上網工程是哪一年啟動的?")
                page.click("#aqa-send")
                reply = page.locator('#aqa-chat [data-testid="bot"]').first
                reply.wait_for(timeout=30_000)
                page.wait_for_function("document.querySelector('#aqa-chat').innerText.includes('1999')",
                                       timeout=30_000)
                assert not errors, errors
            finally:
                browser.close()
    finally:
        stop(proc)
