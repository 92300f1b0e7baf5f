"""article-qa — the Gradio chat app, HTTP API and MCP server.

Thin on purpose: every answer comes from ``article_qa.ArticleQA``; this file
only formats answers as HTML, wires the UI and exposes two API/MCP endpoints:

* ``ask(question)``        -> the extractive answer with cited passages (dict)
* ``retrieve(question, k)`` -> the ``k`` best passages (list of dicts)

Run ``python app.py`` (binds to GRADIO_SERVER_NAME / GRADIO_SERVER_PORT when
set, else 127.0.0.1:7860). The MCP server is at ``/gradio_api/mcp/``.
"""

import html
import logging
import os
import re
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent

try:  # installed with pip (`pip install .`), or ...
    import article_qa  # noqa: F401
except ImportError:  # ... a plain checkout, e.g. a Hugging Face Space: use ./src
    sys.path.insert(0, str(HERE / "src"))

import gradio as gr  # noqa: E402

from article_qa import Answer, ArticleQA, ArticleQAError, Passage  # noqa: E402

log = logging.getLogger("article_qa.app")

# The committed index next to this file; ARTICLE_QA_INDEX points elsewhere (as for the CLI).
INDEX_DIR = Path(os.environ.get("ARTICLE_QA_INDEX") or HERE / "index")
DEFAULT_K = 3
MAX_K = 10
# The engine is thread-safe and answers in ~10 ms; the embedder serialises
# itself, so a handful of worker threads keeps the CPU busy without thrashing.
CONCURRENCY_LIMIT = int(os.environ.get("ARTICLE_QA_CONCURRENCY", "8"))
QUEUE_MAX_SIZE = 256
# Gradio's queue rebuilds a pandas summary of up to 10,000 past events after
# every request (for its optional monitoring page): ~10-30 ms of CPU each,
# more than an answer costs. Refresh it every 1,000 events instead.
os.environ.setdefault("GRADIO_ANALYTICS_CACHE_FREQUENCY", "1000")

TITLE = "article-qa"
EXAMPLES = [
    "政府上網工程是哪一年啟動的?",
    "“十四五”規劃提出的信息化發展目標是什麼?",
    "在线服务指数排名全球第几?",
    "2020年我国电子政务发展指数是多少?",
    "What are the three aspects of the Chinese model of digital government?",
    "When did the State Council issue the guiding opinions?",
]
INTERNAL_ERROR = "Something went wrong while answering. Please try again."


# ---------------------------------------------------------------- engine ---
def load_engine(index_dir: Path = INDEX_DIR) -> tuple[ArticleQA | None, str]:
    """The engine, or ``None`` and the engine's own message saying what to fix."""
    try:
        qa = ArticleQA.load(index_dir)
        qa.ask(EXAMPLES[0])  # warm up: the first user should not pay for first-call set-up
        return qa, ""
    except ArticleQAError as error:
        log.error("Cannot load the index in %s: %s", index_dir, error)
        return None, str(error)


# ------------------------------------------------------------ formatting ---
def esc(text: Any) -> str:
    """Article or user text made inert for HTML and Markdown."""
    return html.escape(str(text), quote=True)


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def highlight(passage: Passage, spans: list[tuple[int, int]]) -> str:
    """The passage as escaped HTML, with the article spans that overlap it in ``<mark>``.

    ``spans`` are ``(start, end)`` offsets into the article, like ``passage.start``.
    """
    text = passage.text
    local = []
    for start, end in spans:
        if start < passage.end and end > passage.start:
            local.append((max(start - passage.start, 0), min(end - passage.start, len(text))))
    out, pos = [], 0
    for start, end in _merge([s for s in local if s[0] < s[1]]):
        out += [esc(text[pos:start]), "<mark>", esc(text[start:end]), "</mark>"]
        pos = end
    out.append(esc(text[pos:]))
    return "".join(out)


def passage_label(passage: Passage) -> str:
    """``section · paragraph n``, escaped."""
    section = passage.section or "Introduction"
    return f"{esc(section)} · paragraph {int(passage.paragraph)}"


def evidence_spans(answer: Answer) -> list[tuple[int, int]]:
    return [(int(start), int(end)) for _, start, end in answer.evidence]


def _cite_marks(escaped: str) -> str:
    return re.sub(r"\[(\d{1,2})\]", r'<sup class="aqa-cite">[\1]</sup>', escaped)


def format_question(question: str) -> str:
    """The user's chat bubble: their text, shown as text."""
    return f'<div class="aqa-question">{esc(question)}</div>'


def format_answer(answer: Answer) -> str:
    """The assistant's chat bubble: the quoted answer, then the cited passages.

    Everything is one HTML block with no blank line, so Markdown leaves the
    (escaped) article text alone.
    """
    parts = []
    if answer.note:
        parts.append(f'<div class="aqa-note">ℹ️ {esc(answer.note)}</div>')
    if not answer.found:
        parts.append(f'<div class="aqa-answer aqa-notfound">{esc(answer.text)}</div>')
        return '<div class="aqa-reply">' + "".join(parts) + "</div>"
    parts.append(f'<blockquote class="aqa-answer">{_cite_marks(esc(answer.text))}</blockquote>')
    parts.append(format_citations(answer))
    return '<div class="aqa-reply">' + "".join(parts) + "</div>"


def format_citations(answer: Answer) -> str:
    """``[n] section · paragraph`` and the passage with its quoted sentence(s) marked."""
    items = []
    for number, passage in enumerate(answer.passages, start=1):
        spans = [(int(s), int(e)) for index, s, e in answer.evidence if index == number - 1]
        items.append(
            f'<li class="aqa-source" value="{number}">'
            f'<div class="aqa-source-head"><span class="aqa-num">[{number}]</span> {passage_label(passage)}</div>'
            f'<div class="aqa-source-text">{highlight(passage, spans)}</div></li>'
        )
    return '<ol class="aqa-sources">' + "".join(items) + "</ol>"


def format_error(message: str) -> str:
    return f'<div class="aqa-reply aqa-error">⚠️ {esc(message)}</div>'


def format_passages(question: str, passages: list[Passage], answer: Answer | None = None) -> str:
    """The side panel: every retrieved passage for the last question."""
    if not passages:
        return '<div class="aqa-panel-empty">Ask a question to see the passages it was matched with.</div>'
    spans = evidence_spans(answer) if answer is not None and answer.found else []
    cards = []
    for rank, passage in enumerate(passages, start=1):
        cards.append(
            f'<div class="aqa-passage"><div class="aqa-source-head"><span class="aqa-num">#{rank}</span> '
            f'{passage_label(passage)} <span class="aqa-score">score {passage.score:.3f}</span></div>'
            f'<div class="aqa-source-text">{highlight(passage, spans)}</div></div>'
        )
    head = f'<div class="aqa-panel-q">Top {len(passages)} for: <q>{esc(question)}</q></div>'
    return '<div class="aqa-panel">' + head + "".join(cards) + "</div>"


def format_header(qa: ArticleQA | None, load_error: str = "") -> str:
    """Title, one line about the article, and a loud banner if the index did not load."""
    if qa is None:
        return (
            f'<div class="aqa-header"><h1>{esc(TITLE)}</h1>'
            f'<div class="aqa-load-error" role="alert"><strong>The article index could not be loaded.</strong> '
            f"{esc(load_error)}</div></div>"
        )
    about = " ".join(x for x in (qa.manifest.byline, qa.manifest.source_line) if x)
    return (
        f'<div class="aqa-header"><h1>{esc(TITLE)}</h1>'
        f'<p class="aqa-about">Answers questions about one article by quoting it, with numbered citations. '
        f'Article: {esc(about)}</p></div>'
    )


# ------------------------------------------------------------------- app ---
CSS = """
.aqa-header h1 { margin: 0 0 .2em 0; font-size: 1.6em; }
.aqa-about { margin: 0; color: var(--body-text-color-subdued); }
.aqa-load-error { margin-top: .5em; padding: .8em 1em; border-radius: 8px; background: #fdecea;
  color: #8a1c12; border: 1px solid #f5c2bd; font-size: 1.05em; }
#aqa-chat .aqa-reply blockquote.aqa-answer { margin: 0 0 .6em 0 !important; padding: .2em .8em !important;
  border-left: 4px solid #3b82f6; font-size: 1.05em; line-height: 1.6; color: var(--body-text-color) !important;
  font-style: normal; }
.aqa-cite { color: #1d4ed8; font-weight: 600; }
.aqa-notfound { font-style: italic; }
.aqa-note { font-size: .9em; color: var(--body-text-color-subdued); margin-bottom: .4em; }
.aqa-error { color: #b42318; }
ol.aqa-sources { list-style: none; padding-left: 0; margin: 0; }
.aqa-source, .aqa-passage { margin: .4em 0; padding: .45em .6em; border-radius: 6px;
  background: var(--background-fill-secondary); border: 1px solid var(--border-color-primary); }
.aqa-source-head { font-size: .85em; font-weight: 600; color: var(--body-text-color-subdued); margin-bottom: .2em; }
.aqa-num { color: #1d4ed8; }
.aqa-score { float: right; font-weight: 400; }
.aqa-source-text { font-size: .92em; line-height: 1.55; }
.aqa-source-text mark { background: #fde68a; color: inherit; padding: 0 .1em; border-radius: 2px; }
.aqa-panel-q { font-size: .9em; margin-bottom: .4em; }
.aqa-panel-empty { color: var(--body-text-color-subdued); font-size: .9em; }
"""

THEME = gr.themes.Soft(
    primary_hue="blue",
    font=["Noto Sans CJK TC", "Noto Sans TC", "PingFang TC", "Microsoft JhengHei", "system-ui", "sans-serif"],
    font_mono=["ui-monospace", "monospace"],
)


class ChatApp:
    """The handlers around one engine (``None`` when the index failed to load).

    ``ask`` and ``retrieve`` are the public API/MCP endpoints; their names,
    type hints and docstrings are what an agent sees (Gradio reads one line per
    argument under ``Args:``, hence the long lines).
    """

    def __init__(self, qa: ArticleQA | None, load_error: str = "") -> None:
        self.qa = qa
        self.load_error = load_error

    def engine(self) -> ArticleQA:
        if self.qa is None:
            raise ArticleQAError(f"The article index could not be loaded: {self.load_error}")
        return self.qa

    # ---- API / MCP endpoints ----------------------------------------------
    def ask(self, question: str) -> dict:
        """Answer a question about the article by quoting it, with numbered citations.

        The answer is extractive: `text` is one or two sentences copied verbatim
        from the article, each followed by a citation mark such as [1]; passage
        [n] is `passages[n-1]`. When the article does not answer the question,
        `found` is false and `text` says so in the question's language
        (Traditional Chinese, Simplified Chinese or English).

        Args:
            question: The question, in Chinese (Traditional or Simplified) or English. Longer than 500 characters is shortened (see `note`).

        Returns:
            A dict with `found` (bool), `text` (the quoted answer with [n] marks, or the not-found message), `passages` (the cited passages: text, score, chunk_id, section, paragraph, start, end), `evidence` ([passage_index, sentence_start, sentence_end] character offsets into the article for each quoted sentence) and `note` (e.g. that the question was shortened).
        """
        try:
            return self.engine().ask(question).to_dict()
        except ArticleQAError as error:
            raise gr.Error(str(error)) from None
        except Exception:
            log.exception("ask failed")
            raise gr.Error(INTERNAL_ERROR) from None

    def retrieve(self, question: str, k: int = DEFAULT_K) -> list[dict]:
        """Find the passages of the article that best match a question, best first.

        Use this to read the article's own wording around a topic; use `ask` for a quoted answer.

        Args:
            question: What to look for, in Chinese (Traditional or Simplified) or English.
            k: How many passages to return (at least 1).

        Returns:
            A list of passages, each a dict with `text`, `score` (fused relevance), `chunk_id`, `section` (heading; empty for the introduction), `paragraph` (number), and `start`/`end` (character offsets into the article).
        """
        try:
            k = int(k)
        except (TypeError, ValueError):
            raise gr.Error("k must be a whole number of at least 1.") from None
        try:
            return [p.to_dict() for p in self.engine().retrieve(question, k=k)]
        except ArticleQAError as error:
            raise gr.Error(str(error)) from None
        except Exception:
            log.exception("retrieve failed")
            raise gr.Error(INTERNAL_ERROR) from None

    # ---- UI handlers ---------------------------------------------------------
    def respond(self, question: str, history: list | None, k: float):
        """One chat turn -> (history, side panel, cleared textbox, last question)."""
        history = list(history or [])
        question = question if isinstance(question, str) else ""
        try:
            answer = self.engine().ask(question)
            passages = self.engine().retrieve(question, k=int(k))
        except ArticleQAError as error:
            if not question.strip():  # nothing typed: a toast, no empty bubble
                gr.Warning(str(error))
                return history, gr.skip(), question, gr.skip()
            reply, panel = format_error(str(error)), gr.skip()
        except Exception:
            log.exception("chat reply failed")
            reply, panel = format_error(INTERNAL_ERROR), gr.skip()
        else:
            reply, panel = format_answer(answer), format_passages(question, passages, answer)
        history += [
            {"role": "user", "content": format_question(question)},
            {"role": "assistant", "content": reply},
        ]
        return history, panel, "", question

    def refresh_panel(self, question: str, k: float):
        """The side panel again for the last question, after the slider moved."""
        if not question or self.qa is None:
            return gr.skip()
        try:
            return format_passages(question, self.qa.retrieve(question, k=int(k)), self.qa.ask(question))
        except ArticleQAError:
            return gr.skip()


def build_demo(qa: ArticleQA | None, load_error: str = "") -> gr.Blocks:
    """The whole app around one engine (``None`` means the index failed to load)."""
    handlers = ChatApp(qa, load_error)

    with gr.Blocks(title=TITLE, analytics_enabled=False) as demo:
        gr.HTML(format_header(qa, load_error))
        last_question = gr.State("")
        with gr.Row(equal_height=False):
            with gr.Column(scale=3, min_width=420):
                chatbot = gr.Chatbot(
                    label="Chat", show_label=False, height=560, elem_id="aqa-chat", latex_delimiters=[],
                    feedback_options=None, buttons=["copy"], placeholder=(
                        "Ask in 繁體中文, 简体中文 or English. Every answer quotes the article, "
                        "and [n] marks point to the passages it came from."),
                )
                with gr.Row():
                    question = gr.Textbox(
                        placeholder="Ask a question about the article…", show_label=False, scale=5,
                        max_lines=4, elem_id="aqa-question",
                    )
                    send = gr.Button("Send", variant="primary", scale=1, min_width=90, elem_id="aqa-send")
                examples = gr.Examples(EXAMPLES, inputs=question, label="Examples (click one to ask it)")
            with gr.Column(scale=2, min_width=320):
                k = gr.Slider(1, MAX_K, value=DEFAULT_K, step=1, label="Passages to show",
                              info="How many retrieved passages the panel below lists.")
                with gr.Accordion("Retrieved passages for the last question", open=True):
                    panel = gr.HTML(format_passages("", []), elem_id="aqa-panel")

        # UI events are private: the public API and the MCP tools are `ask` and `retrieve` only.
        chat_io = dict(fn=handlers.respond, inputs=[question, chatbot, k],
                       outputs=[chatbot, panel, question, last_question], api_visibility="private")
        question.submit(**chat_io)
        send.click(**chat_io)
        examples.load_input_event.then(**chat_io)
        k.change(handlers.refresh_panel, [last_question, k], panel, api_visibility="private")
        chatbot.clear(lambda: (format_passages("", []), ""), None, [panel, last_question], api_visibility="private")

        gr.api(handlers.ask, api_name="ask")
        gr.api(handlers.retrieve, api_name="retrieve")

    demo.queue(default_concurrency_limit=CONCURRENCY_LIMIT, max_size=QUEUE_MAX_SIZE)
    return demo


LAUNCH_KWARGS = dict(mcp_server=True, theme=THEME, css=CSS, footer_links=["api", "gradio"], show_error=False)

qa, load_error = load_engine()
demo = build_demo(qa, load_error)


def serve(**kwargs):
    """``demo.launch`` with the app's settings; host/port come from GRADIO_SERVER_* unless given."""
    return demo.launch(**{**LAUNCH_KWARGS, **kwargs})


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    serve()
