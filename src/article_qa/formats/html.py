"""A web page's main text to blocks (trafilatura's XML: headings apart from
paragraphs, lists and tables one block per item or row)."""

from __future__ import annotations

import codecs
import re

from ..errors import ArticleError
from ..fold import has_han
from .block import Block, code_block
from .decoding import decode_text, looks_binary_bytes


def html_blocks(data: bytes, name: str, *, encoding: str | None = None) -> list[Block]:
    """A web page's main text, found by trafilatura: navigation, scripts,
    styles, banners, share bars, newsletter boxes, comments and footers are
    left out. Its XML output keeps headings (``<head>``) apart from paragraphs."""
    import trafilatura
    from lxml import etree

    if not data.strip():
        raise ArticleError(f"{name} is empty; give a file with the article's text.")
    page = decode_text(data, encoding=encoding, name=name) if encoding else _checked_html_bytes(data, name)
    # Precision over recall: a menu or a teaser box quoted as the article is worse than a missed aside.
    xml = trafilatura.extract(page, output_format="xml", with_metadata=True, favor_precision=True,
                              include_comments=False,
                              include_tables=True, include_images=False, include_links=False,
                              include_formatting=False)
    blocks = []
    if xml:
        doc = etree.fromstring(xml.encode("utf-8"))
        blocks = _xml_blocks(doc.find("main"))
        blocks = _with_title_and_author(blocks, doc.get("title") or "", doc.get("author") or "")
    if not any(b.heading is False for b in blocks):
        raise ArticleError(
            f"No article text found in {name}: the page holds only navigation and boxes, or its text is "
            "loaded by JavaScript. Save the article's text as a .txt file and give that instead."
        )
    return blocks


def _checked_html_bytes(data: bytes, name: str) -> bytes:
    """Raw bytes go to trafilatura, which reads the page's own charset; a binary is refused first."""
    if looks_binary_bytes(data.removeprefix(codecs.BOM_UTF8)):
        raise ArticleError(f"{name} looks like a binary file, not text.")
    return data


def _xml_blocks(element) -> list[Block]:
    """trafilatura's XML elements to blocks, in reading order."""
    if element is None:
        return []
    blocks: list[Block] = []
    for child in element:
        tag = child.tag
        if tag == "head":
            blocks.append(Block((_element_text(child),), heading=True))
        elif tag in ("list", "table"):
            blocks.extend(_container_blocks(child))
        elif tag == "code":
            blocks.append(code_block(_element_text(child, lines=True)))
        elif tag in ("p", "quote", "div"):
            blocks.append(Block(tuple(_element_text(child, lines=True).split("\n")), heading=False))
    return [b for b in blocks if any(line.strip() for line in b.lines)]


def _container_blocks(element, level: int = 1) -> list[Block]:
    """A list gives one block per item (nested lists after their item, a
    level deeper); a table one per row, its cells' text separated by spaces."""
    if element.tag == "table":
        return [Block((" ".join(_element_text(cell) for cell in row.findall("cell")),), heading=False)
                for row in element.iter("row")]
    blocks = []
    for item in element.findall("item"):
        blocks.append(Block((_element_text(item, skip="list"),), heading=False, level=level))
        for inner in item.findall("list"):
            blocks.extend(_container_blocks(inner, level + 1))
    return blocks


def _element_text(element, *, lines: bool = False, skip: str = "") -> str:
    """All text under ``element`` with whitespace collapsed; with ``lines``,
    ``<lb/>`` starts a new line. Children tagged ``skip`` are left out."""
    parts = [element.text or ""]
    for child in element:
        if child.tag == "lb":
            parts.append("\n" if lines else " ")
        elif child.tag != skip:
            parts.append(_element_text(child))
        parts.append(child.tail or "")
    text = "".join(parts)
    if not lines:
        return re.sub(r"\s+", " ", text).strip()
    return "\n".join(re.sub(r"\s+", " ", line).strip() for line in text.split("\n") if line.strip())


def _with_title_and_author(blocks: list[Block], title: str, author: str) -> list[Block]:
    """The page title leads when the extracted text has no heading of its own;
    the author, which trafilatura moves into metadata, comes back as a byline."""
    if title and not any(b.heading for b in blocks):
        blocks = [Block((title,), heading=True), *blocks]
    text = "\n".join(line for b in blocks for line in b.lines)
    if author and author not in text:
        byline = f"作者：{author}" if has_han(author + title) else f"By {author}"
        at = 1 if blocks and blocks[0].heading else 0
        blocks = [*blocks[:at], Block((byline,), heading=False), *blocks[at:]]
    return blocks
