"""Fit the decline model that weighs the reader's margin (``decline.answers_with_reader``).

    python eval/reader_calibrate.py           # dev texts -> src/article_qa/models/reader_decline.json
    python eval/reader_calibrate.py --smoke   # two small texts, into a temporary folder

The reader never trained on the dev texts (``reader_data.split_of``), so its
margins there are what it shows on text it has not seen. Each dev text of
CMRC (Simplified, and Simplified questions on the Traditional text), DRCD
and the four XQuAD pairings is built with the real embedder and asked its
own questions (answerable), another text's questions and near misses (one
number or name swapped: not answerable). A question in the article's
language that names a key term the article never holds is declined by rule
(``decline.answers_with_reader``); across languages that rule declined 22%
and 48% of the answerable dev questions (names that do not translate), so
there missing key terms are only an input. A small LightGBM classifier over
``decline.READER_ANSWERABILITY`` is fitted with each set weighing the same;
its threshold is the highest that keeps false declines (the rule's
included) at most ``MAX_FALSE_DECLINES``, on out-of-fold probabilities with
folds by text. The rows are cached in ``eval/.cache/reader_calibration.npz``
(``--refit`` fits again from them). Nothing is chosen on the validation part.
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
from article_qa.answer import cross_language, read_best  # noqa: E402
from article_qa.rank import rank_passages  # noqa: E402
from article_qa.read import load_reader  # noqa: E402
from article_qa.settings import DEFAULTS  # noqa: E402

MAX_FALSE_DECLINES = 0.02
FOLDS = 4
SEED = 2018
PARAMS = dict(n_estimators=150, learning_rate=0.05, num_leaves=7, min_child_samples=20, subsample=0.8,
              subsample_freq=1, verbose=-1)
CACHE = EVAL_DIR / ".cache" / "reader_calibration.npz"


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
        evidence = decline.answerability_features(query, query.tags, ranking.candidates, ranking.scores,
                                                  ranking.passages[:DEFAULTS.answer_passages], qa.index)
        margin = read_best(query, ranking.candidates.sentences, ranking.scores, qa.index, reader).margin
        rows.append((decline.reader_answerability(evidence, margin, cross_language(query, qa.index)), label))
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
    import lightgbm

    weights = np.zeros(len(labels))
    for set_number in np.unique(set_ids):
        for label in (0, 1):
            chosen = (set_ids == set_number) & (labels == label)
            weights[chosen] = 1.0 / max(chosen.sum(), 1)

    def fitted(part):
        model = lightgbm.LGBMClassifier(random_state=SEED, **PARAMS)
        model.fit(features[part], labels[part], sample_weight=weights[part],
                  feature_name=list(decline.READER_ANSWERABILITY))
        return model

    from sklearn.model_selection import GroupKFold

    out_of_fold = np.zeros(len(labels))
    indices = np.arange(len(labels))
    column = list(decline.READER_ANSWERABILITY)
    by_rule = (features[:, column.index("missing_key_terms")] > 0) & (features[:, column.index("cross_language")] == 0)
    for train, test in GroupKFold(n_splits=FOLDS).split(indices, groups=text_ids[indices]):
        raw = fitted(indices[train]).booster_.predict(features[indices[test]], raw_score=True)
        out_of_fold[indices[test]] = 1 / (1 + np.exp(-raw))
    out_of_fold[by_rule] = -1.0  # declined before the classifier is asked
    answerable = labels == 1
    threshold = _threshold(out_of_fold[answerable], weights[answerable])
    declined = out_of_fold < threshold
    dump = fitted(indices).booster_.dump_model()
    dump["article_qa"] = {
        "threshold": round(float(threshold), 6), "params": PARAMS, "seed": SEED,
        "data": "dev texts of CMRC 2018 trial, DRCD dev and XQuAD (eval/reader_calibrate.py)",
        "out_of_fold": {"declined_by_rule": round(float(by_rule[~answerable].mean()), 4),
                        "false_decline_rate": round(float(declined[answerable].mean()), 4),
                        "decline_rate": round(float(declined[~answerable].mean()), 4),
                        "answerable": int(answerable.sum()), "unanswerable": int((~answerable).sum())},
        "by_set": {str(int(k)): {"false_decline_rate": round(float(declined[answerable & (set_ids == k)].mean()), 4),
                                 "decline_rate": round(float(declined[~answerable & (set_ids == k)].mean()), 4)}
                   for k in np.unique(set_ids)}}
    return dump


def _threshold(probabilities: np.ndarray, weights: np.ndarray) -> float:
    """The highest threshold that declines at most MAX_FALSE_DECLINES (weighted) of the answerable."""
    order = np.argsort(probabilities)
    cumulative = np.cumsum(weights[order]) / weights.sum()
    allowed = np.searchsorted(cumulative, MAX_FALSE_DECLINES, side="right")
    return float(probabilities[order][allowed]) if allowed < len(order) else float(probabilities.max())


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--smoke", action="store_true")
    parser.add_argument("--refit", action="store_true", help="fit again from the cached rows")
    parser.add_argument("--out", type=Path, default=decline.READER_DECLINE_FILE)
    args = parser.parse_args(argv)
    from article_qa.embed import load_embedder

    sets = dev_texts(args.smoke)
    if args.refit and CACHE.is_file():
        cached = np.load(CACHE)
        features, labels, set_ids, text_ids = (cached[k] for k in ("features", "labels", "set_ids", "text_ids"))
        if features.shape[1] == len(decline.READER_ANSWERABILITY) - 1:  # rows cached before cross_language
            names = list(sets)
            crossed = np.array(["-on-" in names[k] for k in set_ids], dtype=np.float32)
            features = np.column_stack([features, crossed])
    else:
        features, labels, set_ids, text_ids = collect(sets, load_embedder())
        if not args.smoke:
            CACHE.parent.mkdir(parents=True, exist_ok=True)
            np.savez(CACHE, features=features, labels=labels, set_ids=set_ids, text_ids=text_ids)
    model = fit(features, labels, set_ids, text_ids)
    model["article_qa"]["sets"] = list(sets)
    out = Path(tempfile.mkdtemp()) / "reader_decline.json" if args.smoke else args.out
    out.write_text(json.dumps(model) + "\n", encoding="utf-8")
    print(json.dumps(model["article_qa"], indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
