"""👍/👎 on a chat reply, one JSON line each, appended to a file.

Off unless a path is given: ``$ARTICLE_QA_FEEDBACK`` or ``article-qa serve
--feedback PATH`` (a shared demo collects nothing by default). A line holds
the time, the article's sha256, the question, the question as understood,
the short answer, the evidence offsets and the vote::

    {"time": "2026-12-03T10:00:00+00:00", "article_sha256": "…", "question": "那三金工程呢?",
     "resolved_question": "三金工程是哪一年啟動的?", "short_answer": "1993年",
     "evidence": [[0, 1255, 1410]], "vote": "up"}
"""

from __future__ import annotations

import json
import os
import threading
from datetime import datetime, timezone
from pathlib import Path

ENV_FEEDBACK = "ARTICLE_QA_FEEDBACK"


class FeedbackLog:
    """Appends votes to ``path``; safe to share across threads (one line per write)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()

    @classmethod
    def from_env(cls) -> "FeedbackLog | None":
        path = os.environ.get(ENV_FEEDBACK, "").strip()
        return cls(path) if path else None

    def record(self, *, question: str, answer: dict, article_sha256: str, liked: bool) -> dict:
        line = {
            "time": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "article_sha256": article_sha256,
            "question": question,
            "resolved_question": answer.get("question") or question,
            "short_answer": answer.get("short_answer", ""),
            "evidence": answer.get("evidence", []),
            "vote": "up" if liked else "down",
        }
        text = json.dumps(line, ensure_ascii=False) + "\n"
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with open(self.path, "a", encoding="utf-8") as handle:
                handle.write(text)
        return line
