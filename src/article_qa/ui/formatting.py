"""The chat UI's HTML: the question and answer bubbles, the passage panel,
the header, the status and hint lines, and the build's progress fraction.

Every piece of article or user text goes through :func:`esc`; nothing here
imports Gradio.
"""

from __future__ import annotations

import html
import re
from itertools import groupby
from typing import Any

from ..query import question_language
from ..records import Answer, Passage, Response
from ..sessions import ArticleInfo
from ..settings import DEFAULTS

TITLE = "article-qa"

CLOSEST = {
    "zh-Hant": "最接近的段落(並未回答這個問題):",
    "zh-Hans": "最接近的段落(并未回答这个问题):",
    "en": "The closest passages (they do not answer the question):",
}


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


def _quote_html(answer: Answer) -> str:
    """The quoted sentence(s) with [n] marks, the short answer marked where it first appears."""
    if answer.kind == "gist":
        return _gist_html(answer)
    text = answer.text
    if answer.short_answer and answer.short_answer in text:
        before, _, after = text.partition(answer.short_answer)
        return (_cite_marks(esc(before)) + f'<strong class="aqa-short">{esc(answer.short_answer)}</strong>'
                + _cite_marks(esc(after)))
    return _cite_marks(esc(text))


def _list_html(answer: Answer) -> str:
    """A list answer: the quoted sentences that are no item (the lead-in) as
    a quote, then the items as a numbered list, each with its [n]. A list
    inside one sentence shows that sentence whole above its items."""
    items = {(item.start, item.end) for item in answer.items}
    lead = " ".join(f"{text}[{n}]" for text, n, start, end in answer.quoted() if (start, end) not in items)
    rows = "".join(f'<li>{esc(item.text)}<sup class="aqa-cite">[{item.citation}]</sup></li>' for item in answer.items)
    head = f'<blockquote class="aqa-answer aqa-list">{_cite_marks(esc(lead))}</blockquote>' if lead else ""
    return f'{head}<ol class="aqa-items">{rows}</ol>'


def _kind_class(answer: Answer) -> str:
    """A summary or a reason is styled as a paragraph of its own kind; a fact as before."""
    return "" if answer.kind == "fact" else f" aqa-{esc(answer.kind)}"


def describe(answer: Answer) -> str:
    """What kind of answer the engine understood the question to want, for the "Answering: …" line."""
    if answer.kind == "list" and answer.items:
        return f"as a list of {len(answer.items)} items"
    if answer.kind == "gist":
        return "a summary of the article"
    if answer.kind == "reason":
        return "the reason, with the sentences that give it"
    if answer.kind == "manner":
        return "how, with the sentences that give the steps"
    return ""


def _gist_html(answer: Answer) -> str:
    """A summary as one paragraph, each section's heading in bold before the sentence that opens it
    (a heading is a chunk of its own, whose section is itself)."""
    parts = []
    for text, number, _, _ in answer.quoted():
        cite = f'<sup class="aqa-cite">[{number}]</sup>'
        passage = answer.passages[number - 1]
        heading = passage.text == text == passage.section
        parts.append(f'<strong class="aqa-gist-heading">{esc(text)}</strong>{cite} —' if heading else f"{esc(text)}{cite}")
    return " ".join(parts)


def format_question(question: str) -> str:
    """The user's chat bubble: their text, shown as text."""
    return f'<div class="aqa-question">{esc(question)}</div>'


def format_answer(answer: Answer, closest: tuple[Passage, ...] = (), question: str = "") -> str:
    """The assistant's chat bubble: the short answer in bold (when the engine
    found the phrase), the quote with [n] marks, and one compact label per
    cited passage (the passages themselves are in the side panel). A decline
    names the closest passages, in the language of the engine's not-found
    message: the same detector (:func:`query.question_language`) on the same
    question (``answer.question``, the question as understood; else ``question``).

    One HTML block with no blank line, so Markdown leaves the (escaped) article text alone.
    """
    parts = [f'<div class="aqa-note">ℹ️ {esc(answer.note)}</div>'] if answer.note else []
    if not answer.found:
        parts.append(f'<div class="aqa-answer aqa-not-found">{esc(answer.text)}</div>')
        if closest:
            labels = "".join(f'<li><span class="aqa-num">#{rank}</span> {passage_label(p)}</li>'
                             for rank, p in enumerate(closest, start=1))
            language = question_language(answer.question or question)  # what the engine worded its message by
            parts.append(f'<div class="aqa-closest">{esc(CLOSEST[language])}'
                         f'<ul class="aqa-labels">{labels}</ul></div>')
        return '<div class="aqa-reply">' + "".join(parts) + "</div>"
    if answer.short_answer and not answer.items:
        parts.append(f'<p class="aqa-short-answer"><strong>{esc(answer.short_answer)}</strong></p>')
    parts.append(_list_html(answer) if answer.items else
                 f'<blockquote class="aqa-answer{_kind_class(answer)}">{_quote_html(answer)}</blockquote>')
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


def format_passages(question: str, response: Response | None, k: int = DEFAULTS.retrieve_k) -> str:
    """The side panel: the passages retrieved for the last question, cited ones flagged and highlighted."""
    if response is None:
        return '<div class="aqa-panel-empty">Ask a question to see the passages it was matched with.</div>'
    answer = response.answer
    cited = {p.chunk_id: n for n, p in enumerate(answer.passages, start=1)} if answer.found else {}
    cards = []
    for rank, passage in enumerate(panel_passages(response, k), start=1):
        number = cited.get(passage.chunk_id)
        quoted = [(s, e) for index, s, e in answer.evidence if index == (number or 0) - 1]
        badge = f'<span class="aqa-cited-badge">cited [{number}]</span>' if number else ""
        cards.append(
            f'<div class="aqa-passage{" aqa-is-cited" if number else ""}"><div class="aqa-source-head">'
            f'<span class="aqa-num">#{rank}</span><span class="aqa-where">{passage_label(passage)}</span>{badge}'
            f'<span class="aqa-score">score {passage.score:.3f}</span></div>'
            f'<div class="aqa-source-text">{highlight(passage, quoted, answer.short_span if number else None)}'
            f"</div></div>")
    if answer.found:
        head = f'<div class="aqa-panel-q">Top {len(cards)} for: <q>{esc(question)}</q></div>'
    else:
        head = (f'<div class="aqa-panel-q aqa-not-found">The closest {len(cards)} for <q>{esc(question)}</q>'
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
