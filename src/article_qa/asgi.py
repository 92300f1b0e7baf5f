"""The ASGI pieces around the JSON API (``server.py``): the request-body
limit in front of ``/v1``, and the chat UI, built lazily and mounted at ``/``.

Both are plain ASGI callables, so the server's FastAPI app adds them as it
would any middleware or mount. Importing this module does not import
Gradio; :class:`LazyUI` does, in a thread of its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading

from fastapi import FastAPI
from fastapi.responses import JSONResponse

from .engines import EngineSlot

# The server's logger: a rejected body and a UI that failed to build are
# server lines, wherever the code that writes them lives.
log = logging.getLogger("article_qa.server")


# ----------------------------------------------------------- body limit ----
class BodyLimit:
    """ASGI middleware: a request under ``prefix`` whose body exceeds ``limit``
    bytes gets 413 before anything parses it, whether its length is declared
    or it is streamed. The body (at most ``limit`` bytes) is read here and
    handed on whole."""

    def __init__(self, app, *, limit: int, prefix: str) -> None:
        self.app, self.limit, self.prefix = app, limit, prefix

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or not scope["path"].startswith(self.prefix):
            return await self.app(scope, receive, send)
        declared = dict(scope["headers"]).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.limit:
            return await self._too_large(scope, send)
        body = await self._read_body(receive)
        if body is None:
            return await self._too_large(scope, send)
        await self.app(scope, _replay(body, receive), send)

    async def _read_body(self, receive) -> bytes | None:
        """The whole body, or ``None`` as soon as it passes the limit."""
        parts, size = [], 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                return b"".join(parts)
            parts.append(message.get("body", b""))
            size += len(parts[-1])
            if size > self.limit:
                return None
            if not message.get("more_body", False):
                return b"".join(parts)

    async def _too_large(self, scope, send) -> None:
        log.warning("rejected %s %s (413): body over %d bytes", scope["method"], scope["path"], self.limit)
        response = JSONResponse({"error": f"The request body is larger than {self.limit} bytes."}, status_code=413)
        await response(scope, None, send)


def _replay(body: bytes, receive):
    """An ASGI ``receive`` that yields ``body`` once, then waits on the real one (disconnects)."""
    sent = False

    async def replay():
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


# ------------------------------------------------------------------- UI ----
class LazyUI:
    """The Gradio UI at ``/``, built in a thread from the moment the app is
    created, so the port opens and ``/v1`` answers without waiting for
    Gradio's import (seconds); until the UI is ready, its paths answer 503
    with ``Retry-After``. Runs Gradio's own start-up (queue, MCP sessions)
    inside the server's lifespan once built."""

    def __init__(self, slot: EngineSlot) -> None:
        self.slot = slot
        self.app = None  # the ASGI app Gradio is mounted on, once its lifespan runs
        self.failed = False
        self._host: FastAPI | None = None
        self._built = threading.Event()
        self._stopping = asyncio.Event()
        threading.Thread(target=self._build, name="article-qa-ui", daemon=True).start()

    def _build(self) -> None:
        try:
            import gradio as gr

            host = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
            demo, settings = ui_blocks(self.slot)
            self._host = gr.mount_gradio_app(host, demo, path="/", **settings)
        except Exception:
            log.exception("the chat UI could not be built; serving the JSON API only")
            self.failed = True
        finally:
            self._built.set()

    async def run(self) -> None:
        """Wait for the build, start Gradio's lifespan, serve until :meth:`stop`."""
        while not self._built.is_set():  # polled, so a shutdown during the build does not wait for it
            if self._stopping.is_set():
                return
            await asyncio.sleep(0.05)
        if self.failed:
            return
        host = self._host
        async with host.router.lifespan_context(host):
            self.app = host
            log.info("chat UI ready")
            await self._stopping.wait()
            self.app = None

    def stop(self) -> None:
        self._stopping.set()

    def state(self) -> str:
        """``starting``, ``ready`` or ``failed`` (what /v1/health reports)."""
        return "failed" if self.failed else "ready" if self.app is not None else "starting"

    async def __call__(self, scope, receive, send):
        if self.app is not None:
            return await self.app(scope, receive, send)
        if scope["type"] != "http":
            return
        message = "The chat UI failed to start; the JSON API is at /v1." if self.failed else \
            "The chat UI is starting; try again in a few seconds."
        response = JSONResponse({"error": message}, status_code=503, headers={"Retry-After": "2"})
        await response(scope, receive, send)


def ui_blocks(slot: EngineSlot):
    """The UI's Blocks and its mount settings (theme, css, mcp_server, footer links, upload limit)."""
    from . import ui

    return ui.build_demo(slot), dict(ui.MOUNT_KWARGS)


def ui_lifespan(lazy_ui: LazyUI | None):
    """The server's lifespan, with the lazily built UI's own run inside it (when there is a UI)."""

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI):
        task = asyncio.create_task(lazy_ui.run()) if lazy_ui else None
        try:
            yield
        finally:
            if task is not None:
                lazy_ui.stop()
                await task

    return lifespan
