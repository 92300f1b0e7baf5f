"""Any article: languages, scripts, encodings, line ends, Markdown, web junk.

Ingest's junk and duplicate rules must be general, so they are tested on
made-up articles (English and Chinese, pasted twice with share widgets in
between) as well as on the real default article.
"""

from __future__ import annotations

from collections import Counter

import pytest

from article_qa import ArticleQA
from article_qa.errors import ArticleError
from article_qa.ingest import clean_article, is_junk_line, read_article

from conftest import DEFAULT_ARTICLE, FakeEmbedder

# ---- made-up articles ------------------------------------------------------------
ENGLISH_LINES = [
    "The River Town Bridge",
    "By Maria Lopez",
    "The River Town bridge opened in 1932 after four years of construction.",
    "It carried trams until 1958, when buses replaced them.",
    "Engineering",
    "The main span is 240 metres long and rests on two granite piers.",
    # Content that uses widget words must survive.
    "Share prices of the builder rose sharply after the opening.",
    "Print media in decline",
    "Local newspapers that covered the opening have mostly closed.",
    "A museum beside the bridge opens on weekends from May to September.",
    "(This article first appeared in the River Town Gazette, 2021.)",
]
ENGLISH_JUNK = [
    "Share this article", "Facebook", "Twitter", "LinkedIn", "Email", "Copy link", "Follow us on Twitter",
    "Subscribe to our newsletter", "Advertisement", "Sign up", "Print", "Tweet", "+ Follow", "👍 Like 12",
    "Share on WhatsApp", "* * *", "———",
]
CHINESE_LINES = [
    "城市圖書館的變遷",
    "文|台北 王小明",
    "市立圖書館於1986年落成，當時藏書約十萬冊。",
    "2015年圖書館完成數位化改造，讀者可以線上借閱電子書。",
    "數位服務",
    "館方表示，電子書借閱量在2020年首次超過紙本書。",
    "分享經驗的讀書會每月舉辦一次，吸引許多市民參加。",
    "關注弱勢讀者",
    "圖書館為視障讀者提供有聲書與點字書服務。",
    "简体段落：图书馆在2018年开放了二十四小时自助借还服务。",
    "（本文原載於《城市週刊》2022年5月號）",
]
CHINESE_JUNK = [
    "掃描二維碼分享到手機", "+關註", "分享到：", "微信", "微博", "QQ空間", "点赞 12", "收藏", "扫码关注",
    "【字號 大 中 小】", "返回頂部", "分享到朋友圈", "責任編輯：",
]
MIXED_LINES = [
    "Digital Government in China",
    "The Government Online Project (政府上網工程) started in 1999 and put ministries on the web.",
    "“數字中國”戰略在2021年的十四五規劃中被明確提出。",
    "By 2020 the online service index had reached 0.9059, ranking 9th in the world.",
]


def pasted_twice(lines: list[str], junk: list[str], *, blank_lines: bool = False) -> str:
    """The article, a widget bar, the article again and the widgets again."""
    parts = lines + junk + lines + junk[::-1]
    return ("\n\n" if blank_lines else "\n").join(parts) + "\n"


def clean_lines(text: str) -> Counter:
    return Counter(line for line in text.split("\n"))


@pytest.mark.parametrize("lines, junk", [(ENGLISH_LINES, ENGLISH_JUNK), (CHINESE_LINES, CHINESE_JUNK),
                                         (MIXED_LINES, ENGLISH_JUNK + CHINESE_JUNK)],
                         ids=["english", "chinese", "mixed"])
@pytest.mark.parametrize("blank_lines", [False, True], ids=["line-per-paragraph", "blank-line-paragraphs"])
def test_junk_and_duplicates_are_removed_by_general_rules(lines, junk, blank_lines):
    article = clean_article(pasted_twice(lines, junk, blank_lines=blank_lines))
    counts = clean_lines(article.text)
    for line in lines:
        assert counts[line] == 1, f"content line kept {counts[line]} times: {line!r}"
    for line in junk:
        assert counts[line] == 0, f"junk line kept: {line!r}"
    assert sum(counts.values()) == len(lines)


def test_widget_lines_glued_under_a_paragraph_are_dropped():
    text = (
        "The bridge opened in 1932 after four years\nof construction.\nShare this article\nFacebook\n\n"
        "Buses replaced the trams in 1958.\n"
    )
    article = clean_article(text)
    assert article.text.split("\n") == ["The bridge opened in 1932 after four years of construction.",
                                        "Buses replaced the trams in 1958."]


def test_wrapped_lowercase_continuation_is_never_taken_for_a_widget():
    text = "Readers were asked to share\nshare this with friends and family.\n\nSecond paragraph here.\n"
    article = clean_article(text)
    assert "share this with friends and family." in article.text


@pytest.mark.parametrize("line", ENGLISH_JUNK + CHINESE_JUNK)
def test_widget_lines_are_junk(line):
    assert is_junk_line(line)


@pytest.mark.parametrize("line", ENGLISH_LINES + CHINESE_LINES + MIXED_LINES + [
    "Follow the money", "Likely outcomes", "Printing presses", "微信支付的普及", "Email and the office"])
def test_content_lines_are_not_junk(line):
    assert not is_junk_line(line)


def test_default_article_every_content_line_once_and_no_widgets():
    raw_lines = [line.strip() for line in DEFAULT_ARTICLE.read_text(encoding="utf-8").split("\n") if line.strip()]
    widgets = {"掃描二維碼分享到手機", "+關註"}
    assert widgets <= set(raw_lines)  # the test guards something real
    assert len(raw_lines) > len(set(raw_lines))  # the raw file is pasted twice
    counts = clean_lines(read_article(DEFAULT_ARTICLE).text)
    for line in dict.fromkeys(raw_lines):
        expected = 0 if line in widgets else 1
        assert counts[line] == expected, f"{line[:30]!r} appears {counts[line]} times"
    assert sum(counts.values()) == len(set(raw_lines)) - len(widgets)


# ---- encodings, BOM, line ends --------------------------------------------------
TRADITIONAL = "政府上網工程\n政府上網工程於1999年啟動，推動各級政府機關建立網站。\n數字政府建設取得重要成就。\n"
SIMPLIFIED = "政府上网工程\n政府上网工程于1999年启动，推动各级政府机关建立网站。\n数字政府建设取得重要成就。\n"
MIXED = "Government Online\nThe Government Online Project (政府上網工程) started in 1999.\n數字中國 is a national strategy.\n"
ENCODINGS = [
    ("utf-8", TRADITIONAL), ("utf-8", SIMPLIFIED), ("utf-8", MIXED),
    ("utf-8-sig", TRADITIONAL), ("utf-8-sig", SIMPLIFIED), ("utf-8-sig", MIXED),
    ("gb18030", TRADITIONAL), ("gb18030", SIMPLIFIED), ("gb18030", MIXED),
    ("big5", TRADITIONAL), ("big5", MIXED),
    ("utf-16", TRADITIONAL),
]


@pytest.mark.parametrize("encoding, text", ENCODINGS)
@pytest.mark.parametrize("newline", ["\n", "\r\n"], ids=["lf", "crlf"])
@pytest.mark.parametrize("explicit", [False, True], ids=["detected", "given"])
def test_encodings_and_line_ends_give_the_same_clean_text(tmp_path, encoding, text, newline, explicit):
    path = tmp_path / "article.txt"
    path.write_bytes(text.replace("\n", newline).encode(encoding))
    expected = clean_article(text).text
    got = read_article(path, encoding=encoding if explicit else None).text
    assert got == expected
    assert "\r" not in got and "\ufeff" not in got


def test_big5_article_builds_and_answers(tmp_path):
    path = tmp_path / "big5.txt"
    path.write_bytes(TRADITIONAL.encode("big5"))
    qa = ArticleQA.build(path, index_dir=tmp_path / "index", embedder=FakeEmbedder())
    answer = qa.ask("政府上網工程是哪一年啟動的？")
    assert answer.found
    assert "政府上網工程於1999年啟動，推動各級政府機關建立網站。" in answer.text


# ---- Markdown ----------------------------------------------------------------------
MARKDOWN = """---
title: Lighthouses
---

# Lighthouses of the North Coast

*By Jane Doe*

The **Kestrel Point** lighthouse was built in 1871 by the
[harbour board](https://example.org/board). ![a photo](tower.jpg)

Keepers
=======

- Three families kept the light over ninety years.
- The last keeper, `Tom Avery`, left in 1961.

> The tower is now a museum run by volunteers.

Share this article
Facebook

---
"""


def test_markdown_markup_is_removed(tmp_path):
    path = tmp_path / "article.md"
    path.write_text(MARKDOWN, encoding="utf-8")
    assert read_article(path).text.split("\n") == [
        "Lighthouses of the North Coast",
        "By Jane Doe",
        "The Kestrel Point lighthouse was built in 1871 by the harbour board.",
        "Keepers",
        "Three families kept the light over ninety years.",
        "The last keeper, Tom Avery, left in 1961.",
        "The tower is now a museum run by volunteers.",
    ]


def test_plain_text_keeps_asterisks_and_underscores(tmp_path):
    path = tmp_path / "article.txt"
    path.write_text("The formula a*b*c uses snake_case_names and 2 * 3 = 6.\n", encoding="utf-8")
    assert read_article(path).text == "The formula a*b*c uses snake_case_names and 2 * 3 = 6."


# ---- an English article built and questioned end to end ---------------------------
ENGLISH_QUESTIONS = [
    ("When did the River Town bridge open?", "The River Town bridge opened in 1932 after four years of construction."),
    ("Until when did the bridge carry trams?", "It carried trams until 1958, when buses replaced them."),
    ("How long is the main span?", "The main span is 240 metres long and rests on two granite piers."),
    ("When does the museum beside the bridge open?",
     "A museum beside the bridge opens on weekends from May to September."),
    ("What happened to share prices of the builder?", "Share prices of the builder rose sharply after the opening."),
    ("Where did the River Town bridge trams run until 1958?", "It carried trams until 1958, when buses replaced them."),
]


@pytest.fixture(scope="module")
def bridge_qa(tmp_path_factory) -> ArticleQA:
    folder = tmp_path_factory.mktemp("bridge")
    path = folder / "bridge.txt"
    path.write_bytes(pasted_twice(ENGLISH_LINES, ENGLISH_JUNK).replace("\n", "\r\n").encode("utf-8-sig"))
    return ArticleQA.build(path, index_dir=folder / "index", embedder=FakeEmbedder(), chunk_size=120, chunk_overlap=0)


@pytest.mark.parametrize("question, gold", ENGLISH_QUESTIONS)
def test_english_article_answers_quote_and_cite_the_article(bridge_qa, question, gold):
    """With the fake embedder the cosines are not the ones the sentence
    ranker was fitted on, so which sentence wins is the real model's test
    below; every answer still quotes the article and cites what it quotes."""
    answer = bridge_qa.ask(question)
    assert answer.found
    for number, start, end in answer.evidence:
        assert bridge_qa.article[start:end] in answer.text
        passage = answer.passages[number]
        assert passage.start < end and start < passage.end


@pytest.fixture(scope="module")
def bridge_qa_real(tmp_path_factory) -> ArticleQA:
    folder = tmp_path_factory.mktemp("bridge-real")
    path = folder / "bridge.txt"
    path.write_text("\n".join(ENGLISH_LINES) + "\n", encoding="utf-8")
    return ArticleQA.build(path, index_dir=folder / "index", chunk_size=120, chunk_overlap=0)


# BM25 now stems English words (d57ceb0) but the sentence ranker was fitted on
# term features of words as written: it prefers the tram sentence here. A strict
# xfail until the ranker is refitted with stems (issue 16, item 3).
_STEM_MISS = pytest.mark.xfail(strict=True, reason="ranker fitted before stemming prefers the tram sentence")


@pytest.mark.slow
@pytest.mark.parametrize("question, gold", [pytest.param(*ENGLISH_QUESTIONS[0], marks=_STEM_MISS),
                                            *ENGLISH_QUESTIONS[1:]])
def test_english_article_answers_with_the_gold_sentence(bridge_qa_real, question, gold):
    answer = bridge_qa_real.ask(question)
    assert answer.found and gold in answer.text


def test_lighthouse_fixture_answers(english_qa):
    answer = english_qa.ask("When was the Kestrel Point lighthouse built?")
    assert "The Kestrel Point lighthouse was built in 1871 by the harbour board." in answer.text


def test_article_of_only_widgets_is_refused():
    with pytest.raises(ArticleError, match="no article text"):
        clean_article("\n".join(ENGLISH_JUNK + CHINESE_JUNK))


@pytest.mark.slow
def test_cli_builds_and_answers_a_big5_crlf_article_with_the_real_model(tmp_path, monkeypatch, capsys):
    """The whole path users take: ``article-qa build`` then ``article-qa ask``, real default model."""
    import json

    from article_qa.cli import main

    monkeypatch.chdir(tmp_path)
    (tmp_path / "article.txt").write_bytes(TRADITIONAL.replace("\n", "\r\n").encode("big5"))
    assert main(["build", "article.txt", "--index", "idx"]) == 0
    capsys.readouterr()
    assert main(["ask", "政府上網工程是哪一年啟動的？", "--index", "idx", "--json"]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert answer["found"]
    assert "政府上網工程於1999年啟動，推動各級政府機關建立網站。" in answer["text"]


# ---- a title line directly above its text ------------------------------------------

TITLED = [
    ("泡泡战士", "泡泡战士是一款由韩国Nexon开发的多人在线游戏。玩家以水枪射出水泡困住对手，再将其踩破。"),
    ("李晨 · 演员", "李晨，1978年出生于北京，中国内地男演员，毕业于北京电影学院表演系。"),
    ("The keepers", "Three families kept the light over ninety years. The last keeper, Tom Avery, left in 1961."),
]


def spans(article):
    return [(article.text[s.start:s.end], s.is_heading) for s in article.spans]


@pytest.mark.parametrize("separator", ["\n", "\r\n"])
def test_a_title_directly_above_its_text_reads_as_with_a_blank_line(separator):
    blank = "\n\n".join(f"{title}\n\n{text}" for title, text in TITLED)
    glued = "\n\n".join(f"{title}\n{text}" for title, text in TITLED).replace("\n", separator)
    expected = [line for title, text in TITLED for line in ((title, True), (text, False))]
    assert spans(clean_article(blank)) == expected
    assert spans(clean_article(glued)) == expected


def test_a_title_above_hard_wrapped_prose_is_split_off_and_the_prose_joined():
    text = ("The keepers\n"
            "Three families kept the light over ninety years. The last keeper,\n"
            "Tom Avery, left in 1961 when the lamp was automated and the\n"
            "cottages were sold.\n\nA museum opens on Saturdays.\n")
    assert spans(clean_article(text)) == [
        ("The keepers", True),
        ("Three families kept the light over ninety years. The last keeper, Tom Avery, left in 1961 "
         "when the lamp was automated and the cottages were sold.", False),
        ("A museum opens on Saturdays.", False)]


@pytest.mark.parametrize("paragraph", [
    # Each first line looks like a heading (short, no closing mark), but:
    "In 1871 the harbour board asked\nJohn Smith, an engineer, to build it.",  # the next is about as long
    "Its lamp\nburned whale oil until 1904, when it was converted to kerosene.",  # the next carries on in lower case
    "The lamp burned\nwhale oil.",
    "市立圖書館於1986年落成當時藏書約十萬冊館舍經過多次擴建閱覽室的座位由最初\n的兩百個增加到八百個。",
])
def test_hard_wrapped_prose_stays_one_paragraph(paragraph):
    article = clean_article(paragraph + "\n\nAnother paragraph ends here.\n")
    first = article.spans[0]
    assert not first.is_heading
    assert article.text[first.start:first.end].replace(" ", "") == paragraph.replace("\n", "").replace(" ", "")


def test_a_byline_directly_above_the_text_is_the_byline():
    article = clean_article("The River Town Bridge\n\nBy Maria Lopez\n"
                            "The River Town bridge opened in 1932 after four years of construction.\n")
    assert article.byline == "By Maria Lopez"
    assert spans(article)[1:] == [("By Maria Lopez", False),
                                  ("The River Town bridge opened in 1932 after four years of construction.", False)]


def test_a_markdown_paragraph_keeps_its_first_line(tmp_path):
    """Markdown says what a heading is: a paragraph's short first line stays in it."""
    path = tmp_path / "a.md"
    path.write_text("# Title\n\nShort line\nA much longer second line of the same paragraph, as Markdown joins it.\n",
                    encoding="utf-8")
    assert spans(read_article(path)) == [
        ("Title", True), ("Short line A much longer second line of the same paragraph, as Markdown joins it.", False)]
