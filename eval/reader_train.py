"""Train the reader (``article_qa.read``): multilingual-e5-small with a span head.

    python eval/reader_train.py           # data -> cache -> train (resumable) -> export -> figures
    python eval/reader_train.py --smoke   # a tiny slice end to end into a temporary folder (CI)

Steps, each resumable from ``eval/.cache/reader/`` (a session may stop
mid-way; running the command again picks up where it stopped):

1. examples: ``reader_data.examples`` over the train part (seeded);
2. the frozen part: the word vectors of every example through the lowest
   ``FROZEN_LAYERS`` layers, once, kept in float16 (they never change, so
   training runs only the layers above);
3. training: the upper layers and the head, AdamW with linear warm-up and
   decay, ``EPOCHS`` epochs, batches of similar length, checkpoints every
   ``CHECKPOINT_EVERY`` steps;
4. export: the whole encoder as an ONNX graph (``reader_export.py``), its
   matrix products in int8 by ONNX Runtime's dynamic quantisation, checked
   against the torch model; ``src/article_qa/models/reader.onnx`` and
   ``reader.json`` (settings, sha256, figures);
5. figures on the dev and validation windows (span F1 given the window,
   no-answer accuracy): printed, and written to the card. Nothing is
   chosen on the validation part.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

EVAL_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(EVAL_DIR))

import reader_data  # noqa: E402

from article_qa import read  # noqa: E402
from article_qa.e5_file import open_e5  # noqa: E402
from article_qa.fold import has_han  # noqa: E402

SEED = 2018
FROZEN_LAYERS = 4  # the lowest layers keep e5's weights: cached once, never run again in training
EPOCHS = 3
BATCH = 16
LEARNING_RATE = 1e-4
HEAD_LEARNING_RATE = 5e-4
WARMUP_SHARE = 0.1
CHECKPOINT_EVERY = 100
MAX_INT8_F1_LOSS = 0.03  # mean span F1 over the dev sources, float graph minus int8
THREADS = 2
CACHE_DIR = EVAL_DIR / ".cache" / "reader"


# ---- tokenised examples ------------------------------------------------------

def tokenised(examples, tokenizer) -> list[dict]:
    """Ids and the start/end token of the answer (0, 0 for no answer); an
    answer that does not map onto whole tokens of the window is dropped."""
    rows = []
    for example in examples:
        question = tokenizer.encode(example.question)
        passage = tokenizer.encode(example.window)
        ids, offset = read.pair_ids(question, passage, tokenizer)
        spans = passage.spans[:read.MAX_WINDOW_TOKENS]
        if example.answer is None:
            label = (0, 0)
        else:
            label = _answer_tokens(spans, *example.answer)
            if label is None:
                continue
            label = (label[0] + offset, label[1] + offset)
        rows.append({"ids": ids, "label": label, "example": example, "offset": offset, "spans": spans})
    return rows


def _answer_tokens(spans, start: int, end: int) -> tuple[int, int] | None:
    first = next((i for i, (s, e) in enumerate(spans) if e > s and s <= start < e), None)
    last = next((i for i, (s, e) in enumerate(spans) if e > s and s < end <= e), None)
    if first is None or last is None or last < first:
        return None
    return first, last


def batches(rows: list[dict], size: int, rng: random.Random) -> list[list[int]]:
    """Indices in batches of similar length (less padding), in shuffled order."""
    order = sorted(range(len(rows)), key=lambda i: (len(rows[i]["ids"]), rng.random()))
    groups = [order[i:i + size] for i in range(0, len(order), size)]
    rng.shuffle(groups)
    return groups


# ---- the frozen part -----------------------------------------------------------

def frozen_states(model, rows, e5, say) -> list:
    """Each row through the embeddings and the frozen layers, float16."""
    import torch

    states = [None] * len(rows)
    groups = batches(rows, 32, random.Random(SEED))
    started = time.time()
    with torch.no_grad():
        for number, group in enumerate(groups):
            vectors, mask = _padded(rows, group, e5)
            hidden = model.encode(model.embed(vectors), mask, range(FROZEN_LAYERS))
            for position, i in enumerate(group):
                states[i] = hidden[position, :len(rows[i]["ids"])].to(torch.float16).clone()
            if number % 20 == 0:
                say(f"frozen layers: {number + 1}/{len(groups)} batches, {time.time() - started:.0f} s")
    return states


def _padded(rows, group, e5):
    import torch

    length = max(len(rows[i]["ids"]) for i in group)
    ids = np.ones((len(group), length), dtype=np.int64)  # 1 = <pad>
    mask = np.zeros((len(group), length), dtype=np.float32)
    for position, i in enumerate(group):
        ids[position, :len(rows[i]["ids"])] = rows[i]["ids"]
        mask[position, :len(rows[i]["ids"])] = 1
    vectors = e5.embedding_rows(ids.reshape(-1)).reshape(len(group), length, -1)
    return torch.from_numpy(vectors), torch.from_numpy(mask)


def _stacked(states, rows, group):
    import torch

    length = max(len(rows[i]["ids"]) for i in group)
    hidden = torch.zeros(len(group), length, states[group[0]].shape[1])
    mask = torch.zeros(len(group), length)
    for position, i in enumerate(group):
        hidden[position, :len(states[i])] = states[i].float()
        mask[position, :len(states[i])] = 1
    labels = torch.tensor([rows[i]["label"] for i in group])
    return hidden, mask, labels


# ---- training ------------------------------------------------------------------

def train(model, rows, frozen, *, epochs: int, folder: Path, say) -> None:
    """Fit the upper layers and the head; ``frozen()`` gives the cached
    states, asked for only when there are steps left to run."""
    import torch

    rng = random.Random(SEED)
    plan = [group for _ in range(epochs) for group in batches(rows, BATCH, rng)]
    last_step = len(plan)
    model.freeze_below(FROZEN_LAYERS)
    head = list(model.head.parameters())
    encoder = [p for p in model.parameters() if p.requires_grad and all(p is not h for h in head)]
    optimiser = torch.optim.AdamW([{"params": encoder, "lr": LEARNING_RATE},
                                   {"params": head, "lr": HEAD_LEARNING_RATE}], weight_decay=0.01)
    warmup = max(1, int(WARMUP_SHARE * len(plan)))
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda step: min((step + 1) / warmup, max(0.0, (len(plan) - step) / max(1, len(plan) - warmup))))
    checkpoint = folder / "checkpoint.pt"
    step = 0
    saved = torch.load(checkpoint, weights_only=False) if checkpoint.is_file() else None
    if saved is not None and saved.get("settings") != _settings(epochs, len(rows)):
        say(f"train: {checkpoint} was made with other settings; starting again")
        saved = None
    if saved is not None:
        model.load_state_dict(saved["model"])
        optimiser.load_state_dict(saved["optimiser"])
        schedule.load_state_dict(saved["schedule"])
        step = saved["step"]
        torch.set_rng_state(saved["torch_rng"])
        say(f"train: resumed at step {step}/{len(plan)}")
    states = frozen() if step < last_step else None
    model.train()
    started, losses = time.time(), []
    for step in range(step, last_step):
        hidden, mask, labels = _stacked(states, rows, plan[step])
        start_logits, end_logits = model.span_logits(model.encode(hidden, mask, range(FROZEN_LAYERS, 12)), mask)
        loss = (torch.nn.functional.cross_entropy(start_logits, labels[:, 0])
                + torch.nn.functional.cross_entropy(end_logits, labels[:, 1])) / 2
        optimiser.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimiser.step()
        schedule.step()
        losses.append(loss.item())
        if (step + 1) % CHECKPOINT_EVERY == 0 or step + 1 == last_step:
            _save_checkpoint(checkpoint, model, optimiser, schedule, step + 1, _settings(epochs, len(rows)))
            rate = (time.time() - started) / len(losses)
            say(f"train: step {step + 1}/{last_step}, loss {np.mean(losses[-CHECKPOINT_EVERY:]):.3f}, "
                f"{rate:.2f} s a step, ~{rate * (last_step - step - 1) / 60:.0f} min left")
    model.eval()


def _settings(epochs: int, examples: int) -> dict:
    """What a checkpoint must agree on to be resumed."""
    return {"seed": SEED, "frozen_layers": FROZEN_LAYERS, "epochs": epochs, "batch": BATCH,
            "learning_rate": LEARNING_RATE, "head_learning_rate": HEAD_LEARNING_RATE, "examples": examples}


def _save_checkpoint(path: Path, model, optimiser, schedule, step: int, settings: dict) -> None:
    import torch

    partial = path.with_suffix(".partial")
    torch.save({"model": model.state_dict(), "optimiser": optimiser.state_dict(), "schedule": schedule.state_dict(),
                "step": step, "torch_rng": torch.get_rng_state(), "settings": settings}, partial)
    partial.replace(path)  # a stop mid-write leaves the last whole checkpoint


# ---- figures ---------------------------------------------------------------------

def window_figures(logits_of, rows) -> dict:
    """Span F1 on answer windows (the window given), and how often the
    no-answer score wins on windows without the answer, by source; and that
    last rate by the kind of no-answer window (``reader_data.Example.kind``)."""
    import cmrc

    by_source: dict[str, dict[str, list]] = {}
    by_kind: dict[str, list] = {}
    for row, (start_logits, end_logits) in zip(rows, logits_of(rows)):
        example = row["example"]
        usable = np.zeros(len(start_logits), dtype=bool)
        usable[row["offset"]:row["offset"] + len(row["spans"])] = [e > s for s, e in row["spans"]]
        first, last, score = read.best_span(start_logits, end_logits, row["offset"],
                                            row["offset"] + len(row["spans"]), usable)
        no_answer = float(start_logits[0] + end_logits[0])
        figures = by_source.setdefault(example.source, {"f1": [], "answered": [], "declined": []})
        if example.answer is None:
            figures["declined"].append(no_answer >= score)
            by_kind.setdefault(example.kind, []).append(no_answer >= score)
            continue
        span = example.window[row["spans"][first - row["offset"]][0]:row["spans"][last - row["offset"]][1]]
        figures["f1"].append(_f1(span, example.golds, cmrc))
        figures["answered"].append(score > no_answer)
    return {"by source": {source: {key: _mean(values) for key, values in figures.items()}
                          for source, figures in sorted(by_source.items())},
            "declined by no-answer kind": {kind: _mean(values) for kind, values in sorted(by_kind.items())}}


def _mean(values: list) -> float | None:
    return round(float(np.mean(values)), 3) if values else None


def _mean_f1(figures: dict) -> float:
    return float(np.mean([f["f1"] for f in figures["by source"].values() if f["f1"] is not None]))


def _f1(prediction: str, golds, cmrc) -> float:
    import squad_metric

    if has_han("".join(golds)):
        return cmrc.cmrc_f1(prediction, golds)
    return squad_metric.squad_f1(prediction, golds)


def torch_logits(model, e5):
    import torch

    def logits_of(rows):
        for group in [list(range(i, min(i + 32, len(rows)))) for i in range(0, len(rows), 32)]:
            vectors, mask = _padded(rows, group, e5)
            with torch.no_grad():
                start, end = model(vectors, mask)
            for position, i in enumerate(group):
                yield start[position].numpy(), end[position].numpy()
    return logits_of


# ---- main ----------------------------------------------------------------------

def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--smoke", action="store_true", help="a tiny slice end to end into a temporary folder")
    parser.add_argument("--out", type=Path, default=read.MODEL_DIR, help="where reader.onnx and reader.json go")
    parser.add_argument("--no-export", action="store_true", help="train (or resume) only")
    args = parser.parse_args(argv)
    import torch

    from reader_model import Reader

    torch.manual_seed(SEED)
    torch.set_num_threads(THREADS)
    say = lambda message: print(message, flush=True)  # noqa: E731
    e5 = open_e5()
    tokenizer = read.ReaderTokenizer(e5)
    items = reader_data.all_items()
    if args.smoke:
        # one train, one dev and one validation text, a few questions each
        items = [item for item in items if item.text_id in {"cmrc-1", "drcd-0", "xquad-2"}][::12]
    examples = reader_data.examples(items, tokenizer, random.Random(SEED))
    rows = {split: tokenised([e for e in examples if e.split == split], tokenizer)
            for split in ("train", "dev", "validation")}
    say("examples: " + ", ".join(f"{split} {len(part)}" for split, part in rows.items()))
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch) if args.smoke else CACHE_DIR
        out = Path(scratch) if args.smoke else args.out
        folder.mkdir(parents=True, exist_ok=True)
        model = Reader(e5)
        started = time.time()
        train(model, rows["train"], lambda: frozen_states(model, rows["train"], e5, say),
              epochs=1 if args.smoke else EPOCHS, folder=folder, say=say)
        say(f"train: {time.time() - started:.0f} s")
        if args.no_export:
            return 0
        import reader_export

        exported = Path(scratch) if args.smoke else folder
        card = reader_export.export(model, exported, e5, say=say, keep_float=True, untrained=args.smoke)
        candidate = exported / read.READER_FILE.name
        limit = 40 if args.smoke else None
        card["figures"] = {split: window_figures(reader_export.onnx_logits(candidate, e5), rows[split][:limit])
                           for split in ("dev", "validation")}
        # int8 against the float graph, on dev only: does quantising keep the spans' quality?
        card["figures"]["dev (float graph)"] = window_figures(
            reader_export.onnx_logits(exported / "reader-float.onnx", e5), rows["dev"][:limit])
        loss = _mean_f1(card["figures"]["dev (float graph)"]) - _mean_f1(card["figures"]["dev"])
        if loss > MAX_INT8_F1_LOSS and not args.smoke:
            raise SystemExit(f"int8 loses {loss:.3f} of the float graph's span F1 on dev (> {MAX_INT8_F1_LOSS}); "
                             f"{candidate} is not shipped")
        card["training"] = {"seed": SEED, "frozen_layers": FROZEN_LAYERS, "epochs": EPOCHS, "batch": BATCH,
                            "learning_rate": LEARNING_RATE, "head_learning_rate": HEAD_LEARNING_RATE,
                            "examples": {split: len(part) for split, part in rows.items()},
                            "seconds_this_run": round(time.time() - started)}  # a resumed run counts its part
        if not args.smoke:  # the model and its card land together, once both are checked
            out.mkdir(parents=True, exist_ok=True)
            (out / read.READER_FILE.name).write_bytes(candidate.read_bytes())
            (out / read.READER_CARD.name).write_text(json.dumps(card, indent=1, ensure_ascii=False) + "\n",
                                                     encoding="utf-8")
        say(json.dumps(card["figures"], indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
