"""The Gradio chat UI, its two API/MCP endpoints, and its HTML.

* ``ask(question)``         -> ``Answer.to_dict()`` for the default article
* ``retrieve(question, k)`` -> ``{"passages": [...]}``, the ``k`` (1 to 50) best passages

Visitors may bring their own article (upload or paste); it is indexed for
their browser session only (:mod:`article_qa.sessions`). The API and MCP
tools always answer about the default article.

One job per module: :mod:`.formatting` (the HTML), :mod:`.handlers` (the
event handlers and endpoints), :mod:`.mcp_json` (the MCP server answering
with JSON) and :mod:`.layout` (the Blocks, CSS, theme and launch settings).
"""

import os

# Gradio's queue rebuilds a pandas summary of up to 10,000 past events after
# every request (for its optional monitoring page): ~10-30 ms of CPU each,
# more than an answer costs. Refresh it every 1,000 events instead. Set
# before any submodule imports Gradio.
os.environ.setdefault("GRADIO_ANALYTICS_CACHE_FREQUENCY", "1000")

from ..sessions import ArticleSessions  # noqa: E402
from .formatting import (BUILD_STAGES, CLOSEST, TITLE, build_fraction, esc, format_answer, format_error,  # noqa: E402
                         format_header, format_hint, format_passages, format_question, format_status, highlight,
                         panel_passages, passage_label)
from .handlers import EVICTED, INTERNAL_ERROR, ChatApp, rejected  # noqa: E402
from .layout import (BUILD_CONCURRENCY, CONCURRENCY_LIMIT, CSS, LAUNCH_KWARGS, MOUNT_KWARGS, QUEUE_MAX_SIZE,  # noqa: E402
                     THEME, build_demo, launch, warm_up)
from .mcp_json import JsonMcpBlocks, answer_tools_with_json  # noqa: E402

__all__ = [
    "ArticleSessions", "BUILD_CONCURRENCY", "BUILD_STAGES", "CLOSEST", "CONCURRENCY_LIMIT", "CSS", "ChatApp",
    "EVICTED", "INTERNAL_ERROR", "JsonMcpBlocks", "LAUNCH_KWARGS", "MOUNT_KWARGS", "QUEUE_MAX_SIZE", "THEME",
    "TITLE", "answer_tools_with_json", "build_demo", "build_fraction", "esc", "format_answer", "format_error",
    "format_header", "format_hint", "format_passages", "format_question", "format_status", "highlight", "launch",
    "panel_passages", "passage_label", "rejected", "warm_up",
]
