"""The command line's text output (`article-qa ask` / `retrieve`) and `serve`'s arguments."""

from __future__ import annotations

import pytest

from article_qa import Answer, Passage, cli
from article_qa.qa import ArticleQA
from article_qa.settings import DEFAULTS

INTRO = Passage(text="The Kestrel Point lighthouse was built in 1871.", score=0.9, chunk_id=1, section="",
                paragraph=1, start=0, end=47)
KEEPERS = Passage(text="The last keeper left in 1961.", score=0.5, chunk_id=4, section="The keepers",
                  paragraph=3, start=120, end=149)


class StubEngine:
    """Stands in for a loaded index: the CLI's formatting is what is under test."""

    def __init__(self, answer: Answer) -> None:
        self.answer = answer

    def ask(self, question: str) -> Answer:
        return self.answer

    def retrieve(self, question: str, k: int = 3) -> list[Passage]:
        return [INTRO, KEEPERS][:k]


def run(monkeypatch, capsys, answer: Answer, *argv: str) -> list[str]:
    monkeypatch.setattr(ArticleQA, "load", classmethod(lambda cls, index_dir=None, **kw: StubEngine(answer)))
    assert cli.main(list(argv)) == 0
    return capsys.readouterr().out.splitlines()


FOUND = Answer(found=True, text="The Kestrel Point lighthouse was built in 1871.[1] The last keeper left in 1961.[2]",
               passages=(INTRO, KEEPERS), evidence=((0, 0, 47), (1, 120, 149)), short_answer="1871",
               short_span=(42, 46))


def test_ask_prints_the_short_answer_first(monkeypatch, capsys):
    lines = run(monkeypatch, capsys, FOUND, "ask", "When was it built?")
    assert lines[0] == "Answer: 1871"
    assert lines[1] == FOUND.text


def test_ask_without_a_short_answer_prints_no_answer_line(monkeypatch, capsys):
    declined = Answer(found=False, text="The article does not say.")
    assert run(monkeypatch, capsys, declined, "ask", "Sourdough?") == ["The article does not say."]


def test_a_passage_before_the_first_heading_has_no_section_placeholder(monkeypatch, capsys):
    lines = run(monkeypatch, capsys, FOUND, "ask", "When was it built?")
    assert "[1] ¶1 · chars 0–47" in lines
    assert "[2] The keepers · ¶3 · chars 120–149" in lines
    assert not any("—" in line.split("chars")[0] for line in lines if line.startswith("["))


def test_retrieve_lists_passages_without_a_placeholder(monkeypatch, capsys):
    lines = run(monkeypatch, capsys, FOUND, "retrieve", "keeper", "-k", "2")
    assert lines[0] == "1. score 0.900 · ¶1" and lines[2] == "2. score 0.500 · The keepers · ¶3"


def test_ask_json_is_the_answer_dict(monkeypatch, capsys):
    import json

    lines = run(monkeypatch, capsys, FOUND, "ask", "When was it built?", "--json")
    assert json.loads(lines[0]) == FOUND.to_dict()


def test_retrieve_json_is_the_http_shape(monkeypatch, capsys):
    import json

    lines = run(monkeypatch, capsys, FOUND, "retrieve", "keeper", "-k", "2", "--json")
    assert json.loads(lines[0]) == {"passages": [INTRO.to_dict(), KEEPERS.to_dict()]}


def test_serve_rejects_zero_workers(capsys):
    assert cli.main(["serve", "--workers", "0"]) == 2
    assert "at least 1" in capsys.readouterr().err


@pytest.fixture(autouse=True)
def quiet_serve(monkeypatch):
    """`serve` sets its workers' environment and logging in this process: undo both after each test."""
    import article_qa.server

    monkeypatch.delenv("ARTICLE_QA_SERVE_UI", raising=False)
    monkeypatch.delenv("ARTICLE_QA_INDEX", raising=False)
    monkeypatch.setattr(article_qa.server, "configure_logging", lambda: None)


def test_serve_defaults(monkeypatch):
    calls = {}
    import article_qa.server

    monkeypatch.setattr(article_qa.server, "run_server", lambda **kwargs: calls.update(kwargs))
    assert cli.main(["serve", "--index", "some-index"]) == 0
    assert calls == {"host": "127.0.0.1", "port": 7860, "workers": 1, "access_log": False}
    import os

    assert os.environ["ARTICLE_QA_SERVE_UI"] == "1" and os.environ["ARTICLE_QA_INDEX"] == "some-index"


@pytest.mark.parametrize("argv", [["serve", "--workers", "2"], ["serve", "--api-only"]])
def test_serve_without_the_ui(monkeypatch, argv):
    import os

    import article_qa.server

    monkeypatch.setattr(article_qa.server, "run_server", lambda **kwargs: None)
    assert cli.main(argv) == 0
    assert os.environ["ARTICLE_QA_SERVE_UI"] == "0"


@pytest.mark.parametrize("k", ["0", "-1", str(DEFAULTS.max_k + 1)])
def test_retrieve_refuses_k_out_of_range_before_loading_the_index(monkeypatch, capsys, k):
    def load(cls, index_dir=None, **kwargs):
        raise AssertionError("the index was loaded for a k that is refused anyway")

    monkeypatch.setattr(ArticleQA, "load", classmethod(load))
    assert cli.main(["retrieve", "keeper", "-k", k]) == 2
    assert capsys.readouterr().err == f"article-qa: k must be a whole number from 1 to {DEFAULTS.max_k}.\n"


def test_retrieve_accepts_k_at_both_bounds(monkeypatch, capsys):
    for k in ("1", str(DEFAULTS.max_k)):
        assert len(run(monkeypatch, capsys, FOUND, "retrieve", "keeper", "-k", k, "--json")) == 1
