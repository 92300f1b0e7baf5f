"""The evaluation set is sound, the runner runs, and the README matches its report."""

from __future__ import annotations

import json
import sys
from collections import Counter

import pytest

from article_qa.fold import fold
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


@pytest.mark.parametrize("question", QUESTIONS, ids=[q["id"] for q in QUESTIONS])
def test_every_gold_string_is_in_the_clean_article(question):
    article = read_article(DEFAULT_ARTICLE).text
    for gold in question["answers"]:
        assert gold in article


def test_contains_gold_folds_script():
    assert scoring.contains_gold("三是1999年啟動的“政府上網工程”。", ["政府上网工程"])
    assert not scoring.contains_gold("三是1999年啟動的", ["2006年"])


def test_runner_scores_a_slice_with_the_fake_embedder(tmp_path):
    questions, offtopic = QUESTIONS[:8], OFFTOPIC[:4]
    engine = run.evaluate_engine(systems.EngineVariant(), questions, offtopic, embedder=FakeEmbedder())
    baseline = run.evaluate_baseline(questions, offtopic, embedder=FakeEmbedder())
    for result in (engine, baseline):
        for key in ("hit@1", "hit@3", "mrr", "answer_accuracy", "abstain_rate", "false_abstain_rate"):
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


def test_ablation_without_folding_changes_tokens():
    with systems.folding(False):
        from article_qa import qa as qa_module

        assert qa_module.fold("政府上網") == "政府上網"
    assert fold("政府上網") == "政府上网"


def test_readme_results_match_the_latest_report():
    results = json.loads((ROOT / "eval" / "report.json").read_text(encoding="utf-8"))
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split(report.README_START)[1].split(report.README_END)[0].strip()
    assert block == report.readme_table(results)
