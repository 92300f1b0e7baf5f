"""The app's layout and look: the Blocks, the events that wire them to the
handlers, the CSS and theme, and the launch/mount settings.

``build_demo(slot)`` returns the app around the default article's
:class:`~article_qa.engines.EngineSlot`; ``python app.py`` launches it with
:data:`LAUNCH_KWARGS` and ``article-qa serve`` mounts it with :data:`MOUNT_KWARGS`.
"""

from __future__ import annotations

import atexit
import logging

import gradio as gr

from ..engines import EngineSlot
from ..feedback import FeedbackLog
from ..qa import ArticleQA
from ..sessions import MAX_UPLOAD_BYTES, SUFFIXES, ArticleInfo, ArticleSessions
from ..server import ENGINE_CONCURRENCY
from ..settings import DEFAULTS
from .formatting import TITLE, format_header, format_passages
from .handlers import ChatApp
from .mcp_json import JsonMcpBlocks

log = logging.getLogger("article_qa.ui")

# Every event that answers (the `ask` and `retrieve` endpoints, hence the MCP
# tools, and the chat turn) shares one concurrency group: at most one answer
# per core at once (`ARTICLE_QA_CONCURRENCY`; the same limit as /v1, see
# server.ENGINE_CONCURRENCY), the rest wait in the queue in order. With the
# reader on, more at once bought no answers a second on 2 cores and held
# ~25 MB more each; a hundred waiting answers drain in a few seconds.
CONCURRENCY_LIMIT = ENGINE_CONCURRENCY
ENGINE_EVENTS = dict(concurrency_id="engine", concurrency_limit=CONCURRENCY_LIMIT)
QUEUE_MAX_SIZE = 256
# Building an index embeds every sentence: one build at a time keeps a small
# Space answering questions meanwhile; further uploads wait in the queue.
BUILD_CONCURRENCY = 1

CSS = """
/* The chat's own trash icon sits over the first message's copy button: the Clear button replaces it. */
#aqa-chat button[aria-label="Clear"] { display: none; }
.aqa-header h1 { margin: 0 0 .1em 0; font-size: 1.6em; }
.aqa-header p { margin: 0; }
.aqa-about { color: var(--body-text-color-subdued); }
.aqa-article { margin-top: .2em !important; }
.aqa-kind, .aqa-size { color: var(--body-text-color-subdued); }
.aqa-load-error { margin-top: .5em; padding: .8em 1em; border-radius: 8px; background: #fdecea;
  color: #8a1c12; border: 1px solid #f5c2bd; font-size: 1.05em; }
.aqa-short-answer { margin: 0 0 .3em 0 !important; font-size: 1.15em; }
.aqa-short-answer strong { color: var(--body-text-color); }
#aqa-chat .aqa-reply blockquote.aqa-answer { margin: 0 0 .4em 0 !important; padding: .2em .8em !important;
  border-left: 4px solid #3b82f6; font-size: 1.05em; line-height: 1.6; color: var(--body-text-color) !important;
  font-style: normal; }
strong.aqa-short { background: #bfdbfe; color: inherit; border-radius: 2px; padding: 0 .1em; }
.aqa-cite { color: #1d4ed8; font-weight: 600; }
.aqa-answer.aqa-not-found { font-style: italic; }
.aqa-closest { margin-top: .3em; font-size: .9em; color: var(--body-text-color-subdued); }
ul.aqa-labels { list-style: none; padding-left: 0 !important; margin: .2em 0 0 0 !important; font-size: .85em;
  color: var(--body-text-color-subdued); }
ul.aqa-labels li { margin: 0 !important; }
.aqa-note { font-size: .9em; color: var(--body-text-color-subdued); margin-bottom: .4em; }
.aqa-error { color: #b42318; }
.aqa-passage { margin: .4em 0; padding: .45em .6em; border-radius: 6px;
  background: var(--background-fill-secondary); border: 1px solid var(--border-color-primary); }
.aqa-passage.aqa-is-cited { border-color: #3b82f6; }
.aqa-source-head { display: flex; align-items: baseline; gap: .4em; font-size: .85em; font-weight: 600;
  color: var(--body-text-color-subdued); margin-bottom: .2em; }
.aqa-where { flex: 1 1 auto; min-width: 0; overflow-wrap: anywhere; }
.aqa-num, .aqa-para { white-space: nowrap; }
.aqa-num { color: #1d4ed8; }
.aqa-cited-badge { white-space: nowrap; color: #fff; background: #3b82f6; border-radius: 4px; padding: 0 .35em;
  font-weight: 600; }
.aqa-score { white-space: nowrap; font-weight: 400; }
.aqa-source-text { font-size: .92em; line-height: 1.55; }
.aqa-source-text mark { background: #fde68a; color: inherit; padding: 0 .1em; border-radius: 2px; }
.aqa-panel-q { font-size: .9em; margin-bottom: .4em; }
.aqa-panel-empty, .aqa-hint, .aqa-status { color: var(--body-text-color-subdued); font-size: .9em; }
.aqa-hint { color: #b45309; padding: 0 .2em; }
.aqa-status.aqa-error { color: #b42318; }
.aqa-understood { margin-top: .3em; font-size: .85em; color: var(--body-text-color-subdued); }
"""

THEME = gr.themes.Soft(
    primary_hue="blue",
    font=["Noto Sans CJK TC", "Noto Sans TC", "PingFang TC", "Microsoft JhengHei", "system-ui", "sans-serif"],
    font_mono=["ui-monospace", "monospace"],
)

# What gr.Blocks.launch and gr.mount_gradio_app both take; Gradio refuses larger uploads before they land on disk.
LAUNCH_KWARGS = dict(mcp_server=True, theme=THEME, css=CSS, footer_links=["api", "gradio"], show_error=False,
                     max_file_size=MAX_UPLOAD_BYTES)
MOUNT_KWARGS = LAUNCH_KWARGS


def build_demo(slot: EngineSlot, *, sessions: ArticleSessions | None = None,
               feedback: FeedbackLog | None = None) -> gr.Blocks:
    """The whole app around the default article's ``slot`` (opened now; a
    failed load shows its message instead of answers). The queue is set up.
    ``feedback`` (default: ``$ARTICLE_QA_FEEDBACK``, else off) shows 👍/👎 on
    each reply and appends the votes to its file."""
    if sessions is None:
        sessions = ArticleSessions()
        atexit.register(sessions.close)  # a clean exit leaves no folder; a crash's are removed at the next start
    feedback = feedback if feedback is not None else FeedbackLog.from_env()
    handlers = ChatApp(slot, sessions, feedback=feedback)
    load_error = slot.load()
    info = None if load_error else handlers.default_info()
    if info is not None:
        warm_up(slot.get(), info)

    # Gradio keeps each upload in its cache too: clear files older than an hour, every half hour.
    with JsonMcpBlocks(title=TITLE, analytics_enabled=False, delete_cache=(1800, 3600)) as demo:
        header = gr.HTML(format_header(info, load_error), elem_id="aqa-header")
        # The session's own article ("" = the default); it never leaves the server.
        article_key = gr.State("", delete_callback=handlers.sessions.drop)
        last_turn = gr.State(None)
        turns = gr.State([])  # the conversation as answered, for follow-ups, the download and the votes
        with gr.Row(equal_height=False):
            with gr.Column(scale=3, min_width=360):
                chatbot = gr.Chatbot(
                    label="Chat", show_label=False, height=540, elem_id="aqa-chat", latex_delimiters=[],
                    feedback_options=("Like", "Dislike") if feedback else None, buttons=["copy"], placeholder=(
                        "Ask in 繁體中文, 简体中文 or English. Every answer quotes the article, "
                        "and [n] marks point to the passages beside it."))
                with gr.Row():
                    # Widths that fit one row on a 390-pixel phone.
                    question = gr.Textbox(placeholder="Ask a question about the article…", show_label=False,
                                          scale=5, min_width=150, max_lines=4, elem_id="aqa-question")
                    send = gr.Button("Send", variant="primary", scale=1, min_width=64, elem_id="aqa-send")
                    clear = gr.Button("Clear", variant="secondary", scale=0, min_width=60, elem_id="aqa-clear")
                download = gr.DownloadButton("Download the conversation (Markdown)", value=None, interactive=False,
                                             size="sm", variant="secondary", elem_id="aqa-download")
                hint = gr.HTML("", elem_id="aqa-hint")
                examples = gr.Dataset(components=[question], samples=[[q] for q in (info.examples if info else ())],
                                      label="Examples (click one to ask it)", elem_id="aqa-examples", type="values")
            with gr.Column(scale=2, min_width=300):
                k = gr.Slider(1, DEFAULTS.max_k, value=DEFAULTS.retrieve_k, step=1, label="Passages to show",
                              info="How many retrieved passages the panel lists.", elem_id="aqa-k")
                with gr.Accordion("Passages for the last question", open=True):
                    panel = gr.HTML(format_passages("", None), elem_id="aqa-panel")
                with gr.Accordion("Use your own article", open=True, elem_id="aqa-own"):
                    upload = gr.File(label=f"Upload {' '.join(SUFFIXES)} (up to {MAX_UPLOAD_BYTES // 2**20} MB)",
                                     file_types=list(SUFFIXES), type="filepath", elem_id="aqa-upload")
                    # Right under the upload box: the build's progress bar and any refusal show where the file went.
                    status = gr.HTML("", elem_id="aqa-article-status")
                    pasted = gr.Textbox(label="…or paste its text", lines=4, max_lines=12, elem_id="aqa-paste")
                    use_pasted = gr.Button("Use the pasted text", elem_id="aqa-paste-send")
                    back = gr.Button("Back to the default article", visible=False, elem_id="aqa-default")

        # UI events are private: the public API and the MCP tools are `ask` and `retrieve` only.
        turn = dict(outputs=[chatbot, panel, question, last_turn, hint, turns, download], api_visibility="private",
                    **ENGINE_EVENTS)
        question.submit(handlers.chat, [question, chatbot, k, article_key, turns], **turn)
        send.click(handlers.chat, [question, chatbot, k, article_key, turns], **turn)
        examples.click(handlers.ask_example_in_chat, [examples, chatbot, k, article_key, turns], **turn)
        k.change(handlers.reslice, [k, last_turn], panel, api_visibility="private")
        cleared = ([], format_passages("", None), None, "", [], gr.update(value=None, interactive=False))
        clear.click(lambda: cleared, None, [chatbot, panel, last_turn, hint, turns, download], api_visibility="private")
        if feedback:
            chatbot.like(handlers.vote, [turns], None, api_visibility="private")

        switch = [article_key, header, examples, chatbot, panel, last_turn, status, back, upload]
        build = dict(outputs=switch, api_visibility="private", concurrency_limit=BUILD_CONCURRENCY,
                     concurrency_id="article-build", show_progress_on=[status])
        upload.upload(handlers.use_upload, [upload], **build)
        use_pasted.click(handlers.use_pasted_text, [pasted], **build)
        back.click(handlers.use_default, None, switch, api_visibility="private")
        demo.unload(handlers.end_session)

        # `ask` with the question alone (its older shape) answers over raw HTTP too: JsonMcpBlocks fills in
        # the defaults of the parameters a call leaves out.
        gr.api(handlers.ask, api_name="ask", **ENGINE_EVENTS)
        gr.api(handlers.retrieve, api_name="retrieve", **ENGINE_EVENTS)

    demo.queue(default_concurrency_limit=CONCURRENCY_LIMIT, max_size=QUEUE_MAX_SIZE)
    return demo


def warm_up(qa: ArticleQA, info: ArticleInfo) -> None:
    """One question now, so the first visitor does not pay for first-call set-up."""
    try:
        qa.ask(info.examples[0] if info.examples else info.title)
    except Exception:  # every question will report it; the app must still start
        log.exception("The warm-up question failed")


def launch(demo: gr.Blocks, **kwargs):
    """``demo.launch`` with the app's settings; host/port come from GRADIO_SERVER_* unless given."""
    return demo.launch(**{**LAUNCH_KWARGS, **kwargs})
