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
    .venv/bin/python eval/span_dev.py --train               # refit src/article_qa/models/span_choice.json

The chooser among candidate spans (``span.candidates``) is a logistic
regression over ``span.features``, fitted on the CMRC train texts only
(Simplified variant): a candidate is positive when no other candidate of its
question scores a higher F1. Its weights go to a JSON file, read at run time
without scikit-learn.
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
        span = short_span(question, tag(question), sentence, tag(sentence))
        prediction = sentence[span[0]:span[1]] if span else sentence
        em, f1, floor = cmrc_em(prediction, golds), cmrc_f1(prediction, golds), cmrc_f1(sentence, golds)
        kind = asked(fold(question))[0] or "none"
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
C = 1.0


def training_rows(split: str = "train", variant: str = "simplified"):
    """(group, feature dicts, labels) per question: one row per available candidate."""
    from article_qa.tagging import Token

    for question, golds, _, text, text_sentences in cmrc_items(split, variant):
        sentence = oracle(question, golds, text_sentences, text)
        if not sentence:
            continue
        q, s = span_module.fold_mapped(question), span_module.fold_mapped(sentence)
        tokens = [Token(*s.to_folded(t.start, t.end), t.tag) for t in tag(sentence)]
        options = span_module.candidates(q.text, s.text, tokens)
        names = [n for n in span_module.CANDIDATES if options[n] is not None or n == "none"]
        scores = [cmrc_f1(sentence if options[n] is None else sentence[slice(*s.to_original(*options[n]))], golds)
                  for n in names]
        top = max(scores)
        rows = [span_module.features(n, options[n], q.text, s.text, tokens) for n in names]
        yield text[:40], rows, [int(top > 0 and sc >= top - 1e-9) for sc in scores]


def fit() -> None:
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression

    data = list(training_rows())
    rows = [r for _, rs, _ in data for r in rs]
    labels = [y for _, _, ys in data for y in ys]
    vectorizer = DictVectorizer()
    X = vectorizer.fit_transform(rows)
    model = LogisticRegression(C=C, max_iter=2000, random_state=SEED).fit(X, labels)
    weights = {name: round(float(w), 6) for name, w in zip(vectorizer.get_feature_names_out(), model.coef_[0])}
    out = {
        "about": "Logistic-regression weights choosing the short-answer candidate; the highest-scoring "
                 "candidate wins. Written by eval/span_dev.py --train.",
        "data": "CMRC 2018 trial, train texts (eval/cmrc.py split), Simplified variant, oracle sentences",
        "questions": len(data), "rows": len(rows), "seed": SEED, "C": C,
        "weights": dict(sorted(weights.items())),
    }
    span_module.MODEL_PATH.parent.mkdir(exist_ok=True)
    span_module.MODEL_PATH.write_text(json.dumps(out, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    span_module._model.cache_clear()
    print(f"wrote {span_module.MODEL_PATH} from {len(data)} questions, {len(rows)} candidates")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--split", default="train", choices=("train", "validation"))
    parser.add_argument("--variant", default="simplified", choices=("simplified", "traditional", "cross-script", "all"))
    parser.add_argument("--article", action="store_true", help="the default article's questions instead of CMRC")
    parser.add_argument("--misses", type=int, default=0)
    parser.add_argument("--train", action="store_true", help="refit the candidate chooser on the train texts")
    args = parser.parse_args()
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
