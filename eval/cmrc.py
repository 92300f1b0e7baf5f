"""CMRC 2018 as article-sized texts: loading, the fixed split, the official metric.

The trial set (``eval/cmrc2018/``) holds 256 Wikipedia paragraphs with 1,002
questions. article-qa answers questions about one article, so the paragraphs
are grouped, in file order, into texts of about one article's size: a text is
closed once it passes ``TEXT_CHARS`` characters or holds ``TEXT_PARAGRAPHS``
paragraphs; a remainder under half that size joins the last text. Each paragraph is written
under its title as a heading line. Layouts: ``"blank-line"`` (the default:
title, blank line, paragraph, blank line) and ``"title-above"`` (the title
directly above its paragraph, a blank line between the pairs, as plain text
often comes); the ingest must read both alike.

Split, fixed and the same for every variant: text ``i`` is validation when
``i % 3 == 2``, train otherwise (about 2/3 train).

Variants: ``"simplified"`` (as published), ``"traditional"`` (article,
questions and golds converted with OpenCC ``s2t``) and ``"cross-script"``
(Traditional article and golds, Simplified questions).

``other_questions``: 12 questions of one other text of the same split (so
training never sees validation questions), drawn with a fixed seed, leaving
out any whose gold occurs in this text; the right reply to them is a decline.

The two empty questions of the trial set are left out (1,000 remain).

``cmrc_f1`` / ``cmrc_em`` follow CMRC 2018's evaluation script (v4).
"""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

from article_qa.fold import fold

DATA = Path(__file__).resolve().parent / "cmrc2018" / "cmrc2018_trial.json"
TEXT_CHARS = 12_000
TEXT_PARAGRAPHS = 24
VALIDATION_EVERY = 3  # text i is validation when i % 3 == 2
OTHER_QUESTIONS = 12
SEED = 2018
VARIANTS = ("simplified", "traditional", "cross-script")
LAYOUTS = ("blank-line", "title-above")


@dataclass(frozen=True)
class Question:
    id: str
    text: str
    golds: tuple[str, ...]


@dataclass(frozen=True)
class BenchmarkText:
    name: str
    split: str  # "train" | "validation"
    article: str  # the article text to build
    questions: tuple[Question, ...]  # answered by this text
    other_questions: tuple[Question, ...]  # a dozen questions of another text: the right reply is a decline


# ---- loading ---------------------------------------------------------------

def load_texts(variant: str = "simplified", layout: str = "blank-line") -> list[BenchmarkText]:
    """Every text of the trial set, in file order, in the given script variant
    and layout (the layouts differ in their articles' blank lines only)."""
    if variant not in VARIANTS:
        raise ValueError(f"unknown variant {variant!r}; choose one of {', '.join(VARIANTS)}")
    if layout not in LAYOUTS:
        raise ValueError(f"unknown layout {layout!r}; choose one of {', '.join(LAYOUTS)}")
    texts = _simplified_texts(layout)
    if variant == "simplified":
        return list(texts)
    return [converted(text, convert_questions=variant == "traditional") for text in texts]


def small_texts(count: int, paragraphs: int) -> list[BenchmarkText]:
    """``count`` texts of ``paragraphs`` paragraphs each, from the start of the
    trial set, all "train", with other questions drawn as for the full texts
    (``eval/train.py --smoke``)."""
    source = load_paragraphs()
    texts = [replace(_text(i, source[i * paragraphs:(i + 1) * paragraphs]), name=f"cmrc2018-small-{i:02d}",
                     split="train") for i in range(count)]
    return [replace(text, other_questions=_other_questions(i, texts)) for i, text in enumerate(texts)]


def load_paragraphs(path: Path = DATA) -> list[dict]:
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


@lru_cache(maxsize=len(LAYOUTS))
def _simplified_texts(layout: str) -> tuple[BenchmarkText, ...]:
    groups = group_paragraphs(load_paragraphs())
    if layout != LAYOUTS[0]:
        # The same texts and questions (other questions drawn once, on the
        # first layout's articles), only the articles' blank lines differ.
        return tuple(replace(text, article=compose_article(group, layout))
                     for text, group in zip(_simplified_texts(LAYOUTS[0]), groups))
    texts = [_text(i, group) for i, group in enumerate(groups)]
    return tuple(replace(text, other_questions=_other_questions(i, texts)) for i, text in enumerate(texts))


def group_paragraphs(paragraphs: list[dict]) -> list[list[dict]]:
    """Consecutive paragraphs, closed at ``TEXT_CHARS`` characters or ``TEXT_PARAGRAPHS`` paragraphs."""
    groups, current, chars = [], [], 0
    for paragraph in paragraphs:
        current.append(paragraph)
        chars += len(paragraph["title"]) + len(paragraph["context_text"])
        if chars >= TEXT_CHARS or len(current) >= TEXT_PARAGRAPHS:
            groups.append(current)
            current, chars = [], 0
    if current and groups and _chars(current) < TEXT_CHARS // 2:
        groups[-1].extend(current)  # a short remainder would be a text too small to test retrieval
    elif current:
        groups.append(current)
    return groups


def _chars(paragraphs: list[dict]) -> int:
    return sum(len(p["title"]) + len(p["context_text"]) for p in paragraphs)


def split_of(index: int) -> str:
    return "validation" if index % VALIDATION_EVERY == VALIDATION_EVERY - 1 else "train"


def _text(index: int, paragraphs: list[dict]) -> BenchmarkText:
    questions = tuple(Question(q["query_id"], q["query_text"].strip(), tuple(q["answers"]))
                      for p in paragraphs for q in p["qas"] if has_words(q["query_text"]))
    return BenchmarkText(name=f"cmrc2018-trial-{index:02d}", split=split_of(index),
                         article=compose_article(paragraphs), questions=questions, other_questions=())


def has_words(question: str) -> bool:
    """Two questions of the trial set are empty (TRIAL_20_QUERY_0, TRIAL_776_QUERY_4): nothing to ask."""
    return any(char.isalnum() for char in question)


def compose_article(paragraphs: list[dict], layout: str = "blank-line") -> str:
    """Title heading line, then the paragraph: every line its own block
    (``"blank-line"``), or each title directly above its paragraph
    (``"title-above"``), the pairs separated by blank lines."""
    pairs, seen = [], {}
    for paragraph in paragraphs:
        title = paragraph["title"].strip()
        seen[title] = seen.get(title, 0) + 1
        pairs.append((heading_line(title, seen[title]), paragraph["context_text"].strip()))
    between = "\n" if layout == "title-above" else "\n\n"
    return "\n\n".join(f"{title}{between}{text}" for title, text in pairs) + "\n"


_DISAMBIGUATION = re.compile(r"^(.*\S)\s*[(（]([^()（）]+)[)）]$")


def heading_line(title: str, occurrence: int = 1) -> str:
    """The title as a line the ingest reads as a heading.

    The ingest takes a line ending in a bracket for a sentence, so a
    Wikipedia disambiguation "李晨 (演员)" is written "李晨 · 演员". It also
    drops a line it has already seen, so a title's second paragraph gets a
    numbered heading ("标题 · 2") instead of landing under the wrong section.
    """
    match = _DISAMBIGUATION.match(title)
    line = f"{match.group(1)} · {match.group(2)}" if match else title
    return line if occurrence == 1 else f"{line} · {occurrence}"


def _other_questions(index: int, texts: list[BenchmarkText]) -> tuple[Question, ...]:
    """12 questions of one other text of the same split whose golds this text does not hold."""
    rng = random.Random(SEED * 1000 + index)
    same_split = [t for i, t in enumerate(texts) if i != index and t.split == texts[index].split]
    if not same_split:
        return ()
    donor = rng.choice(same_split)
    here = texts[index].article
    usable = [q for q in donor.questions if not any(_occurs(gold, here) for gold in q.golds)]
    return tuple(rng.sample(usable, min(OTHER_QUESTIONS, len(usable))))


def _occurs(gold: str, article: str) -> bool:
    """In either script: a gold counts as present whether or not OpenCC's
    phrase conversion changes it, so no variant asks about text it holds."""
    return gold in article or fold(gold) in fold(article) or to_traditional(gold) in to_traditional(article)


# ---- script variants -------------------------------------------------------

@lru_cache(maxsize=1)
def _s2t():
    import opencc

    return opencc.OpenCC("s2t")


def to_traditional(text: str) -> str:
    return _s2t().convert(text)


def converted(text: BenchmarkText, *, convert_questions: bool) -> BenchmarkText:
    """The text in Traditional script, its questions too when ``convert_questions``."""
    def question(q: Question) -> Question:
        return Question(q.id, to_traditional(q.text) if convert_questions else q.text,
                        tuple(to_traditional(g) for g in q.golds))

    return replace(text, article=to_traditional(text.article),
                   questions=tuple(question(q) for q in text.questions),
                   other_questions=tuple(question(q) for q in text.other_questions))


def write_article(text: BenchmarkText, folder: Path) -> Path:
    """The text's article as a UTF-8 ``.txt`` file for ``ArticleQA.build``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{text.name}.txt"
    path.write_text(text.article, encoding="utf-8")
    return path


# ---- the official metric (CMRC 2018 evaluate script, v4) ---------------------

# The script's punctuation list. Note that it holds neither "." nor "," nor
# half-width brackets: those stay tokens, as they do in the official scores.
PUNCTUATION = frozenset(['-', ':', '_', '*', '^', '/', '\\', '~', '`', '+', '=',
                         '，', '。', '：', '？', '！', '“', '”', '；', '’', '《', '》', '……', '·', '、',
                         '「', '」', '（', '）', '－', '～', '『', '』'])
_CJK = re.compile(r"[\u4e00-\u9fa5]")
# Stands in for nltk.word_tokenize on the non-CJK runs: words (with inner
# apostrophes, dots or commas in numbers), otherwise one symbol per token.
_LATIN_TOKEN = re.compile(r"\w+(?:[.,'’]\w+)*|[^\w\s]")


def mixed_segmentation(text: str, remove_punctuation: bool = False) -> list[str]:
    """Each CJK character is a token; runs of other characters are split into words.

    As in the official script, a removed punctuation mark does not end a
    Latin run ("a-b" gives one token "ab").
    """
    tokens, run = [], ""
    for char in text.lower().strip():
        if remove_punctuation and char in PUNCTUATION:
            continue
        if _CJK.match(char) or char in PUNCTUATION:
            tokens.extend(_LATIN_TOKEN.findall(run))
            run = ""
            tokens.append(char)
        else:
            run += char
    tokens.extend(_LATIN_TOKEN.findall(run))
    return tokens


def _longest_common_substring(a: list[str], b: list[str]) -> int:
    best, previous = 0, [0] * (len(b) + 1)
    for x in a:
        current = [0] * (len(b) + 1)
        for j, y in enumerate(b):
            if x == y:
                current[j + 1] = previous[j] + 1
                best = max(best, current[j + 1])
        previous = current
    return best


def cmrc_f1(prediction: str, golds) -> float:
    """Token F1 from the longest common run of tokens, best over the golds."""
    predicted = mixed_segmentation(prediction, remove_punctuation=True)
    scores = [0.0]
    for gold in golds:
        expected = mixed_segmentation(gold, remove_punctuation=True)
        common = _longest_common_substring(expected, predicted)
        if common:
            precision, recall = common / len(predicted), common / len(expected)
            scores.append(2 * precision * recall / (precision + recall))
    return max(scores)


def _without_punctuation(text: str) -> str:
    return "".join(char for char in text.lower().strip() if char not in PUNCTUATION)


def cmrc_em(prediction: str, golds) -> float:
    """1.0 when the prediction equals a gold once punctuation is removed."""
    predicted = _without_punctuation(prediction)
    return float(any(_without_punctuation(gold) == predicted for gold in golds))
