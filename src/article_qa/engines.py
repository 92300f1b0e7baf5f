"""The default article's engine for long-running servers: opened once, on
first use or at start-up (never at import), with the reason kept when it
cannot be opened so every request can say what to fix."""

from __future__ import annotations

import logging
from pathlib import Path
from threading import Lock

from .errors import ArticleQAError
from .qa import ArticleQA
from .settings import default_index_dir

log = logging.getLogger("article_qa")


class EngineSlot:
    """One index folder's :class:`ArticleQA`, loaded at most once (thread-safe)."""

    def __init__(self, index_dir: str | Path | None = None) -> None:
        self.index_dir = Path(index_dir) if index_dir is not None else default_index_dir()
        self._engine: ArticleQA | None = None
        self._error: ArticleQAError | None = None
        self._lock = Lock()

    def get(self) -> ArticleQA:
        """The engine; raises the load's :class:`ArticleQAError` (the same one
        each time) when the index cannot be opened."""
        with self._lock:
            if self._engine is None and self._error is None:
                try:
                    self._engine = ArticleQA.load(self.index_dir)
                except ArticleQAError as error:
                    log.error("Cannot load the index in %s: %s", self.index_dir, error)
                    self._error = error
            if self._error is not None:
                raise self._error
            return self._engine

    def load(self) -> str:
        """Open the engine now (server start-up); ``""`` or the reason it failed."""
        try:
            self.get()
            return ""
        except ArticleQAError as error:
            return str(error)

    @property
    def loaded(self) -> bool:
        return self._engine is not None
