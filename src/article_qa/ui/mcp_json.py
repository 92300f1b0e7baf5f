"""Gradio's MCP server made to answer with JSON.

Gradio 6 hands the agent ``str(result)``, a Python repr (``True``, single
quotes) no JSON parser reads, and its ``gr.mcp.tool(structured_output=True)``
only wraps that same text; there is no option for JSON. This module is the
one place that reaches into Gradio's MCP server, through two hooks that are
public attributes of Gradio's server object and of the MCP SDK's.
"""

from __future__ import annotations

import json
from typing import Any

import gradio as gr


def answer_tools_with_json(mcp_server: Any) -> None:
    """Make Gradio's MCP server return a tool's dict as JSON text and as
    ``structuredContent`` (the same object: ``ask`` -> ``Answer.to_dict()``,
    ``retrieve`` -> ``{"passages": [...]}``, as over HTTP)."""
    import mcp.types as types

    plain_text = mcp_server.postprocess_output_data

    def as_json(data: list, root_url: str):
        if data and all(isinstance(value, (dict, list)) for value in data):
            return [types.TextContent(type="text", text=json.dumps(value, ensure_ascii=False)) for value in data]
        return plain_text(data, root_url)

    mcp_server.postprocess_output_data = as_json
    handlers = mcp_server.mcp_server.request_handlers
    call_tool = handlers[types.CallToolRequest]

    async def with_structured_content(request):
        result = await call_tool(request)
        call = result.root
        if (isinstance(call, types.CallToolResult) and not call.isError and call.structuredContent is None
                and len(call.content) == 1 and isinstance(call.content[0], types.TextContent)):
            try:
                value = json.loads(call.content[0].text)
            except ValueError:
                return result
            if isinstance(value, dict):  # MCP's structuredContent is an object; every tool here returns one
                call.structuredContent = value
        return result

    handlers[types.CallToolRequest] = with_structured_content


class JsonMcpBlocks(gr.Blocks):
    """``gr.Blocks`` whose MCP server answers with JSON (:func:`answer_tools_with_json`).

    Gradio creates the MCP server when the app is launched or mounted and
    stores it on the Blocks; adapting it as it is stored covers ``python
    app.py`` and ``gr.mount_gradio_app`` alike.
    """

    @property
    def mcp_server_obj(self):
        return self.__dict__.get("_json_mcp_server")

    @mcp_server_obj.setter
    def mcp_server_obj(self, server) -> None:
        if server is not None:
            answer_tools_with_json(server)
        self.__dict__["_json_mcp_server"] = server
