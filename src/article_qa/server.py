"""The HTTP server: a JSON API under ``/v1`` beside the Gradio UI, in one FastAPI app.

* ``POST /v1/ask {"question", "history"?}`` -> ``Answer.to_dict()``
* ``POST /v1/retrieve {"question", "k"}``  -> ``{"passages": [...]}``
* ``GET  /v1/health``                      -> the loaded index, or 503
* ``/docs``                                -> the OpenAPI pages of the JSON API
* ``/``                                    -> the Gradio chat UI (and its MCP server), when mounted

The JSON routes do not go through Gradio's queue: they are plain FastAPI
routes that call the thread-safe engine directly, at most
:data:`ENGINE_CONCURRENCY` answers at once (the rest wait their turn). Every error body is
``{"error": "..."}``; bad input is a 4xx with one WARNING log line, and only
a real fault logs a traceback (and answers 500 ``{"error": "internal error"}``).

This module holds the JSON API (its schema, routes and error bodies) and
assembles the app; the body-size limit in front of ``/v1`` and the lazily
built UI at ``/`` are ASGI pieces of their own (``asgi.py``). Importing
this module does not import Gradio; only :func:`create_app` with
``ui=True`` does, in a background thread.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from typing import Any, Callable

import uvicorn
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from uvicorn.supervisors import Multiprocess

from .asgi import BodyLimit, LazyUI, ui_lifespan
from .engines import EngineSlot
from .errors import ArticleQAError, BadQuestionError
from .settings import DEFAULTS

log = logging.getLogger("article_qa.server")

API_PREFIX = "/v1"
# A question is cut to 500 characters by the engine; 64 KB leaves room for any
# JSON escaping of that and still refuses a pasted document before parsing it.
MAX_BODY_BYTES = 64 * 1024
INTERNAL_ERROR = "internal error"
# Environment read by the app factory (uvicorn workers are separate processes).
ENV_INDEX = "ARTICLE_QA_INDEX"
ENV_UI = "ARTICLE_QA_SERVE_UI"
APP_FACTORY = "article_qa.server:app_from_env"
# How many questions a process answers at once, on each route (here /v1; the Gradio queue's
# engine events share the same limit): one per core. Measured with the reader on, 20 threads
# asking back to back in one process on 2 cores: all 20 at once held ~285 MB more than at rest
# (each concurrent ONNX Runtime run keeps its own buffers) for no more answers a second than 2
# or 3 at once (+80 to +95 MB); the callers beyond the limit wait for a turn instead.
ENGINE_CONCURRENCY = max(1, int(os.environ.get("ARTICLE_QA_CONCURRENCY") or os.cpu_count() or 2))


# ---------------------------------------------------------------- schema ---
class AskRequest(BaseModel):
    """A question about the article."""

    model_config = ConfigDict(extra="forbid", strict=True)
    question: str = Field(description="In Chinese (Traditional or Simplified) or English; "
                                      "longer than 500 characters is shortened (see `note`).",
                          examples=["政府上網工程是哪一年啟動的?"])


class AskInChatRequest(AskRequest):
    """A question, and the earlier turns a follow-up may lean on."""

    history: list[str | dict[str, Any]] | None = Field(
        None, max_length=20,
        description="The earlier turns, oldest first: questions, or {\"question\", \"answer\"} objects (the "
                    "short answer), at most 20, each at most 500 characters. A follow-up (\"那三金工程呢?\") is "
                    "resolved against them; the answer's `question` is the question as understood.",
        examples=[["政府上網工程是哪一年啟動的?"]])


class RetrieveRequest(AskRequest):
    """A question and how many passages to return."""

    k: int = Field(DEFAULTS.retrieve_k, ge=1, le=DEFAULTS.max_k,
                   description=f"Passages to return, 1 to {DEFAULTS.max_k}.")


class ErrorBody(BaseModel):
    error: str


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody, "description": text}
    for status, text in ((400, "Malformed JSON"), (413, f"Body larger than {MAX_BODY_BYTES} bytes"),
                         (422, "Invalid question, history or k"), (503, "No index loaded"))
}


# ------------------------------------------------------------------ app ----
def create_app(slot: EngineSlot, *, ui: bool = True, inline: bool = False, writer=None) -> FastAPI:
    """The JSON API around ``slot`` (loaded now, so the first request pays
    nothing), with the Gradio UI at ``/`` when ``ui`` is true (ready a few
    seconds after the port opens: see :class:`asgi.LazyUI`).

    ``inline`` runs the engine on the event loop instead of FastAPI's
    threadpool (only ``eval/load.py`` uses it, to compare the two).
    ``writer`` (a :class:`write.Writer`, or None for none) words each found
    ``/v1/ask`` answer from its quotes (``written``); the chat UI reads
    ``$ARTICLE_QA_LLM_*`` itself.
    """
    if not slot.load():
        _warm_up(slot)
    # After the engine, not beside it: both loads are mostly GIL-bound, and overlapping them
    # delayed the first /v1 answer from ~1.7 s to ~2.9 s for a UI ~0.6 s sooner (eval/startup.py).
    lazy_ui = LazyUI(slot) if ui else None
    app = FastAPI(title="article-qa", version=_version(), docs_url="/docs", redoc_url=None,
                  description="Answers questions about one article by quoting it, with numbered citations.",
                  lifespan=ui_lifespan(lazy_ui))
    app.add_middleware(BodyLimit, limit=MAX_BODY_BYTES, prefix=API_PREFIX)
    _add_error_handlers(app)
    _add_routes(app, slot, inline, ui_state=lazy_ui.state if lazy_ui else lambda: "off", writer=writer)
    if lazy_ui is not None:
        app.mount("/", lazy_ui)
    return app


def app_from_env() -> FastAPI:
    """The uvicorn app factory (``article-qa serve``): every worker process
    builds its own app from ``$ARTICLE_QA_INDEX``, ``$ARTICLE_QA_SERVE_UI`` and
    the optional writer's ``$ARTICLE_QA_LLM_*``."""
    from .write import writer_from_env

    configure_logging()
    index_dir = os.environ.get(ENV_INDEX) or None
    ui = os.environ.get(ENV_UI, "1") != "0"
    return create_app(EngineSlot(index_dir), ui=ui, writer=writer_from_env())


def run_server(*, host: str, port: int, workers: int = 1, access_log: bool = False) -> None:
    """uvicorn on ``host:port`` with :func:`app_from_env`, in ``workers`` processes sharing the port."""
    config = TcpConfig(APP_FACTORY, factory=True, host=host, port=port, workers=workers, log_level="info",
                       access_log=access_log, timeout_graceful_shutdown=5)
    if workers == 1:
        uvicorn.Server(config).run()
    else:
        Multiprocess(config, sockets=[config.bind_socket()]).run()


class TcpConfig(uvicorn.Config):
    """uvicorn's config, but the socket that workers share says it is TCP.

    uvicorn binds it as ``socket.socket(family)`` (protocol 0), and asyncio
    sets TCP_NODELAY only on accepted sockets whose protocol is TCP: every
    response then waited ~40 ms on Nagle's algorithm and the client's delayed
    ACK (measured: 22 requests/s over one keep-alive connection).
    """

    def bind_socket(self) -> socket.socket:
        sock = super().bind_socket()
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            sock = socket.socket(sock.family, sock.type, socket.IPPROTO_TCP, fileno=sock.detach())
            sock.set_inheritable(True)
        return sock


def _add_routes(app: FastAPI, slot: EngineSlot, inline: bool, ui_state: Callable[[], str], writer=None) -> None:
    turns = threading.BoundedSemaphore(ENGINE_CONCURRENCY)  # ask and retrieve: at most this many at once

    def ask(body: AskInChatRequest) -> dict:
        """Answer a question by quoting the article; `text` carries [n] marks, `passages[n-1]` is [n].
        `history` is optional: `{"question": "..."}` alone is the whole request."""
        def work(qa) -> dict:
            answer = qa.ask(body.question, history=body.history) if body.history is not None else qa.ask(body.question)
            return answer.to_dict() if writer is None else answer

        answer = _engine_call(slot, work, "POST /v1/ask", turns)
        if writer is None or isinstance(answer, JSONResponse):
            return answer
        # Outside the engine's turns: the writer mostly waits on its endpoint (at most its timeout).
        return _engine_call(slot, lambda qa: writer.write(answer, qa.article, glossary=qa.index.glossary).to_dict(),
                            "POST /v1/ask (writer)")

    def retrieve(body: RetrieveRequest) -> dict:
        """The `k` passages that best match the question, best first."""
        return _engine_call(slot, lambda qa: {"passages": [p.to_dict() for p in qa.retrieve(body.question, k=body.k)]},
                            "POST /v1/retrieve", turns)

    def health() -> dict:
        """What index this process serves (source, embedder, chunks, built-with versions) and whether
        the chat UI is `off`, `starting`, `ready` or `failed`."""
        return _engine_call(slot, lambda qa: {**_health(qa), "ui": ui_state()}, "GET /v1/health")

    route = _on_event_loop if inline else (lambda fn: fn)
    app.post(f"{API_PREFIX}/ask", responses=ERROR_RESPONSES, tags=["v1"])(route(ask))
    app.post(f"{API_PREFIX}/retrieve", responses=ERROR_RESPONSES, tags=["v1"])(route(retrieve))
    app.get(f"{API_PREFIX}/health", responses={503: ERROR_RESPONSES[503]}, tags=["v1"])(route(health))

    known = {f"{API_PREFIX}/ask": "POST", f"{API_PREFIX}/retrieve": "POST", f"{API_PREFIX}/health": "GET"}

    # Without this, an unknown /v1 path would fall through to the mounted UI's own 404 page.
    @app.api_route(API_PREFIX + "/{rest:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
                   include_in_schema=False)
    def unknown(request: Request) -> JSONResponse:
        path = request.url.path
        if path in known:
            return _reject(request, 405, f"{path} takes {known[path]}, not {request.method}.")
        return _reject(request, 404, f"No such endpoint: {path}. The API is described at /docs.")


def _engine_call(slot: EngineSlot, work: Callable, where: str, turns: threading.Semaphore | None = None) -> Any:
    """``work(engine)`` (waiting for one of ``turns`` first), with the engine's errors turned into their
    HTTP answers."""
    try:
        qa = slot.get()
    except ArticleQAError as error:
        return _error(503, f"The article index could not be loaded: {error}")
    try:
        if turns is None:
            return work(qa)
        with turns:
            return work(qa)
    except BadQuestionError as error:
        log.warning("rejected %s (422): %s", where, error)
        return _error(422, str(error))
    except ArticleQAError as error:  # a fault of the index, not of the caller
        log.error("%s: engine error: %s", where, error)
        return _error(503, str(error))
    except Exception:
        log.exception("%s: internal error", where)
        return _error(500, INTERNAL_ERROR)


def _health(qa) -> dict:
    manifest = qa.manifest
    return {
        "status": "ok",
        "pid": os.getpid(),
        "source": manifest.source_path,
        "source_sha256": manifest.source_sha256,
        "byline": manifest.byline,
        "embedder": manifest.embedder,
        "dimension": manifest.dimension,
        "chunks": qa.n_chunks,
        "chunk_size": manifest.chunk_size,
        "chunk_overlap": manifest.chunk_overlap,
        "format_version": manifest.format_version,
        "built_with": manifest.versions,
    }


def _on_event_loop(fn: Callable) -> Callable:
    """``fn`` as a coroutine, so FastAPI calls it on the event loop rather than in a thread."""
    import functools

    @functools.wraps(fn)
    async def call(*args, **kwargs):
        return fn(*args, **kwargs)

    return call


def _warm_up(slot: EngineSlot) -> None:
    """One question through every stage, so the first caller does not pay for first-call set-up."""
    started = time.perf_counter()
    try:
        slot.get().respond("政府上網工程是哪一年啟動的? When did it start?")
    except ArticleQAError as error:  # an article where the warm-up question has no words left is fine
        log.info("warm-up question rejected: %s", error)
    log.info("engine warmed up in %.0f ms", (time.perf_counter() - started) * 1000)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("article-qa")
    except PackageNotFoundError:
        return "0"


# --------------------------------------------------------------- errors ----
def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def _reject(request: Request, status: int, message: str) -> JSONResponse:
    log.warning("rejected %s %s (%d): %s", request.method, request.url.path, status, message)
    return _error(status, message)


def _add_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, error: RequestValidationError) -> JSONResponse:
        problems = error.errors()
        if any(problem.get("type") == "json_invalid" for problem in problems):
            return _reject(request, 400, "The body is not valid JSON.")
        return _reject(request, 422, describe_validation(problems))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> JSONResponse:
        return _reject(request, error.status_code, str(error.detail))


def describe_validation(problems: list[dict]) -> str:
    """Pydantic's problems as one sentence per field, e.g. ``question: Field required``."""
    parts = []
    for problem in problems:
        where = ".".join(str(part) for part in problem.get("loc", ()) if part != "body") or "body"
        message = problem.get("msg", "invalid")
        if problem.get("type") == "extra_forbidden":
            message = "unknown field"
        parts.append(f"{where}: {message}")
    return "; ".join(parts) + "."


def configure_logging() -> None:
    """INFO for the server's own lines; libraries that narrate every call
    (faiss's CPU probing, the MCP tools' loopback httpx calls) only warn."""
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    for chatty in ("faiss.loader", "httpx", "mcp.server.streamable_http", "mcp.server.lowlevel.server"):
        logging.getLogger(chatty).setLevel(logging.WARNING)
