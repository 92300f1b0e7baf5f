"""Plain text and Markdown to blocks: plain text by its blank lines (or one
block per line), Markdown parsed by markdown-it-py."""

from __future__ import annotations

import re

from .block import Block, code_block

# Plain-text conventions, not Markdown: bullets and quote marks at a line's
# start, numbered items, and rules made of ***, ---, ===.
_RULE = re.compile(r"^([=\-*_~]\s*){3,}$")
_LIST_ITEM = re.compile(r"^([-*+•·▪]|\d{1,3}[.)])\s+")
_BULLET = re.compile(r"^[-*+•·▪]\s+")
_QUOTE_MARK = re.compile(r"^(>\s?)+")


def text_blocks(text: str) -> list[Block]:
    """Paragraphs of plain text: blank-line separated blocks if the text has
    blank lines (a list item or a rule also ends one), otherwise one per line."""
    raw_lines = text.split("\n")
    lines = [_BULLET.sub("", _QUOTE_MARK.sub("", line.strip())).strip() for line in raw_lines]
    if "\n\n" not in "\n".join(lines).strip("\n"):
        return [Block((line,), level=_bullet_level(raw)) for raw, line in zip(raw_lines, lines)
                if line and not _RULE.match(line)]
    blocks: list[Block] = []
    current: list[str] = []
    level = 0
    for raw_line, line in zip(raw_lines, lines):
        if line and not _RULE.match(line) and not (current and _LIST_ITEM.match(raw_line.strip())):
            level = level if current else _bullet_level(raw_line)
            current.append(line)
            continue
        if current:
            blocks.append(Block(tuple(current), level=level))
        current = [line] if line and not _RULE.match(line) else []
        level = _bullet_level(raw_line)
    if current:
        blocks.append(Block(tuple(current), level=level))
    return blocks


def _bullet_level(raw_line: str) -> int:
    """1 for a bulleted line ("- item", "• item"), 2 when it is indented under
    another; 0 for any other line (a numbered item keeps its number in the text)."""
    stripped = _QUOTE_MARK.sub("", raw_line.strip())
    if not _BULLET.match(stripped):
        return 0
    indent = len(raw_line) - len(raw_line.lstrip())
    return 2 if indent >= 2 else 1


def markdown_blocks(text: str) -> list[Block]:
    """Markdown parsed by markdown-it-py (CommonMark + tables + strikethrough,
    front matter skipped): headings are headings; emphasis, links and inline
    HTML keep only their text; images are dropped (their alt text is not the
    article's prose); code blocks are kept as one block each; a table gives
    one block per row, its cells' text separated by spaces."""
    from markdown_it import MarkdownIt
    from mdit_py_plugins.front_matter import front_matter_plugin

    parser = MarkdownIt("commonmark").enable(["table", "strikethrough"]).use(front_matter_plugin)
    tokens = parser.parse(text)
    blocks: list[Block] = []
    row: list[str] | None = None
    depth = 0  # how many lists the current token is inside
    for i, token in enumerate(tokens):
        if token.type in ("bullet_list_open", "ordered_list_open"):
            depth += 1
        elif token.type in ("bullet_list_close", "ordered_list_close"):
            depth -= 1
        elif token.type == "inline":
            lines = _inline_lines(token.children or [])
            if row is not None:
                row.append(" ".join(lines))
            elif tokens[i - 1].type == "heading_open":
                blocks.append(Block((" ".join(lines),), heading=True))
            else:
                # Only an item's first paragraph opens it; later ones continue it.
                opens_item = depth and i >= 2 and tokens[i - 2].type == "list_item_open"
                blocks.append(Block(tuple(lines), heading=False, level=depth if opens_item else 0))
        elif token.type in ("fence", "code_block"):
            blocks.append(code_block(token.content))
        elif token.type == "html_block":
            blocks.extend(Block((line,), heading=False) for line in _html_fragment_lines(token.content))
        elif token.type == "tr_open":
            row = []
        elif token.type == "tr_close":
            blocks.append(Block((" ".join(cell for cell in row if cell),), heading=False))
            row = None
    return [b for b in blocks if any(line.strip() for line in b.lines)]


def _inline_lines(children) -> list[str]:
    """An inline run's text, split at its line breaks."""
    lines, current = [], []
    for child in children:
        if child.type in ("softbreak", "hardbreak"):
            lines.append("".join(current))
            current = []
        elif child.type in ("text", "code_inline"):
            current.append(child.content)
        elif child.type == "html_inline" and child.content.lower().startswith("<br"):
            lines.append("".join(current))
            current = []
        # Images, link and emphasis markers, other inline HTML: no text of their own.
    lines.append("".join(current))
    # A dropped image or tag leaves two spaces where one was meant.
    return [" ".join(line.split()) for line in lines if line.strip()]


def _html_fragment_lines(html: str) -> list[str]:
    """The text of a raw HTML block inside Markdown (comments give none)."""
    import lxml.html
    from lxml import etree

    try:
        root = lxml.html.fragment_fromstring(html, create_parent="div")
    except (etree.ParserError, ValueError):  # markup with nothing lxml can read
        return []
    for junk in root.xpath("//comment() | //script | //style"):
        junk.drop_tree()
    text = root.text_content()
    return [line.strip() for line in text.split("\n") if line.strip()]
