"""Gradio's Blocks made for API and MCP callers: JSON answers, optional trailing inputs.

Gradio 6 hands the agent ``str(result)``, a Python repr (``True``, single
quotes) no JSON parser reads, and its ``gr.mcp.tool(structured_output=True)``
only wraps that same text; there is no option for JSON. This module is the
one place that reaches into Gradio's MCP server, through two hooks that are
public attributes of Gradio's server object and of the MCP SDK's.

Gradio 6 also refuses a raw HTTP call (``POST /gradio_api/call/ask {"data":
[question]}``) that sends fewer values than the endpoint has parameters,
even when the rest have defaults: ``gradio_client`` and the MCP tools fill
the defaults in on the caller's side, but the server raises a ``ValueError``
("didn't receive enough input values") that the caller sees as
``{"error": null}``. :class:`JsonMcpBlocks` fills them in on the server's
side too (:func:`complete_api_inputs`), so ``ask`` with the question alone
answers over every route, as it did before ``history`` was added.

And Gradio keeps a session's state (a ~46 KB copy of every component's
config, with the call's inputs and outputs) for each session hash it sees,
up to 10,000 sessions: a raw HTTP call has no session, so each gets one of
its own, and a server under API load grew by ~50 KB a call (measured: +25 MB
for every 450 calls, on and on). The API endpoints hold no state, so
:class:`JsonMcpBlocks` lets such a session go when its call ends
(:func:`forget_api_session`); a visitor's session, which holds ``gr.State``
values, is never touched.
"""

from __future__ import annotations

import inspect
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


def is_api_endpoint(block_fn: Any) -> bool:
    """Whether ``block_fn`` is a ``gr.api`` endpoint (``ask``, ``retrieve``): no UI component, no state."""
    from gradio.components.api_component import Api

    inputs = block_fn.inputs
    return block_fn.fn is not None and bool(inputs) and all(isinstance(block, Api) for block in inputs)


def forget_api_session(blocks: gr.Blocks, session_hash: str | None) -> None:
    """Drop the state Gradio made for an API call's session, unless it holds ``gr.State`` values (a
    visitor's page). A later call of the same session (gradio_client keeps one) gets a fresh one."""
    holder = getattr(blocks, "state_holder", None)
    if holder is None or not session_hash:
        return
    with holder.lock:
        session = holder.session_data.get(session_hash)
        if session is not None and not session.state_data:
            del holder.session_data[session_hash]
            holder.time_last_used.pop(session_hash, None)


def complete_api_inputs(block_fn: Any, inputs: list) -> list:
    """``inputs`` for a ``gr.api`` endpoint, with the trailing parameters the
    caller left out set to their defaults (``ask(question)`` -> ``[question,
    None]``). Other events' inputs, and complete ones, are returned as they are.

    Raises ``gr.Error`` (a message the caller sees) when a parameter without
    a default is missing, where Gradio would raise a ``ValueError`` that
    reaches the caller as ``{"error": null}``."""
    wanted = block_fn.inputs
    if not isinstance(inputs, list) or len(inputs) >= len(wanted) or not is_api_endpoint(block_fn):
        return inputs
    parameters = [parameter for parameter in inspect.signature(block_fn.fn).parameters.values()
                  if parameter.kind in (parameter.POSITIONAL_ONLY, parameter.POSITIONAL_OR_KEYWORD)]
    missing = parameters[len(inputs):len(wanted)]
    required = [parameter.name for parameter in missing if parameter.default is parameter.empty]
    if required or len(parameters) < len(wanted):
        shape = ", ".join(parameter.name if parameter.default is parameter.empty else f"{parameter.name} (optional)"
                          for parameter in parameters[:len(wanted)])
        raise gr.Error(f"{block_fn.api_name or block_fn.name} takes {shape}, in that order; this call sent "
                       f"{len(inputs)} value(s), so {' and '.join(required) or 'some'} is missing. "
                       f'Send e.g. {{"data": ["your question"]}}.', print_exception=False)
    return [*inputs, *(parameter.default for parameter in missing)]


class JsonMcpBlocks(gr.Blocks):
    """``gr.Blocks`` whose MCP server answers with JSON (:func:`answer_tools_with_json`)
    and whose API endpoints take their optional trailing inputs left out
    (:func:`complete_api_inputs`), and which forgets an API call's session state once it is
    answered (:func:`forget_api_session`).

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

    async def preprocess_data(self, block_fn, inputs, state, explicit_call=False):
        return await super().preprocess_data(block_fn, complete_api_inputs(block_fn, inputs), state, explicit_call)

    async def process_api(self, block_fn, inputs, state=None, *args, session_hash=None, **kwargs):
        try:
            return await super().process_api(block_fn, inputs, state, *args, session_hash=session_hash, **kwargs)
        finally:
            fn = self.fns[block_fn] if isinstance(block_fn, int) else block_fn
            if is_api_endpoint(fn):
                forget_api_session(self, session_hash)
