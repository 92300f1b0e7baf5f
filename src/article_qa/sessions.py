"""Articles that chat-app visitors bring themselves: one per browser session.

Each upload (or pasted text) is indexed into its own temporary folder and
answered by its own :class:`ArticleQA`; the folder goes when the session ends,
when a newer upload replaces it, or when the engine is the least recently used
one past :data:`MAX_ENGINES` (memory and disk stay bounded on a busy server).
Folders left by a process that died are removed when the next one starts.

Nothing here imports Gradio: :mod:`article_qa.ui` wires it to sessions.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import tempfile
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from .embed import Embedder, load_embedder
from .errors import ArticleError
from .fold import han_chars
from .ingest import is_heading
from .qa import ArticleQA
from .query import question_language
from .suggest import MAX_SUGGESTIONS, list_question, suggested_questions

log = logging.getLogger("article_qa.sessions")

MAX_UPLOAD_BYTES = 5 * 2**20
SUFFIXES = (".txt", ".md", ".html", ".htm", ".pdf")
# Each engine holds its article's vectors in memory; a few cover a small Space.
MAX_ENGINES = 3
MAX_EXAMPLES = MAX_SUGGESTIONS
ROOT_NAME = "article-qa-sessions"

Progress = Callable[[str], None]
_MARKDOWN_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+\S", re.M)


def text_language(text: str) -> str:
    """``zh-Hant``, ``zh-Hans`` or ``en``: Chinese when Han characters make up
    a fair share of the letters, Traditional when folding changes them."""
    han = han_chars(text)
    letters = sum(ch.isalpha() for ch in text)
    if not han or len(han) < 0.2 * letters:
        return "en"
    return question_language(han)


_OPENING_QUESTION = {
    "zh-Hant": "這篇文章的重點是什麼?",
    "zh-Hans": "这篇文章的重点是什么?",
    "en": "What is the article mainly about?",
}


@dataclass(frozen=True)
class ArticleInfo:
    """What the app's header and example questions say about an article."""

    title: str
    chars: int
    passages: int
    language: str
    examples: tuple[str, ...]
    byline: str = ""
    source_line: str = ""


def describe_article(qa: ArticleQA, name: str) -> ArticleInfo:
    """Title (the article's opening heading, else ``name``), size, and example
    questions in the article's own language that it answers: the opening
    (summary) question, a list question made from an enumeration's lead-in
    when the engine answers it with that list, and questions made from its
    sentences and headings, each asked and kept only when the engine answers
    it with the fact it was made from (suggest.py)."""
    blocks = [block for block in qa.article.split("\n") if block.strip()]
    byline = qa.manifest.byline
    headings = [block for block in blocks if block != byline and is_heading(block)]
    title = blocks[0] if blocks and blocks[0] in headings else name
    language = text_language(qa.article[:5000])
    topics = [heading for heading in headings if heading != title]
    # A summary and a list first (when the article has one), so a visitor sees that they can be asked too.
    listed = list_question(qa, language)
    examples = (_OPENING_QUESTION[language], *([listed] if listed else []), *suggested_questions(qa, language, topics))
    return ArticleInfo(title=title, chars=len(qa.article), passages=qa.n_chunks, language=language,
                       examples=tuple(dict.fromkeys(examples))[:MAX_EXAMPLES], byline=byline,
                       source_line=qa.manifest.source_line)


@dataclass(frozen=True)
class SessionArticle:
    """One visitor's article: its engine, what to show about it, its folder."""

    qa: ArticleQA
    info: ArticleInfo
    folder: Path


class ArticleSessions:
    """Per-session article engines, least recently used dropped past ``max_engines``.

    ``embedder`` is shared by every build and engine (tests pass a fake);
    by default the offline model loads once, on the first build.
    """

    def __init__(self, root: str | Path | None = None, *, max_engines: int = MAX_ENGINES,
                 embedder: Embedder | None = None) -> None:
        base = Path(root) if root is not None else Path(tempfile.gettempdir()) / ROOT_NAME
        remove_leftovers(base)
        base.mkdir(parents=True, exist_ok=True)
        # One folder per instance, named after the process so leftovers can be told from live ones.
        self.root = Path(tempfile.mkdtemp(prefix=f"p{os.getpid()}-", dir=base))
        self.max_engines = max_engines
        self._embedder = embedder
        self._entries: OrderedDict[str, SessionArticle] = OrderedDict()
        self._lock = threading.Lock()

    # ---- building ---------------------------------------------------------
    def build_from_file(self, key: str, path: str | Path, *, progress: Progress | None = None) -> SessionArticle:
        """Index the file at ``path`` for session ``key`` (replacing its previous article)."""
        path = Path(path)
        check_upload(path)
        folder = Path(tempfile.mkdtemp(dir=self.root))
        article = folder / _safe_name(path.name)
        shutil.copyfile(path, article)
        return self._build(key, folder, article, path.name, progress)

    def build_from_text(self, key: str, text: str, *, progress: Progress | None = None) -> SessionArticle:
        """Index pasted ``text`` for session ``key``; Markdown headings are read as headings."""
        data = (text or "").encode("utf-8")
        if not text or not text.strip():
            raise ArticleError("The pasted text is empty: paste the article's text, then press the button.")
        if len(data) > MAX_UPLOAD_BYTES:
            raise ArticleError(f"The pasted text is larger than {MAX_UPLOAD_BYTES // 2**20} MB.")
        folder = Path(tempfile.mkdtemp(dir=self.root))
        suffix = ".md" if _MARKDOWN_HEADING.search(text) else ".txt"
        article = folder / f"pasted-text{suffix}"
        article.write_bytes(data)
        return self._build(key, folder, article, "Pasted text", progress)

    def _build(self, key: str, folder: Path, article: Path, name: str, progress: Progress | None) -> SessionArticle:
        say = progress or (lambda message: None)
        try:
            qa = ArticleQA.build(article, index_dir=folder / "index", embedder=self._shared_embedder(),
                                 progress=lambda message: say(_without_folder(message, folder)))
        except ArticleError as error:
            shutil.rmtree(folder, ignore_errors=True)
            raise ArticleError(_without_folder(str(error), folder)) from None
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        entry = SessionArticle(qa=qa, info=describe_article(qa, name), folder=folder)
        self._store(key, entry)
        return entry

    def _shared_embedder(self) -> Embedder:
        with self._lock:
            if self._embedder is None:
                self._embedder = load_embedder()
            return self._embedder

    # ---- the live set ------------------------------------------------------
    def _store(self, key: str, entry: SessionArticle) -> None:
        with self._lock:
            gone = [self._entries.pop(key)] if key in self._entries else []
            self._entries[key] = entry
            while len(self._entries) > self.max_engines:
                evicted_key, evicted = self._entries.popitem(last=False)
                log.info("Dropped the article of session %s (least recently used)", evicted_key[:8])
                gone.append(evicted)
        for old in gone:
            shutil.rmtree(old.folder, ignore_errors=True)

    def get(self, key: str) -> SessionArticle | None:
        """Session ``key``'s article (now the most recently used), or None."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
            return entry

    def drop(self, key: str) -> None:
        """Forget session ``key``'s article and delete its folder (no-op if none)."""
        with self._lock:
            entry = self._entries.pop(key, None)
        if entry is not None:
            shutil.rmtree(entry.folder, ignore_errors=True)

    def close(self) -> None:
        """Drop every session (the server is stopping)."""
        for key in list(self._entries):
            self.drop(key)
        shutil.rmtree(self.root, ignore_errors=True)

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, key: object) -> bool:
        return key in self._entries


def check_upload(path: Path) -> None:
    """Refuse what no article can be before copying it: wrong kind, empty, too large."""
    if path.suffix.lower() not in SUFFIXES:
        raise ArticleError(f"{path.name} is not a {', '.join(SUFFIXES[:-1])} or {SUFFIXES[-1]} file.")
    size = path.stat().st_size
    if size == 0:
        raise ArticleError(f"{path.name} is empty.")
    if size > MAX_UPLOAD_BYTES:
        raise ArticleError(f"{path.name} is {size / 2**20:.1f} MB; the limit for an upload is "
                           f"{MAX_UPLOAD_BYTES // 2**20} MB.")


def remove_leftovers(base: Path) -> None:
    """Delete the session folders of processes that are no longer running
    (several server workers may share ``base``; live ones keep theirs)."""
    if not base.is_dir():
        return
    for folder in base.glob("p*-*"):
        pid = folder.name[1:].split("-", 1)[0]
        if pid.isdigit() and not _running(int(pid)):
            shutil.rmtree(folder, ignore_errors=True)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


def _safe_name(name: str) -> str:
    """The upload's own name (kept for messages and the title), made safe as a file name."""
    stem, suffix = os.path.splitext(os.path.basename(name))
    stem = re.sub(r"[^\w.\- ]+", "_", stem).strip(" .") or "article"
    return stem[:80] + suffix.lower()


def _without_folder(message: str, folder: Path) -> str:
    """Engine messages name the server's temporary folder; visitors need only the file name."""
    return message.replace(f"{folder}{os.sep}", "").replace(str(folder), "")
