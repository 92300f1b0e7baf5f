"""article_qa.langchain: the engine as a LangChain retriever inside a runnable chain."""

from __future__ import annotations

import subprocess
import sys

import pytest

pytest.importorskip("langchain_core")

from langchain_core.documents import Document  # noqa: E402
from langchain_core.retrievers import BaseRetriever  # noqa: E402
from langchain_core.runnables import RunnableLambda, RunnablePassthrough  # noqa: E402

from article_qa.langchain import ArticleQARetriever  # noqa: E402
from article_qa.settings import DEFAULTS  # noqa: E402

QUESTION = "When was the lamp converted to kerosene?"


def format_docs(docs: list[Document]) -> str:
    return "\n".join(f"[{d.metadata['section']} ¶{d.metadata['paragraph']}] {d.page_content}" for d in docs)


def test_invoke_returns_documents_matching_retrieve(english_qa):
    retriever = ArticleQARetriever(qa=english_qa, k=2)
    assert isinstance(retriever, BaseRetriever)
    docs = retriever.invoke(QUESTION)
    passages = english_qa.retrieve(QUESTION, k=2)
    assert len(docs) == 2
    for doc, passage in zip(docs, passages):
        assert doc.page_content == passage.text
        assert doc.metadata == {"section": passage.section, "paragraph": passage.paragraph,
                                "start": passage.start, "end": passage.end, "score": passage.score,
                                "chunk_id": passage.chunk_id}
        assert english_qa.article[doc.metadata["start"]:doc.metadata["end"]] == doc.page_content


def test_retriever_runs_inside_a_runnable_chain(english_qa):
    retriever = ArticleQARetriever(qa=english_qa, k=3)
    chain = {"context": retriever | RunnableLambda(format_docs), "question": RunnablePassthrough()} | RunnableLambda(
        lambda inputs: f"Q: {inputs['question']}\n{inputs['context']}")
    prompt = chain.invoke(QUESTION)
    first = english_qa.retrieve(QUESTION, k=3)[0]
    assert prompt.startswith(f"Q: {QUESTION}\n") and first.text in prompt
    assert "kerosene" in prompt
    assert len(chain.batch([QUESTION, "Who was the last keeper?"])) == 2


def test_a_bad_question_raises_the_engines_error(english_qa):
    from article_qa import BadQuestionError

    with pytest.raises(BadQuestionError):
        ArticleQARetriever(qa=english_qa).invoke("   ")


@pytest.mark.parametrize("k", [0, DEFAULTS.max_k + 1])
def test_k_runs_from_1_to_the_settings_bound(english_qa, k):
    with pytest.raises(ValueError, match="k"):
        ArticleQARetriever(qa=english_qa, k=k)
    assert ArticleQARetriever(qa=english_qa, k=DEFAULTS.max_k).k == DEFAULTS.max_k


def test_importing_article_qa_does_not_import_langchain():
    code = "import sys, article_qa, article_qa.server; print(any(m.startswith('langchain_core') for m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
