"""eval/train.py: the smoke run fits every model, files are written only at the end."""

from __future__ import annotations

import hashlib
import json
import sys

import numpy as np
import pytest

from article_qa import decline, rank, span
from article_qa.trees import TreeEnsemble

from conftest import ROOT

sys.path.insert(0, str(ROOT / "eval"))
import train  # noqa: E402

SHIPPED = {name: path for name, path in train.model_files(rank.MODELS).items()}


def digests() -> dict[str, str]:
    return {name: hashlib.md5(path.read_bytes()).hexdigest() for name, path in SHIPPED.items()}


@pytest.fixture(scope="module")
def smoke_run(tmp_path_factory):
    """One smoke run on the fake embedder, into a temporary folder."""
    from conftest import FakeEmbedder

    out = tmp_path_factory.mktemp("models")
    cache = out / "rows.npz"
    before = digests()
    assert train.main(["--smoke", "--out", str(out), "--cache", str(cache)], embedder=FakeEmbedder()) == 0
    return out, cache, before


def test_smoke_run_writes_three_models_that_load_and_leaves_the_shipped_ones(smoke_run):
    out, _, before = smoke_run
    assert digests() == before
    files = train.model_files(out)
    assert sorted(p.name for p in out.iterdir() if p.suffix == ".json") == sorted(p.name for p in files.values())
    for name, features in (("ranker", rank.FEATURES), ("decline", decline.ANSWERABILITY),
                           ("span", span.SPAN_FEATURES)):
        dump = json.loads(files[name].read_text(encoding="utf-8"))
        trees = TreeEnsemble(dump, features)
        rows = np.random.default_rng(0).normal(size=(5, len(features)))
        assert np.allclose(trees.predict(rows), trees.predict_reference(rows), atol=1e-4), name
        assert len(dump["tree_info"]) == train.SMOKE_OVERRIDES["n_estimators"], name
    threshold = json.loads(files["decline"].read_text(encoding="utf-8"))["article_qa"]["threshold"]
    assert 0 < threshold < 1


def test_refit_decline_reads_the_cached_rows(smoke_run, tmp_path):
    out, cache, _ = smoke_run
    (tmp_path / decline.DECLINE_FILE.name).write_text((out / decline.DECLINE_FILE.name).read_text(encoding="utf-8"))
    fitted = json.loads((out / decline.DECLINE_FILE.name).read_text(encoding="utf-8"))
    assert train.main(["--refit-decline", "--smoke", "--cache", str(cache), "--out", str(tmp_path)]) == 0
    refit = json.loads((tmp_path / decline.DECLINE_FILE.name).read_text(encoding="utf-8"))
    assert refit["tree_info"] == fitted["tree_info"]  # the same rows and seed give the same model
    assert refit["article_qa"] == fitted["article_qa"]  # threshold and provenance


def test_refit_decline_without_rows_says_what_to_run(tmp_path):
    with pytest.raises(SystemExit, match="run python eval/train.py once first"):
        train.main(["--refit-decline", "--cache", str(tmp_path / "none.npz"), "--out", str(tmp_path)])


def test_a_failed_write_leaves_every_old_file(tmp_path):
    first, blocked = tmp_path / "a.json", tmp_path / "not-a-folder"
    first.write_text("old", encoding="utf-8")
    blocked.write_text("a file where a folder should be", encoding="utf-8")
    with pytest.raises(OSError):
        train.write_files({first: "new", blocked / "b.json": "new"})
    assert first.read_text(encoding="utf-8") == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.json", "not-a-folder"]  # no staged file left
    train.write_files({first: "new", tmp_path / "c.json": "new"})
    assert first.read_text(encoding="utf-8") == "new" == (tmp_path / "c.json").read_text(encoding="utf-8")


def test_decline_folds_hold_out_whole_texts_and_every_row_once():
    groups = np.asarray(["cmrc-00"] * 30 + ["cmrc-01"] * 12 + ["default-article"] * 20 + ["cmrc-02"] * 7
                        + ["cmrc-03"] * 9 + ["cmrc-04"] * 5 + ["cmrc-05"] * 3)
    folds = train.decline_folds(groups)
    assert len(folds) == train.DECLINE_FOLDS
    held = np.concatenate([test for _, test in folds])
    assert sorted(held.tolist()) == list(range(len(groups)))  # each row held out exactly once
    for fit_rows, test_rows in folds:
        assert not set(groups[fit_rows]) & set(groups[test_rows])  # a text is never on both sides
        assert len(fit_rows) + len(test_rows) == len(groups)
    assert [t.tolist() for _, t in train.decline_folds(groups)] == [t.tolist() for _, t in folds]
    assert len(train.decline_folds(np.asarray(["a", "b", "a"]))) == 2  # no more folds than texts


def test_twins_of_a_cmrc_question_share_a_text_name():
    """The grouping relies on it: the variants of a text keep its name."""
    import cmrc

    names = {variant: [t.name for t in cmrc.load_texts(variant)] for variant in cmrc.VARIANTS}
    assert names["simplified"] == names["traditional"] == names["cross-script"]
