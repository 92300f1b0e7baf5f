"""The optional writer (article_qa.write), fast tier: the check as pure
functions, and the protocol against a fake OpenAI-compatible server on
127.0.0.1 (streamed pieces, dropped sentences, garbage, HTTP 500, a slow
endpoint, a dead port). The real server is tests/test_write_server.py."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace

import pytest
from conftest import free_port

from article_qa import Answer, Passage, cli
from article_qa.qa import ArticleQA
from article_qa.records import Item
from article_qa.write import (ENV_API_KEY, ENV_BASE_URL, ENV_MODEL, ENV_TIMEOUT, Quote, Writer, WriterConfig,
                              WriterConfigError, build_messages, check, check_sentence, citations, join_sentences,
                              quotes_of, split_written)


# ---- a fake OpenAI-compatible endpoint ---------------------------------------------
class FakeLLM:
    """``POST /v1/chat/completions`` on a free 127.0.0.1 port, answering as told:
    ``pieces`` streamed as SSE chunks (``delay`` seconds apart), or ``status``
    with a JSON error, or ``raw`` bytes as the body. Records every request."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.reset()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # quiet
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["content-length"])))
                fake.requests.append({"path": self.path, "body": body, "auth": self.headers.get("authorization")})
                time.sleep(fake.header_delay)
                try:
                    fake.answer(self)
                except (BrokenPipeError, ConnectionResetError):  # the writer gave up: fine
                    pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def reset(self, *pieces: str, status: int = 200, raw: bytes | None = None, delay: float = 0.0,
              header_delay: float = 0.0, refusal: str = "", finish: str = "stop") -> None:
        self.pieces, self.status, self.raw, self.delay = pieces, status, raw, delay
        self.header_delay, self.refusal, self.finish = header_delay, refusal, finish
        self.requests.clear()

    def answer(self, http: BaseHTTPRequestHandler) -> None:
        if self.status != 200:
            payload = json.dumps({"error": {"message": "boom", "type": "server_error"}}).encode()
            http.send_response(self.status)
            http.send_header("content-type", "application/json")
            http.send_header("content-length", str(len(payload)))
            http.end_headers()
            http.wfile.write(payload)
            return
        http.send_response(200)
        http.send_header("content-type", "text/event-stream")
        http.end_headers()
        if self.raw is not None:
            http.wfile.write(self.raw)
            return
        deltas = [{"content": p} for p in self.pieces] + ([{"refusal": self.refusal}] if self.refusal else [])
        for delta in deltas:
            time.sleep(self.delay)
            self._event(http, {"index": 0, "delta": delta, "finish_reason": None})
        self._event(http, {"index": 0, "delta": {}, "finish_reason": self.finish})
        http.wfile.write(b"data: [DONE]\n\n")
        http.wfile.flush()

    @staticmethod
    def _event(http, choice: dict) -> None:
        chunk = {"id": "c1", "object": "chat.completion.chunk", "created": 0, "model": "fake", "choices": [choice]}
        http.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
        http.wfile.flush()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def llm():
    fake = FakeLLM()
    yield fake
    fake.close()


# ---- an answer to write from: the lighthouse article's kind of quotes -------------------
ARTICLE = ("The Kestrel Point lighthouse was built in 1871 by the harbour board. "
           "The last keeper, Tom Avery, left in 1961 when the lamp was automated.")
BUILT, LEFT = (0, 68), (69, 138)
PASSAGES = (Passage(text=ARTICLE[:68], score=0.9, chunk_id=0, section="", paragraph=1, start=0, end=68),
            Passage(text=ARTICLE[69:], score=0.8, chunk_id=1, section="The keepers", paragraph=2, start=69, end=138))
FOUND = Answer(found=True, question="When did the last keeper leave?", text=f"{ARTICLE[69:]}[1] {ARTICLE[:68]}[2]",
               passages=(PASSAGES[1], PASSAGES[0]), evidence=((0, *LEFT), (1, *BUILT)), short_answer="1961",
               short_span=(113, 117))
QUOTES = (Quote(1, ARTICLE[69:]), Quote(2, ARTICLE[:68]))


def writer(url: str, timeout: float = 5.0) -> Writer:
    return Writer(WriterConfig(url, "fake", timeout=timeout))


# ---- configuration ------------------------------------------------------------------
def test_no_settings_means_no_writer():
    assert WriterConfig.from_env({}) is None
    assert WriterConfig.from_options(environ={}) is None


def test_settings_from_the_environment_and_options_over_them():
    env = {ENV_BASE_URL: "http://127.0.0.1:1/v1", ENV_MODEL: "m", ENV_API_KEY: "sekrit", ENV_TIMEOUT: "2.5"}
    assert WriterConfig.from_env(env) == WriterConfig("http://127.0.0.1:1/v1", "m", "sekrit", 2.5)
    assert WriterConfig.from_options(model="other", timeout=7, environ=env).model == "other"
    assert "sekrit" not in repr(WriterConfig.from_env(env))  # the key never lands in a log line


@pytest.mark.parametrize("env", [{ENV_BASE_URL: "http://x/v1"}, {ENV_MODEL: "m"},
                                 {ENV_BASE_URL: "http://x/v1", ENV_MODEL: "m", ENV_TIMEOUT: "soon"},
                                 {ENV_BASE_URL: "http://x/v1", ENV_MODEL: "m", ENV_TIMEOUT: "0"}])
def test_incomplete_or_bad_settings_say_what_to_set(env):
    with pytest.raises(WriterConfigError, match="--llm|timeout"):
        WriterConfig.from_env(env)


# ---- what the writer is given -----------------------------------------------------------
def test_the_writer_is_given_the_quotes_numbered_as_cited_and_never_the_article():
    assert quotes_of(FOUND, ARTICLE) == QUOTES
    system, user = build_messages("政府上網工程是哪一年啟動的?", "zh-Hant", QUOTES)
    assert "Traditional Chinese" in system["content"] and "[1]" in system["content"]
    assert f"[1] {ARTICLE[69:]}\n[2] {ARTICLE[:68]}" in user["content"]
    assert "政府上網工程是哪一年啟動的?" in user["content"]


def test_list_items_not_already_quoted_are_quotes_too():
    items = (Item("The last keeper, Tom Avery, left in 1961", 69, 109, 1), Item("Built in 1871", 200, 213, 3))
    answer = Answer(found=True, text="", evidence=((0, *LEFT),), items=items)
    assert quotes_of(answer, ARTICLE) == (Quote(1, ARTICLE[69:]), Quote(3, "Built in 1871"))


# ---- the check --------------------------------------------------------------------------
def test_sentences_keep_the_marks_that_follow_them():
    assert split_written("He left in 1961 [1]. It was built in 1871.[2]\n- Index 0.9059 [1]\n[2]") == [
        "He left in 1961 [1].", "It was built in 1871.[2]", "Index 0.9059 [1][2]"]
    assert split_written("政府上網工程於1999年啟動。[1]它很重要。【2】") == [
        "政府上網工程於1999年啟動。[1]", "它很重要。【2】"]
    assert citations("Both [1, 2] and [3]") == [1, 2, 3]


@pytest.mark.parametrize("sentence, reason", [
    ("Tom Avery left in 1961 [1].", ""),
    ("The lighthouse was built in 1871 by the harbour board [2].", ""),
    ("It was automated when the last keeper left [1][2].", ""),
    ("Tom Avery left in 1961.", "no citation"),
    ("Tom Avery left in 1961 [3].", "cites [3], which was not given"),
    ("Tom Avery left in 1962 [1].", "the number 1962 is not in the sentences it cites"),
    ("The lighthouse was built in 1871 [1].", "the number 1871 is not in the sentences it cites"),
    ("John Smith left in 1961 [1].", "the name 'Smith' is not in the sentences it cites"),
    ("Two keepers left in 1961 [1].", "the number 2 is not in the sentences it cites"),
    ("Visitors enjoy wonderful summer concerts there [1].", "it says too little that the sentences it cites say"),
    ("![1]", "it says nothing"),
])
def test_each_written_sentence_is_checked_against_the_quotes_it_cites(sentence, reason):
    assert check_sentence(sentence, QUOTES) == reason


ZH_QUOTES = (Quote(1, "三是1999年啟動的“政府上網工程”。"), Quote(2, "在線服務指數上升為0.9059,指數排名為全球第9位。"),
             Quote(3, "將“數字中國”建設概括為緊密相關的四個方面。"))
GLOSSARY = {"govern": {"政府": 1.0}, "onlin": {"上网": 1.0, "在线": 1.0}, "project": {"工程": 1.0},
            "launch": {"启动": 1.0}, "china": {"中国": 1.0}, "japan": {"日本": 1.0}, "index": {"指数": 1.0},
            "servic": {"服务": 1.0}, "rank": {"排名": 1.0}, "digit": {"数字": 1.0}}


@pytest.mark.parametrize("sentence, reason", [
    ("政府上网工程于1999年启动。[1]", ""),  # Simplified against Traditional: folded
    ("政府上網工程於2000年啟動。[1]", "the number 2000 is not in the sentences it cites"),
    ("數字中國建設包括四個方面。[3]", ""),
    ("數字中國建設包括五個方面。[3]", "the number 5 is not in the sentences it cites"),
    ("日本的在線服務指數為0.9059。[2]", "the name '日本' is not in the sentences it cites"),
    ("The Government Online Project was launched in 1999 [1].", ""),  # English through the glossary
    ("China's online service index rose to 0.9059 [2].", "the name 'China' is not in the sentences it cites"),
    ("Its online service index ranked ninth [2].", ""),
    ("Japan launched the project in 1999 [1].", "the name 'Japan' is not in the sentences it cites"),
])
def test_across_languages_names_and_numbers_go_through_the_glossary_and_numerals(sentence, reason):
    assert check_sentence(sentence, ZH_QUOTES, GLOSSARY) == reason


def test_check_splits_kept_from_dropped():
    checked = check("Tom Avery left in 1961 [1]. He liked cats. It was built in 1871 [2].", QUOTES)
    assert checked.kept == ("Tom Avery left in 1961 [1].", "It was built in 1871 [2].")
    assert checked.dropped == (("He liked cats.", "no citation"),)
    assert join_sentences(checked.kept) == "Tom Avery left in 1961 [1]. It was built in 1871 [2]."
    assert join_sentences(["它於1999年啟動。[1]", "很重要。[1]"]) == "它於1999年啟動。[1]很重要。[1]"


# ---- the protocol, against the fake endpoint ------------------------------------------------
def test_streamed_pieces_are_joined_checked_and_yielded_sentence_by_sentence(llm):
    llm.reset("Tom Avery left", " in 19", "61 [", "1]. It was built in ", "1871.", "[2]", " He liked cats.")
    stream = writer(llm.url).stream(FOUND, ARTICLE)
    assert list(stream) == ["Tom Avery left in 1961 [1].", "It was built in 1871.[2]"]
    assert stream.answer.written == "Tom Avery left in 1961 [1]. It was built in 1871.[2]"
    assert stream.answer.note == "1 written sentence(s) left out: not supported by the quotes."
    assert stream.first_token_s is not None and stream.first_token_s <= stream.first_sentence_s
    request = llm.requests[-1]
    assert request["path"] == "/v1/chat/completions" and request["body"]["stream"] is True
    assert request["body"]["model"] == "fake" and request["auth"] == "Bearer none"  # not $OPENAI_API_KEY


def test_the_answer_keeps_everything_else(llm):
    llm.reset("Tom Avery left in 1961 [1].")
    written = writer(llm.url).write(FOUND, ARTICLE)
    assert written == Answer(**{**FOUND.__dict__, "written": "Tom Avery left in 1961 [1]."})
    assert written.to_dict()["written"] == "Tom Avery left in 1961 [1]."


@pytest.mark.parametrize("pieces, note", [
    (("He left in 1962 [1].", " Tom Avery left [4]."), "no written sentence passed the check against the quotes"),
    (("NOT IN ARTICLE",), "the writer found no answer in the quotes"),
    ((), "no written sentence passed the check against the quotes"),
])
def test_nothing_left_after_the_check_falls_back_to_the_quotes(llm, pieces, note):
    llm.reset(*pieces)
    answer = writer(llm.url).write(FOUND, ARTICLE)
    assert answer.written == "" and answer.note == f"Showing the quotes: {note}."
    assert answer.text == FOUND.text and answer.passages == FOUND.passages


def test_a_sentence_cut_off_at_the_length_limit_is_dropped(llm):
    llm.reset("Tom Avery left in 1961 [1]. It was built in 1871 [2", finish="length")
    answer = writer(llm.url).write(FOUND, ARTICLE)
    assert answer.written == "Tom Avery left in 1961 [1]."


def test_a_repeated_sentence_is_shown_once(llm):
    llm.reset("Tom Avery left in 1961 [1]. " * 3)
    assert writer(llm.url).write(FOUND, ARTICLE).written == "Tom Avery left in 1961 [1]."


@pytest.mark.parametrize("settings, note", [
    ({"status": 500}, "the writer failed (HTTP 500)"),
    ({"status": 401}, "the writer failed (HTTP 401)"),
    ({"raw": b"data: {not json\n\n"}, "the writer failed"),
    ({"raw": b"<html>hello</html>"}, "no written sentence passed the check"),
    ({"refusal": "I can't help with that."}, "the writer declined to answer"),
])
def test_errors_garbage_and_refusals_fall_back_to_the_quotes(llm, settings, note):
    llm.reset("Tom Avery left in 1961 [1].", **settings)
    started = time.monotonic()
    answer = writer(llm.url).write(FOUND, ARTICLE)
    assert time.monotonic() - started < 2
    assert answer.written == "" and answer.note.startswith(f"Showing the quotes: {note}")


@pytest.mark.parametrize("settings", [{"delay": 3.0}, {"header_delay": 3.0}])
def test_a_slow_endpoint_falls_back_within_the_timeout_plus_a_second(llm, settings):
    llm.reset("Tom Avery left in 1961 [1].", " It was built in 1871 [2].", **settings)
    started = time.monotonic()
    answer = writer(llm.url, timeout=1.0).write(FOUND, ARTICLE)
    assert time.monotonic() - started < 1.0 + 1.0
    assert answer.written == "" and answer.note == "Showing the quotes: the writer did not finish within 1 s."


def test_a_dead_port_falls_back_at_once():
    started = time.monotonic()
    answer = writer(f"http://127.0.0.1:{free_port()}/v1", timeout=2.0).write(FOUND, ARTICLE)
    assert time.monotonic() - started < 2.0 + 1.0
    assert answer.written == "" and answer.note.startswith("Showing the quotes: the writer failed (")


def test_a_decline_is_never_sent(llm):
    llm.reset("The keeper was Tom Avery [1].")
    declined = Answer(found=False, text="The article does not say.", question="Who painted it?")
    assert writer(llm.url).write(declined, ARTICLE) == declined
    assert llm.requests == []


def test_an_earlier_note_is_kept(llm):
    llm.reset("garbage without marks")
    answer = writer(llm.url).write(Answer(**{**FOUND.__dict__, "note": "The question was shortened."}), ARTICLE)
    assert answer.note.startswith("The question was shortened. Showing the quotes:")


# ---- wired in: Python, the CLI, /v1, the chat --------------------------------------------------
QUESTION = "When did the last keeper leave?"


def slot_for(qa: ArticleQA) -> SimpleNamespace:
    """An EngineSlot stand-in around an engine already open."""
    return SimpleNamespace(get=lambda: qa, load=lambda: "")


@pytest.fixture
def lighthouse_writer_qa(english_article, tmp_path, fake_embedder, llm):
    return ArticleQA.build(english_article, index_dir=tmp_path / "index", embedder=fake_embedder, chunk_size=120,
                           chunk_overlap=0, writer=WriterConfig(llm.url, "fake", timeout=5))


def test_ask_with_a_writer_adds_the_checked_text_and_nothing_else_changes(lighthouse_writer_qa, english_qa, llm):
    llm.reset("Tom Avery left in 1961 [1].")
    written = lighthouse_writer_qa.ask(QUESTION)
    plain = english_qa.ask(QUESTION)
    assert written.written == "Tom Avery left in 1961 [1]." and plain.written == ""
    assert {**written.to_dict(), "written": ""} == plain.to_dict()
    prompt = llm.requests[-1]["body"]["messages"][1]["content"]
    assert "[1] The last keeper, Tom Avery, left in 1961 when the lamp was automated." in prompt
    assert "museum" not in prompt  # only the quoted sentence, not the article


def test_the_cli_prints_the_written_answer_above_the_quotes(lighthouse_writer_qa, llm, monkeypatch, capsys):
    llm.reset("Tom Avery left in 1961 [1].")
    monkeypatch.setattr(ArticleQA, "load", classmethod(
        lambda cls, index_dir=None, writer=None, **kw: lighthouse_writer_qa if writer == WriterConfig(
            llm.url, "fake", timeout=3.0) else None))
    assert cli.main(["ask", QUESTION, "--llm-base-url", llm.url, "--llm-model", "fake", "--llm-timeout", "3"]) == 0
    lines = capsys.readouterr().out.splitlines()
    quoted = "The last keeper, Tom Avery, left in 1961 when the lamp was automated.[1]"
    assert lines[:2] == ["Tom Avery left in 1961 [1].", ""] and quoted in lines[2:4]


def test_the_cli_refuses_half_a_writer_setting(monkeypatch, capsys):
    monkeypatch.delenv(ENV_MODEL, raising=False)
    assert cli.main(["ask", QUESTION, "--llm-base-url", "http://127.0.0.1:9/v1"]) == 2
    assert "--llm-model" in capsys.readouterr().err


def test_v1_ask_writes_outside_the_engine(english_qa, llm):
    from fastapi.testclient import TestClient

    from article_qa.server import create_app

    llm.reset("Tom Avery left in 1961 [1].")
    with TestClient(create_app(slot_for(english_qa), ui=False, writer=writer(llm.url))) as http:
        body = http.post("/v1/ask", json={"question": QUESTION}).json()
    assert body["written"] == "Tom Avery left in 1961 [1]." and body["found"] is True


def test_the_chat_streams_the_written_answer_above_the_quotes(english_qa, llm, tmp_path, fake_embedder):
    import inspect

    from article_qa.ui import ArticleSessions, ChatApp

    sessions = ArticleSessions(tmp_path / "sessions", embedder=fake_embedder)
    assert not inspect.isgeneratorfunction(ChatApp(slot_for(english_qa), sessions, writer=None).chat)
    handlers = ChatApp(slot_for(english_qa), sessions, writer=writer(llm.url))
    assert inspect.isgeneratorfunction(handlers.chat)
    llm.reset("Tom Avery left ", "in 1961 [1]. It", " was automated [1].")
    turns = list(handlers.chat(QUESTION, [], 3, "", []))
    bubbles = [outputs[0][-1]["content"] for outputs in turns]
    assert "writing…" in bubbles[0] and "Tom Avery left" not in bubbles[0].split("aqa-written")[1][:60]
    assert any("Tom Avery left in 1961 [1].</span>" not in b and "Tom Avery left in 1961 [1]." in b
               for b in bubbles[1:-1])
    final = bubbles[-1]
    assert "writing…" not in final
    written_at, quote_at = final.index("Tom Avery left in 1961 [1]. It was automated [1]."), final.index("aqa-answer")
    assert written_at < quote_at  # the written answer above the quotes it was checked against
    assert turns[-1][5][-1]["answer"]["written"] == "Tom Avery left in 1961 [1]. It was automated [1]."


def test_the_chat_says_why_when_the_writer_fell_back(english_qa, llm, tmp_path, fake_embedder):
    from article_qa.ui import ArticleSessions, ChatApp

    handlers = ChatApp(slot_for(english_qa), ArticleSessions(tmp_path / "s", embedder=fake_embedder),
                       writer=writer(llm.url))
    llm.reset(status=500)
    final = list(handlers.chat(QUESTION, [], 3, "", []))[-1][0][-1]["content"]
    assert "Showing the quotes: the writer failed (HTTP 500)." in final and "aqa-answer" in final
