"""Fit the answer stage's models on the CMRC 2018 training texts.

    python eval/train.py            # fit, write src/article_qa/models/*.json, print validation figures
    python eval/train.py --no-save  # fit and print only
    python eval/train.py --refit-decline  # only the decline model, from the last run's rows (eval/.cache)

Two models, both fitted on the training part of the fixed split only
(``eval/cmrc.py``; all three script variants, so Traditional text and
cross-script questions are seen too):

* the sentence ranker — LightGBM lambdarank over ``rank.FEATURES``, one
  group per question, a candidate labelled 1 when it holds a gold answer;
* the decline model — a small gradient-boosted classifier over
  ``decline.ANSWERABILITY``, a text's own questions against questions of other
  texts, for the Chinese questions that name nothing the article lacks
  (``decline.answers`` declines those by rule, and English ones by its own
  rule). Its inputs include the ranker's scores, so it is fitted on
  out-of-fold ranker scores (folds by text) rather than on scores the ranker
  saw its labels for; CMRC and the project's questions weigh the same. The
  threshold is the highest that declines at most ``MAX_FALSE_DECLINES`` of
  the answerable questions, on the classifier's own out-of-fold
  probabilities.

The project's own questions on the default article join the training data
by the fixed half of ``project_questions.py`` (odd ids): they are the only
English and the only paraphrased questions there are.

The validation part is scored once at the end, with the saved models, for
the report; nothing is chosen on it. Seeded: the same data and seed give the
same files.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

EVAL_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(EVAL_DIR))

import cmrc  # noqa: E402
import project_questions  # noqa: E402

from article_qa import ArticleQA  # noqa: E402
from article_qa import decline, rank  # noqa: E402
from article_qa.embed import load_embedder  # noqa: E402
from article_qa.fold import fold, has_han  # noqa: E402
from article_qa.settings import DEFAULTS  # noqa: E402
from article_qa.tagging import tag  # noqa: E402

SEED = 2018
CACHE = EVAL_DIR / ".cache" / "answerability.npz"
FOLDS = 4
EXTRA_NEGATIVES = 36  # per text, on top of the benchmark's 12 other-text questions
MAX_FALSE_DECLINES = 0.02
DECLINE_PARAMS = dict(n_estimators=150, learning_rate=0.05, num_leaves=7, min_child_samples=20, subsample=0.8,
                      subsample_freq=1, verbose=-1)
RANKER_PARAMS = dict(objective="lambdarank", n_estimators=300, learning_rate=0.05, num_leaves=15,
                     min_child_samples=20, subsample=0.8, subsample_freq=1, colsample_bytree=0.8,
                     lambdarank_truncation_level=10, verbose=-1)


@dataclass
class Asked:
    """One question put to one built text, with everything the models need."""

    text_name: str
    answerable: bool
    query: object
    question_tags: tuple
    passages: list
    cands: rank.Candidates
    labels: np.ndarray
    qa: ArticleQA


def collect(texts: list[cmrc.BenchmarkText], embedder, workdir: Path, *, extra_negatives: int) -> list[Asked]:
    asked: list[Asked] = []
    pool = [q for t in texts for q in t.questions]
    rng = random.Random(SEED)
    for number, text in enumerate(texts, 1):
        started = time.perf_counter()
        folder = workdir / f"{text.name}-{number}"
        qa = ArticleQA.build(cmrc.write_article(text, folder), index_dir=folder / "index", embedder=embedder)
        negatives = list(text.other_questions) + _extra_negatives(text, pool, qa.article, rng, extra_negatives)
        for question, answerable in [(q, True) for q in text.questions] + [(q, False) for q in negatives]:
            asked.append(_ask(qa, text.name, question, answerable))
        print(f"  {text.name} ({number}/{len(texts)}): {len(text.questions)} questions, "
              f"{len(negatives)} from other texts, {time.perf_counter() - started:.1f} s", flush=True)
    return asked


def collect_default_article(embedder, workdir: Path, split: str) -> list[Asked]:
    """The project's own questions on the default article (one half, see
    project_questions.py), asked like a benchmark text's."""
    qa = ArticleQA.build(project_questions.ARTICLE, index_dir=workdir / "default-index", embedder=embedder)
    asked = []
    for item in project_questions.load(project_questions.QUESTIONS, split):
        asked.append(_ask(qa, "default-article", cmrc.Question(item["id"], item["question"],
                                                               tuple(item["answers"])), True))
    for item in project_questions.load(project_questions.OFFTOPIC, split):
        asked.append(_ask(qa, "default-article", cmrc.Question(item["id"], item["question"], ()), False))
    print(f"  default article ({split} half): {len(asked)} questions", flush=True)
    return asked


def _extra_negatives(text, pool, article: str, rng: random.Random, count: int) -> list[cmrc.Question]:
    own = {q.id for q in text.questions}
    others = [q for q in pool if q.id not in own and not any(g in article for g in q.golds)]
    return rng.sample(others, min(count, len(others)))


def _ask(qa: ArticleQA, text_name: str, question, answerable: bool) -> Asked:
    query = qa.prepare(question.text)
    passages = qa.search(query, DEFAULTS.answer_passages)
    cands = rank.candidates(query, passages, qa.index, qa.index.sentence_tags)
    golds = [fold(g) for g in question.golds]
    labels = np.asarray([answerable and any(g in fold(qa.index.sentence_text(s)) for g in golds)
                         for s in cands.sentences], dtype=np.int32)
    return Asked(text_name, answerable, query, tag(query.text), passages, cands, labels, qa)


def fit_ranker(asked: list[Asked]):
    import lightgbm

    usable = [a for a in asked if a.answerable and len(a.labels) and a.labels.any()]
    rows = np.vstack([a.cands.features for a in usable])
    labels = np.concatenate([a.labels for a in usable])
    model = lightgbm.LGBMRanker(random_state=SEED, **RANKER_PARAMS)
    model.fit(rows, labels, group=[len(a.labels) for a in usable], feature_name=list(rank.FEATURES))
    return model


def out_of_fold_scores(asked: list[Asked]) -> list[np.ndarray]:
    names = sorted({a.text_name for a in asked})
    fold_of = {name: i % FOLDS for i, name in enumerate(names)}
    scores: list[np.ndarray | None] = [None] * len(asked)
    for part in range(FOLDS):
        model = fit_ranker([a for a in asked if fold_of[a.text_name] != part])
        for i, a in enumerate(asked):
            if fold_of[a.text_name] == part and len(a.labels):
                scores[i] = model.booster_.predict(a.cands.features)
    return scores


def answerability_rows(asked: list[Asked], scores) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows, labels, and each row's source (the project's own questions or CMRC)."""
    rows, labels, sources = [], [], []
    for a, s in zip(asked, scores):
        # English questions are decided by decline.answers' rule, not this model.
        if s is None or not len(s) or not has_han(a.query.text):
            continue
        rows.append(decline.answerability_features(a.query, a.question_tags, a.cands, s, a.passages, a.qa.index))
        labels.append(a.answerable)
        sources.append(a.text_name == "default-article")
    return np.vstack(rows), np.asarray(labels, dtype=np.int32), np.asarray(sources)


def fit_decline(rows: np.ndarray, labels: np.ndarray, sources: np.ndarray):
    """A small gradient-boosted classifier (it can learn that one missing
    name outweighs good overlap). Both sources weigh the same in the fit —
    CMRC's rewrites of a sentence would otherwise drown the project's
    paraphrased questions — and the threshold declines at most
    MAX_FALSE_DECLINES of the answerable questions, the sources weighed alike."""
    import lightgbm

    from sklearn.model_selection import StratifiedKFold

    # Questions naming something the article lacks are declined by rule
    # (decline.answers) before the model is asked: it is fitted on the rest.
    asked_model = rows[:, decline.ANSWERABILITY.index("missing_key_terms")] == 0
    print(f"decline rule (a key term missing): declines {1 - asked_model[labels == 0].mean():.3f} of unanswerable "
          f"and {1 - asked_model[labels == 1].mean():.3f} of answerable training questions")
    rows, labels, sources = rows[asked_model], labels[asked_model], sources[asked_model]
    weights = np.where(sources, 0.5 / max(sources.mean(), 1e-9), 0.5 / max(1 - sources.mean(), 1e-9))

    def fitted(part: np.ndarray):
        model = lightgbm.LGBMClassifier(random_state=SEED, **DECLINE_PARAMS)
        model.fit(rows[part], labels[part], sample_weight=weights[part], feature_name=list(decline.ANSWERABILITY))
        return model

    # The threshold comes from out-of-fold probabilities: in sample, trees
    # separate the training questions better than they will new ones.
    probability = np.zeros(len(rows))
    strata = labels * 2 + sources
    for train_part, test_part in StratifiedKFold(5, shuffle=True, random_state=SEED).split(rows, strata):
        raw = fitted(train_part).booster_.predict(rows[test_part], raw_score=True)
        probability[test_part] = 1 / (1 + np.exp(-raw))
    model = fitted(np.arange(len(rows)))
    answerable = labels == 1
    threshold = _weighted_threshold(probability[answerable], weights[answerable])
    for source, name in ((False, "CMRC train"), (True, "own questions, train half")):
        mine = sources == source
        declined = float((probability[mine & ~answerable] < threshold).mean())
        false = float((probability[mine & answerable] < threshold).mean())
        print(f"decline model on {name} (out of fold): threshold {threshold:.3f}, "
              f"declines {declined:.3f} of unanswerable questions, {false:.3f} of answerable ones")
    dump = model.booster_.dump_model()
    dump["article_qa"] = {"threshold": threshold, "params": DECLINE_PARAMS}
    return dump


def _weighted_threshold(probabilities: np.ndarray, weights: np.ndarray) -> float:
    """The highest threshold below which lies at most MAX_FALSE_DECLINES of the weight."""
    order = np.argsort(probabilities)
    cumulative = np.cumsum(weights[order]) / weights.sum()
    return float(probabilities[order][np.searchsorted(cumulative, MAX_FALSE_DECLINES, side="right")]) - 1e-6


def sentence_hit_rate(asked: list[Asked], scores) -> float:
    """Share of answerable questions whose top-scored candidate holds a gold."""
    hits = [bool(a.labels[int(np.argmax(s))]) if s is not None and len(s) else False
            for a, s in zip(asked, scores) if a.answerable]
    return float(np.mean(hits))


def oracle_rate(asked: list[Asked]) -> float:
    return float(np.mean([bool(a.labels.any()) for a in asked if a.answerable]))


def provenance(texts, variants) -> dict:
    return {"data": "eval/cmrc2018/cmrc2018_trial.json (CMRC 2018 trial, CC BY-SA 4.0); "
                    "eval/questions.jsonl and eval/offtopic.jsonl, odd ids (eval/project_questions.py)",
            "split": "train texts of eval/cmrc.py (text i with i % 3 != 2)", "variants": list(variants),
            "texts": sorted({t.name for t in texts}), "seed": SEED, "made_by": "python eval/train.py"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--variants", default=",".join(cmrc.VARIANTS))
    parser.add_argument("--no-save", action="store_true")
    parser.add_argument("--refit-decline", action="store_true",
                        help="refit only the decline model from the last run's collected rows (eval/.cache)")
    args = parser.parse_args()
    if args.refit_decline:
        arrays = np.load(CACHE)
        decline = fit_decline(*(arrays[f"arr_{i}"] for i in range(3)))
        old = json.loads(decline.DECLINE_FILE.read_text(encoding="utf-8"))["article_qa"]
        decline["article_qa"] = {**old, **decline["article_qa"]}
        if not args.no_save:
            decline.DECLINE_FILE.write_text(json.dumps(decline, separators=(",", ":")), encoding="utf-8")
        return
    variants = args.variants.split(",")
    embedder = load_embedder()
    train = [t for v in variants for t in cmrc.load_texts(v) if t.split == "train"]
    validation = [t for v in variants for t in cmrc.load_texts(v) if t.split == "validation"]
    with tempfile.TemporaryDirectory() as tmp:
        print(f"training texts: {len(train)} ({', '.join(variants)})", flush=True)
        asked = collect(train, embedder, Path(tmp) / "train", extra_negatives=EXTRA_NEGATIVES)
        asked += collect_default_article(embedder, Path(tmp), "train")
        oof = out_of_fold_scores(asked)
        print(f"train: candidates hold a gold for {oracle_rate(asked):.3f}; out-of-fold top sentence holds one "
              f"for {sentence_hit_rate(asked, oof):.3f}")
        answerability = answerability_rows(asked, oof)
        CACHE.parent.mkdir(exist_ok=True)
        np.savez(CACHE, *answerability)  # for --refit-decline: the slow part is collecting
        decline = fit_decline(*answerability)
        ranker = fit_ranker(asked)
        dump = ranker.booster_.dump_model()
        dump["article_qa"] = {**provenance(train, variants), "params": RANKER_PARAMS}
        decline["article_qa"].update(provenance(train, variants))
        if not args.no_save:
            rank.MODELS.mkdir(exist_ok=True)
            rank.RANKER_FILE.write_text(json.dumps(dump, separators=(",", ":")), encoding="utf-8")
            decline.DECLINE_FILE.write_text(json.dumps(decline, separators=(",", ":")), encoding="utf-8")
            print(f"wrote {rank.RANKER_FILE.name} and {decline.DECLINE_FILE.name}")
        print(f"validation texts: {len(validation)} (scored once, nothing chosen on them)", flush=True)
        held = collect(validation, embedder, Path(tmp) / "validation", extra_negatives=0)
        scores = [ranker.booster_.predict(a.cands.features) if len(a.labels) else None for a in held]
        print(f"validation: candidates hold a gold for {oracle_rate(held):.3f}; top sentence holds one "
              f"for {sentence_hit_rate(held, scores):.3f}")
        own = collect_default_article(embedder, Path(tmp), "held-out")
        scores = [ranker.booster_.predict(a.cands.features) if len(a.labels) else None for a in own]
        print(f"default article, held-out half: candidates hold a gold for {oracle_rate(own):.3f}; "
              f"top sentence holds one for {sentence_hit_rate(own, scores):.3f}")


if __name__ == "__main__":
    main()
