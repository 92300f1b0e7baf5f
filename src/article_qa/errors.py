"""The engine's own exceptions.

Every message is written for the person at the keyboard: it says what went
wrong and, where there is one, the command that fixes it. The CLI and the app
print ``str(error)`` and nothing else.
"""


class ArticleQAError(Exception):
    """Base class for every error article-qa raises on purpose."""


class ArticleError(ArticleQAError):
    """The article file is missing, unreadable, binary, empty or too large."""


class IndexMissingError(ArticleQAError):
    """The index folder or one of its files is missing or unreadable."""


class StaleIndexError(ArticleQAError):
    """The index was built from another article, embedder or version."""


class BadQuestionError(ArticleQAError):
    """The question is empty once cleaned, or not text at all."""


class IndexLocationError(ArticleQAError):
    """The index path holds something that is not an index (building there would destroy it)."""
