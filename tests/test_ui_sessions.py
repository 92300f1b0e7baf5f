"""Visitors' own articles: one engine and temporary folder per browser session (fake embedder)."""

from __future__ import annotations

import os
from types import SimpleNamespace

import gradio as gr
import pytest

from article_qa import ArticleError, ui
from article_qa.sessions import MAX_UPLOAD_BYTES, ArticleSessions, describe_article, text_language
from article_qa.settings import DEFAULTS
from conftest import ENGLISH_ARTICLE

CHINESE_ARTICLE = """茶園的歷史

文|王小明

鹿谷鄉的凍頂烏龍茶始於1855年,由林鳳池從福建帶回茶苗種植。

製茶工序

茶葉採摘後要經過日光萎凋、室內靜置和炒菁,再揉捻成球狀。
"""
LIGHTHOUSE_QUESTION = "When was the Kestrel Point lighthouse built?"


@pytest.fixture
def sessions(tmp_path, fake_embedder) -> ArticleSessions:
    return ArticleSessions(tmp_path / "sessions", embedder=fake_embedder)


@pytest.fixture
def lighthouse(tmp_path):
    path = tmp_path / "upload" / "lighthouse.md"
    path.parent.mkdir()
    path.write_text(ENGLISH_ARTICLE, encoding="utf-8")
    return path


def folders(sessions: ArticleSessions) -> set[str]:
    return {p.name for p in sessions.root.iterdir()}


def test_an_upload_is_indexed_in_its_own_folder_and_answers_about_itself(sessions, lighthouse):
    entry = sessions.build_from_file("session-a", lighthouse)
    assert entry.folder.parent == sessions.root and (entry.folder / "lighthouse.md").is_file()
    passages = entry.qa.retrieve(LIGHTHOUSE_QUESTION, k=1)
    assert "built in 1871" in passages[0].text and entry.qa.article.startswith("Lighthouses of the North Coast")
    assert entry.info.title == "Lighthouses of the North Coast" and entry.info.language == "en"
    assert entry.info.chars == len(entry.qa.article) and entry.info.passages == entry.qa.n_chunks


def test_examples_are_questions_the_article_answers_in_its_language(sessions, lighthouse):
    """suggest.py: made from the article and kept only when answered with a short
    answer; the opening question in the article's language when none is."""
    english = sessions.build_from_file("a", lighthouse)
    chinese = sessions.build_from_text("b", CHINESE_ARTICLE)
    assert chinese.info.title == "茶園的歷史" and chinese.info.language == "zh-Hant"
    for entry, opening in ((english, "What is the article mainly about?"), (chinese, "這篇文章的重點是什麼?")):
        assert entry.info.examples[0] == opening and entry.qa.ask(opening).kind == "gist"
        suggested = [entry.qa.ask(q) for q in entry.info.examples[1:]]
        # a fact with its short answer, or a list with its items
        assert all(a.found and (a.short_answer if a.kind != "list" else len(a.items) >= 2) for a in suggested)
    assert all("茶園的歷史" not in q for q in chinese.info.examples)  # the title is not a topic


def test_an_article_without_an_opening_heading_is_titled_by_its_file_name(sessions, tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("The bridge opened in 1932 after six years of work.\n", encoding="utf-8")
    entry = sessions.build_from_file("a", path)
    assert entry.info.title == "notes.txt" and entry.info.examples == ("What is the article mainly about?",)


@pytest.mark.parametrize(("text", "language"), [("政府上網工程是哪一年啟動的?", "zh-Hant"),
                                                ("政府上网工程是哪一年启动的?", "zh-Hans"),
                                                ("When did the 政府 start?", "en"), ("", "en")])
def test_text_language(text, language):
    assert text_language(text) == language


def test_the_least_recently_used_engine_goes_with_its_folder(tmp_path, fake_embedder, lighthouse):
    sessions = ArticleSessions(tmp_path / "s", max_engines=2, embedder=fake_embedder)
    a = sessions.build_from_file("a", lighthouse)
    b = sessions.build_from_file("b", lighthouse)
    assert sessions.get("a") is a  # "a" is now the most recently used: "b" goes next
    c = sessions.build_from_file("c", lighthouse)
    assert "b" not in sessions and not b.folder.exists()
    assert sessions.get("a") is a and sessions.get("c") is c and len(sessions) == 2
    assert folders(sessions) == {a.folder.name, c.folder.name}


def test_a_new_upload_replaces_the_sessions_previous_article(sessions, lighthouse):
    first = sessions.build_from_file("a", lighthouse)
    second = sessions.build_from_text("a", CHINESE_ARTICLE)
    assert sessions.get("a") is second and not first.folder.exists() and len(sessions) == 1


def test_ending_a_session_removes_its_folder(sessions, lighthouse, default_qa_fake):
    entry = sessions.build_from_file("tab-1", lighthouse)
    handlers = ui.ChatApp(SimpleNamespace(get=lambda: default_qa_fake, load=lambda: ""), sessions)
    handlers.end_session(SimpleNamespace(session_hash="tab-1"))
    assert "tab-1" not in sessions and not entry.folder.exists()
    sessions.drop("tab-1")  # twice is harmless (unload and the state's delete callback may both fire)


def test_leftovers_of_dead_processes_are_removed_at_start_and_live_ones_kept(tmp_path, fake_embedder):
    base = tmp_path / "sessions"
    dead, live = base / "p999999999-old", base / f"p{os.getpid()}-other"
    for folder in (dead, live):
        (folder / "x").mkdir(parents=True)
    sessions = ArticleSessions(base, embedder=fake_embedder)
    assert not dead.exists() and live.exists() and sessions.root.is_dir()
    sessions.close()
    assert not sessions.root.exists()


@pytest.mark.parametrize(("name", "content", "message"), [
    ("empty.txt", b"", "empty.txt is empty."),
    ("photo.png", b"\x89PNG\r\n", "photo.png is not a .txt, .md, .html, .htm or .pdf file."),
    ("widgets.txt", "Share\nFacebook\n".encode(), "widgets.txt has no article text"),
    ("binary.txt", bytes(range(256)) * 40, "binary.txt"),
])
def test_a_bad_file_is_one_line_without_server_paths_and_the_article_stays(sessions, lighthouse, tmp_path,
                                                                          name, content, message):
    kept = sessions.build_from_file("a", lighthouse)
    bad = tmp_path / name
    bad.write_bytes(content)
    with pytest.raises(ArticleError) as info:
        sessions.build_from_file("a", bad)
    text = str(info.value)
    assert message in text and "\n" not in text and str(sessions.root) not in text
    assert sessions.get("a") is kept and folders(sessions) == {kept.folder.name}


def test_a_file_over_the_limit_is_refused_before_it_is_copied(sessions, tmp_path):
    big = tmp_path / "big.txt"
    with big.open("wb") as handle:
        handle.truncate(MAX_UPLOAD_BYTES + 1)
    with pytest.raises(ArticleError, match=r"big.txt is 5.0 MB; the limit for an upload is 5 MB"):
        sessions.build_from_file("a", big)
    assert folders(sessions) == set()
    with pytest.raises(ArticleError, match="larger than 5 MB"):
        sessions.build_from_text("a", "字" * (MAX_UPLOAD_BYTES // 3 + 1))
    with pytest.raises(ArticleError, match="pasted text is empty"):
        sessions.build_from_text("a", "  \n ")


# ---- through the UI handlers -------------------------------------------------------
@pytest.fixture
def handlers(sessions, default_qa_fake) -> ui.ChatApp:
    return ui.ChatApp(SimpleNamespace(get=lambda: default_qa_fake, load=lambda: ""), sessions)


def tab(name: str) -> SimpleNamespace:
    return SimpleNamespace(session_hash=name)


class RecordingProgress:
    def __init__(self) -> None:
        self.calls: list[tuple[float | None, str]] = []

    def __call__(self, fraction, desc=None):
        self.calls.append((fraction, desc))


def test_an_upload_switches_the_session_to_its_article_with_progress(handlers, lighthouse):
    progress = RecordingProgress()
    key, header, examples, chat, panel, last, status, back, upload = handlers.use_upload(
        str(lighthouse), tab("tab-1"), progress)
    assert key == "tab-1" and "Your article:" in header and "Lighthouses of the North Coast" in header
    assert examples.raw_samples == [[q] for q in handlers.sessions.get("tab-1").info.examples]
    assert chat == [] and last is None and back.visible is True and upload is None
    assert "Ready: Lighthouses of the North Coast" in status
    fractions = [f for f, _ in progress.calls if f is not None]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert all(str(handlers.sessions.root) not in desc for _, desc in progress.calls)
    _, panel, *_ = handlers.respond(LIGHTHOUSE_QUESTION, [], 3, key)
    assert "built in 1871" in panel


def test_a_bad_upload_shows_its_message_and_changes_nothing_else(handlers, tmp_path):
    empty = tmp_path / "empty.md"
    empty.write_text("")
    result = handlers.use_upload(str(empty), tab("tab-1"), RecordingProgress())
    assert result[:6] == (gr.skip(),) * 6 and result[7] == gr.skip()
    assert 'role="alert"' in result[6] and "empty.md is empty." in result[6]
    assert result[8] is None  # the upload box is emptied for the next try


def test_two_sessions_never_see_each_others_article(handlers, lighthouse):
    handlers.use_upload(str(lighthouse), tab("tab-a"), RecordingProgress())
    handlers.use_pasted_text(CHINESE_ARTICLE, tab("tab-b"), RecordingProgress())
    def shown(question: str, key: str) -> str:  # the reply and the panel's passages, answered or not
        history, panel, *_ = handlers.respond(question, [], DEFAULTS.max_k, key)
        return history[1]["content"] + panel

    a, b, default = (shown(LIGHTHOUSE_QUESTION, key) for key in ("tab-a", "tab-b", ""))
    assert "built in 1871" in a
    # words of each article that the questions do not contain (the panel repeats the question)
    assert "harbour board" not in b and "harbour board" not in default and "林鳳池" not in a
    assert "1855" in shown("凍頂烏龍茶始於哪一年?", "tab-b") and "1855" not in shown("凍頂烏龍茶始於哪一年?", "tab-a")


def test_back_to_the_default_article_drops_the_upload(handlers, lighthouse, default_qa_fake):
    handlers.use_upload(str(lighthouse), tab("tab-1"), RecordingProgress())
    folder = handlers.sessions.get("tab-1").folder
    key, header, *_, status, back, upload = handlers.use_default(tab("tab-1"))
    assert key == "" and "Your article" not in header and back.visible is False
    assert describe_article(default_qa_fake, "x").byline in header
    assert "tab-1" not in handlers.sessions and not folder.exists()
