"""The evaluation set is sound, the runner runs, and the README matches its report."""

from __future__ import annotations

import copy
import json
import sys
from collections import Counter

import pytest

from article_qa.ingest import read_article

from conftest import DEFAULT_ARTICLE, ROOT, FakeEmbedder

sys.path.insert(0, str(ROOT / "eval"))
import report  # noqa: E402
import run  # noqa: E402
import scoring  # noqa: E402
import systems  # noqa: E402

QUESTIONS = scoring.load_jsonl(ROOT / "eval" / "questions.jsonl")
OFFTOPIC = scoring.load_jsonl(ROOT / "eval" / "offtopic.jsonl")


def test_question_set_size_and_language_mix():
    assert len(QUESTIONS) >= 100
    assert len(OFFTOPIC) >= 25
    share = {lang: n / len(QUESTIONS) for lang, n in Counter(q["lang"] for q in QUESTIONS).items()}
    assert 0.55 <= share["zh-Hant"] <= 0.65
    assert 0.15 <= share["zh-Hans"] <= 0.25
    assert 0.15 <= share["en"] <= 0.25
    assert {q["type"] for q in OFFTOPIC} == {"offtopic_near", "offtopic_far"}


def test_ids_are_unique_and_fields_complete():
    ids = [q["id"] for q in QUESTIONS + OFFTOPIC]
    assert len(ids) == len(set(ids))
    for q in QUESTIONS + OFFTOPIC:
        assert set(q) == {"id", "question", "answers", "lang", "type"}
    assert all(q["answers"] for q in QUESTIONS)
    assert not any(q["answers"] for q in OFFTOPIC)


@pytest.fixture(scope="module")
def clean_article_text() -> str:
    return read_article(DEFAULT_ARTICLE).text


@pytest.mark.parametrize("question", QUESTIONS, ids=[q["id"] for q in QUESTIONS])
def test_every_gold_string_is_in_the_clean_article(clean_article_text, question):
    for gold in question["answers"]:
        assert gold in clean_article_text


def test_contains_gold_folds_script():
    assert scoring.contains_gold("三是1999年啟動的“政府上網工程”。", ["政府上网工程"])
    assert not scoring.contains_gold("三是1999年啟動的", ["2006年"])


def test_runner_scores_a_slice_with_the_fake_embedder(tmp_path):
    questions, offtopic = QUESTIONS[:8], OFFTOPIC[:4]
    engine = run.evaluate_engine(systems.EngineVariant(), questions, offtopic, embedder=FakeEmbedder())
    baseline = run.evaluate_baseline(questions, offtopic, embedder=FakeEmbedder())
    for result in (engine, baseline):
        for key in ("hit@1", "hit@3", "mrr", "answer_accuracy", "decline_rate", "false_decline_rate"):
            assert 0.0 <= result[key] <= 1.0
        assert result["n_questions"] == 8 and result["n_offtopic"] == 4
        assert result["retrieve_p50_ms"] > 0 and result["ask_p50_ms"] > 0
    assert engine["mean_passage_chars"] < baseline["mean_passage_chars"]
    results = {"n_questions": 8, "n_offtopic": 4,
               "systems": {"article-qa": engine, "langchain-baseline": baseline},
               "speed_vs_baseline": {"retrieve_p50_ms": 1.0, "ask_p50_ms": 1.0, "build_s": 1.0}}
    report.write_all(results, tmp_path)
    assert "## article-qa by language" in (tmp_path / "report.md").read_text(encoding="utf-8")
    assert (tmp_path / "report.png").read_bytes()[:4] == b"\x89PNG"
    assert json.loads((tmp_path / "report.json").read_text())["systems"]["article-qa"]["n_questions"] == 8


@pytest.mark.parametrize("folding, kept, gone", [(True, "网", "網"), (False, "網", "网")])
def test_the_no_folding_ablation_reaches_the_index(tmp_path, folding, kept, gone):
    """The ablation must change what BM25 indexes, not just a name in one
    module: the index built under it keeps the article's Traditional script."""
    article = tmp_path / "article.txt"
    article.write_text("政府上網工程\n政府上網工程於1999年啟動，推動各級政府機關建立網站。\n", encoding="utf-8")
    with systems.folding(folding):
        systems.build_engine(systems.EngineVariant(), article, tmp_path / "index", embedder=FakeEmbedder())
    vocabulary = json.loads((tmp_path / "index" / "bm25" / "vocab.index.json").read_text(encoding="utf-8"))
    assert kept in vocabulary and gone not in vocabulary


def _latest_report() -> dict:
    return json.loads((ROOT / "eval" / "report.json").read_text(encoding="utf-8"))


def test_readme_results_match_the_latest_report():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert report.readme_results_block(readme) == report.readme_table(_latest_report())


def _with(results: dict, change) -> dict:
    changed = copy.deepcopy(results)
    for row in changed["systems"].values():
        change(row)
    return changed


def test_a_new_run_with_other_timings_keeps_the_readme_block():
    """Latency changes every run; the compared block must not hold it."""
    def slower(row):
        for key in report.SPEED:
            row[key] = row[key] * 3 + 1

    results = _latest_report()
    assert report.readme_table(_with(results, slower)) == report.readme_table(results)
    assert report.readme_speed_line(_with(results, slower)) != report.readme_speed_line(results)


@pytest.mark.parametrize("key", ["hit@1", "answer_accuracy", "decline_rate", "mean_passage_chars"])
def test_a_real_disagreement_still_fails(key):
    def worse(row):
        row[key] = round(row[key] * 0.5 + 0.01, 4)

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert report.readme_results_block(readme) != report.readme_table(_with(_latest_report(), worse))


def test_update_readme_rewrites_both_blocks_and_nothing_else(tmp_path):
    readme = tmp_path / "README.md"
    original = (ROOT / "README.md").read_text(encoding="utf-8")
    readme.write_text(original, encoding="utf-8")

    def changed(row):
        row["hit@1"], row["retrieve_p50_ms"] = 0.5, 123.4

    results = _with(_latest_report(), changed)
    report.update_readme(results, readme)
    text = readme.read_text(encoding="utf-8")
    assert report.readme_results_block(text) == report.readme_table(results)
    assert "| article-qa | 0.500 |" in text and "article-qa retrieve 123.4 ms" in text
    before_blocks = original.split(report.RESULTS_START)[0] + report.RESULTS_START
    after_blocks = report.SPEED_END + original.split(report.SPEED_END)[1]
    assert text.startswith(before_blocks) and text.endswith(after_blocks)
    readme.write_text(original.replace(report.SPEED_START, ""), encoding="utf-8")
    with pytest.raises(SystemExit, match="speed:start"):
        report.update_readme(results, readme)
