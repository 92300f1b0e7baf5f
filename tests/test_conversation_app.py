"""The real app over gradio_client and MCP: the ask tool takes an optional history."""

from __future__ import annotations

import asyncio
import json

import pytest

pytestmark = pytest.mark.slow

FIRST = "政府上網工程是哪一年啟動的?"
FOLLOW_UP = "那三金工程呢?"
RESOLVED = "三金工程是哪一年啟動的?"


def test_gradio_client_ask_resolves_a_follow_up(server_url):
    from gradio_client import Client

    client = Client(server_url, verbose=False)
    result = client.predict(FOLLOW_UP, [FIRST], api_name="/ask")
    assert result["question"] == RESOLVED and "1993" in result["text"]
    assert client.predict(FIRST, api_name="/ask")["question"] == FIRST


def test_the_mcp_ask_tool_takes_a_history(server_url):
    from mcp import ClientSession
    from mcp.client.streamable_http import streamable_http_client

    async def session_run():
        async with streamable_http_client(f"{server_url}/gradio_api/mcp/") as (read, write, _):
            async with ClientSession(read, write) as session:
                await session.initialize()
                tools = {tool.name: tool for tool in (await session.list_tools()).tools}
                asked = await session.call_tool("ask", {"question": FOLLOW_UP, "history": [FIRST]})
                refused = await session.call_tool("ask", {"question": FOLLOW_UP, "history": ["x" * 501]})
                return tools, asked, refused

    tools, asked, refused = asyncio.run(session_run())
    assert "history" in tools["ask"].inputSchema["properties"]
    assert not asked.isError and json.loads(asked.content[0].text)["question"] == RESOLVED
    assert refused.isError and "history[0]" in refused.content[0].text
