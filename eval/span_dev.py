"""Short-answer quality on oracle sentences (the sentence that holds the gold).

For each question, the text is cut into sentences as ``article_qa.chunk``
cuts them; the first sentence holding a gold answer is the oracle sentence
(questions whose gold crosses sentences are skipped and counted), and
``span.short_span`` picks the phrase. Prints CMRC EM / F1 of the phrase
against the golds, and the F1 of quoting the whole sentence (the floor),
overall and by the kind of question asked.

    .venv/bin/python eval/span_dev.py                       # CMRC train texts, simplified
    .venv/bin/python eval/span_dev.py --split validation --variant traditional
    .venv/bin/python eval/span_dev.py --article             # the default article's questions, by language
    .venv/bin/python eval/span_dev.py --misses 30           # print failures for inspection
    .venv/bin/python eval/span_dev.py --train               # refit only span_scorer.json (make train fits all)
    .venv/bin/python eval/span_dev.py --cv                  # 5-fold cross-validation by text on the train texts
    .venv/bin/python eval/span_dev.py --timing              # ms per short_span call

The span scorer (``span.span_candidates``: every candidate phrase of the
sentence with its feature row) is a LightGBM lambdarank model, groups =
questions, relevance = the candidate's CMRC F1 against the golds in
RELEVANCE_LEVELS steps, fitted on the CMRC train texts only (Simplified
variant). Its trees go to a JSON file (``Booster.dump_model()``) evaluated at
run time without LightGBM (``trees.TreeEnsemble``). ``--cv`` scores the same fit
out of fold, folds by text, so the figure does not see its own texts.

A ``None`` from ``short_span`` is scored as the product shows it: no short
answer (``""``, F1 0); the floor column is the whole sentence's F1.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "src"))

from article_qa import span as span_module
from article_qa.chunk import _SENTENCE
from article_qa.fold import fold
from article_qa.ingest import clean_article, read_article
from article_qa.span import asked, short_span
from article_qa.tagging import tag
from cmrc import cmrc_em, cmrc_f1, load_texts


def sentences(text: str) -> list[str]:
    out = []
    for block in text.split("\n"):
        out.extend(m.group().strip() for m in _SENTENCE.finditer(block) if m.group().strip())
    return out


def oracle(question: str, golds, text_sentences: list[str], text: str) -> str | None | bool:
    """The sentence holding a gold that shares most characters with the
    question (a text holds many paragraphs, and a short gold such as a year
    recurs); False when the gold is in the text but crosses sentences; None
    when it is not in the text at all."""
    asked_chars = set(fold(question))
    holding = [s for s in text_sentences if any(g.strip() and g.strip() in s for g in golds)]
    if holding:
        return max(holding, key=lambda s: len(asked_chars & set(fold(s))))
    return False if any(g.strip() and g.strip() in text for g in golds) else None


def evaluate(items, misses: int = 0) -> dict:
    """items: (question, golds, group, article_text, article_sentences)."""
    totals = defaultdict(lambda: [0, 0.0, 0.0, 0.0, 0])  # n, em, f1, floor f1, none
    crossing = missing = 0
    shown = 0
    for question, golds, group, text, text_sentences in items:
        sentence = oracle(question, golds, text_sentences, text)
        if sentence is None:
            missing += 1
            continue
        if sentence is False:
            crossing += 1
            continue
        question_tags = tag(question)
        span = short_span(question, question_tags, sentence, tag(sentence))
        prediction = sentence[span[0]:span[1]] if span else ""
        em, f1, floor = cmrc_em(prediction, golds), cmrc_f1(prediction, golds), cmrc_f1(sentence, golds)
        kind = kind_asked(question, question_tags) or "none"
        for key in ("all", f"{group}", f"kind={kind}"):
            row = totals[key]
            row[0] += 1
            row[1] += em
            row[2] += f1
            row[3] += floor
            row[4] += span is None
        if f1 < 0.5 and shown < misses:
            shown += 1
            print(f"MISS [{kind}] Q: {question}\n   S: {sentence}\n   pred: {prediction if span else None}"
                  f"   gold: {golds}")
    return {"rows": {k: v for k, v in totals.items()}, "crossing": crossing, "missing": missing}


def kind_asked(question: str, question_tags) -> str | None:
    q = span_module.fold_mapped(question)
    tokens = [span_module.Token(*q.to_folded(t.start, t.end), t.tag) for t in question_tags]
    return asked(q.text, tokens, refined=True)[0]


def report(title: str, result: dict) -> None:
    print(f"\n{title}  (gold crosses sentences: {result['crossing']}, gold not in text: {result['missing']})")
    print(f"{'group':<22}{'n':>6}{'EM':>8}{'F1':>8}{'floor F1':>10}{'none':>7}")
    for key, (n, em, f1, floor, none) in sorted(result["rows"].items(), key=lambda kv: (kv[0] != "all", kv[0])):
        print(f"{key:<22}{n:>6}{em / n:>8.3f}{f1 / n:>8.3f}{floor / n:>10.3f}{none / n:>7.2f}")


def cmrc_items(split: str, variant: str):
    for text in load_texts(variant):
        if text.split != split:
            continue
        text_sentences = sentences(text.article)
        for q in text.questions:
            yield q.text, q.golds, variant, text.article, text_sentences


def article_items():
    text = (HERE.parent / "data" / "digital-government.txt").read_text(encoding="utf-8")
    text_sentences = sentences(text)
    with open(HERE / "questions.jsonl", encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            yield row["question"], tuple(row["answers"]), f"lang={row['lang']}", text, text_sentences


SEED = 0
FOLDS = 5
RELEVANCE_LEVELS = 4  # relevance = round(F1 * RELEVANCE_LEVELS)
PARAMS = {"objective": "lambdarank", "n_estimators": 300, "learning_rate": 0.05, "num_leaves": 15,
          "min_child_samples": 20, "subsample": 0.8, "subsample_freq": 1, "colsample_bytree": 0.8,
          "random_state": SEED, "verbose": -1}


def training_rows(split: str = "train", variant: str = "simplified", *, own_questions: bool = True):
    """Per question with an oracle sentence: (text name, kind, feature rows, F1 of each candidate).
    With ``own_questions``, the odd-numbered half of the project's questions
    on the default article joins the CMRC texts (project_questions.py): its
    gold answers are short phrases where CMRC's are often whole clauses. On
    the training half's own 2-fold split this lifted the default article's
    oracle F1 from 0.42 to 0.55 and cost CMRC's cross-validated F1 0.007."""
    texts = [text_questions(text) for text in load_texts(variant) if text.split == split]
    if own_questions:
        texts.append(own_text())
    yield from rows_of(texts)


def text_questions(text) -> tuple[str, str, list]:
    """A CMRC text as (name, article, [(question, golds)])."""
    return text.name, text.article, [(q.text, q.golds) for q in text.questions]


def own_text(items: list[dict] | None = None, raw_article: str | None = None) -> tuple[str, str, list]:
    """The default article (or ``raw_article``, a slice of it) with the
    project's questions (default: the training half)."""
    import project_questions

    article = read_article(project_questions.ARTICLE).text if raw_article is None else clean_article(raw_article).text
    if items is None:
        items = project_questions.load(project_questions.QUESTIONS, "train")
    return "default-article", article, [(item["question"], tuple(item["answers"])) for item in items]


def rows_of(texts):
    """Each (name, article, questions)'s rows, as :func:`training_rows` yields them."""
    for name, article, questions in texts:
        yield from _question_rows(name, article, questions)


def _question_rows(name: str, article: str, questions):
    import numpy as np

    text_sentences = sentences(article)
    for question, golds in questions:
        sentence = oracle(question, golds, text_sentences, article)
        if not sentence:
            continue
        q, s = span_module.fold_mapped(question), span_module.fold_mapped(sentence)
        tokens = [span_module.Token(*s.to_folded(t.start, t.end), t.tag) for t in tag(sentence)]
        q_tokens = [span_module.Token(*q.to_folded(t.start, t.end), t.tag) for t in tag(question)]
        spans, rows = span_module.span_candidates(q.text, s.text, tokens, q_tokens)
        if not spans:
            continue
        folded_golds = [fold(g) for g in golds]  # the project's golds are in the article's script
        scores = np.array([cmrc_f1(fold(sentence[slice(*s.to_original(*sp))]), folded_golds) for sp in spans])
        kind = span_module.asked(q.text, q_tokens, refined=True)[0] or "none"
        yield name, kind, rows, scores


def _stack(data):
    import numpy as np

    X = np.vstack([rows for _, _, rows, _ in data])
    y = np.concatenate([scores for _, _, _, scores in data])
    sizes = [len(scores) for _, _, _, scores in data]
    return X, y, sizes


def _ranker(data, overrides: dict | None = None):
    import lightgbm

    X, y, sizes = _stack(data)
    labels = (y * RELEVANCE_LEVELS).round().astype(int)
    return lightgbm.LGBMRanker(**{**PARAMS, **(overrides or {})}).fit(X, labels, group=sizes)


def cross_validate() -> None:
    """Out-of-fold F1 of the scorer's pick, folds by text (text i in fold i % FOLDS), by kind."""
    import numpy as np

    data = list(training_rows(own_questions=False))
    texts = sorted({name for name, *_ in data})
    fold_of = {name: i % FOLDS for i, name in enumerate(texts)}
    picked = [0.0] * len(data)
    for held_out in range(FOLDS):
        model = _ranker([d for d in data if fold_of[d[0]] != held_out])
        for i, (name, _, rows, scores) in enumerate(data):
            if fold_of[name] == held_out:
                picked[i] = float(scores[int(np.argmax(model.predict(rows)))])
    by_kind = defaultdict(list)
    for (_, kind, _, _), f1 in zip(data, picked):
        by_kind["all"].append(f1)
        by_kind[f"kind={kind}"].append(f1)
    ceiling = np.mean([scores.max() for *_, scores in data])
    print(f"\nspan scorer, {FOLDS}-fold CV by text, CMRC train, simplified, oracle sentences "
          f"(candidates per question {np.mean([len(s) for *_, s in data]):.0f}, best-candidate ceiling {ceiling:.3f})")
    print(f"{'group':<22}{'n':>6}{'F1':>8}")
    for key in sorted(by_kind, key=lambda k: (k != "all", k)):
        print(f"{key:<22}{len(by_kind[key]):>6}{np.mean(by_kind[key]):>8.3f}")


def scorer_dump(data, overrides: dict | None = None) -> dict:
    """The span scorer fitted on ``data`` (:func:`training_rows`' items), as
    the shipped file holds it; ``overrides`` replace some of PARAMS."""
    model = _ranker(data, overrides)
    dump = model.booster_.dump_model()
    dump["feature_names"] = list(span_module.SPAN_FEATURES)
    return {
        "about": "LightGBM lambdarank trees scoring the short-answer candidates of span.span_candidates "
                 "(Booster.dump_model()); the best-scoring candidate wins. Written by eval/train.py.",
        "data": "CMRC 2018 trial, train texts (eval/cmrc.py split), Simplified variant, oracle sentences; "
                "eval/questions.jsonl, odd ids (eval/project_questions.py), on the default article",
        "questions": len(data), "rows": sum(len(s) for *_, s in data), "seed": SEED,
        "relevance_levels": RELEVANCE_LEVELS, "params": PARAMS,
        "feature_names": dump["feature_names"], "tree_info": dump["tree_info"],
    }


def scorer_json(dump: dict) -> str:
    return json.dumps(dump, ensure_ascii=False, separators=(",", ":")) + "\n"


def fit() -> None:
    """Refit only the span scorer (eval/train.py fits it with the other two)."""
    from train import write_files

    data = list(training_rows())
    out = scorer_dump(data)
    write_files({span_module.SCORER_PATH: scorer_json(out)})
    span_module.scorer.cache_clear()
    print(f"wrote {span_module.SCORER_PATH} from {len(data)} questions, {out['rows']} candidates")


def timing(repeat: int = 20) -> None:
    """Mean ms per short_span call on the train oracle sentences (tags computed beforehand)."""
    import time

    cases = []
    for question, golds, _, text, text_sentences in cmrc_items("train", "simplified"):
        sentence = oracle(question, golds, text_sentences, text)
        if sentence:
            cases.append((question, tag(question), sentence, tag(sentence)))
    short_span(*cases[0])  # load the model
    for label, chosen in (("all oracle sentences", cases),
                          ("sentences of 50-70 characters", [c for c in cases if 50 <= len(c[2]) <= 70])):
        start = time.perf_counter()
        for _ in range(repeat):
            for cache in (span_module._common_substrings, span_module._anchors, span_module.fold_mapped):
                cache.cache_clear()  # every call as a new question would meet them
            for case in chosen:
                short_span(*case)
        ms = (time.perf_counter() - start) * 1000 / (repeat * len(chosen))
        print(f"short_span, {label} (n={len(chosen)}, mean {sum(len(c[2]) for c in chosen) / len(chosen):.0f} "
              f"chars): {ms:.2f} ms per call")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--split", default="train", choices=("train", "validation"))
    parser.add_argument("--variant", default="simplified", choices=("simplified", "traditional", "cross-script", "all"))
    parser.add_argument("--article", action="store_true", help="the default article's questions instead of CMRC")
    parser.add_argument("--misses", type=int, default=0)
    parser.add_argument("--train", action="store_true", help="refit the span scorer on the train texts")
    parser.add_argument("--cv", action="store_true", help="cross-validate the span scorer by text on the train texts")
    parser.add_argument("--timing", action="store_true", help="time short_span on the train oracle sentences")
    args = parser.parse_args()
    if args.cv:
        cross_validate()
        return
    if args.timing:
        timing()
        return
    if args.train:
        fit()
    if args.article:
        report("default article (eval/questions.jsonl), oracle sentences", evaluate(article_items(), args.misses))
        return
    variants = ("simplified", "traditional", "cross-script") if args.variant == "all" else (args.variant,)
    for variant in variants:
        report(f"CMRC 2018 trial, {args.split}, {variant}, oracle sentences",
               evaluate(cmrc_items(args.split, variant), args.misses))


if __name__ == "__main__":
    main()
