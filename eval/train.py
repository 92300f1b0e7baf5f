"""Fit the answer stage's models: sentence ranker, decline model, span scorer.

    python eval/train.py                  # fit all three, write src/article_qa/models/*.json, print validation figures
    python eval/train.py --no-save        # fit and print only
    python eval/train.py --out DIR        # write the three files to DIR instead
    python eval/train.py --refit-decline  # only the decline model, from the last run's rows (eval/.cache/)
    python eval/train.py --smoke          # every model on a small slice (train_data.py), into a temporary folder

Three models, all fitted on the training part of the fixed split only
(``eval/cmrc.py``) and the training half of the project's own questions:

* the sentence ranker — LightGBM lambdarank over ``rank.FEATURES``, one
  group per question, a candidate labelled 1 when it holds a gold answer
  (all three script variants, so Traditional text and cross-script
  questions are seen too);
* the decline model — a small gradient-boosted classifier over
  ``decline.ANSWERABILITY``, a text's own questions against questions of other
  texts, for the Chinese questions that name nothing the article lacks
  (``decline.answers`` declines those by rule, and English ones by its own
  rule). Its inputs include the ranker's scores, so it is fitted on
  out-of-fold ranker scores (folds by text) rather than on scores the ranker
  saw its labels for; CMRC and the project's questions weigh the same. The
  threshold is the highest that declines at most ``MAX_FALSE_DECLINES`` of
  the answerable questions, on the classifier's own out-of-fold
  probabilities, with folds by text: a question's script variants and every
  question asked of one text (the default article is one text) sit in the
  same fold;
* the span scorer — LightGBM lambdarank over ``span.SPAN_FEATURES`` on the
  oracle sentences (``span_dev.py``; Simplified variant).

The project's own questions on the default article join the training data
by the fixed half of ``project_questions.py`` (odd ids): they are the only
English and the only paraphrased questions there are. Both halves were read
while the features were designed, so they are development questions, not a
held-out test.

No file is written until every model is fitted; then all are written beside
their targets and renamed into place. The validation part is scored once at
the end, with the fitted models, for the report; nothing is chosen on it.
Seeded: the same data and seed give the same files.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

EVAL_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(EVAL_DIR))

import cmrc  # noqa: E402
import project_questions  # noqa: E402
import span_dev  # noqa: E402
from train_data import (DEFAULT_ARTICLE, SEED, SMOKE_OVERRIDES, Asked, Slice, collect,  # noqa: E402
                        collect_default_article, full_slice, oracle_rate, sentence_hit_rate, smoke_slice,
                        weighted_threshold)

from article_qa import decline, rank, span  # noqa: E402
from article_qa.embed import load_embedder  # noqa: E402
from article_qa.fold import has_han  # noqa: E402

CACHE = EVAL_DIR / ".cache" / "answerability.npz"
FOLDS = 4
DECLINE_FOLDS = 5
MAX_FALSE_DECLINES = 0.02
DECLINE_PARAMS = dict(n_estimators=150, learning_rate=0.05, num_leaves=7, min_child_samples=20, subsample=0.8,
                      subsample_freq=1, verbose=-1)
RANKER_PARAMS = dict(objective="lambdarank", n_estimators=300, learning_rate=0.05, num_leaves=15,
                     min_child_samples=20, subsample=0.8, subsample_freq=1, colsample_bytree=0.8,
                     lambdarank_truncation_level=10, verbose=-1)


# ---- the sentence ranker -------------------------------------------------------

def fit_ranker(asked: list[Asked], overrides: dict):
    import lightgbm

    usable = [a for a in asked if a.answerable and len(a.labels) and a.labels.any()]
    rows = np.vstack([a.cands.features for a in usable])
    labels = np.concatenate([a.labels for a in usable])
    model = lightgbm.LGBMRanker(random_state=SEED, **{**RANKER_PARAMS, **overrides})
    model.fit(rows, labels, group=[len(a.labels) for a in usable], feature_name=list(rank.FEATURES))
    return model


def out_of_fold_scores(asked: list[Asked], overrides: dict) -> list[np.ndarray]:
    """Each question's candidates scored by a ranker fitted without its text
    (a text's script variants share its name, so they share its fold)."""
    names = sorted({a.text_name for a in asked})
    fold_of = {name: i % FOLDS for i, name in enumerate(names)}
    scores: list[np.ndarray | None] = [None] * len(asked)
    for part in range(FOLDS):
        if part not in fold_of.values():
            continue
        model = fit_ranker([a for a in asked if fold_of[a.text_name] != part], overrides)
        for i, a in enumerate(asked):
            if fold_of[a.text_name] == part and len(a.labels):
                scores[i] = model.booster_.predict(a.cands.features)
    return scores


# ---- the decline model ---------------------------------------------------------

def answerability_rows(asked: list[Asked], scores) -> dict[str, np.ndarray]:
    """Rows, labels, each row's source (the project's own questions or CMRC)
    and its group for the threshold's folds (the text asked)."""
    rows, labels, sources, groups = [], [], [], []
    for a, s in zip(asked, scores):
        # English questions are decided by decline.answers' rule, not this model.
        if s is None or not len(s) or not has_han(a.query.text):
            continue
        rows.append(decline.answerability_features(a.query, a.question_tags, a.cands, s, a.passages, a.qa.index))
        labels.append(a.answerable)
        sources.append(a.text_name == DEFAULT_ARTICLE)
        groups.append(a.text_name)
    return {"rows": np.vstack(rows), "labels": np.asarray(labels, dtype=np.int32), "sources": np.asarray(sources),
            "groups": np.asarray(groups)}


def fit_decline(rows: np.ndarray, labels: np.ndarray, sources: np.ndarray, groups: np.ndarray, *,
                overrides: dict) -> dict:
    """A small gradient-boosted classifier (it can learn that one missing
    name outweighs good overlap). Both sources weigh the same in the fit —
    CMRC's rewrites of a sentence would otherwise drown the project's
    paraphrased questions — and the threshold declines at most
    MAX_FALSE_DECLINES of the answerable questions, the sources weighed alike."""
    import lightgbm

    # Questions naming something the article lacks are declined by rule
    # (decline.answers) before the model is asked: it is fitted on the rest.
    asked_model = rows[:, decline.ANSWERABILITY.index("missing_key_terms")] == 0
    print(f"decline rule (a key term missing): declines {1 - asked_model[labels == 0].mean():.3f} of unanswerable "
          f"and {1 - asked_model[labels == 1].mean():.3f} of answerable training questions")
    rows, labels, sources, groups = rows[asked_model], labels[asked_model], sources[asked_model], groups[asked_model]
    weights = np.where(sources, 0.5 / max(sources.mean(), 1e-9), 0.5 / max(1 - sources.mean(), 1e-9))

    def fitted(part: np.ndarray):
        model = lightgbm.LGBMClassifier(random_state=SEED, **{**DECLINE_PARAMS, **overrides})
        model.fit(rows[part], labels[part], sample_weight=weights[part], feature_name=list(decline.ANSWERABILITY))
        return model

    # The threshold comes from out-of-fold probabilities: in sample, trees
    # separate the training questions better than they will new ones.
    probability = np.zeros(len(rows))
    folds = decline_folds(groups)
    for train_part, test_part in folds:
        raw = fitted(train_part).booster_.predict(rows[test_part], raw_score=True)
        probability[test_part] = 1 / (1 + np.exp(-raw))
    model = fitted(np.arange(len(rows)))
    answerable = labels == 1
    threshold = weighted_threshold(probability[answerable], weights[answerable], MAX_FALSE_DECLINES)
    for source, name in ((False, "CMRC train"), (True, "own questions, train half")):
        mine = sources == source
        declined = float((probability[mine & ~answerable] < threshold).mean())
        false = float((probability[mine & answerable] < threshold).mean())
        print(f"decline model on {name} (out of fold): threshold {threshold:.3f}, "
              f"declines {declined:.3f} of unanswerable questions, {false:.3f} of answerable ones")
    dump = model.booster_.dump_model()
    dump["article_qa"] = {"threshold": threshold, "params": DECLINE_PARAMS,
                          "threshold_folds": f"{len(folds)} folds, whole texts held out"}
    return dump


def decline_folds(groups: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """(train rows, held-out rows) per fold, whole groups held out together:
    a text's questions — with their Traditional and cross-script twins, which
    are asked of the same text's variants — never straddle a fold, so the
    threshold is read off probabilities for texts the model has not seen (the
    default article is one text too). Groups are shuffled with the seed, then
    placed largest first into the fold with the fewest rows."""
    names = sorted(set(groups.tolist()))
    random.Random(SEED).shuffle(names)
    size = {name: int((groups == name).sum()) for name in names}
    rows_in = [0] * min(DECLINE_FOLDS, len(names))
    fold_of = {}
    for name in sorted(names, key=lambda n: -size[n]):
        fold_of[name] = rows_in.index(min(rows_in))
        rows_in[fold_of[name]] += size[name]
    assigned = np.asarray([fold_of[g] for g in groups.tolist()])
    return [(np.flatnonzero(assigned != part), np.flatnonzero(assigned == part)) for part in range(len(rows_in))]


# ---- provenance and writing -----------------------------------------------------

def provenance(texts, variants) -> dict:
    return {"data": "eval/cmrc2018/cmrc2018_trial.json (CMRC 2018 trial, CC BY-SA 4.0); "
                    "eval/questions.jsonl and eval/offtopic.jsonl, odd ids (eval/project_questions.py)",
            "split": "train texts of eval/cmrc.py (text i with i % 3 != 2)", "variants": list(variants),
            "texts": sorted({t.name for t in texts}), "seed": SEED, "made_by": "python eval/train.py"}


def model_files(folder: Path) -> dict[str, Path]:
    """Where each model goes in ``folder`` (the shipped names)."""
    return {"ranker": folder / rank.RANKER_FILE.name, "decline": folder / decline.DECLINE_FILE.name,
            "span": folder / span.SCORER_PATH.name}


def ranker_json(dump: dict) -> str:
    return json.dumps(dump, separators=(",", ":"))


def decline_json(dump: dict) -> str:
    return json.dumps(dump, separators=(",", ":"))


def write_files(contents: dict[Path, str]) -> None:
    """Every file written beside its target first, then each renamed into
    place: a failure while writing leaves the old set whole."""
    staged = []
    try:
        for path, text in contents.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            temporary = path.with_name(f".{path.name}.tmp-{os.getpid()}")
            temporary.write_text(text, encoding="utf-8")
            staged.append((temporary, path))
        for temporary, path in staged:
            os.replace(temporary, path)
    finally:
        for temporary, _ in staged:
            temporary.unlink(missing_ok=True)


# ---- the run -------------------------------------------------------------------

def fit_all(data: Slice, variants, embedder, workdir: Path) -> tuple[dict[str, str], object, dict]:
    """The three models' file contents (by model name), the fitted ranker
    and the decline model's rows (for --refit-decline)."""
    print(f"training texts: {len(data.train)} ({', '.join(variants)})", flush=True)
    asked = collect(data.train, embedder, workdir / "train", extra_negatives=data.extra_negatives)
    asked += collect_default_article(embedder, workdir, data.own_article, data.own_questions, data.own_offtopic,
                                     "train half")
    oof = out_of_fold_scores(asked, data.overrides)
    print(f"train: candidates hold a gold for {oracle_rate(asked):.3f}; out-of-fold top sentence holds one "
          f"for {sentence_hit_rate(asked, oof):.3f}")
    answerability = answerability_rows(asked, oof)
    declining = fit_decline(**answerability, overrides=data.overrides)
    ranker = fit_ranker(asked, data.overrides)
    dump = ranker.booster_.dump_model()
    dump["article_qa"] = {**provenance(data.train, variants), "params": RANKER_PARAMS}
    declining["article_qa"].update(provenance(data.train, variants))
    span_texts = [span_dev.text_questions(t) for t in data.span_texts] + [span_dev.own_text(data.own_questions, data.own_article)]
    scorer = span_dev.scorer_dump(list(span_dev.rows_of(span_texts)), data.overrides)
    contents = {"ranker": ranker_json(dump), "decline": decline_json(declining), "span": span_dev.scorer_json(scorer)}
    return contents, ranker, answerability


def report_validation(data: Slice, ranker, embedder, workdir: Path, *, own: bool) -> None:
    print(f"validation texts: {len(data.validation)} (scored once, nothing chosen on them)", flush=True)
    held = collect(data.validation, embedder, workdir / "validation", extra_negatives=0)
    scores = [ranker.booster_.predict(a.cands.features) if len(a.labels) else None for a in held]
    print(f"validation: candidates hold a gold for {oracle_rate(held):.3f}; top sentence holds one "
          f"for {sentence_hit_rate(held, scores):.3f}")
    if not own:
        return
    mine = collect_default_article(embedder, workdir, data.own_article,
                                   project_questions.load(project_questions.QUESTIONS, "even"),
                                   project_questions.load(project_questions.OFFTOPIC, "even"), "even half")
    scores = [ranker.booster_.predict(a.cands.features) if len(a.labels) else None for a in mine]
    print(f"default article, even half (development questions): candidates hold a gold for "
          f"{oracle_rate(mine):.3f}; top sentence holds one for {sentence_hit_rate(mine, scores):.3f}")


def refit_decline(out: Path, *, cache: Path, save: bool, overrides: dict) -> None:
    """The decline model again, from the rows the last run saved in ``cache``;
    its provenance is the file it replaces (or the shipped one)."""
    if not cache.is_file():
        raise SystemExit(f"no {cache}: run python eval/train.py once first")
    with np.load(cache) as arrays:
        if "groups" not in arrays:
            raise SystemExit(f"{cache} is from an older train.py: run python eval/train.py once first")
        dump = fit_decline(**{name: arrays[name] for name in ("rows", "labels", "sources", "groups")},
                           overrides=overrides)
    target = model_files(out)["decline"]
    previous = target if target.is_file() else decline.DECLINE_FILE
    dump["article_qa"] = {**json.loads(previous.read_text(encoding="utf-8"))["article_qa"], **dump["article_qa"]}
    if save:
        write_files({target: decline_json(dump)})
        print(f"wrote {target}")


def main(argv: list[str] | None = None, *, embedder=None) -> int:
    """``embedder``: the engine's embedder for every build (default: the
    shipped one); tests pass a fake one."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--variants", default=",".join(cmrc.VARIANTS))
    parser.add_argument("--no-save", action="store_true", help="fit and print; write nothing")
    parser.add_argument("--out", type=Path, help="write the model files to this folder (default: the shipped ones)")
    parser.add_argument("--smoke", action="store_true",
                        help="every model on a small slice, written to --out or a temporary folder")
    parser.add_argument("--refit-decline", action="store_true",
                        help="refit only the decline model from the last run's collected rows (--cache)")
    parser.add_argument("--cache", type=Path, help="the decline model's rows (default: eval/.cache/answerability.npz;"
                                                   " a smoke run keeps its own in its temporary folder)")
    args = parser.parse_args(argv)
    if args.refit_decline:
        refit_decline(args.out or rank.MODELS, cache=args.cache or CACHE, save=not args.no_save,
                      overrides=SMOKE_OVERRIDES if args.smoke else {})
        return 0
    started = time.perf_counter()
    variants = args.variants.split(",")
    data = smoke_slice() if args.smoke else full_slice(variants)
    embedder = embedder or load_embedder()
    with tempfile.TemporaryDirectory() as tmp:
        contents, ranker, answerability = fit_all(data, variants, embedder, Path(tmp))
        cache = args.cache or (Path(tmp) / CACHE.name if args.smoke else CACHE)
        cache.parent.mkdir(parents=True, exist_ok=True)
        np.savez(cache, **answerability)  # for --refit-decline: the slow part is collecting
        out = args.out or (Path(tmp) / "models" if args.smoke else rank.MODELS)
        if not args.no_save:
            files = model_files(out)
            write_files({files[name]: text for name, text in contents.items()})
            print(f"wrote {', '.join(p.name for p in files.values())} to {out}")
        report_validation(data, ranker, embedder, Path(tmp), own=not args.smoke)
    print(f"{'smoke run' if args.smoke else 'training'} took {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
