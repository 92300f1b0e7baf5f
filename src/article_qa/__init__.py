"""article-qa: answers questions about an article and cites every answer.

Importing this package loads no model and reads no file; that happens in
``ArticleQA.load()`` / ``ArticleQA.build()``.
"""

from .errors import ArticleError, ArticleQAError, BadQuestionError, IndexMissingError, StaleIndexError
from .qa import ArticleQA
from .records import Answer, Passage, Response

__all__ = [
    "Answer",
    "ArticleError",
    "ArticleQA",
    "ArticleQAError",
    "BadQuestionError",
    "IndexMissingError",
    "Passage",
    "Response",
    "StaleIndexError",
]
