"""The shaped-answer set (eval/shaped.jsonl) is sound and its runner scores by its rule.

No index is built here: the texts are read as files (and as the engine's
clean text, which is what an answer quotes), and the scoring function is
checked on hand-made strings.
"""

from __future__ import annotations

import sys
from collections import Counter, defaultdict

import opencc
import pytest

from article_qa.ingest import read_article

from conftest import ROOT

sys.path.insert(0, str(ROOT / "eval"))
import shaped  # noqa: E402
from scoring import load_jsonl  # noqa: E402

ROWS = load_jsonl(shaped.QUESTIONS)
TEXTS = sorted({row["text"] for row in ROWS})
SHAPED_DIR = ROOT / "eval" / "shaped"
FIELDS = {"id", "text", "question", "kind", "language", "must", "max_chars", "split"}


def test_fields_ids_and_values():
    assert len({row["id"] for row in ROWS}) == len(ROWS)
    for row in ROWS:
        assert set(row) == FIELDS, row["id"]
        assert row["kind"] in shaped.KINDS
        assert row["language"] in {"en", "zh-Hans", "zh-Hant"}
        assert row["split"] in {"dev", "test"}
        assert row["question"].strip() == row["question"] and row["question"]
        assert row["must"] and all(group and all(isinstance(p, str) and p.strip() for p in group)
                                   for group in row["must"]), row["id"]
        assert 300 <= row["max_chars"] <= 2000
        if row["text"] == shaped.DEFAULT_ARTICLE:
            assert row["max_chars"] == 900


def test_size_and_coverage():
    per_text = Counter(row["text"] for row in ROWS)
    assert 60 <= len(ROWS) <= 90
    assert 25 <= per_text[shaped.DEFAULT_ARTICLE] <= 35
    others = [text for text in TEXTS if text != shaped.DEFAULT_ARTICLE]
    assert len(others) >= 3 and all(per_text[text] >= 10 for text in others)
    for text in TEXTS:  # every kind on every text
        assert {row["kind"] for row in ROWS if row["text"] == text} == set(shaped.KINDS), text
    default_languages = {row["language"] for row in ROWS if row["text"] == shaped.DEFAULT_ARTICLE}
    assert default_languages == {"en", "zh-Hans", "zh-Hant"}


def test_splits_alternate_within_each_text_and_kind():
    groups = defaultdict(list)
    for row in ROWS:
        groups[(row["text"], row["kind"])].append(row["split"])
    for key, splits in groups.items():  # dev, test, dev… or test, dev, test…
        assert all(a != b for a, b in zip(splits, splits[1:])), key
    halves = Counter(row["split"] for row in ROWS)
    assert abs(halves["dev"] - halves["test"]) <= 2


def test_every_text_exists_under_the_repo_and_is_recorded():
    readme = (SHAPED_DIR / "README.md").read_text(encoding="utf-8")
    for text in TEXTS:
        path = ROOT / text
        assert path.is_file(), text
        assert 2_000 <= len(path.read_text(encoding="utf-8")) <= 30_000, text
    for path in SHAPED_DIR.iterdir():
        if path.name not in {"README.md", "LICENCES.md"}:
            assert f"`{path.name}`" in readme, f"{path.name} is not described in eval/shaped/README.md"
            assert f"eval/shaped/{path.name}" in TEXTS, f"{path.name} has no question"


@pytest.fixture(scope="module")
def clean_texts() -> dict[str, str]:
    return {text: read_article(ROOT / text).text for text in TEXTS}


@pytest.mark.parametrize("row", ROWS, ids=[row["id"] for row in ROWS])
def test_must_phrases_are_verbatim_in_the_text_and_its_clean_text(row, clean_texts):
    """Raw file: the phrase is the text's own. Clean text: what an answer
    quotes, so a phrase broken by markup or a line wrap could never pass."""
    raw = (ROOT / row["text"]).read_text(encoding="utf-8")
    for group in row["must"]:
        for phrase in group:
            assert phrase in raw, phrase
            assert phrase in clean_texts[row["text"]], phrase


def test_question_scripts_match_their_language_tags():
    to_simplified = opencc.OpenCC("t2s")
    for row in ROWS:
        question = row["question"]
        if row["language"] == "zh-Hans":
            assert to_simplified.convert(question) == question, row["id"]
        elif row["language"] == "zh-Hant":
            assert to_simplified.convert(question) != question, row["id"]
        else:
            assert question.isascii(), row["id"]


MUST = [["起步期"], ["成熟期", "第四是成熟期"]]


@pytest.mark.parametrize("found, text, max_chars, expected", [
    (True, "首先是起步期,時間在1993年至2002年。[1] 第四是成熟期。[2]", 900, True),
    (True, "首先是起步期。[1] 其次是快速發展時期。[2]", 900, False),      # a group unheld
    (True, "第四是成熟期。[1] 首先是起步期。[2]", 900, True),            # order is free
    (False, "首先是起步期。[1] 第四是成熟期。[2]", 900, False),          # declined
    (True, "起步期" + "。" * 10 + "成熟期", 16, True),                 # exactly at the cap
    (True, "起步期" + "。" * 11 + "成熟期", 16, False),                # one past it
    (True, "起步期 成 熟期", 900, False),                              # verbatim, not by parts
    (True, "起步期 成熟期", 900, True),
])
def test_passes(found, text, max_chars, expected):
    assert shaped.passes(found=found, text=text, must=MUST, max_chars=max_chars) is expected


def test_passes_is_not_folded():
    """Verbatim: a Simplified quote does not hold a Traditional phrase."""
    assert not shaped.passes(found=True, text="首先是起步期。第四是成熟期。", must=[["發展時期"]], max_chars=900)
    assert not shaped.passes(found=True, text="快速发展时期", must=[["快速發展時期"]], max_chars=900)


def test_select_splits():
    assert {row["split"] for row in shaped.select(ROWS, "dev")} == {"dev"}
    assert len(shaped.select(ROWS, "dev")) + len(shaped.select(ROWS, "test")) == len(shaped.select(ROWS, "all"))


def test_table_and_failures_from_made_results():
    """The table's groups and figures on two made rows, one passing."""
    base = {"text": "eval/shaped/x.md", "language": "en", "question": "q?", "max_chars": 900,
            "must": [["a"]], "latency_ms": 10.0, "baseline": "b", "baseline_chars": 1}
    results = [{**base, "id": "x-1", "kind": "list", "ok": True, "chars": 100, "answer": "a", "answer_kind": "list",
                "baseline_ok": False},
               {**base, "id": "x-2", "kind": "gist", "ok": False, "chars": 300, "answer": "c", "answer_kind": "fact",
                "baseline_ok": True}]
    table = shaped.table(results)
    assert "| kind: list | 1 | 1.000 | 0.000 | 100 | 1 | 1.000 |" in table
    assert "| kind: gist | 1 | 0.000 | 1.000 | 300 | 1 | 0.000 |" in table
    assert "| text: x | 2 | 0.500 | 0.500 | 200 | 1 | 0.500 |" in table
    assert "| all | 2 | 0.500 | 0.500 | 200 | 1 | 0.500 |" in table
    assert table.index("kind: list") < table.index("kind: gist")
    assert "mean 10.0 ms" in table
    report = shaped.failures(results)
    assert "x-2" in report and "x-1" not in report and "missed: a" in report
