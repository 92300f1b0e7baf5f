"""Fit the decline model that weighs the reader's margin (``decline.answers_with_reader``).

    python eval/reader_calibrate.py           # dev texts -> src/article_qa/models/reader_decline.json
    python eval/reader_calibrate.py --smoke   # two small texts, into a temporary folder

The reader never trained on the dev texts (``reader_data.split_of``), so its
margins there are what it shows on text it has not seen. Each dev text of
CMRC (Simplified, and Simplified questions on the Traditional text), DRCD
and the four XQuAD pairings is built with the real embedder and asked its
own questions (answerable), another text's questions and near misses (one
number or name swapped: not answerable). A small LightGBM classifier over
``decline.READER_ANSWERABILITY`` is fitted with each set weighing the same;
its threshold is the highest that keeps false declines at most
``MAX_FALSE_DECLINES``, on out-of-fold probabilities with folds by text. A
key term the article never holds is one of its inputs, not a rule
(``decline.py`` says why). On the same answerable questions (in the
article's language) it chooses which stage quotes (``decline.ReaderChoice``): the
reader when its margin reaches a threshold, else the ranker's sentence
with the span stage's phrase or the reader's span inside it, whichever
scores best (mean of answer accuracy and short-answer F1, each set
weighing the same; near ties go to answer accuracy). The rows are cached in
``eval/.cache/reader_calibration.npz`` (``--refit`` fits again from
them). Nothing is chosen on the validation part.
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
from benchmark import short_f1  # noqa: E402
from scoring import contains_gold  # noqa: E402
from train_data import weighted_threshold  # noqa: E402

from article_qa import ArticleQA, decline  # noqa: E402
from article_qa.answer import cross_language, reader_answer, read_windows, tree_answer  # noqa: E402
from article_qa.rank import rank_passages  # noqa: E402
from article_qa.read import load_reader  # noqa: E402
from article_qa.settings import DEFAULTS  # noqa: E402

MAX_FALSE_DECLINES = 0.02
FOLDS = 4
SEED = 2018
PARAMS = dict(n_estimators=150, learning_rate=0.05, num_leaves=7, min_child_samples=20, subsample=0.8,
              subsample_freq=1, verbose=-1)
CHOICE_TOLERANCE = 0.005  # scores this close to the best count as a tie in choose()
# Reader margins under which a missing key term declines, narrowest first (-inf: never; inf: always).
RULE_MARGINS = (-np.inf, -5.0, -2.0, 0.0, 2.0, 4.0, 6.0, 8.0, 10.0, 12.0, 15.0, np.inf)
CACHE = EVAL_DIR / ".cache" / "reader_calibration.npz"


def dev_texts(smoke: bool) -> dict[str, list[cmrc.BenchmarkText]]:
    sets = {"cmrc": [t for i, t in enumerate(cmrc.load_texts("simplified")) if i % 9 == 0],
            "cmrc-cross-script": [t for i, t in enumerate(cmrc.load_texts("cross-script")) if i % 9 == 0]}
    for name in benchmark_sets.SETS:
        sets[name] = [t for t in benchmark_sets.load_texts(name) if t.split == "dev"]
    if smoke:
        return {"cmrc": sets["cmrc"][:1], "xquad-en": sets["xquad-en"][:1]}
    return sets


def rows_for_text(qa: ArticleQA, text: cmrc.BenchmarkText, pool, reader) -> list[tuple[np.ndarray, int, tuple]]:
    """Per question: the decline model's inputs, answerable or not, and (for
    an answerable question in the article's language) how each stage's
    answer scores, for :func:`choose`."""
    asked = [(q, 1) for q in text.questions]
    asked += [(q, 0) for q in text.other_questions]
    asked += [(q, 0) for q in benchmark_sets.near_misses(text, pool)]
    rows = []
    for question, label in asked:
        query = qa.prepare(question.text)
        ranking = rank_passages(query, qa.search(query, DEFAULTS.answer_passages), qa.index, DEFAULTS.answer_passages)
        if not ranking.candidates.sentences:
            continue
        evidence = decline.answerability_features(query, query.tags, ranking.candidates, ranking.scores,
                                                  ranking.passages[:DEFAULTS.answer_passages], qa.index)
        readings = read_windows(query, ranking.candidates.sentences, ranking.scores, qa.index, reader)
        best = max(readings, key=lambda reading: reading.margin)
        crossed = cross_language(query, qa.index)
        scored = ()
        if label and not crossed:
            answers = (reader_answer(best, ranking.passages, qa.index), tree_answer(query, ranking, qa.index),
                       tree_answer(query, ranking, qa.index, readings))
            scored = (best.margin, *(x for a in answers for x in _scored(a, question.golds, qa)))
        rows.append((decline.reader_answerability(evidence, best.margin, crossed), label, scored))
    return rows


def _scored(answer, golds, qa: ArticleQA) -> tuple[float, float]:
    """Gold inside the quote, and the short answer's F1 (the benchmark's metrics)."""
    english = not qa.index.is_chinese
    return float(contains_gold(answer.text, list(golds))), short_f1(answer.short_answer, list(golds), english=english)


def collect(sets, embedder) -> dict[str, np.ndarray]:
    reader = load_reader()
    features, labels, set_ids, text_ids, choice = [], [], [], [], []
    for set_number, (name, texts) in enumerate(sets.items()):
        for text in texts:
            with tempfile.TemporaryDirectory() as scratch:
                path = cmrc.write_article(text, Path(scratch))
                qa = ArticleQA.build(path, index_dir=Path(scratch) / "index", embedder=embedder)
                for row, label, scored in rows_for_text(qa, text, texts, reader):
                    features.append(row)
                    labels.append(label)
                    set_ids.append(set_number)
                    text_ids.append(zlib.crc32(text.name.encode()))
                    if scored:
                        choice.append((set_number, *scored))
            print(f"{name} {text.name}: {len(labels)} rows so far", file=sys.stderr, flush=True)
    return {"features": np.array(features), "labels": np.array(labels), "set_ids": np.array(set_ids),
            "text_ids": np.array(text_ids), "choice": np.array(choice, dtype=np.float64).reshape(-1, 8)}


def choose(choice: np.ndarray) -> dict:
    """The quote margin and the short answer of the ranker's quote that score
    best on the dev texts: the mean of answer accuracy and short-answer F1,
    each set weighing the same, ties within ``CHOICE_TOLERANCE`` going to
    answer accuracy. Columns: set, margin, then (gold in quote,
    short F1) for the reader's answer, the ranker's with the span stage's
    phrase, and the ranker's with the reader's span inside it."""
    if not len(choice):
        return {"quote_margin": -np.inf, "reader_short_in_tree_quote": True, "questions": 0}
    sets, margins = choice[:, 0], choice[:, 1]
    candidates = [-np.inf, *np.unique(margins)]
    scored = []  # (mean score, answer accuracy, margin, reader_short)
    for reader_short in (False, True):
        tree = choice[:, 6:8] if reader_short else choice[:, 4:6]
        for margin in candidates:
            taken = np.where((margins >= margin)[:, None], choice[:, 2:4], tree)
            accuracy, f1 = np.mean([taken[sets == k].mean(axis=0) for k in np.unique(sets)], axis=0)
            scored.append(((accuracy + f1) / 2, float(accuracy), float(margin), reader_short))
    # The quote is the proof: among the choices within CHOICE_TOLERANCE of the best score, the
    # one whose quote holds the gold most often (the short answer is the convenience).
    top = max(score for score, *_ in scored)
    best = max((row for row in scored if row[0] >= top - CHOICE_TOLERANCE), key=lambda row: (row[1], row[0]))
    score, accuracy, margin, reader_short = best
    always_reader = float(np.mean([choice[sets == k, 2:4].mean() for k in np.unique(sets)]))
    return {"quote_margin": round(margin, 4) if np.isfinite(margin) else margin,
            "reader_short_in_tree_quote": reader_short, "dev_score": round(score, 4),
            "dev_answer_accuracy": round(accuracy, 4),
            "dev_score_reader_always": round(always_reader, 4), "questions": int(len(choice))}


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
    for train, test in GroupKFold(n_splits=min(FOLDS, len(np.unique(text_ids)))).split(indices, groups=text_ids[indices]):
        raw = fitted(indices[train]).booster_.predict(features[indices[test]], raw_score=True)
        out_of_fold[indices[test]] = 1 / (1 + np.exp(-raw))
    rule_margin, threshold, declined = _gated_rule(out_of_fold, features, labels, weights)
    answerable = labels == 1
    dump = fitted(indices).booster_.dump_model()
    dump["article_qa"] = {
        "threshold": round(float(threshold), 6), "rule_margin": rule_margin, "params": PARAMS, "seed": SEED,
        "data": "dev texts of CMRC 2018 trial, DRCD dev and XQuAD (eval/reader_calibrate.py)",
        "out_of_fold": {"false_decline_rate": round(float(declined[answerable].mean()), 4),
                        "decline_rate": round(float(declined[~answerable].mean()), 4),
                        "answerable": int(answerable.sum()), "unanswerable": int((~answerable).sum())},
        "by_set": {str(int(k)): {"false_decline_rate": round(float(declined[answerable & (set_ids == k)].mean()), 4),
                                 "decline_rate": round(float(declined[~answerable & (set_ids == k)].mean()), 4)}
                   for k in np.unique(set_ids)}}
    return dump


def _gated_rule(out_of_fold, features, labels, weights) -> tuple[float, float, np.ndarray]:
    """The margin under which a missing key term declines (in the article's
    language), with the classifier's threshold that keeps false declines
    within budget beside it: the pair that declines the most unanswerable
    questions out of fold, each set weighing the same (a tie: the rule the
    narrower). Returns the margin, the threshold and who is declined."""
    column = list(decline.READER_ANSWERABILITY)
    missing = (features[:, column.index("missing_key_terms")] > 0) & (features[:, column.index("cross_language")] == 0)
    margin = features[:, column.index("reader_margin")]
    answerable = labels == 1
    best = None
    for rule_margin in RULE_MARGINS:
        gated = np.where(missing & (margin < rule_margin), -1.0, out_of_fold)
        threshold = weighted_threshold(gated[answerable], weights[answerable], MAX_FALSE_DECLINES)
        declined = gated < threshold
        caught = float(np.sum(weights[~answerable] * declined[~answerable]))
        if best is None or caught > best[0] + 1e-9:
            best = (caught, rule_margin, float(threshold), declined)
    return best[1], best[2], best[3]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--smoke", action="store_true")
    parser.add_argument("--refit", action="store_true", help="fit again from the cached rows")
    parser.add_argument("--out", type=Path, default=decline.READER_DECLINE_FILE)
    args = parser.parse_args(argv)
    from article_qa.embed import load_embedder

    sets = dev_texts(args.smoke)
    if args.refit and CACHE.is_file():
        rows = dict(np.load(CACHE))
    else:
        rows = collect(sets, load_embedder())
        if not args.smoke:
            CACHE.parent.mkdir(parents=True, exist_ok=True)
            np.savez(CACHE, **rows)
    model = fit(rows["features"], rows["labels"], rows["set_ids"], rows["text_ids"])
    model["article_qa"]["sets"] = list(sets)
    model["article_qa"]["choice"] = choose(rows["choice"])
    out = Path(tempfile.mkdtemp()) / "reader_decline.json" if args.smoke else args.out
    out.write_text(json.dumps(model) + "\n", encoding="utf-8")
    print(json.dumps(model["article_qa"], indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
