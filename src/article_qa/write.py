"""The optional writer: a language model words the answer from the quotes the engine chose.

Off unless configured (``WriterConfig``: an OpenAI-compatible endpoint and a
model). The model is given the question as understood, the asker's language
and the quoted sentences numbered as their citations -- never the whole
article -- and asked to answer only from them, citing ``[n]`` after every
sentence. What it writes is checked before anyone sees it (:func:`check`):
a sentence without a citation, citing a number not given, naming a number,
year or name that the sentences it cites do not hold, or saying mostly what
they do not say is dropped (so are repeats, and a sentence cut off).
Nothing left, a timeout, an HTTP error, garbage or a refusal -> the
extractive answer unchanged, with a note saying why (``Answer.note``).

The ``openai`` client (``pip install 'article-qa[writer]'``) is imported on
the first write, never at import: without a writer nothing changes.
"""

from __future__ import annotations

import dataclasses
import os
import queue
import re
import threading
import time
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from .errors import ArticleQAError
from .fold import fold, han_runs, has_han
from .query import question_language
from .records import Answer

ENV_BASE_URL, ENV_MODEL = "ARTICLE_QA_LLM_BASE_URL", "ARTICLE_QA_LLM_MODEL"
ENV_API_KEY, ENV_TIMEOUT = "ARTICLE_QA_LLM_API_KEY", "ARTICLE_QA_LLM_TIMEOUT"
DEFAULT_TIMEOUT = 10.0  # seconds for the whole written answer; the quotes are shown meanwhile
MAX_TIMEOUT = 600.0
MAX_TOKENS = 200  # one to three short sentences; a model that rambles is cut off (and checked)
# A kept sentence says mostly what its quotes say: at least this share of its
# Chinese character pairs and English content words is found in them. Below
# it, a sentence with a valid [n] is a sentence the quotes do not support.
MIN_SUPPORT = 0.5
NOT_IN_ARTICLE = "NOT IN ARTICLE"  # what the model is told to reply when the quotes do not answer
_LANGUAGE_NAMES = {"en": "English", "zh-Hant": "Traditional Chinese (繁體中文)",
                   "zh-Hans": "Simplified Chinese (简体中文)"}


class WriterConfigError(ArticleQAError):
    """The writer's settings are incomplete or out of range."""


@dataclass(frozen=True)
class WriterConfig:
    """An OpenAI-compatible chat endpoint (Ollama, vLLM, llama.cpp's server, a
    hosted API) and the model to ask; ``timeout`` bounds the whole written answer."""

    base_url: str
    model: str
    api_key: str = dataclasses.field(default="", repr=False)
    timeout: float = DEFAULT_TIMEOUT

    def __post_init__(self) -> None:
        if not self.base_url.strip() or not self.model.strip():
            raise WriterConfigError(f"The writer needs both a base URL and a model: set --llm-base-url and "
                                    f"--llm-model (or ${ENV_BASE_URL} and ${ENV_MODEL}).")
        if isinstance(self.timeout, bool) or not 0 < float(self.timeout) <= MAX_TIMEOUT:
            raise WriterConfigError(f"The writer's timeout must be more than 0 and at most {MAX_TIMEOUT:g} seconds "
                                    f"(--llm-timeout or ${ENV_TIMEOUT}); got {self.timeout!r}.")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> WriterConfig | None:
        """The writer ``$ARTICLE_QA_LLM_*`` configure, or None when neither URL nor model is set."""
        return cls.from_options(environ=environ)

    @classmethod
    def from_options(cls, base_url: str | None = None, model: str | None = None, api_key: str | None = None,
                     timeout: float | str | None = None, *,
                     environ: Mapping[str, str] | None = None) -> WriterConfig | None:
        """Options (the CLI's ``--llm-*``) over the environment; None when no
        URL and no model is given either way (the default: no writer)."""
        env = os.environ if environ is None else environ
        base_url = base_url or env.get(ENV_BASE_URL, "")
        model = model or env.get(ENV_MODEL, "")
        if not base_url.strip() and not model.strip():
            return None
        raw = timeout if timeout is not None else env.get(ENV_TIMEOUT) or DEFAULT_TIMEOUT
        try:
            seconds = float(raw)
        except (TypeError, ValueError):
            raise WriterConfigError(f"The writer's timeout must be a number of seconds; got {raw!r}.") from None
        return cls(base_url.strip(), model.strip(), api_key or env.get(ENV_API_KEY, ""), seconds)


@dataclass(frozen=True)
class Quote:
    """One sentence the engine quoted, and the ``[n]`` it is cited as."""

    number: int
    text: str


@dataclass(frozen=True)
class Checked:
    """The written sentences kept, and those dropped with the reason."""

    kept: tuple[str, ...] = ()
    dropped: tuple[tuple[str, str], ...] = ()


# ---- what the writer is given ----------------------------------------------------
def quotes_of(answer: Answer, article: str) -> tuple[Quote, ...]:
    """The sentences ``answer`` quotes, numbered as it cites them: each evidence
    sentence, then each list item that no evidence sentence already holds."""
    quotes = [Quote(index + 1, article[start:end].strip()) for index, start, end in answer.evidence]
    for item in answer.items:
        if not any(s <= item.start and item.end <= e for _, s, e in answer.evidence):
            quotes.append(Quote(item.citation, item.text.strip()))
    return tuple(q for q in quotes if q.text)


def build_messages(question: str, language: str, quotes: tuple[Quote, ...]) -> list[dict]:
    """The chat messages: the rules, then the question and the numbered quotes."""
    name = _LANGUAGE_NAMES.get(language, _LANGUAGE_NAMES["en"])
    rules = (
        "You answer a question about an article using only the numbered quotes from it that you are given.\n"
        "Rules:\n"
        "1. Use only what the quotes say. Add no other facts, names, numbers or years.\n"
        f"2. Write in {name}, in one to three short sentences.\n"
        "3. End every sentence with the number of the quote it comes from in square brackets, like [1].\n"
        "4. Copy names, numbers and years exactly as the quotes give them.\n"
        f"5. If the quotes do not answer the question, reply only: {NOT_IN_ARTICLE}")
    listed = "\n".join(f"[{q.number}] {q.text}" for q in quotes)
    return [{"role": "system", "content": rules},
            {"role": "user", "content": f"Question: {question}\n\nQuotes:\n{listed}\n\n"
                                        f"Answer in {name}, with [n] after every sentence."}]


# ---- what the user is shown is checked -------------------------------------------
_CITE = r"[\[［【]\s*\d+(?:\s*[,，、]\s*\d+)*\s*[\]］】]"
_CITE_RE = re.compile(_CITE)
_SENTENCE_END = re.compile(rf"(?:[。！？!?]+|\.(?!\d))[”’\"'」』）)]*(?:[ \t]*{_CITE})*|\n")
_ENDED = re.compile(rf"(?:[。！？!?.]|{_CITE})[”’\"'」』）)]*\s*$")
_ONLY_CITES = re.compile(rf"^(?:\s*{_CITE})+\s*$")
_BULLET = re.compile(r"^\s*(?:[-*•]|\d+[.)、])\s+")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_CAPITALIZED = re.compile(r"\b[A-Z][A-Za-z]*(?:['’]s)?\b")
_ZH_NUMERAL = re.compile("[〇零一二两三四五六七八九十百千万亿]+")
_ZH_DIGITS = {c: i for i, c in enumerate("零一二三四五六七八九")} | {"〇": 0, "两": 2}
_ZH_UNITS = {"十": 10, "百": 100, "千": 1000}
_EN_NUMBERS = dict(zip("two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
                       "seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety".split(),
                       [*range(2, 21), *range(30, 100, 10)]))
_NAME_TAGS = {"PER", "LOC", "ORG", "nz", "nw"}  # LAC: persons, places, organizations, other proper nouns, titles


def split_written(text: str) -> list[str]:
    """Sentences of the written text, each with the ``[n]`` marks that follow it."""
    sentences: list[str] = []
    start = 0
    for match in [*_SENTENCE_END.finditer(text), None]:
        end = match.end() if match else len(text)
        piece = _BULLET.sub("", text[start:end].replace("**", "")).strip()
        start = end
        if piece and _ONLY_CITES.match(piece) and sentences:
            sentences[-1] += piece  # "…sentence.\n[1]": the mark belongs to the sentence before it
        elif piece:
            sentences.append(piece)
    return sentences


def citations(sentence: str) -> list[int]:
    return [int(n) for mark in _CITE_RE.findall(sentence) for n in re.findall(r"\d+", mark)]


def check_sentence(sentence: str, quotes: tuple[Quote, ...],
                   glossary: Mapping[str, Mapping[str, float]] | None = None) -> str:
    """Why ``sentence`` cannot be shown ("" when it can): no citation, a number
    not given, a number or name the sentences it cites do not hold, or less
    than :data:`MIN_SUPPORT` of its content held by them."""
    cited = citations(sentence)
    given = {q.number for q in quotes}
    if not cited:
        return "no citation"
    if missing := sorted(set(cited) - given):
        return f"cites [{missing[0]}], which was not given"
    source = " ".join(q.text for q in quotes if q.number in set(cited))
    body = unicodedata.normalize("NFKC", _CITE_RE.sub(" ", sentence))
    if not re.search(r"\w", body):
        return "it says nothing"
    tokens = _tag(body) if has_han(body) else ()
    held = _numbers_in(source)
    for number in _written_numbers(body, tokens):
        if number not in held:
            return f"the number {number} is not in the sentences it cites"
    for name in _unsupported_names(body, tokens, source, glossary or {}):
        return f"the name {name!r} is not in the sentences it cites"
    if _support(body, source, glossary or {}) < MIN_SUPPORT:
        return "it says too little that the sentences it cites say"
    return ""


def check(written: str, quotes: tuple[Quote, ...],
          glossary: Mapping[str, Mapping[str, float]] | None = None) -> Checked:
    """Every sentence of ``written`` checked against the quotes it cites."""
    kept, dropped = [], []
    for sentence in split_written(written):
        reason = check_sentence(sentence, quotes, glossary)
        if reason:
            dropped.append((sentence, reason))
        else:
            kept.append(sentence)
    return Checked(tuple(kept), tuple(dropped))


def join_sentences(sentences) -> str:
    """Kept sentences as one text: a space after a Latin sentence, none after a Chinese one."""
    out = ""
    for sentence in sentences:
        out += (" " if out and not has_han(out[-6:]) else "") + sentence
    return out


def _support(body: str, source: str, glossary: Mapping[str, Mapping[str, float]]) -> float:
    """The share of the sentence's content that its quotes hold: Chinese
    character pairs (script-folded) and English content words (the word itself,
    or a translation the glossary knows)."""
    from .glossary import english_words

    folded_body, folded_source = fold(body), fold(source)
    pairs = [run[i:i + 2] for run in han_runs(folded_body) for i in range(max(1, len(run) - 1))]
    held = sum(pair in folded_source for pair in pairs)
    source_stems = set(english_words(folded_source))
    stems = english_words(folded_body)
    held += sum(stem in source_stems or any(t in folded_source for t in glossary.get(stem, {})) for stem in stems)
    total = len(pairs) + len(stems)
    return held / total if total else 1.0


def _normal_number(text: str) -> str:
    text = text.replace(",", "")
    return text.rstrip("0").rstrip(".") if "." in text else str(int(text))


def _numbers_in(text: str) -> set[str]:
    """Every number ``text`` states, in digits or Chinese numerals (generously:
    each numeral character counts too, so "十四五" holds 14, 4 and 5)."""
    text = unicodedata.normalize("NFKC", text)
    found = {_normal_number(m) for m in _NUMBER.findall(text)}
    for run in _ZH_NUMERAL.findall(fold(text)):
        found.update(str(v) for v in (_zh_value(run), *(_zh_value(c) for c in run)) if v is not None)
    return found


def _tag(body: str):
    from .tagging import tag  # LAC: loaded by the engine already (questions are tagged too)

    return tag(body)


def _written_numbers(body: str, tokens) -> list[str]:
    """The numbers a written sentence states: digits, English number words, and
    Chinese numerals that the tagger reads as numbers ("四個", not "統一");
    "one" / "一" are left alone (an article, not a count)."""
    numbers = [_normal_number(m) for m in _NUMBER.findall(body)]
    numbers += [str(_EN_NUMBERS[w]) for w in re.findall(r"[a-z]+", body.lower()) if w in _EN_NUMBERS]
    for token in tokens:
        if token.tag in ("m", "TIME"):
            for run in _ZH_NUMERAL.findall(fold(body[token.start:token.end])):
                value = _zh_value(run)
                if value is not None and value != 1:
                    numbers.append(str(value))
    return numbers


def _zh_value(run: str) -> int | None:
    """一九九九 -> 1999, 二十三 -> 23, 三千五百萬 -> 35000000; None when not a number."""
    if all(c in _ZH_DIGITS for c in run):
        return int("".join(str(_ZH_DIGITS[c]) for c in run))
    total, section, digit = 0, 0, None
    for char in run:
        if char in _ZH_DIGITS:
            if digit is not None:
                return None
            digit = _ZH_DIGITS[char]
        elif char in _ZH_UNITS:
            section += (1 if digit is None else digit) * _ZH_UNITS[char]
            digit = None
        else:  # 万 亿
            total = (total + section + (digit or 0)) * (10_000 if char == "万" else 100_000_000)
            section, digit = 0, None
    return total + section + (digit or 0)


def _unsupported_names(body: str, tokens, source: str, glossary: Mapping[str, Mapping[str, float]]) -> Iterator[str]:
    """Names in ``body`` that ``source`` does not hold: capitalized Latin words
    (through the glossary when the source is Chinese) and, in Chinese, the words
    the tagger marks as persons, places, organizations or other proper nouns."""
    from .glossary import english_words, is_stopword

    folded = fold(source)
    latin = set(re.findall(r"[a-z0-9]+", folded))
    first = re.search(r"[A-Za-z]+", body)
    for match in _CAPITALIZED.finditer(body):
        name = re.sub(r"['’]s$", "", match.group())
        word = name.lower()
        if is_stopword(word) or word in latin:
            continue
        terms = {t for stem in english_words(word) for t in glossary.get(stem, {})}
        if any(t in folded for t in terms):
            continue
        # A sentence's first word is capitalized anyway: it counts as a name only
        # when the article has a term for it (so the quotes could have held it).
        if terms or (match.start() != (first.start() if first else -1)) or name.isupper():
            yield name
    for token in tokens:
        name = body[token.start:token.end]
        if token.tag in _NAME_TAGS and fold(name) not in folded:
            yield name


# ---- asking the model -------------------------------------------------------------
class WrittenStream:
    """One written answer as it arrives: iterate for the checked sentences (each
    yielded once it is complete and kept); ``answer`` once iteration ends."""

    def __init__(self, writer: Writer, answer: Answer, article: str,
                 glossary: Mapping[str, Mapping[str, float]] | None) -> None:
        self._writer, self._extractive, self._glossary = writer, answer, glossary
        self.quotes = quotes_of(answer, article)
        self.messages = build_messages(answer.question, question_language(answer.question), self.quotes)
        self.raw = ""  # everything the model sent
        self.checked = Checked()
        self.first_token_s: float | None = None  # seconds from the request to the model's first text
        self.first_sentence_s: float | None = None  # ... to the first checked sentence shown
        self.answer = answer  # the extractive answer until the written one is complete

    def __iter__(self) -> Iterator[str]:
        if not self._extractive.found or not self.quotes:
            return  # a decline stays a decline: nothing is sent
        timeout = self._writer.config.timeout
        started = time.monotonic()
        deadline = started + timeout
        stop, events = threading.Event(), queue.Queue()
        threading.Thread(target=self._writer._receive, args=(self.messages, events, stop), daemon=True,
                         name="article-qa-writer").start()
        kept, dropped = [], []
        try:
            while True:
                try:
                    kind, value = events.get(timeout=max(0.0, deadline - time.monotonic()))
                except queue.Empty:
                    self._fall_back(f"the writer did not finish within {timeout:g} s")
                    return
                if kind in ("error", "refusal"):
                    self._fall_back("the writer declined to answer" if kind == "refusal"
                                    else f"the writer failed ({_describe(value)})")
                    return
                if kind == "text":
                    if self.first_token_s is None:
                        self.first_token_s = time.monotonic() - started
                    self.raw += value
                sentences = split_written(self.raw)
                ready = sentences if kind == "end" else _complete(sentences)
                for at in range(len(kept) + len(dropped), len(ready)):
                    sentence = ready[at]
                    cut = kind == "end" and value == "length" and at == len(ready) - 1 and not _ENDED.search(sentence)
                    reason = ("it was cut off at the length limit" if cut else
                              "it repeats an earlier sentence" if sentence in kept else
                              check_sentence(sentence, self.quotes, self._glossary))
                    if reason:
                        dropped.append((sentence, reason))
                        continue
                    kept.append(sentence)
                    if self.first_sentence_s is None:
                        self.first_sentence_s = time.monotonic() - started
                    yield sentence
                self.checked = Checked(tuple(kept), tuple(dropped))
                if kind == "end":
                    break
        finally:
            stop.set()
        if not kept:
            said_no = NOT_IN_ARTICLE in self.raw.upper()
            self._fall_back("the writer found no answer in the quotes" if said_no else
                            "no written sentence passed the check against the quotes")
            return
        note = f"{len(dropped)} written sentence(s) left out: not supported by the quotes." if dropped else ""
        self.answer = dataclasses.replace(self._extractive, written=join_sentences(kept),
                                          note=_join_notes(self._extractive.note, note))

    def _fall_back(self, why: str) -> None:
        self.answer = dataclasses.replace(
            self._extractive, written="", note=_join_notes(self._extractive.note, f"Showing the quotes: {why}."))


def _complete(sentences: list[str]) -> list[str]:
    """The sentences surely finished while more may come: all but the last, and
    the one before it too while the last could still become its citation ("[1")."""
    if len(sentences) < 2:
        return []
    return sentences[:-2] if re.fullmatch(r"[\s\[［【\d,，、\]］】]*", sentences[-1]) else sentences[:-1]


def _join_notes(*notes: str) -> str:
    return " ".join(n for n in notes if n)


def _describe(error: BaseException) -> str:
    status = getattr(error, "status_code", None)
    return f"HTTP {status}" if status else type(error).__name__


class Writer:
    """Writes checked answers with the model ``config`` names. Thread-safe."""

    def __init__(self, config: WriterConfig) -> None:
        self.config = config
        self._client = None
        self._lock = threading.Lock()

    def stream(self, answer: Answer, article: str, *,
               glossary: Mapping[str, Mapping[str, float]] | None = None) -> WrittenStream:
        """The written answer sentence by sentence (see :class:`WrittenStream`);
        ``article`` is the text ``answer``'s offsets point into, ``glossary`` the
        index's (English names are checked against Chinese quotes through it)."""
        return WrittenStream(self, answer, article, glossary)

    def write(self, answer: Answer, article: str, *,
              glossary: Mapping[str, Mapping[str, float]] | None = None) -> Answer:
        """``answer`` with ``written`` (the checked text, or "" and a note saying why not)."""
        stream = self.stream(answer, article, glossary=glossary)
        for _ in stream:
            pass
        return stream.answer

    def _openai(self):
        with self._lock:
            if self._client is None:
                try:
                    import openai
                except ImportError:
                    raise WriterConfigError("The writer needs the openai package: "
                                            "pip install 'article-qa[writer]'") from None
                # The key is passed even when empty, so $OPENAI_API_KEY never goes to another endpoint.
                self._client = openai.OpenAI(base_url=self.config.base_url, api_key=self.config.api_key or "none",
                                             timeout=self.config.timeout, max_retries=0)
            return self._client

    def _receive(self, messages: list[dict], events: queue.Queue, stop: threading.Event) -> None:
        """The model's reply as ("text", piece), ("refusal", None), ("error", exception) and
        ("end", finish reason) events,
        on a thread of its own so that the reader can stop waiting at the deadline."""
        try:
            response = self._openai().chat.completions.create(
                model=self.config.model, messages=messages, stream=True, temperature=0, max_tokens=MAX_TOKENS)
            finished = None
            try:
                for chunk in response:
                    if stop.is_set():
                        return
                    for choice in chunk.choices or ():
                        if getattr(choice.delta, "refusal", None) or choice.finish_reason == "content_filter":
                            events.put(("refusal", None))
                            return
                        if choice.delta.content:
                            events.put(("text", choice.delta.content))
                        finished = choice.finish_reason or finished
            finally:
                response.close()
            events.put(("end", finished))
        except Exception as error:  # any failure of the endpoint is a fall-back, never the user's error
            events.put(("error", error))


def writer_from_env(environ: Mapping[str, str] | None = None) -> Writer | None:
    """The writer ``$ARTICLE_QA_LLM_*`` configure, or None (the CLI, ``serve`` and the app)."""
    config = WriterConfig.from_env(environ)
    return Writer(config) if config else None


def as_writer(writer: Writer | WriterConfig | None) -> Writer | None:
    if writer is None or isinstance(writer, Writer):
        return writer
    if isinstance(writer, WriterConfig):
        return Writer(writer)
    raise TypeError(f"writer must be a WriterConfig, a Writer or None, not {type(writer).__name__}")
