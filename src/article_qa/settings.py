"""The engine's defaults in one frozen record.

The CLI, the app, the HTTP server and the eval runners read their defaults
from :data:`DEFAULTS`; a build records the values it used in the index
manifest, so an index says how it was made.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

# A source checkout: src/article_qa/settings.py -> the repository root.
_CHECKOUT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Settings:
    model: str = "use-multilingual-v3"
    chunk_size: int = 200
    chunk_overlap: int = 40
    index_folder: str = "index"
    # Passages whose sentences the answer stage weighs.
    answer_passages: int = 5
    max_question_chars: int = 500
    retrieve_k: int = 3
    # The most passages one call may ask for: k runs from 1 to this in every interface.
    max_k: int = 50


DEFAULTS = Settings()


def checkout_root() -> Path | None:
    """The repository root when running from a source checkout, else None
    (an installed wheel has no index/ or data/ beside it)."""
    return _CHECKOUT if (_CHECKOUT / "pyproject.toml").is_file() and (_CHECKOUT / "src").is_dir() else None


def default_index_dir() -> Path:
    """``$ARTICLE_QA_INDEX``, else ``./index`` when it holds an index, else the
    checkout's shipped ``index/``, else ``./index`` (whose absence then gets
    the engine's "build one" message)."""
    if os.environ.get("ARTICLE_QA_INDEX"):
        return Path(os.environ["ARTICLE_QA_INDEX"])
    here = Path.cwd() / DEFAULTS.index_folder
    if (here / "manifest.json").is_file():
        return here
    root = checkout_root()
    if root is not None and (root / DEFAULTS.index_folder / "manifest.json").is_file():
        return root / DEFAULTS.index_folder
    return here


def default_article() -> Path:
    """The shipped default article (in a checkout), else ``data/digital-government.txt`` here."""
    root = checkout_root() or Path.cwd()
    return root / "data" / "digital-government.txt"
