"""The record every reader returns: one heading or paragraph of the article."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Block:
    """One heading or paragraph: its lines as written (wrapped lines of a
    paragraph are joined by ingest), and whether it is a heading — ``None``
    when the format does not say. ``level``: 1 for an item of a list, 2 for
    an item of a list inside it, and so on; 0 for anything else.
    """

    lines: tuple[str, ...]
    heading: bool | None = None
    level: int = 0


def code_block(code: str) -> Block:
    """Code kept as written, one block (its lines joined by spaces: a code
    line is no sentence to re-flow or to drop as a widget)."""
    text = " ".join(line.strip() for line in code.splitlines() if line.strip())
    return Block((text,), heading=False)
