"""The Gradio event handlers: the two public API/MCP endpoints, the chat
turn, the passage slider, and the visitor's own article.

The endpoints' names, type hints and docstrings are what an agent sees
(Gradio reads one line per argument under ``Args:``, hence the long lines).
Every result has the shape it has over HTTP and in Python's ``to_dict()``:
``ask`` -> ``Answer.to_dict()``, ``retrieve`` -> ``{"passages": [...]}``.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from pathlib import Path

import gradio as gr

from ..conversation import MAX_TURN_CHARS, MAX_TURNS
from ..engines import EngineSlot
from ..errors import ArticleQAError
from ..export import conversation_markdown
from ..feedback import FeedbackLog
from ..qa import ArticleQA
from ..query import clean_question
from ..records import Response
from ..sessions import ArticleInfo, ArticleSessions, describe_article
from ..settings import DEFAULTS
from ..write import join_sentences, writer_from_env
from .formatting import (build_fraction, describe, esc, format_answer, format_error, format_header, format_hint,
                         format_passages, format_question, format_status)

log = logging.getLogger("article_qa.ui")

INTERNAL_ERROR = "Something went wrong while answering. Please try again."
EVICTED = ("Your article was unloaded to make room for other visitors' articles. "
           "Upload it again, or go back to the default article.")


def rejected(message: str) -> gr.Error:
    """A user-input error for the API/MCP caller: one WARNING line in the
    log, no traceback (Gradio prints one for every gr.Error by default)."""
    log.warning("rejected: %s", message)
    return gr.Error(message, print_exception=False)


def format_written(text: str, *, note: str = "", writing: bool = False) -> str:
    """Above the quotes: the writer's checked text ("writing…" while it streams),
    or its note when it fell back to the quotes alone."""
    mark = '<span class="aqa-writing"> ✍️ writing…</span>' if writing else ""
    note = f'<div class="aqa-note">ℹ️ {esc(note)}</div>' if note else ""
    body = f'<div class="aqa-written" style="margin-bottom:.5em">{esc(text)}{mark}</div>' if text or mark else ""
    return note + body


_FROM_ENV = object()  # ChatApp's writer: $ARTICLE_QA_LLM_* unless one (or None) is given


def format_understood(question: str, shape: str = "") -> str:
    """Under a reply: the question that was answered (a follow-up resolved,
    so a wrong reading shows) and the kind of answer given ("as a list of 4 items")."""
    said = " — ".join(part for part in (question, shape) if part)
    return f'<div class="aqa-understood">Answering: {esc(said)}</div>'


class ChatApp:
    """The handlers around the default article's slot and the visitors' own articles.

    ``ask`` and ``retrieve`` are the public API/MCP endpoints.
    """

    def __init__(self, slot: EngineSlot, sessions: ArticleSessions, *, feedback: FeedbackLog | None = None,
                 writer=_FROM_ENV) -> None:
        self.slot = slot
        self.sessions = sessions
        self.feedback = feedback
        self.writer = writer_from_env() if writer is _FROM_ENV else writer  # article_qa.write.Writer or None
        if self.writer is not None:
            # Gradio streams a handler that is a generator function: the chat turn becomes one only
            # with a writer, so without one it is the very function it was.
            self.chat, self.ask_example_in_chat = self.chat_streaming, self.ask_example_in_chat_streaming
        self._exports: Path | None = None  # one folder per process for the Download button's files

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
    def ask(self, question: str, history: list | None = None) -> dict:
        """Answer a question about the article by quoting it, with numbered citations.

        The answer is extractive: `text` is one or two sentences copied verbatim
        from the article, each followed by a citation mark such as [1]; passage
        [n] is `passages[n-1]`. `short_answer` is the exact phrase that answers, or "" when no phrase stands out. When the article does not answer the question,
        `found` is false and `text` says so in the question's language
        (Traditional Chinese, Simplified Chinese or English).

        Args:
            question: The question, in Chinese (Traditional or Simplified) or English. Longer than 500 characters is shortened (see `note`).
            history: Optional earlier turns of the conversation, oldest first: questions, or {"question", "answer"} objects (the short answer); at most 20, each at most 500 characters. A follow-up such as "那三金工程呢?" or "What was its rank?" is resolved against them (see `question` in the result).

        Returns:
            A dict with `found` (bool), `question` (the question as understood), `short_answer` (the exact answering phrase, or ""), `short_span` ([start, end] of it in the article, or null), `text` (the quoted answer with [n] marks, or the not-found message), `passages` (the cited passages: text, score, chunk_id, section, paragraph, start, end), `evidence` ([passage_index, sentence_start, sentence_end] character offsets into the article for each quoted sentence) and `note` (e.g. that the question was shortened).
        """
        return self._call(lambda qa: self._written(
            qa, qa.ask(question, history=history) if history else qa.ask(question)).to_dict(), "ask")

    def retrieve(self, question: str, k: int = DEFAULTS.retrieve_k) -> dict:
        """Find the passages of the article that best match a question, best first.

        Use this to read the article's own wording around a topic; use `ask` for a quoted answer.

        Args:
            question: What to look for, in Chinese (Traditional or Simplified) or English.
            k: How many passages to return, 1 to {max_k}.

        Returns:
            A dict with `passages`: a list, best first, of dicts with `text`, `score` (the relevance they are ordered by), `chunk_id`, `section` (heading; empty before the first heading), `paragraph` (number), and `start`/`end` (character offsets into the article).
        """
        return self._call(lambda qa: {"passages": [p.to_dict() for p in qa.retrieve(question, k=k)]},
                          "retrieve")

    # The bound in the text agents read is the one the engine enforces.
    retrieve.__doc__ = retrieve.__doc__.format(max_k=DEFAULTS.max_k)

    def _written(self, qa: ArticleQA, answer):
        """``answer`` worded by the writer, when one is configured (``written``; else unchanged)."""
        return answer if self.writer is None else self.writer.write(answer, qa.article, glossary=qa.index.glossary)

    def _call(self, work, name: str):
        """``work(default engine)``, its errors as the caller's ``gr.Error``."""
        try:
            return work(self.default_engine())
        except ArticleQAError as error:
            raise rejected(str(error)) from None
        except Exception:
            log.exception("%s failed", name)
            raise gr.Error(INTERNAL_ERROR, print_exception=False) from None  # logged just above

    # ---- chat --------------------------------------------------------------
    def respond(self, question: str, history: list | None, k: float, article_key: str = "",
                earlier: list | None = None):
        """One chat turn -> (history, side panel, question box, last turn, hint).

        One engine pass with the most passages the slider can show: it re-renders the panel from them.
        ``earlier``: the conversation's turns for the engine (see ``chat``).
        """
        history = list(history or [])
        question = question if isinstance(question, str) else ""
        try:
            engine = self.engine(article_key)
            response = engine.respond(question, k=DEFAULTS.max_k, history=earlier) if earlier \
                else engine.respond(question, k=DEFAULTS.max_k)
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

    def chat(self, question: str, history: list | None, k: float, article_key: str, turns: list | None,
             request: gr.Request | None = None):
        """One chat turn that reads the conversation so far: ``respond``'s
        outputs, then the turns (each ``{"question", "answer": Answer.to_dict(),
        "message", "article_sha256"}``) and the Download button's file.

        A follow-up is resolved against the earlier turns as understood; its
        reply says what was answered ("Answering: …"). The turns start again
        whenever the chat is empty (Clear, another article)."""
        turns = list(turns or []) if history else []
        question = question if isinstance(question, str) else ""
        earlier = [{"question": t["answer"]["question"][:MAX_TURN_CHARS],
                    "answer": t["answer"]["short_answer"][:MAX_TURN_CHARS]} for t in turns[-MAX_TURNS:]]
        history, panel, box, last, hint = self.respond(question, history, k, article_key, earlier)
        if isinstance(last, tuple):
            answer = last[1].answer
            turns.append({"question": question, "answer": answer.to_dict(), "message": len(history) - 1,
                          "article_sha256": self._article_sha256(article_key)})
            resolved = answer.question if answer.question and answer.question != clean_question(question)[0] else ""
            if resolved or (answer.found and describe(answer)):
                understood = format_understood(resolved, describe(answer) if answer.found else "")
                history[-1] = {**history[-1], "content": history[-1]["content"] + understood}
        download = self._export(turns, article_key, request) if turns else gr.skip()
        return history, panel, box, last, hint, turns, download

    def ask_example_in_chat(self, sample: list, history: list | None, k: float, article_key: str,
                            turns: list | None, request: gr.Request | None = None):
        return self.chat(str(sample[0]) if sample else "", history, k, article_key, turns, request)

    def chat_streaming(self, question: str, history: list | None, k: float, article_key: str, turns: list | None,
                       request: gr.Request | None = None):
        """``chat`` with the writer (``self.chat`` when one is configured): the quoted
        reply at once, then the written answer above it sentence by sentence as
        each passes the check, then as the writer left it (with a note saying why
        when it fell back to the quotes alone). The quotes stay under it."""
        outputs = ChatApp.chat(self, question, history, k, article_key, turns, request)
        history, panel, box, last, hint, turns, download = outputs
        if not isinstance(last, tuple) or not last[1].answer.found:
            yield outputs
            return
        try:
            engine = self.engine(article_key)
        except ArticleQAError:  # the session's article went meanwhile: the quotes stay as they are
            yield outputs
            return
        quoted, extractive = history[-1]["content"], last[1].answer
        stream = self.writer.stream(extractive, engine.article, glossary=engine.index.glossary)
        yield _with_reply(outputs, format_written("", writing=True) + quoted)
        shown: list[str] = []
        for sentence in stream:
            shown.append(sentence)
            yield _with_reply(outputs, format_written(join_sentences(shown), writing=True) + quoted)
        answer = stream.answer
        note = answer.note[len(extractive.note):].strip() if answer.note.startswith(extractive.note) else answer.note
        turns[-1] = {**turns[-1], "answer": answer.to_dict()}
        last = (last[0], Response(answer=answer, passages=last[1].passages))
        final = (history, panel, box, last, hint, turns, self._export(turns, article_key, request))
        yield _with_reply(final, format_written(answer.written, note=note) + quoted)

    def ask_example_in_chat_streaming(self, sample: list, history: list | None, k: float, article_key: str,
                                      turns: list | None, request: gr.Request | None = None):
        yield from self.chat_streaming(str(sample[0]) if sample else "", history, k, article_key, turns, request)

    def _article_sha256(self, article_key: str) -> str:
        try:
            return self.engine(article_key).manifest.source_sha256
        except ArticleQAError:
            return ""

    def _export(self, turns: list, article_key: str, request: gr.Request | None):
        """The conversation as Markdown, written where the Download button serves it from."""
        if self._exports is None:
            self._exports = Path(tempfile.mkdtemp(prefix="article-qa-exports-"))
        folder = self._exports / ((request.session_hash if request is not None else "") or "local")
        folder.mkdir(parents=True, exist_ok=True)
        try:
            title = os.path.basename(self.engine(article_key).manifest.source_path)
        except ArticleQAError:
            title = ""
        path = folder / "conversation.md"
        path.write_text(conversation_markdown(turns, title=title), encoding="utf-8")
        return gr.update(value=str(path), interactive=True)

    def vote(self, turns: list | None, like: gr.LikeData) -> None:
        """👍/👎 on a reply: one JSON line in the feedback file (when one is set)."""
        if self.feedback is None:
            return
        turn = next((t for t in turns or [] if t["message"] == like.index), None)
        if turn is None:  # an error bubble, or a reply from before the last Clear
            return
        self.feedback.record(question=turn["question"], answer=turn["answer"], article_sha256=turn["article_sha256"],
                             liked=like.liked is True or like.liked == "Like")

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
        """The tab closed: its article's engine and folder go now, and its exported conversation."""
        self.sessions.drop(request.session_hash)
        if self._exports is not None and request.session_hash:
            shutil.rmtree(self._exports / request.session_hash, ignore_errors=True)


def _with_reply(outputs: tuple, content: str) -> tuple:
    """``chat``'s outputs with the last bubble's content replaced."""
    history = list(outputs[0])
    history[-1] = {**history[-1], "content": content}
    return (history, *outputs[1:])
