"""The Gradio chat UI, its two API/MCP endpoints, and its HTML.

``build_demo(slot)`` returns the app around the default article's
:class:`~article_qa.engines.EngineSlot`; ``python app.py`` launches it with
:data:`LAUNCH_KWARGS` and ``article-qa serve`` mounts it with :data:`MOUNT_KWARGS`.

* ``ask(question)``         -> ``Answer.to_dict()`` for the default article
* ``retrieve(question, k)`` -> the ``k`` best passages (list of dicts)

Visitors may bring their own article (upload or paste); it is indexed for
their browser session only (:mod:`article_qa.sessions`). The API and MCP
tools always answer about the default article.
"""

from __future__ import annotations

import atexit
import html
import json
import logging
import os
import re
from itertools import groupby
from typing import Any

# Gradio's queue rebuilds a pandas summary of up to 10,000 past events after
# every request (for its optional monitoring page): ~10-30 ms of CPU each,
# more than an answer costs. Refresh it every 1,000 events instead.
os.environ.setdefault("GRADIO_ANALYTICS_CACHE_FREQUENCY", "1000")

import gradio as gr  # noqa: E402

from .engines import EngineSlot  # noqa: E402
from .errors import ArticleQAError  # noqa: E402
from .qa import ArticleQA  # noqa: E402
from .records import Answer, Passage, Response  # noqa: E402
from .sessions import MAX_UPLOAD_BYTES, SUFFIXES, ArticleInfo, ArticleSessions, describe_article, text_language  # noqa: E402,E501

log = logging.getLogger("article_qa.ui")

TITLE = "article-qa"
DEFAULT_K = 3
MAX_K = 10
# The engine is thread-safe and answers in ~10 ms; the embedder serialises
# itself, so a handful of worker threads keeps the CPU busy without thrashing.
CONCURRENCY_LIMIT = int(os.environ.get("ARTICLE_QA_CONCURRENCY", "8"))
QUEUE_MAX_SIZE = 256
# Building an index embeds every sentence: one build at a time keeps a small
# Space answering questions meanwhile; further uploads wait in the queue.
BUILD_CONCURRENCY = 1
INTERNAL_ERROR = "Something went wrong while answering. Please try again."
EVICTED = ("Your article was unloaded to make room for other visitors' articles. "
           "Upload it again, or go back to the default article.")


# ------------------------------------------------------------ formatting ---
def esc(text: Any) -> str:
    """Article or user text made inert for HTML and Markdown."""
    return html.escape(str(text), quote=True)


def _clip(spans, passage: Passage) -> list[tuple[int, int]]:
    """Article spans that overlap ``passage``, as offsets into its text."""
    local = []
    for start, end in spans:
        start, end = max(start - passage.start, 0), min(end - passage.start, len(passage.text))
        if start < end:
            local.append((start, end))
    return local


def highlight(passage: Passage, quoted: list[tuple[int, int]], short: tuple[int, int] | None = None) -> str:
    """The passage as escaped HTML: the article spans in ``quoted`` in one
    ``<mark>`` each, the ``short`` answer span in ``<strong class="aqa-short">``.

    Spans are ``(start, end)`` offsets into the article, like ``passage.start``.
    """
    text = passage.text
    quote_local, short_local = _clip(quoted, passage), _clip([short] if short else [], passage)
    cuts = sorted({0, len(text), *(x for span in quote_local + short_local for x in span)})

    def inside(spans, pos):
        return any(start <= pos < end for start, end in spans)

    pieces = [(inside(quote_local, a), inside(short_local, a), text[a:b]) for a, b in zip(cuts, cuts[1:])]
    out = []
    for quoted_run, run in groupby(pieces, key=lambda piece: piece[0]):
        inner = "".join(f'<strong class="aqa-short">{esc(t)}</strong>' if is_short else esc(t)
                        for _, is_short, t in run)
        out.append(f"<mark>{inner}</mark>" if quoted_run else inner)
    return "".join(out)


def passage_label(passage: Passage) -> str:
    """``section · paragraph n``, escaped; no section label when the passage has none."""
    where = f'<span class="aqa-para">paragraph {int(passage.paragraph)}</span>'
    return f"{esc(passage.section)} · {where}" if passage.section else where


def _cite_marks(escaped: str) -> str:
    return re.sub(r"\[(\d{1,2})\]", r'<sup class="aqa-cite">[\1]</sup>', escaped)


# A short answer that is most of its sentence (the engine falls back to the
# sentence itself when no phrase stands out) is not repeated above the quote.
SHORT_ANSWER_MAX_SHARE = 0.8


def short_answer_stands_out(answer: Answer) -> bool:
    """Whether the short answer is a phrase worth showing apart from its sentence."""
    if not answer.short_answer or not answer.short_span:
        return False
    start, end = answer.short_span
    for _, sentence_start, sentence_end in answer.evidence:
        if sentence_start <= start and end <= sentence_end:
            return end - start < SHORT_ANSWER_MAX_SHARE * (sentence_end - sentence_start)
    return True


def _quote_html(answer: Answer) -> str:
    """The quoted sentence(s) with [n] marks, the short answer marked where it first appears."""
    text = answer.text
    if short_answer_stands_out(answer) and answer.short_answer in text:
        before, _, after = text.partition(answer.short_answer)
        return (_cite_marks(esc(before)) + f'<strong class="aqa-short">{esc(answer.short_answer)}</strong>'
                + _cite_marks(esc(after)))
    return _cite_marks(esc(text))


def format_question(question: str) -> str:
    """The user's chat bubble: their text, shown as text."""
    return f'<div class="aqa-question">{esc(question)}</div>'


CLOSEST = {
    "zh-Hant": "最接近的段落(並未回答這個問題):",
    "zh-Hans": "最接近的段落(并未回答这个问题):",
    "en": "The closest passages (they do not answer the question):",
}


def format_answer(answer: Answer, closest: tuple[Passage, ...] = (), question: str = "") -> str:
    """The assistant's chat bubble: the short answer in bold, the quote with
    [n] marks, and one compact label per cited passage (the passages
    themselves are in the side panel). A decline names the closest passages.

    One HTML block with no blank line, so Markdown leaves the (escaped) article text alone.
    """
    parts = [f'<div class="aqa-note">ℹ️ {esc(answer.note)}</div>'] if answer.note else []
    if not answer.found:
        parts.append(f'<div class="aqa-answer aqa-notfound">{esc(answer.text)}</div>')
        if closest:
            labels = "".join(f'<li><span class="aqa-num">#{rank}</span> {passage_label(p)}</li>'
                             for rank, p in enumerate(closest, start=1))
            parts.append(f'<div class="aqa-closest">{esc(CLOSEST[text_language(question)])}'
                         f'<ul class="aqa-labels">{labels}</ul></div>')
        return '<div class="aqa-reply">' + "".join(parts) + "</div>"
    if short_answer_stands_out(answer):
        parts.append(f'<p class="aqa-short-answer"><strong>{esc(answer.short_answer)}</strong></p>')
    parts.append(f'<blockquote class="aqa-answer">{_quote_html(answer)}</blockquote>')
    labels = "".join(f'<li><span class="aqa-num">[{n}]</span> {passage_label(p)}</li>'
                     for n, p in enumerate(answer.passages, start=1))
    parts.append(f'<ul class="aqa-labels aqa-sources">{labels}</ul>')
    return '<div class="aqa-reply">' + "".join(parts) + "</div>"


def format_error(message: str) -> str:
    return f'<div class="aqa-reply aqa-error">⚠️ {esc(message)}</div>'


def panel_passages(response: Response, k: int) -> list[Passage]:
    """The first ``k`` passages, plus any cited one ranked below them: a cited passage is always shown."""
    shown = list(response.passages[:k])
    shown += [p for p in response.answer.passages if p not in shown]
    return shown


def format_passages(question: str, response: Response | None, k: int = DEFAULT_K) -> str:
    """The side panel: the passages retrieved for the last question, cited ones flagged and highlighted."""
    if response is None:
        return '<div class="aqa-panel-empty">Ask a question to see the passages it was matched with.</div>'
    answer = response.answer
    cited = {p.chunk_id: n for n, p in enumerate(answer.passages, start=1)} if answer.found else {}
    cards = []
    short = answer.short_span if short_answer_stands_out(answer) else None
    for rank, passage in enumerate(panel_passages(response, k), start=1):
        number = cited.get(passage.chunk_id)
        quoted = [(s, e) for index, s, e in answer.evidence if index == (number or 0) - 1]
        badge = f'<span class="aqa-cited-badge">cited [{number}]</span>' if number else ""
        cards.append(
            f'<div class="aqa-passage{" aqa-is-cited" if number else ""}"><div class="aqa-source-head">'
            f'<span class="aqa-num">#{rank}</span><span class="aqa-where">{passage_label(passage)}</span>{badge}'
            f'<span class="aqa-score">score {passage.score:.3f}</span></div>'
            f'<div class="aqa-source-text">{highlight(passage, quoted, short if number else None)}'
            f"</div></div>")
    if answer.found:
        head = f'<div class="aqa-panel-q">Top {len(cards)} for: <q>{esc(question)}</q></div>'
    else:
        head = (f'<div class="aqa-panel-q aqa-unanswered">The closest {len(cards)} for <q>{esc(question)}</q>'
                " — none of them answers it</div>")
    return '<div class="aqa-panel">' + head + "".join(cards) + "</div>"


def format_header(info: ArticleInfo | None, load_error: str = "", *, uploaded: bool = False) -> str:
    """App title, the article's title and size, and a loud banner if the default index did not load."""
    if info is None:
        return (f'<div class="aqa-header"><h1>{esc(TITLE)}</h1>'
                f'<div class="aqa-load-error" role="alert"><strong>The article index could not be loaded.</strong> '
                f"{esc(load_error)}</div></div>")
    about = " ".join(x for x in (info.byline, info.source_line) if x)
    kind = "Your article" if uploaded else "Article"
    return (f'<div class="aqa-header"><h1>{esc(TITLE)}</h1>'
            f'<p class="aqa-about">Answers questions about one article by quoting it, with numbered citations.</p>'
            f'<p class="aqa-article"><span class="aqa-kind">{kind}:</span> <strong class="aqa-title">'
            f'{esc(info.title)}</strong> <span class="aqa-size">· {info.chars:,} characters · '
            f'{info.passages:,} passages</span>{" · " + esc(about) if about else ""}</p></div>')


def format_status(message: str, *, error: bool = False) -> str:
    """The line under the upload box: what was built, or why it was not."""
    if not message:
        return ""
    if error:
        return f'<div class="aqa-status aqa-error" role="alert">⚠️ {esc(message)}</div>'
    return f'<div class="aqa-status">{esc(message)}</div>'


def format_hint(message: str) -> str:
    """An inline note under the question box (in place of a toast that would cover the page)."""
    return f'<div class="aqa-hint" role="status">{esc(message)}</div>' if message else ""


BUILD_STAGES = {"ingest": (0.0, 0.05), "chunk": (0.05, 0.1), "embed": (0.1, 0.9), "index": (0.9, 0.98),
                "done": (1.0, 1.0)}


def build_fraction(message: str) -> float | None:
    """How far a build is, from one of its progress lines (``embed: 256/1000 sentences``).

    Embedding is most of the time: its ``a/b`` counts fill the bar, chunks first, then sentences.
    """
    stage = message.split(":", 1)[0].strip().lower()
    if stage not in BUILD_STAGES:
        return None
    start, end = BUILD_STAGES[stage]
    counted = re.search(r"(\d+)/(\d+)", message)
    if not counted or int(counted.group(2)) == 0:
        return start
    share = int(counted.group(1)) / int(counted.group(2))
    if stage == "embed":  # two passes: chunks fill the first third, sentences the rest
        start, end = (start, start + (end - start) / 3) if "chunk" in message else (start + (end - start) / 3, end)
    return start + (end - start) * min(share, 1.0)


# -------------------------------------------------------------- handlers ---
def rejected(message: str) -> gr.Error:
    """A user-input error for the API/MCP caller: one WARNING line in the
    log, no traceback (Gradio prints one for every gr.Error by default)."""
    log.warning("rejected: %s", message)
    return gr.Error(message, print_exception=False)


class ChatApp:
    """The handlers around the default article's slot and the visitors' own articles.

    ``ask`` and ``retrieve`` are the public API/MCP endpoints; their names,
    type hints and docstrings are what an agent sees (Gradio reads one line per
    argument under ``Args:``, hence the long lines).
    """

    def __init__(self, slot: EngineSlot, sessions: ArticleSessions) -> None:
        self.slot = slot
        self.sessions = sessions

    def default_engine(self) -> ArticleQA:
        try:
            return self.slot.get()
        except ArticleQAError as error:
            raise ArticleQAError(f"The article index could not be loaded: {error}") from None

    def default_info(self) -> ArticleInfo:
        qa = self.default_engine()
        return describe_article(qa, os.path.basename(qa.manifest.source_path) or "article")

    def engine(self, article_key: str) -> ArticleQA:
        """The session's own article when it has one ("" means the default article)."""
        if not article_key:
            return self.default_engine()
        entry = self.sessions.get(article_key)
        if entry is None:
            raise ArticleQAError(EVICTED)
        return entry.qa

    # ---- API / MCP endpoints ----------------------------------------------
    def ask(self, question: str) -> dict:
        """Answer a question about the article by quoting it, with numbered citations.

        The answer is extractive: `text` is one or two sentences copied verbatim
        from the article, each followed by a citation mark such as [1]; passage
        [n] is `passages[n-1]`. `short_answer` is the exact phrase that answers, when one stands out. When the article does not answer the question,
        `found` is false and `text` says so in the question's language
        (Traditional Chinese, Simplified Chinese or English).

        Args:
            question: The question, in Chinese (Traditional or Simplified) or English. Longer than 500 characters is shortened (see `note`).

        Returns:
            A dict with `found` (bool), `short_answer` (the exact answering phrase, or ""), `short_span` ([start, end] of it in the article, or null), `text` (the quoted answer with [n] marks, or the not-found message), `passages` (the cited passages: text, score, chunk_id, section, paragraph, start, end), `evidence` ([passage_index, sentence_start, sentence_end] character offsets into the article for each quoted sentence) and `note` (e.g. that the question was shortened).
        """
        try:
            return self.default_engine().ask(question).to_dict()
        except ArticleQAError as error:
            raise rejected(str(error)) from None
        except Exception:
            log.exception("ask failed")
            raise gr.Error(INTERNAL_ERROR, print_exception=False) from None  # logged just above

    def retrieve(self, question: str, k: int = DEFAULT_K) -> list[dict]:
        """Find the passages of the article that best match a question, best first.

        Use this to read the article's own wording around a topic; use `ask` for a quoted answer.

        Args:
            question: What to look for, in Chinese (Traditional or Simplified) or English.
            k: How many passages to return (at least 1).

        Returns:
            A list of passages, each a dict with `text`, `score` (fused relevance), `chunk_id`, `section` (heading; empty before the first heading), `paragraph` (number), and `start`/`end` (character offsets into the article).
        """
        try:
            k = int(k)
        except (TypeError, ValueError):
            raise rejected("k must be a whole number of at least 1.") from None
        try:
            return [p.to_dict() for p in self.default_engine().retrieve(question, k=k)]
        except ArticleQAError as error:
            raise rejected(str(error)) from None
        except Exception:
            log.exception("retrieve failed")
            raise gr.Error(INTERNAL_ERROR, print_exception=False) from None  # logged just above

    # ---- chat --------------------------------------------------------------
    def respond(self, question: str, history: list | None, k: float, article_key: str = ""):
        """One chat turn -> (history, side panel, question box, last turn, hint).

        One engine pass with ``MAX_K`` passages: the slider re-renders the panel from them.
        """
        history = list(history or [])
        question = question if isinstance(question, str) else ""
        try:
            response = self.engine(article_key).respond(question, k=MAX_K)
        except ArticleQAError as error:
            if not question.strip():  # nothing typed: say so under the box, add no bubble
                return history, gr.skip(), question, gr.skip(), format_hint(str(error))
            reply, panel, last = format_error(str(error)), gr.skip(), gr.skip()
        except Exception:
            log.exception("chat reply failed")
            reply, panel, last = format_error(INTERNAL_ERROR), gr.skip(), gr.skip()
        else:
            closest = () if response.answer.found else response.passages[:int(k)]
            reply = format_answer(response.answer, closest, question)
            panel, last = format_passages(question, response, int(k)), (question, response)
        history += [{"role": "user", "content": format_question(question)},
                    {"role": "assistant", "content": reply}]
        return history, panel, "", last, ""

    def ask_example(self, sample: list, history: list | None, k: float, article_key: str = ""):
        return self.respond(str(sample[0]) if sample else "", history, k, article_key)

    @staticmethod
    def reslice(k: float, last: tuple[str, Response] | None):
        """The side panel again after the slider moved, from the last turn's passages (no engine call)."""
        if not last:
            return gr.skip()
        question, response = last
        return format_passages(question, response, int(k))

    # ---- the visitor's own article -----------------------------------------
    def use_upload(self, path: str | None, request: gr.Request, progress=gr.Progress()):
        if not path:
            return (gr.skip(),) * 9
        key = request.session_hash
        return self._use(key, lambda report: self.sessions.build_from_file(key, path, progress=report), progress)

    def use_pasted_text(self, text: str, request: gr.Request, progress=gr.Progress()):
        key = request.session_hash
        return self._use(key, lambda report: self.sessions.build_from_text(key, text, progress=report), progress)

    def _use(self, key: str, build, progress):
        def report(message: str) -> None:
            progress(build_fraction(message), desc=message)

        try:
            entry = build(report)
        except ArticleQAError as error:  # the current article stays as it was
            return self._refused(str(error))
        except Exception:
            log.exception("building an uploaded article failed")
            return self._refused(INTERNAL_ERROR)
        status = f"Ready: {entry.info.title} ({entry.info.passages:,} passages). Ask away."
        return self._switch(entry.info, key, uploaded=True, status=status)

    def use_default(self, request: gr.Request):
        self.sessions.drop(request.session_hash)
        try:
            info = self.default_info()
        except ArticleQAError as error:
            return ("", format_header(None, str(error)), gr.skip(), [], format_passages("", None), None,
                    "", gr.Button(visible=False), None)
        return self._switch(info, "", uploaded=False, status="")

    @staticmethod
    def _switch(info: ArticleInfo, key: str, *, uploaded: bool, status: str):
        """-> (article key, header, examples, chat, panel, last turn, status, back button, upload box):
        a fresh chat about the article, the upload box emptied for the next file."""
        return (key, format_header(info, uploaded=uploaded), gr.Dataset(samples=[[q] for q in info.examples]),
                [], format_passages("", None), None, format_status(status), gr.Button(visible=uploaded), None)

    @staticmethod
    def _refused(message: str):
        """The build's message under the upload box; everything else as it was."""
        return (gr.skip(),) * 6 + (format_status(message, error=True), gr.skip(), None)

    def end_session(self, request: gr.Request) -> None:
        """The tab closed: its article's engine and folder go now."""
        self.sessions.drop(request.session_hash)


# ------------------------------------------------------------------ MCP ----
def answer_tools_with_json(mcp_server: Any) -> None:
    """Make Gradio's MCP server return a tool's dict or list as JSON text and
    as ``structuredContent``.

    Gradio 6 hands the agent ``str(result)``, a Python repr (``True``, single
    quotes) no JSON parser reads, and its ``gr.mcp.tool(structured_output=True)``
    only wraps that same text; there is no option for JSON. Both hooks below
    are public attributes of Gradio's server object and of the MCP SDK's.
    """
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
            # structuredContent must be an object: a list comes wrapped, as the MCP SDK's own servers do.
            call.structuredContent = value if isinstance(value, dict) else {"result": value}
        return result

    handlers[types.CallToolRequest] = with_structured_content


class _Blocks(gr.Blocks):
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


# ------------------------------------------------------------------- app ---
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
.aqa-notfound { font-style: italic; }
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


def build_demo(slot: EngineSlot, *, sessions: ArticleSessions | None = None) -> gr.Blocks:
    """The whole app around the default article's ``slot`` (opened now; a
    failed load shows its message instead of answers). The queue is set up."""
    if sessions is None:
        sessions = ArticleSessions()
        atexit.register(sessions.close)  # a clean exit leaves no folder; a crash's are removed at the next start
    handlers = ChatApp(slot, sessions)
    load_error = slot.load()
    info = None if load_error else handlers.default_info()
    if info is not None:
        warm_up(slot.get(), info)

    # Gradio keeps each upload in its cache too: clear files older than an hour, every half hour.
    with _Blocks(title=TITLE, analytics_enabled=False, delete_cache=(1800, 3600)) as demo:
        header = gr.HTML(format_header(info, load_error), elem_id="aqa-header")
        # The session's own article ("" = the default); it never leaves the server.
        article_key = gr.State("", delete_callback=handlers.sessions.drop)
        last_turn = gr.State(None)
        with gr.Row(equal_height=False):
            with gr.Column(scale=3, min_width=360):
                chatbot = gr.Chatbot(
                    label="Chat", show_label=False, height=540, elem_id="aqa-chat", latex_delimiters=[],
                    feedback_options=None, buttons=["copy"], placeholder=(
                        "Ask in 繁體中文, 简体中文 or English. Every answer quotes the article, "
                        "and [n] marks point to the passages beside it."))
                with gr.Row():
                    # Widths that fit one row on a 390-pixel phone.
                    question = gr.Textbox(placeholder="Ask a question about the article…", show_label=False,
                                          scale=5, min_width=150, max_lines=4, elem_id="aqa-question")
                    send = gr.Button("Send", variant="primary", scale=1, min_width=64, elem_id="aqa-send")
                    clear = gr.Button("Clear", variant="secondary", scale=0, min_width=60, elem_id="aqa-clear")
                hint = gr.HTML("", elem_id="aqa-hint")
                examples = gr.Dataset(components=[question], samples=[[q] for q in (info.examples if info else ())],
                                      label="Examples (click one to ask it)", elem_id="aqa-examples", type="values")
            with gr.Column(scale=2, min_width=300):
                k = gr.Slider(1, MAX_K, value=DEFAULT_K, step=1, label="Passages to show",
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
        turn = dict(outputs=[chatbot, panel, question, last_turn, hint], api_visibility="private")
        question.submit(handlers.respond, [question, chatbot, k, article_key], **turn)
        send.click(handlers.respond, [question, chatbot, k, article_key], **turn)
        examples.click(handlers.ask_example, [examples, chatbot, k, article_key], **turn)
        k.change(handlers.reslice, [k, last_turn], panel, api_visibility="private")
        clear.click(lambda: ([], format_passages("", None), None, ""), None, [chatbot, panel, last_turn, hint],
                    api_visibility="private")

        switch = [article_key, header, examples, chatbot, panel, last_turn, status, back, upload]
        build = dict(outputs=switch, api_visibility="private", concurrency_limit=BUILD_CONCURRENCY,
                     concurrency_id="article-build", show_progress_on=[status])
        upload.upload(handlers.use_upload, [upload], **build)
        use_pasted.click(handlers.use_pasted_text, [pasted], **build)
        back.click(handlers.use_default, None, switch, api_visibility="private")
        demo.unload(handlers.end_session)

        gr.api(handlers.ask, api_name="ask")
        gr.api(handlers.retrieve, api_name="retrieve")

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
