"""The real app (shipped index/, real model) on a free 127.0.0.1 port, called over HTTP and MCP."""

from __future__ import annotations

import asyncio
import json
import urllib.request

import pytest

pytestmark = pytest.mark.slow

QUESTION = "政府上網工程是哪一年啟動的?"


@pytest.fixture(scope="module")
def client(server_url):
    from gradio_client import Client

    return Client(server_url, verbose=False)


ANSWER_FIELDS = {"found", "question", "short_answer", "short_span", "text", "passages", "evidence", "note",
                           "kind", "items", "written"}


def test_ask_endpoint_answers_with_a_citation(client):
    result = client.predict(QUESTION, api_name="/ask")
    assert set(result) == ANSWER_FIELDS and result["found"] is True
    assert "1999" in result["text"] and "[1]" in result["text"]
    cited = result["passages"][0]
    assert "1999" in cited["text"] and cited["section"] and cited["end"] > cited["start"]
    index, start, end = result["evidence"][0]
    assert index == 0 and cited["start"] <= start < end <= cited["end"]


def test_ask_endpoint_declines_in_the_askers_language(client):
    result = client.predict("How do I make a sourdough starter?", api_name="/ask")
    assert result["found"] is False and result["passages"] == []
    assert result["text"] == "The article does not say."


def test_retrieve_endpoint_returns_k_passages_with_offsets(client):
    result = client.predict("在线服务指数", 5, api_name="/retrieve")
    assert set(result) == {"passages"}  # the shape /v1/retrieve has
    passages = result["passages"]
    assert len(passages) == 5
    for p in passages:
        assert {"text", "score", "section", "paragraph", "start", "end"} <= set(p)
        assert isinstance(p["section"], str) and 0 <= p["start"] < p["end"]
    assert any("0.9059" in p["text"] for p in passages)
    scores = [p["score"] for p in passages]
    assert scores == sorted(scores, reverse=True)


def test_bad_input_is_a_clear_error_not_a_trace(client):
    from gradio_client.exceptions import AppError

    with pytest.raises(AppError) as info:
        client.predict("   ", api_name="/ask")
    assert "type a question" in str(info.value) and "Traceback" not in str(info.value)
    with pytest.raises(AppError, match="from 1 to 50"):
        client.predict("政府", 0, api_name="/retrieve")


def test_ui_handlers_are_not_public_api(client):
    info = client.view_api(print_info=False, return_format="dict")
    assert set(info["named_endpoints"]) == {"/ask", "/retrieve"}


def test_mcp_schema_route_lists_both_tools(server_url):
    with urllib.request.urlopen(f"{server_url}/gradio_api/mcp/schema", timeout=10) as response:
        tools = {tool["name"]: tool for tool in json.load(response)}
    assert set(tools) == {"ask", "retrieve"}
    assert "citation" in tools["ask"]["description"]
    assert tools["retrieve"]["inputSchema"]["properties"]["k"]["type"] == "integer"


def test_mcp_tools_answer_with_json_text_and_structured_content(server_url):
    from mcp import ClientSession
    from mcp.client.streamable_http import streamable_http_client

    async def session_run():
        async with streamable_http_client(f"{server_url}/gradio_api/mcp/") as (read, write, _):
            async with ClientSession(read, write) as session:
                await session.initialize()
                listed = await session.list_tools()
                asked = await session.call_tool("ask", {"question": QUESTION})
                retrieved = await session.call_tool("retrieve", {"question": "在线服务指数", "k": 2})
                refused = await session.call_tool("ask", {"question": "  "})
                return listed, asked, retrieved, refused

    listed, asked, retrieved, refused = asyncio.run(session_run())
    assert {tool.name for tool in listed.tools} == {"ask", "retrieve"}
    assert all(tool.description for tool in listed.tools)
    assert not asked.isError and len(asked.content) == 1
    answer = json.loads(asked.content[0].text)  # JSON, not a Python repr ('True', single quotes)
    assert set(answer) == ANSWER_FIELDS and answer["found"] is True and "1999" in answer["text"]
    assert asked.structuredContent == answer
    result = json.loads(retrieved.content[0].text)
    assert set(result) == {"passages"}  # the shape /v1/retrieve and gradio_client have
    assert len(result["passages"]) == 2 and any("0.9059" in p["text"] for p in result["passages"])
    assert retrieved.structuredContent == result
    assert refused.isError and "type a question" in refused.content[0].text


def test_app_runs_from_a_plain_checkout_without_torch(tmp_path):
    """As on Hugging Face Spaces: article_qa only in ./src, no sentence-transformers needed."""
    import subprocess
    import sys
    import sysconfig
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    site_packages = sysconfig.get_paths()["purelib"]
    # -S: no site processing, so the editable install's .pth (which points at src/) is not read
    script = f"""
import sys
sys.path.append({site_packages!r})
sys.path.insert(0, {str(root)!r})
import app
from article_qa.engines import EngineSlot
slot = EngineSlot(app.INDEX_DIR)
assert not slot.load(), slot.load()
import article_qa
from article_qa import ui
print("FILE", article_qa.__file__)
print("ANSWER", ui.ChatApp(slot, ui.ArticleSessions()).ask({QUESTION!r})["text"])
print("TORCH", "torch" in sys.modules, "sentence_transformers" in sys.modules)
"""
    result = subprocess.run([sys.executable, "-S", "-c", script], cwd=tmp_path, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    out = dict(line.split(" ", 1) for line in result.stdout.splitlines() if line[:4] in ("FILE", "ANSW", "TORC"))
    assert out["FILE"].startswith(str(root / "src"))
    assert "1999" in out["ANSWER"]
    assert out["TORCH"] == "False False"
