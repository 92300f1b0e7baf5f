"""Answers shaped by the question: the question's kind, the article's
structure found at build time, and the list / gist / reason composers.

The questions and articles here are written for articles other than the
default one (a licence, a handbook, a recipe, a Chinese policy note), so a
rule keyed to the default article would fail them.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import FakeEmbedder

from article_qa import ArticleQA
from article_qa.chunk import split_sentences
from article_qa.fold import fold
from article_qa.ingest import clean_article, read_article_bytes
from article_qa.question_kind import classify
from article_qa.structure import Structure, find_structure, marker


@pytest.mark.parametrize("question, kind, count", [
    ("What conditions must I meet to redistribute the Work?", "list", 0),
    ("What are the three steps to install the package?", "list", 3),
    ("List the supported file formats.", "list", 0),
    ("本手冊有哪些安全規定?", "list", 0),
    ("该计划分为哪三个阶段?", "list", 3),
    ("報告提出了哪四項建議?", "list", 4),
    ("What is this document about?", "gist", 0),
    ("Summarize the licence in three points.", "gist", 3),
    ("Can you give me an overview?", "gist", 0),
    ("這份報告主要講什麼?", "gist", 0),
    ("请总结一下这篇文章", "gist", 0),
    ("What is the conclusion of the report?", "gist", 0),
    ("Why did the council close the library?", "reason", 0),
    ("为什么要推迟这个项目?", "reason", 0),
    ("How do I reset my password?", "manner", 0),
    ("如何申請補助?", "manner", 0),
    # facts: a fact's question word wins over every other cue
    ("When was the licence first published?", "fact", 0),
    ("How many members does the committee have?", "fact", 0),
    ("這個系統被稱為什麼?", "fact", 0),  # 稱為什麼 asks a name, not why
    ("What is the first of the three steps?", "fact", 0),  # one item of a list
    ("該計劃的三個階段是哪一年開始的?", "fact", 0),
    ("三金工程的總投資是多少?", "fact", 0),  # a numeral inside a name is no count
    ("政務信息化的主要內容是甚麼?", "fact", 0),  # 主要內容 of one thing the article names, not of the article
    ("它採用了怎樣的分類標準?", "fact", 0),  # 怎樣的: what kind of, not how
])
def test_the_question_kind_is_read_from_its_words(question, kind, count):
    shape = classify(fold(question))
    assert (shape.kind, shape.count) == (kind, count)


def test_a_gist_question_that_names_a_topic_asks_for_a_section():
    assert classify(fold("What does the article say about data retention?")).topic
    assert not classify(fold("What is this article about?")).topic
    assert classify(fold("What is the conclusion?")).conclusion


@pytest.mark.parametrize("text, expected", [
    ("首先,建立制度。", ("zh-seq", 1)), ("其次是培訓。", ("zh-seq", 2)), ("第三,加強監督。", ("zh-seq", 3)),
    ("最後,總結經驗。", ("zh-seq", 99)), ("二是完善標準;", ("zh-shi", 2)), ("(三)資金保障", ("zh-paren", 3)),
    ("四、附則", ("zh-dun", 4)), ("2. Install it.", ("num", 2)), ("(b) You must keep notices;", ("alpha", 2)),
    ("Secondly, the board votes.", ("en-seq", 2)), ("第一次會議在北京召開。", None), ("1.5 million people came.", None),
    ("2002年發布。", None),
])
def test_ordinal_markers_open_items(text, expected):
    assert marker(text) == expected


CHINESE_NOTE = """\
社區圖書館改造方案

為了服務更多讀者,社區決定改造圖書館。改造工作由街道辦事處負責。

改造內容

改造工作包括以下幾個方面:
首先,擴建閱覽室,增加兩百個座位。
其次,更新電腦設備,開通無線網絡。
第三,延長開放時間至晚上十點。

資金來源

資金主要有三個來源:一是區政府撥款;二是企業捐贈;三是居民眾籌。

總的來看,改造完成後,圖書館將成為社區的學習中心,居民的閱讀條件會明顯改善。
"""

ENGLISH_GUIDE = """\
# Contributor guide

This guide explains how to contribute code to the project and what the maintainers expect.

## Licence terms

You may redistribute the code provided that you meet the following conditions:

- You must keep the copyright notice.
- You must state the changes you made.
  - Each changed file carries a note.
- You must not use the maintainers' names to promote your work.

## Reviews

Every pull request is reviewed by two maintainers. Reviews usually take a week, because maintainers are volunteers.

## Closing words

We thank every contributor for the time they give to the project and hope to see your work soon.
"""


def _structure_of(article) -> tuple[str, Structure]:
    return article.text, find_structure(article, split_sentences(article))


def test_enumerations_of_paragraphs_and_of_clauses_with_their_lead_ins():
    text, structure = _structure_of(clean_article(CHINESE_NOTE))
    found = [(text[slice(*e.lead_in)] if e.lead_in else None, [text[s:e2] for s, e2, _ in e.items], e.inline)
             for e in structure.enumerations]
    assert ("改造工作包括以下幾個方面:", ["首先,擴建閱覽室,增加兩百個座位。", "其次,更新電腦設備,開通無線網絡。",
                                      "第三,延長開放時間至晚上十點。"], False) in found
    assert ("資金主要有三個來源", ["一是區政府撥款", "二是企業捐贈", "三是居民眾籌"], True) in found
    assert text[slice(*structure.lead)].startswith("為了服務更多讀者")
    assert text[slice(*structure.closing)].startswith("總的來看")
    assert [text[slice(*s.heading)] for s in structure.sections if s.heading] == ["社區圖書館改造方案", "改造內容", "資金來源"]


def test_markdown_list_items_keep_their_level_and_the_colon_sentence_leads_in():
    article = read_article_bytes(ENGLISH_GUIDE.encode(), "guide.md")
    text, structure = _structure_of(article)
    (enumeration,) = structure.enumerations
    assert text[slice(*enumeration.lead_in)].endswith("the following conditions:")
    assert [(text[s:e], level) for s, e, level in enumeration.items] == [
        ("You must keep the copyright notice.", 1), ("You must state the changes you made.", 1),
        ("Each changed file carries a note.", 2), ("You must not use the maintainers' names to promote your work.", 1)]
    assert Structure.from_json(structure.to_json()) == structure


def _engine(tmp_path_factory, name: str, text: str) -> ArticleQA:
    """An engine over ``text`` saved as ``name`` (its extension picks the format), with the fake embedder."""
    folder = tmp_path_factory.mktemp(Path(name).stem)
    (folder / name).write_text(text, encoding="utf-8")
    return ArticleQA.build(folder / name, index_dir=folder / "index", embedder=FakeEmbedder(), reader=False)


@pytest.fixture(scope="module")
def guide_qa(tmp_path_factory) -> ArticleQA:
    return _engine(tmp_path_factory, "guide.md", ENGLISH_GUIDE)


@pytest.fixture(scope="module")
def note_qa(tmp_path_factory) -> ArticleQA:
    return _engine(tmp_path_factory, "note.txt", CHINESE_NOTE)


def test_a_list_question_gets_the_lead_in_and_every_item_with_citations(guide_qa):
    answer = guide_qa.ask("What conditions must I meet to redistribute the code?")
    assert answer.found and answer.kind == "list"
    assert answer.text.startswith("You may redistribute the code provided that you meet the following conditions:[")
    assert [item.text for item in answer.items] == [
        "You must keep the copyright notice.", "You must state the changes you made.",
        "Each changed file carries a note.", "You must not use the maintainers' names to promote your work."]
    for item in answer.items:
        assert guide_qa.article[item.start:item.end] == item.text
        assert f"{item.text}[{item.citation}]" in answer.text
        assert 1 <= item.citation <= len(answer.passages)
    assert answer.to_dict()["items"][0] == {"text": answer.items[0].text, "start": answer.items[0].start,
                                           "end": answer.items[0].end, "citation": answer.items[0].citation}


def test_a_list_inside_one_sentence_quotes_the_sentence_with_its_items_split(note_qa):
    answer = note_qa.ask("資金有哪三個來源?")
    assert answer.kind == "list"
    assert [item.text for item in answer.items] == ["一是區政府撥款", "二是企業捐贈", "三是居民眾籌"]
    assert answer.text == "資金主要有三個來源:一是區政府撥款;二是企業捐贈;三是居民眾籌。[1]"


def test_a_counted_list_question_gets_the_list_of_that_length(note_qa):
    answer = note_qa.ask("改造工作包括哪三個方面?")
    assert [item.text for item in answer.items] == ["首先,擴建閱覽室,增加兩百個座位。", "其次,更新電腦設備,開通無線網絡。",
                                                   "第三,延長開放時間至晚上十點。"]


def test_the_gist_quotes_the_lead_and_a_sentence_for_each_section_in_article_order(guide_qa):
    answer = guide_qa.ask("What is this document about?")
    assert answer.found and answer.kind == "gist" and not answer.items
    quoted = [start for _, _, start, _ in answer.quoted()]
    assert quoted == sorted(quoted)
    assert answer.text.startswith("This guide explains how to contribute code to the project")
    assert len(_points(guide_qa, answer)) <= 5
    # each section by its heading and the sentence that opens it
    assert "Reviews[" in answer.text and "Every pull request is reviewed by two maintainers.[" in answer.text


def _points(qa, answer) -> list[str]:
    """The quoted sentences that are no heading."""
    return [text for text, _, start, _ in answer.quoted()
            if qa.index.sentence_kinds[int((qa.index.sentences[:, 0] == start).nonzero()[0][0])] != "heading"]


def test_a_gist_in_n_points_has_n_sentences(guide_qa):
    assert len(_points(guide_qa, guide_qa.ask("Summarize the guide in two points."))) == 2


def test_a_named_section_gist_opens_each_of_its_paragraphs(note_qa):
    answer = note_qa.ask("資金來源這一部分講了什麼?")
    assert answer.kind == "gist" and answer.text.startswith("資金主要有三個來源")


def test_the_conclusion_is_the_closing_paragraph(note_qa):
    answer = note_qa.ask("這篇文章的結論是什麼?")
    assert answer.kind == "gist"
    assert answer.text.startswith("總的來看,改造完成後")


def test_a_reason_question_quotes_the_sentence_and_its_cause(guide_qa):
    answer = guide_qa.ask("Why do reviews take a week?")
    assert answer.kind == "reason"
    assert "because maintainers are volunteers" in answer.text


def test_a_list_question_about_what_the_article_never_names_is_declined(note_qa):
    answer = note_qa.ask("上海圖書館有哪些服務?")
    assert not answer.found and answer.kind == "list"


def test_quoted_sentences_are_cut_back_out_of_the_text(note_qa):
    answer = note_qa.ask("改造工作包括哪三個方面?")
    for sentence, citation, start, end in answer.quoted():
        assert sentence == note_qa.article[start:end]
        assert f"{sentence}[{citation}]" in answer.text


# ---- an answer of the kind asked (answer/typed.py) ------------------------------------

INDEX_NOTE = """\
The harbour index rose from 0.61 in 2018 to 0.79 in 2020, the port authority said.

The new pier was designed by the engineer Mary Fowler. Work on the pier began in 1931 and ended in March 1933.

The museum beside the pier opened in 2016. It keeps the old ship's bell and a model of the first ferry.
"""


@pytest.fixture(scope="module")
def harbour_qa(tmp_path_factory) -> ArticleQA:
    return _engine(tmp_path_factory, "note.txt", INDEX_NOTE)


def test_a_year_the_paragraph_never_states_is_a_near_miss(harbour_qa):
    assert harbour_qa.ask("What was the harbour index in 2020?").found
    assert not harbour_qa.ask("What was the harbour index in 2016?").found


def test_a_when_question_needs_a_sentence_that_holds_a_time(harbour_qa):
    assert harbour_qa.ask("In which year did work on the pier begin?").found
    assert not harbour_qa.ask("In which year was the model of the first ferry made?").found


def test_the_number_of_a_name_is_no_figure_to_find(harbour_qa):
    from article_qa.answer.typed import _FIGURE

    assert _FIGURE.findall("covid-19 cases in 2016 and g20") == ["2016"]


def test_the_chat_shows_a_list_numbered_and_a_gist_with_its_headings_in_bold(guide_qa):
    from article_qa.ui.formatting import describe, format_answer

    listed = guide_qa.ask("What conditions must I meet to redistribute the code?")
    html = format_answer(listed)
    items = html.split('<ol class="aqa-items">')[1].split("</ol>")[0]
    assert items.count("<li>") == 4 and items.startswith("<li>You must keep the copyright notice.<sup")
    assert describe(listed) == "as a list of 4 items"
    summary = guide_qa.ask("What is this document about?")
    html = format_answer(summary)
    assert '<strong class="aqa-gist-heading">Reviews</strong>' in html
    assert html.index("This guide explains") < html.index("aqa-gist-heading")  # the lead, quoted plain, first
    assert describe(summary) == "a summary of the article"


def test_the_last_section_is_the_last_one_not_the_one_before(guide_qa):
    answer = guide_qa.ask("Summarize the last section.")
    assert answer.kind == "gist" and answer.text.startswith("We thank every contributor")
