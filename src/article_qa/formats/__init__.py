"""File bytes to article blocks, by format: plain text, Markdown, HTML, PDF.

Each reader returns :class:`Block` s — a heading or a paragraph, as the
lines it was written in — and ingest turns them into the clean article.
A block says whether it is a heading when the format marks headings
(Markdown ``#``, HTML ``<h1>``); plain text and PDF leave that to ingest's
guess. The format is chosen by content first (a PDF header, an HTML
document), then by the file's extension; anything else is plain text.

The parsing is done by libraries made for it: markdown-it-py for Markdown,
trafilatura for the main text of a web page, pypdf for PDF text.

One module per job: :mod:`.decoding` (which format, bytes to text),
:mod:`.text` (plain text and Markdown), :mod:`.html` and :mod:`.pdf`.
"""

from __future__ import annotations

from ..errors import ArticleError
from .block import Block
from .decoding import HTML_SUFFIXES, MARKDOWN_SUFFIXES, PDF_SUFFIXES, decode_text, looks_binary_bytes, sniff
from .html import html_blocks
from .pdf import pdf_blocks
from .text import markdown_blocks, text_blocks

__all__ = ["Block", "HTML_SUFFIXES", "MARKDOWN_SUFFIXES", "PDF_SUFFIXES", "decode_text", "html_blocks",
           "looks_binary_bytes", "markdown_blocks", "pdf_blocks", "read_blocks", "sniff", "text_blocks"]


def read_blocks(data: bytes, name: str, *, encoding: str | None = None) -> list[Block]:
    """The blocks of the article in ``data``; ``name`` gives the extension and the messages."""
    kind = sniff(data, name)
    if kind == "pdf":
        return pdf_blocks(data, name)
    if kind == "html":
        return html_blocks(data, name, encoding=encoding)
    text = decode_text(data, encoding=encoding, name=name)
    if not text.strip():
        raise ArticleError(f"{name} is empty; give a file with the article's text.")
    return markdown_blocks(text) if kind == "markdown" else text_blocks(text)
