"""A conversation as Markdown: what the chat's Download button writes.

Each turn: the question (and the question as understood, when a follow-up
was resolved), the short answer, the quoted sentence(s) with their ``[n]``
marks, and each cited passage with its section and paragraph. Turns are
``{"question": asked, "answer": Answer.to_dict()}``, the shape every
interface returns, so a saved transcript needs nothing but that.
"""

from __future__ import annotations

from datetime import datetime, timezone


def conversation_markdown(turns: list[dict], *, title: str = "", when: datetime | None = None) -> str:
    when = when or datetime.now(timezone.utc)
    lines = [f"# {_inline(title) or 'Conversation'}", "",
             f"Exported by article-qa on {when.strftime('%Y-%m-%d %H:%M UTC')}. Every answer is quoted "
             "from the article; [n] marks point to the cited passages.", ""]
    for number, turn in enumerate(turns, 1):
        lines += _turn_lines(number, turn["question"], turn["answer"])
    return "\n".join(lines).rstrip() + "\n"


def _turn_lines(number: int, question: str, answer: dict) -> list[str]:
    lines = [f"## {number}. {_inline(question)}", ""]
    understood = answer.get("question") or question
    if " ".join(understood.split()) != " ".join(question.split()):
        lines += [f"*Answering: {_inline(understood)}*", ""]
    if answer.get("note"):
        lines += [f"*{_inline(answer['note'])}*", ""]
    if not answer.get("found"):
        return lines + [_inline(answer.get("text", "")), ""]
    if answer.get("short_answer"):
        lines += [f"**Answer: {_inline(answer['short_answer'])}**", ""]
    lines += ["> " + _inline(answer.get("text", "")), ""]
    for cited, passage in enumerate(answer.get("passages", []), 1):
        where = f"{passage['section']} · paragraph {passage['paragraph']}" if passage.get("section") \
            else f"paragraph {passage['paragraph']}"
        lines += [f"[{cited}] {_inline(where)} (characters {passage['start']}–{passage['end']}): "
                  f"{_inline(passage['text'])}", ""]
    return lines


def _inline(text: str) -> str:
    """One line of text that Markdown shows as written: no line breaks, no
    markup or HTML of the article's or the user's."""
    text = " ".join(str(text).split())
    for char in "\\`*_{}<>#|~":
        text = text.replace(char, "\\" + char)
    return text
