"""Follow-ups everywhere: /v1/ask, `article-qa chat`, the LangChain retriever, the chat UI
(its own history, "Answering: …", the Markdown download) and the 👍/👎 feedback file."""

from __future__ import annotations

import io
import json

import gradio as gr
import pytest
from fastapi.testclient import TestClient

from article_qa import cli
from article_qa.export import conversation_markdown
from article_qa.feedback import ENV_FEEDBACK, FeedbackLog
from article_qa.qa import ArticleQA
from article_qa.server import create_app
from article_qa.sessions import ArticleSessions
from article_qa.ui import ChatApp

FIRST = "政府上網工程是哪一年啟動的?"
FOLLOW_UP = "那三金工程呢?"
RESOLVED = "三金工程是哪一年啟動的?"


class FixedSlot:
    """An EngineSlot stand-in holding an engine already built."""

    def __init__(self, qa: ArticleQA) -> None:
        self.qa = qa

    def get(self) -> ArticleQA:
        return self.qa

    def load(self) -> str:
        return ""

    @property
    def loaded(self) -> bool:
        return True


@pytest.fixture
def client(default_qa_fake):
    with TestClient(create_app(FixedSlot(default_qa_fake), ui=False), raise_server_exceptions=False) as test_client:
        yield test_client


# ---- HTTP ---------------------------------------------------------------------------

def test_v1_ask_resolves_a_follow_up_against_its_history(client, default_qa_fake):
    body = client.post("/v1/ask", json={"question": FOLLOW_UP, "history": [FIRST]}).json()
    assert body["question"] == RESOLVED
    assert body == default_qa_fake.ask(RESOLVED).to_dict()
    turns = [{"question": FIRST, "answer": "1999年"}]
    assert client.post("/v1/ask", json={"question": FOLLOW_UP, "history": turns}).json()["question"] == RESOLVED
    assert client.post("/v1/ask", json={"question": FIRST}).json()["question"] == FIRST


@pytest.mark.parametrize("history, field", [
    ([FIRST] * 21, "history"),
    (["x" * 501], "history[0]"),
    ([{"question": FIRST, "extra": 1, "answer": 5}], "history[0].answer"),
    ("not a list", "history"),
    ([7], "history"),
])
def test_v1_ask_refuses_a_bad_history_with_422_naming_the_field(client, history, field):
    response = client.post("/v1/ask", json={"question": FOLLOW_UP, "history": history})
    assert response.status_code == 422 and field in response.json()["error"]


# ---- CLI ----------------------------------------------------------------------------

def test_chat_keeps_the_history_and_ends_at_end_of_input(monkeypatch, capsys, default_qa_fake):
    monkeypatch.setattr(ArticleQA, "load", classmethod(lambda cls, index_dir=None, **kw: default_qa_fake))
    monkeypatch.setattr("sys.stdin", io.StringIO(f"{FIRST}\n\n{FOLLOW_UP}\n"))
    assert cli.main(["chat"]) == 0
    out = capsys.readouterr().out
    assert f"(Answering: {RESOLVED})" in out and out.count("(Answering:") == 1


def test_chat_json_prints_one_answer_per_line(monkeypatch, capsys, default_qa_fake):
    monkeypatch.setattr(ArticleQA, "load", classmethod(lambda cls, index_dir=None, **kw: default_qa_fake))
    monkeypatch.setattr("sys.stdin", io.StringIO(f"{FIRST}\n{FOLLOW_UP}\n"))
    assert cli.main(["chat", "--json"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line["question"] for line in lines] == [FIRST, RESOLVED]


def test_serve_feedback_flag_sets_the_environment(monkeypatch):
    from article_qa import server

    monkeypatch.delenv(ENV_FEEDBACK, raising=False)
    monkeypatch.setattr(server, "run_server", lambda **kwargs: None)
    monkeypatch.setattr(server, "configure_logging", lambda: None)
    assert cli.main(["serve", "--feedback", "/tmp/votes.jsonl"]) == 0
    import os

    assert os.environ[ENV_FEEDBACK] == "/tmp/votes.jsonl"


# ---- LangChain ------------------------------------------------------------------------

def test_the_retriever_resolves_a_follow_up_with_its_history(default_qa_fake):
    pytest.importorskip("langchain_core")
    from article_qa.langchain import ArticleQARetriever

    retriever = ArticleQARetriever(qa=default_qa_fake, k=2, history=[FIRST])
    docs = retriever.invoke(FOLLOW_UP)
    assert [d.metadata["chunk_id"] for d in docs] == [p.chunk_id for p in default_qa_fake.retrieve(RESOLVED, k=2)]


# ---- the chat UI ----------------------------------------------------------------------

@pytest.fixture
def handlers(default_qa_fake, tmp_path, fake_embedder):
    return ChatApp(FixedSlot(default_qa_fake), ArticleSessions(tmp_path / "sessions", embedder=fake_embedder),
                   feedback=FeedbackLog(tmp_path / "votes.jsonl"))


def test_the_chat_passes_its_own_history_and_shows_the_question_as_understood(handlers):
    history, _, _, _, _, turns, download = handlers.chat(FIRST, [], 3, "", [])
    assert "Answering:" not in history[-1]["content"] and len(turns) == 1
    history, _, _, _, _, turns, download = handlers.chat(FOLLOW_UP, history, 3, "", turns)
    assert f"Answering: {RESOLVED}" in history[-1]["content"]
    assert [t["answer"]["question"] for t in turns] == [FIRST, RESOLVED]
    assert [t["message"] for t in turns] == [1, 3]
    # A cleared chat starts a new conversation: the old turns are not read.
    history, *_, turns, _ = handlers.chat(FOLLOW_UP, [], 3, "", turns)
    assert "Answering:" not in history[-1]["content"] and len(turns) == 1


def test_the_download_is_the_conversation_in_markdown(handlers):
    history, *_, turns, _ = handlers.chat(FIRST, [], 3, "", [])
    *_, turns, download = handlers.chat(FOLLOW_UP, history, 3, "", turns)
    text = open(download["value"], encoding="utf-8").read()  # noqa: SIM115
    assert f"## 1. {FIRST}" in text and f"## 2. {FOLLOW_UP}" in text and f"*Answering: {RESOLVED}*" in text
    answer = turns[0]["answer"]
    assert "> " + answer["text"].replace("*", "\\*") in text
    first = answer["passages"][0]
    assert f"[1] {first['section']} · paragraph {first['paragraph']}" in text


def test_a_vote_is_one_json_line_read_back(handlers, tmp_path):
    history, *_, turns, _ = handlers.chat(FIRST, [], 3, "", [])
    history, *_, turns, _ = handlers.chat(FOLLOW_UP, history, 3, "", turns)
    handlers.vote(turns, gr.LikeData(None, {"index": 3, "value": history[3]["content"], "liked": False}))
    handlers.vote(turns, gr.LikeData(None, {"index": 1, "value": history[1]["content"], "liked": True}))
    handlers.vote(turns, gr.LikeData(None, {"index": 0, "value": "a question bubble", "liked": True}))
    lines = [json.loads(line) for line in (tmp_path / "votes.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [(line["question"], line["resolved_question"], line["vote"]) for line in lines] == [
        (FOLLOW_UP, RESOLVED, "down"), (FIRST, FIRST, "up")]
    assert lines[0]["article_sha256"] == turns[1]["article_sha256"] and len(lines[0]["article_sha256"]) == 64
    assert lines[0]["short_answer"] == turns[1]["answer"]["short_answer"]
    assert lines[0]["evidence"] == turns[1]["answer"]["evidence"] and lines[0]["time"].endswith("+00:00")


def test_feedback_is_off_unless_a_path_is_set(monkeypatch):
    monkeypatch.delenv(ENV_FEEDBACK, raising=False)
    assert FeedbackLog.from_env() is None
    monkeypatch.setenv(ENV_FEEDBACK, "votes.jsonl")
    assert str(FeedbackLog.from_env().path) == "votes.jsonl"


def test_the_ask_endpoint_takes_an_optional_history(handlers):
    assert handlers.ask(FOLLOW_UP, [FIRST])["question"] == RESOLVED
    assert handlers.ask(FIRST)["question"] == FIRST


def test_markdown_keeps_article_text_inert():
    answer = {"found": True, "question": "q", "short_answer": "<b>x</b>", "text": "a *b* [1]",
              "passages": [{"section": "", "paragraph": 2, "start": 0, "end": 3, "text": "# not a heading"}],
              "evidence": [], "note": ""}
    text = conversation_markdown([{"question": "q", "answer": answer}], title="t")
    assert "**Answer: \\<b\\>x\\</b\\>**" in text and "> a \\*b\\* [1]" in text
    assert "[1] paragraph 2 (characters 0–3): \\# not a heading" in text
