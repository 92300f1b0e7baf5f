"""The CMRC 2018 benchmark: texts, split, variants, the official metric, the runner's scoring."""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass

import pytest

from article_qa import ArticleQA
from article_qa.fold import fold
from article_qa.ingest import clean_article, is_heading

from conftest import ROOT, FakeEmbedder

sys.path.insert(0, str(ROOT / "eval"))
import benchmark  # noqa: E402
import cmrc  # noqa: E402

PARAGRAPHS = cmrc.load_paragraphs()


@pytest.fixture(scope="module")
def texts():
    return {variant: cmrc.load_texts(variant) for variant in cmrc.VARIANTS}


# ---- texts and split -------------------------------------------------------

def test_the_copy_is_the_published_trial_set():
    assert len(PARAGRAPHS) == 256
    assert sum(len(p["qas"]) for p in PARAGRAPHS) == 1002
    assert (ROOT / "eval" / "cmrc2018" / "LICENCE").read_text(encoding="utf-8").startswith(
        "Attribution-ShareAlike 4.0 International")


def test_every_paragraph_and_question_lands_in_exactly_one_text(texts):
    simplified = texts["simplified"]
    for paragraph in PARAGRAPHS:
        holders = [t.name for t in simplified if paragraph["context_text"] in t.article]
        assert len(holders) == 1, paragraph["context_id"]
    ids = [q.id for t in simplified for q in t.questions]
    asked = [q["query_id"] for p in PARAGRAPHS for q in p["qas"] if q["query_text"].strip()]
    assert sorted(ids) == sorted(asked) and len(ids) == 1000  # the two empty questions are left out
    assert all(q.text and q.golds for t in simplified for q in t.questions + t.other_questions)


def test_grouping_is_deterministic_and_article_sized(texts):
    again = cmrc.group_paragraphs(cmrc.load_paragraphs())
    assert [len(g) for g in again] == [len(g) for g in cmrc.group_paragraphs(PARAGRAPHS)]
    for group in again:
        assert len(group) <= cmrc.TEXT_PARAGRAPHS + cmrc.TEXT_PARAGRAPHS // 2
        chars = sum(len(p["title"]) + len(p["context_text"]) for p in group)
        assert cmrc.TEXT_CHARS // 2 <= chars <= cmrc.TEXT_CHARS * 1.5
    assert [t.name for t in texts["simplified"]] == [f"cmrc2018-trial-{i:02d}" for i in range(len(again))]


def test_split_is_about_two_thirds_train_and_the_same_for_every_variant(texts):
    splits = {variant: [(t.name, t.split) for t in group] for variant, group in texts.items()}
    assert splits["simplified"] == splits["traditional"] == splits["cross-script"]
    validation = [name for name, split in splits["simplified"] if split == "validation"]
    assert validation == ["cmrc2018-trial-02", "cmrc2018-trial-05", "cmrc2018-trial-08"]
    assert 0.25 <= len(validation) / len(splits["simplified"]) <= 0.4


def test_titles_become_headings_and_every_gold_survives_ingest(texts):
    for variant, group in texts.items():
        for text in group:
            article = clean_article(text.article)
            paragraphs = [s for s in article.spans if not s.is_heading]
            assert sum(s.is_heading for s in article.spans) == len(paragraphs), (variant, text.name)
            assert benchmark.count_missing_golds(article.text, text) == 0, (variant, text.name)


def test_heading_lines_read_as_headings_even_with_brackets_or_repeats():
    assert cmrc.heading_line("李晨 (演员)") == "李晨 · 演员"
    assert cmrc.heading_line("路口镇（长沙县）", 2) == "路口镇 · 长沙县 · 2"
    assert all(is_heading(cmrc.heading_line(p["title"])) for p in PARAGRAPHS)
    article = cmrc.compose_article([{"title": "泡泡战士", "context_text": "第一段说的是游戏。"},
                                    {"title": "泡泡战士", "context_text": "第二段说的是规则。"}])
    clean = clean_article(article)
    assert "第一段说的是游戏。" in clean.text and "第二段说的是规则。" in clean.text
    assert sum(s.is_heading for s in clean.spans) == 2


def test_both_layouts_hold_the_same_texts_and_ingest_reads_them_alike(texts):
    for blank, above in zip(texts["simplified"], cmrc.load_texts("simplified", "title-above")):
        assert above.article != blank.article and above.article.replace("\n", "") == blank.article.replace("\n", "")
        assert (above.name, above.questions, above.other_questions) == (blank.name, blank.questions,
                                                                        blank.other_questions)
        assert clean_article(above.article) == clean_article(blank.article), blank.name
    paragraphs = [{"title": "泡泡战士", "context_text": "泡泡战士由韩国Nexon开发。"},
                  {"title": "李晨 (演员)", "context_text": "李晨，1978年出生于北京。"}]
    assert cmrc.compose_article(paragraphs, "title-above") == (
        "泡泡战士\n泡泡战士由韩国Nexon开发。\n\n李晨 · 演员\n李晨，1978年出生于北京。\n")
    with pytest.raises(ValueError, match="unknown layout"):
        cmrc.load_texts("simplified", "no-blank-lines")


SUMMARY = ROOT / "eval" / "benchmark-summary.json"


def test_the_committed_benchmark_agrees_across_layouts():
    results = json.loads(SUMMARY.read_text(encoding="utf-8"))
    assert results["layouts"] == list(cmrc.LAYOUTS)
    assert abs(benchmark.layout_gap(results)) <= benchmark.LAYOUT_TOLERANCE
    cmrc_questions = sum(results["summary"][v][benchmark.ENGINE]["n"] for v in cmrc.VARIANTS)
    for layout in cmrc.LAYOUTS:  # the layouts are compared on CMRC, the set built in both
        assert results["by_layout"][layout][benchmark.CMRC]["n"] == cmrc_questions
    assert results["layouts_by_system"] == {
        system: list(cmrc.LAYOUTS) if system == benchmark.ENGINE else [cmrc.LAYOUTS[0]]
        for system in benchmark.SYSTEMS}


def test_the_summary_is_the_run_without_its_rows_and_the_full_dump_is_not_tracked():
    results = {"split": "validation", "layouts": ["blank-line", "title-above"], "summary": {"overall": {}},
               "rows": [{"system": "a", "layout": "title-above"}, {"system": "a", "layout": "blank-line"},
                        {"system": "b", "layout": "blank-line"}]}
    assert benchmark.summary_of(results) == {
        "split": "validation", "layouts": ["blank-line", "title-above"], "summary": {"overall": {}},
        "layouts_by_system": {"a": ["blank-line", "title-above"], "b": ["blank-line"]}}
    assert json.loads(benchmark.summary_json(results)) == benchmark.summary_of(results)
    assert benchmark.output_paths("validation") == (ROOT / "eval" / "benchmark.md", ROOT / "eval" / "benchmark.json",
                                                    SUMMARY)
    assert SUMMARY.stat().st_size < 100_000  # the README's figures, not every question
    import subprocess

    if subprocess.run(["git", "rev-parse", "--is-inside-work-tree"], cwd=ROOT, capture_output=True).returncode == 0:
        assert subprocess.run(["git", "ls-files", "eval/benchmark.json"], cwd=ROOT, capture_output=True,
                              text=True).stdout == "", "eval/benchmark.json (~9 MB, every run) must stay out of git"
        assert subprocess.run(["git", "check-ignore", "-q", "eval/benchmark.json"], cwd=ROOT).returncode == 0


def test_layout_table_prints_both_layouts_and_the_gap():
    row = {"n": 2, "hit@1": 1.0, "answer_accuracy": 0.5, "short_f1": 0.25, "decline_rate": 1.0,
           "false_decline_rate": 0.0}
    results = {"layouts": ["blank-line", "title-above"],
               "by_layout": {"blank-line": {benchmark.CMRC: row},
                             "title-above": {benchmark.CMRC: {**row, "answer_accuracy": 0.48}}}}
    table = benchmark.layout_table(results)
    assert f"| blank-line | {benchmark.CMRC} | 2 | 1.000 | 0.500 | 0.250 | 1.000 | 0.000 |" in table
    assert f"| title-above | {benchmark.CMRC} | 2 | 1.000 | 0.480 |" in table
    assert table.endswith("CMRC: -0.020 (NOT within 0.01)")


def test_other_questions_come_from_one_other_text_of_the_same_split(texts):
    for variant, group in texts.items():
        owner = {q.id: t for t in group for q in t.questions}
        for text in group:
            assert len(text.other_questions) == cmrc.OTHER_QUESTIONS
            donors = {owner[q.id].name for q in text.other_questions}
            assert len(donors) == 1 and text.name not in donors
            assert {owner[q.id].split for q in text.other_questions} == {text.split}
            for question in text.other_questions:
                for gold in question.golds:
                    assert gold not in text.article and fold(gold) not in fold(text.article), (variant, question.id)


def test_traditional_variant_converts_article_questions_and_golds(texts):
    for simple, traditional, cross in zip(texts["simplified"], texts["traditional"], texts["cross-script"]):
        assert traditional.article == cmrc.to_traditional(simple.article) != simple.article
        assert cross.article == traditional.article
        for s, t, c in zip(simple.questions, traditional.questions, cross.questions):
            assert s.id == t.id == c.id
            assert t.text == cmrc.to_traditional(s.text) and c.text == s.text
            assert t.golds == c.golds == tuple(cmrc.to_traditional(g) for g in s.golds)
        assert [q.id for q in traditional.other_questions] == [q.id for q in simple.other_questions]
    assert "開發" in texts["traditional"][0].article and "开发" in texts["simplified"][0].article


def test_write_article_writes_the_text_as_utf8(tmp_path, texts):
    text = texts["traditional"][0]
    path = cmrc.write_article(text, tmp_path)
    assert path.suffix == ".txt" and path.read_text(encoding="utf-8") == text.article


# ---- the official metric ---------------------------------------------------

def test_segmentation_splits_cjk_by_character_and_latin_by_word():
    assert cmrc.mixed_segmentation("韩国Nexon开发 v2.5版") == ["韩", "国", "nexon", "开", "发", "v2.5", "版"]
    assert cmrc.mixed_segmentation("《泡泡堂》", remove_punctuation=True) == ["泡", "泡", "堂"]
    # as in the official script, a removed mark does not end a Latin run
    assert cmrc.mixed_segmentation("2V2-4V4", remove_punctuation=True) == ["2v24v4"]


def test_cmrc_f1_against_hand_computed_values():
    assert cmrc.cmrc_f1("1999年启动", ["1999年"]) == pytest.approx(2 / 3)  # lcs 2, p 2/4, r 2/2
    # gold 韩 国 nexon 开 发, prediction nexon 开 发 与 发 行: lcs 3, p 3/6, r 3/5
    assert cmrc.cmrc_f1("Nexon开发与发行", ["韩国Nexon开发"]) == pytest.approx(2 * 0.5 * 0.6 / 1.1)
    assert cmrc.cmrc_f1("“踢爆”。", ["踢爆"]) == 1.0
    assert cmrc.cmrc_f1("水枪", ["锤子", "水枪、小枪"]) == pytest.approx(2 * 1 * 0.5 / 1.5)  # best gold
    assert cmrc.cmrc_f1("", ["踢爆"]) == 0.0
    assert cmrc.cmrc_f1("爆踢", ["踢爆"]) == pytest.approx(0.5)  # lcs is one token, not a bag of tokens


def test_cmrc_em_ignores_the_official_punctuation_only():
    assert cmrc.cmrc_em("《泡泡堂》。", ["泡泡堂"]) == 1.0
    assert cmrc.cmrc_em(" Nexon ", ["nexon"]) == 1.0
    assert cmrc.cmrc_em("4分钟", ["4分", "4分钟"]) == 1.0
    assert cmrc.cmrc_em("4分钟,", ["4分钟"]) == 0.0  # half-width comma is not in the official list
    assert cmrc.cmrc_em("", ["踢爆"]) == 0.0


# ---- the runner's scoring ----------------------------------------------------

SYNTHETIC = cmrc.BenchmarkText(
    name="synthetic", split="validation",
    article=cmrc.compose_article([{"title": "泡泡战士", "context_text":
                                   "泡泡战士由韩国Nexon开发。玩家以水枪泡封敌人。若游戏中离，则4分钟内不得进行配对。"}]),
    questions=(cmrc.Question("q1", "泡泡战士由哪家公司开发？", ("Nexon",)),
               cmrc.Question("q2", "游戏中离后多少分钟内不得配对？", ("4分钟",))),
    other_questions=(cmrc.Question("x1", "松平康忠是哪国人？", ("日本",)),),
)


@dataclass(frozen=True)
class CannedAnswer:
    found: bool
    text: str
    short_answer: str = ""


@dataclass(frozen=True)
class CannedPassage:
    text: str


class CannedSystem:
    """Fixed replies, so the scoring's counts are known exactly."""

    replies = {
        "泡泡战士由哪家公司开发？": (CannedAnswer(True, "泡泡战士由韩国Nexon开发。[1]", "韩国Nexon"),
                            ["泡泡战士由韩国Nexon开发。", "玩家以水枪泡封敌人。"]),
        "游戏中离后多少分钟内不得配对？": (CannedAnswer(False, "文章没有提到这一点。"),
                                ["玩家以水枪泡封敌人。", "则4分钟内不得进行配对。"]),
        "松平康忠是哪国人？": (CannedAnswer(False, "文章没有提到这一点。"), []),
    }

    def ask(self, question):
        return self.replies.get(question, (CannedAnswer(True, "?"), []))[0]

    def retrieve(self, question, k=3):
        return [CannedPassage(t) for t in self.replies.get(question, (None, []))[1][:k]]


def test_scoring_counts_a_canned_system_exactly():
    rows = benchmark.score_text(CannedSystem(), SYNTHETIC, system_name="canned", variant="simplified")
    assert [(r["id"], r["kind"]) for r in rows] == [("q1", "own"), ("q2", "own"), ("x1", "other")]
    summary = benchmark.summarize(rows)
    assert summary["n"] == 2 and summary["n_other"] == 1
    assert summary["hit@1"] == 0.5 and summary["hit@3"] == 1.0
    assert summary["answer_accuracy"] == 0.5 and summary["false_decline_rate"] == 0.5
    assert summary["decline_rate"] == 1.0
    assert summary["short_em"] == 0.0  # 韩国Nexon is not Nexon
    # q1: gold nexon, prediction 韩 国 nexon: p 1/3, r 1 -> 0.5; q2 declined -> 0
    assert summary["short_f1"] == pytest.approx(0.25)
    assert summary["n_near"] == 0 and summary["near_decline_rate"] == 0.0


def test_near_misses_are_scored_as_declines_and_english_answers_by_tokens():
    near = (cmrc.Question("q1-swapped", "松平康忠是哪国人？", ()), cmrc.Question("q9-swapped", "谁开发了它？", ()))
    rows = benchmark.score_text(CannedSystem(), SYNTHETIC, system_name="canned", variant="simplified",
                                near_misses=near)
    assert [r["kind"] for r in rows][-2:] == ["near", "near"]
    summary = benchmark.summarize(rows)
    assert summary["n_near"] == 2 and summary["near_decline_rate"] == 0.5  # the canned "?" reply is no decline
    english = benchmark.score_text(CannedSystem(), SYNTHETIC, system_name="canned", variant="xquad-en")
    # SQuAD's token F1: "韩国Nexon" is one token, not the gold "Nexon"
    assert benchmark.summarize(english)["short_f1"] == 0.0


def test_scoring_runs_the_engine_and_both_baselines_on_a_small_text(tmp_path):
    path = cmrc.write_article(SYNTHETIC, tmp_path)
    qa = ArticleQA.build(path, index_dir=tmp_path / "index", embedder=FakeEmbedder())
    assert benchmark.count_missing_golds(qa.article, SYNTHETIC) == 0
    engine = benchmark.score_text(qa, SYNTHETIC, system_name=benchmark.ENGINE, variant="simplified")
    summary = benchmark.summarize(engine)
    assert summary["n"] == 2 and summary["n_other"] == 1
    assert qa.n_chunks <= 3 and summary["hit@3"] == 1.0  # top 3 holds every chunk
    assert summary["false_decline_rate"] == benchmark._mean(not r["found"] for r in engine if r["kind"] == "own")
    assert all(r["short_answer"] == "" for r in engine if r["kind"] == "own" and not r["found"])

    lexical = benchmark.score_text(benchmark.LexicalPicker(SYNTHETIC.article), SYNTHETIC,
                                   system_name=benchmark.LEXICAL, variant="simplified")
    picked = [r["answer"] for r in lexical]
    assert picked == ["泡泡战士由韩国Nexon开发。", "若游戏中离，则4分钟内不得进行配对。", "泡泡战士"]
    assert benchmark.summarize(lexical) | {"ask_p50_ms": 0} == {
        "n": 2, "n_other": 1, "hit@1": 1.0, "hit@3": 1.0, "answer_accuracy": 1.0, "short_em": 0.0,
        # q1: gold 1 token of the sentence's 10 -> 2/11; q2: 3 tokens of 16 -> 6/19
        "short_f1": pytest.approx((2 / 11 + 6 / 19) / 2, abs=1e-4),
        "decline_rate": 0.0, "false_decline_rate": 0.0, "ask_p50_ms": 0, "n_near": 0, "near_decline_rate": 0.0}


def test_readme_block_matches_benchmark_summary():
    results = json.loads(SUMMARY.read_text(encoding="utf-8"))
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    found = re.search(re.escape(benchmark.README_START) + r"\n(.*?)\n" + re.escape(benchmark.README_END),
                      readme, re.DOTALL)
    assert found, "README.md has no benchmark block"
    assert found.group(1) == benchmark.readme_block(results)
    assert "ms" not in found.group(1)  # no timing in the README: it changes from run to run


def test_results_file_round_trips_with_one_line_per_row():
    results = {"split": "validation", "summary": {"overall": {}}, "rows": [{"id": "q1", "answer": "踢爆"}, {"id": "q2"}]}
    text = benchmark.to_json(results)
    assert json.loads(text) == results
    assert '{"id": "q1", "answer": "踢爆"},' in text.splitlines()
