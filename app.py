"""article-qa — the chat app, HTTP API and MCP server (``python app.py``; Hugging Face Spaces).

Thin on purpose: the UI is ``article_qa.ui``; this file finds the package
(./src in a plain checkout), names the default article's index and launches.
Importing it loads no model and opens no index: that happens in :func:`main`.

Binds to GRADIO_SERVER_NAME / GRADIO_SERVER_PORT when set, else 127.0.0.1:7860.
The MCP server is at ``/gradio_api/mcp/``. The optional writer (a language
model words each answer from its quotes) is on when ARTICLE_QA_LLM_BASE_URL
and ARTICLE_QA_LLM_MODEL are set (e.g. as a Space's secrets; README, "Writer").
"""

import logging
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

try:  # installed with pip (`pip install .`), or ...
    import article_qa  # noqa: F401
except ImportError:  # ... a plain checkout, e.g. a Hugging Face Space: use ./src
    sys.path.insert(0, str(HERE / "src"))

from article_qa.engines import EngineSlot  # noqa: E402

# The committed index next to this file; ARTICLE_QA_INDEX points elsewhere (as for the CLI).
INDEX_DIR = Path(os.environ.get("ARTICLE_QA_INDEX") or HERE / "index")


def main(**launch_kwargs):
    """Open the index, build the UI and serve it (blocking unless ``prevent_thread_lock=True``)."""
    from article_qa import ui

    demo = ui.build_demo(EngineSlot(INDEX_DIR))
    return demo, ui.launch(demo, **launch_kwargs)


if __name__ == "__main__":
    # The same server as `article-qa serve`: the UI and MCP with the JSON API (/v1) beside them,
    # on Gradio's host/port variables (what Hugging Face Spaces sets).
    from article_qa.server import ENV_INDEX, configure_logging, run_server

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    configure_logging()  # and quiets the libraries that log every call
    os.environ.setdefault(ENV_INDEX, str(INDEX_DIR))
    run_server(host=os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1"),
               port=int(os.environ.get("GRADIO_SERVER_PORT", "7860")))
