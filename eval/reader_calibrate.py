"""Fit the decline model that weighs the reader's margin (``decline.answers_with_reader``).

    python eval/reader_calibrate.py           # dev texts -> src/article_qa/models/reader_decline.json
    python eval/reader_calibrate.py --smoke   # two small texts, into a temporary folder

The reader never trained on the dev texts (``reader_data.split_of``), so its
margins there are what it shows on text it has not seen. Each dev text of
CMRC (Simplified, and Simplified questions on the Traditional text), DRCD
and the four XQuAD pairings is built with the real embedder and asked its
own questions (answerable), another text's questions and near misses (one
number or name swapped: not answerable). A logistic regression
(scikit-learn) over ``decline.READER_ANSWERABILITY`` is fitted with each set
weighing the same; the threshold is the highest that declines at most
``MAX_FALSE_DECLINES`` of the answerable questions, on out-of-fold
probabilities with folds by text. Nothing is chosen on the validation part.
"""

from __future__ import annotations

import argparse
import json
import sys
import zlib
import tempfile
from pathlib import Path

import numpy as np

EVAL_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(EVAL_DIR))

import benchmark_sets  # noqa: E402
import cmrc  # noqa: E402

from article_qa import ArticleQA, decline  # noqa: E402
from article_qa.answer import read_best  # noqa: E402
from article_qa.rank import rank_passages  # noqa: E402
from article_qa.read import load_reader  # noqa: E402
from article_qa.settings import DEFAULTS  # noqa: E402
from article_qa.tagging import tag  # noqa: E402

MAX_FALSE_DECLINES = 0.02
FOLDS = 4
SEED = 2018


def dev_texts(smoke: bool) -> dict[str, list[cmrc.BenchmarkText]]:
    sets = {"cmrc": [t for i, t in enumerate(cmrc.load_texts("simplified")) if i % 9 == 0],
            "cmrc-cross-script": [t for i, t in enumerate(cmrc.load_texts("cross-script")) if i % 9 == 0]}
    for name in benchmark_sets.SETS:
        sets[name] = [t for t in benchmark_sets.load_texts(name) if t.split == "dev"]
    if smoke:
        return {"cmrc": sets["cmrc"][:1], "xquad-en": sets["xquad-en"][:1]}
    return sets


def rows_for_text(qa: ArticleQA, text: cmrc.BenchmarkText, pool, reader) -> list[tuple[np.ndarray, int]]:
    asked = [(q.text, 1) for q in text.questions]
    asked += [(q.text, 0) for q in text.other_questions]
    asked += [(q.text, 0) for q in benchmark_sets.near_misses(text, pool)]
    rows = []
    for question, label in asked:
        query = qa.prepare(question)
        ranking = rank_passages(query, qa.search(query, DEFAULTS.answer_passages), qa.index, DEFAULTS.answer_passages)
        if not ranking.candidates.sentences:
            continue
        evidence = decline.answerability_features(query, tag(query.text), ranking.candidates, ranking.scores,
                                                  ranking.passages[:DEFAULTS.answer_passages], qa.index)
        margin = read_best(query, ranking.candidates.sentences, ranking.scores, qa.index, reader).margin
        rows.append((decline.reader_answerability(evidence, margin), label))
    return rows


def collect(sets, embedder) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    reader = load_reader()
    features, labels, set_ids, text_ids = [], [], [], []
    for set_number, (name, texts) in enumerate(sets.items()):
        for text in texts:
            with tempfile.TemporaryDirectory() as scratch:
                path = cmrc.write_article(text, Path(scratch))
                qa = ArticleQA.build(path, index_dir=Path(scratch) / "index", embedder=embedder)
                for row, label in rows_for_text(qa, text, texts, reader):
                    features.append(row)
                    labels.append(label)
                    set_ids.append(set_number)
                    text_ids.append(zlib.crc32(text.name.encode()))
            print(f"{name} {text.name}: {len(labels)} rows so far", file=sys.stderr, flush=True)
    return np.array(features), np.array(labels), np.array(set_ids), np.array(text_ids)


def fit(features, labels, set_ids, text_ids) -> dict:
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GroupKFold

    weights = np.zeros(len(labels))
    for set_number in np.unique(set_ids):
        for label in (0, 1):
            chosen = (set_ids == set_number) & (labels == label)
            weights[chosen] = 1.0 / max(chosen.sum(), 1)
    out_of_fold = np.zeros(len(labels))
    folds = GroupKFold(n_splits=min(FOLDS, len(np.unique(text_ids))))
    for train, test in folds.split(features, labels, text_ids):
        model = LogisticRegression(C=1.0, max_iter=1000).fit(features[train], labels[train], weights[train])
        out_of_fold[test] = model.predict_proba(features[test])[:, 1]
    threshold = _threshold(out_of_fold[labels == 1], weights[labels == 1])
    model = LogisticRegression(C=1.0, max_iter=1000).fit(features, labels, weights)
    declined = out_of_fold < threshold
    return {"features": list(decline.READER_ANSWERABILITY), "coefficients": model.coef_[0].round(6).tolist(),
            "intercept": round(float(model.intercept_[0]), 6), "threshold": round(float(threshold), 6),
            "out_of_fold": {"false_decline_rate": round(float(declined[labels == 1].mean()), 4),
                            "decline_rate": round(float(declined[labels == 0].mean()), 4),
                            "answerable": int((labels == 1).sum()), "unanswerable": int((labels == 0).sum())},
            "data": "dev texts of CMRC 2018 trial, DRCD dev and XQuAD (eval/reader_calibrate.py)", "seed": SEED}


def _threshold(probabilities: np.ndarray, weights: np.ndarray) -> float:
    """The highest threshold that declines at most MAX_FALSE_DECLINES (weighted) of the answerable."""
    order = np.argsort(probabilities)
    cumulative = np.cumsum(weights[order]) / weights.sum()
    allowed = np.searchsorted(cumulative, MAX_FALSE_DECLINES, side="right")
    return float(probabilities[order][allowed]) if allowed < len(order) else float(probabilities.max())


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--smoke", action="store_true")
    parser.add_argument("--out", type=Path, default=decline.READER_DECLINE_FILE)
    args = parser.parse_args(argv)
    from article_qa.embed import load_embedder

    sets = dev_texts(args.smoke)
    features, labels, set_ids, text_ids = collect(sets, load_embedder())
    model = fit(features, labels, set_ids, text_ids)
    model["sets"] = list(sets)
    out = Path(tempfile.mkdtemp()) / "reader_decline.json" if args.smoke else args.out
    out.write_text(json.dumps(model, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(model, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
