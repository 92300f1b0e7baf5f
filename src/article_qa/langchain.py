"""article-qa as a LangChain retriever (``pip install "article-qa[langchain]"``).

    from article_qa import ArticleQA
    from article_qa.langchain import ArticleQARetriever

    retriever = ArticleQARetriever(qa=ArticleQA.load(), k=3)
    docs = retriever.invoke("政府上網工程是哪一年啟動的?")
    docs[0].page_content, docs[0].metadata["section"], docs[0].metadata["start"]

Each passage becomes a ``Document`` whose ``page_content`` is the passage
text and whose metadata carries where it sits in ``qa.article`` (section,
paragraph, start, end), its fused score and its chunk id. ``history`` (the
earlier turns, as for ``ArticleQA.ask``) lets a follow-up query ("那三金工程呢?")
be resolved before retrieval. Only this module
imports ``langchain_core``; ``import article_qa`` does not.
"""

from __future__ import annotations

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict, Field

from .qa import ArticleQA
from .records import Passage
from .settings import DEFAULTS


class ArticleQARetriever(BaseRetriever):
    """The ``k`` passages of the article that best match a question, best first."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    qa: ArticleQA = Field(default_factory=ArticleQA.load)
    k: int = Field(default=DEFAULTS.retrieve_k, ge=1, le=DEFAULTS.max_k)
    history: list = Field(default_factory=list)

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
        return [passage_document(passage) for passage in self.qa.retrieve(query, k=self.k, history=self.history)]


def passage_document(passage: Passage) -> Document:
    """One passage as a LangChain ``Document``."""
    return Document(
        page_content=passage.text,
        metadata={"section": passage.section, "paragraph": passage.paragraph, "start": passage.start,
                  "end": passage.end, "score": passage.score, "chunk_id": passage.chunk_id},
    )
