"""Chinese follow-ups (conversation.py): reading one, a question's key phrases, the rewrite.

Read on the question as written, both scripts: a pointer (它/他/其/其中, or
這/那/該/此 with or without a measure word) where the question starts, after
openers such as 那麼, 還有, 在; an elliptical "…X呢"; or a short question
with no noun of its own. Key phrases come from LAC's words (tagging.py):
runs of words between particles, prepositions and question words, cut to
the longest part that the article holds and that ends in a noun.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

from .fold import fold, han_chars
from .query import question_language
from .records import Topic
from .tagging import tag

_WH = re.compile(r"為什麼|为什么|為何|为何|什麼|甚麼|什么|啥|哪|誰|谁|多少|幾|几|如何|怎|何")
_END = re.compile(r"[\s?？!！。.~～]+$")
_OPENER = re.compile(r"那麼|那么|而且|而|還有|还有|另外|至於|至于|請問|请问|那|在|從|从|對於|对于|對|对|關於|关于|"
                     r"和|與|与|跟|除了|[,，、\s]")
_POINTER = re.compile(
    r"(?P<person>他們|她們|他们|她们|他|她)|(?P<thing>它們|它们|它)|(?P<among>其中)|(?P<its>其)(?![他它實实餘余次])"
    r"|(?P<dem>(?:這|这|那|該|该|此)(?![裡里兒儿樣样麼么就外時时前後后])[一些個个份項项次套種种位家條条場场段類类部本屆届期篇]?)")
_PLURALS = frozenset({"它們", "它们", "他們", "她們", "他们", "她们"})
_DOCUMENT = "篇"
_DOCUMENT_WORDS = frozenset("文章 本文 文中 全文 這篇文章 这篇文章".split())  # the article itself  # 這篇(文章): the article itself, never an earlier turn
_TIME = re.compile(r"^(?:\d+(?:\.\d+)?|[\d一二三四五六七八九十〇零]+(?:年代?|月|日|號|号)(?:[\d一二三四五六七八九十〇零]+(?:月|日|號|号))*)$")
_ORDINAL = re.compile(r"第[一二三四五六七八九十百\d]+(?:個|个|項|项|位|部分|方面|期|名|條|条|次|屆|届)?|最後一?[個个項项位]?|最后一?[个项位]?")
# Nouns that name an attribute of something rather than a thing: a question
# made of these alone ("目標是什麼?") is about the previous turn's topic.
_ATTRIBUTES = frozenset("""
目標 目标 目的 作用 意義 意义 內容 内容 原因 時間 时间 年份 年代 名稱 名称 全稱 全称 名字 排名 地位 重點 重点 核心
任務 任务 要求 方向 影響 影响 結果 结果 特點 特点 方面 部分 時候 时候 情況 情况 範圍 范围 背景 意思 例子 規模 规模
數量 数量 成就 經驗 经验 特徵 特征 標題 标题 定義 定义 功能 價值 价值 水平 程度 階段 阶段 時期 时期
""".split())
_NOMINAL = frozenset({"n", "nz", "nw", "vn", "an", "nr", "ns", "nt", "PER", "LOC", "ORG"})
_BREAK_TAGS = frozenset({"w", "u", "p", "c", "xc", "y", "d", "v"})
_JOINERS = frozenset({"的", "和", "與", "与", "及", "、"})
_COPULAS = frozenset({"是", "有", "為", "为", "叫", "指", "稱", "称", "被", "把", "將", "将", "在"})
_CASE_MARKERS = ("由", "被", "在", "從", "从", "向", "給", "给", "對", "对", "於", "于", "和", "與", "与", "跟")
_QUOTED = re.compile(r"“[^”]+”|「[^」]+」|『[^』]+』|《[^》]+》|\"[^\"]+\"")
_QUOTE_MARKS = "“”「」『』《》\""
_ENTITY_MEASURES = "個个份項项位家本部種种條条座所套"
_SHORT_HAN = 10  # a question this short (in Chinese characters) may lack a noun of its own


class Reading(NamedTuple):
    kind: str  # person, thing, its, among, dem, noun, ellipsis, short
    start: int = 0
    end: int = 0
    x: str = ""  # the elliptical part, or the noun a demonstrative came with


def read(question: str) -> Reading | None:
    """How ``question`` points back at an earlier turn, or None when it stands alone."""
    text = _END.sub("", question)
    if text.endswith("呢"):
        body = _strip_openers(text[:-1])
        body = body[:-1] if body.endswith("的") else body
        if body and not _WH.search(body) and _pointer(body) is None:
            return Reading("ellipsis", x=body)
        text = text[:-1]
    reading = _pointer(text)
    if reading is not None:
        return None if reading.kind == "document" else reading
    if len(han_chars(text)) <= _SHORT_HAN and not _content(text):
        return Reading("short")
    return None


def _strip_openers(text: str) -> str:
    while (match := _OPENER.match(text)) and match.end() < len(text):
        text = text[match.end():]
    return text


def _pointer(text: str) -> Reading | None:
    """The pointer that opens ``text`` (after openers), if any."""
    at = 0
    while at < len(text):
        match = _POINTER.match(text, at)
        if match and not _opener_dem(text, match):
            return _classify(text, match)
        opener = _OPENER.match(text, at)
        if not opener or opener.end() == at:
            return None
        at = opener.end()
    return None


def _opener_dem(text: str, match: re.Match) -> bool:
    """那 before another pointer or 麼 is "then", not "that"."""
    return match.group() == "那" and _POINTER.match(text, match.end()) is not None


def _classify(text: str, match: re.Match) -> Reading:
    kind = match.lastgroup
    if kind != "dem":
        return Reading(kind, match.start(), match.end())
    if match.group().endswith(_DOCUMENT):
        return Reading("document")
    head_end = _noun_after(text, match.end())
    if head_end > match.end():
        return Reading("noun", match.start(), head_end, text[match.end():head_end].strip(_QUOTE_MARKS))
    return Reading("dem", match.start(), match.end())


def _noun_after(text: str, at: int) -> int:
    """Where the nouns right after ``at`` end (``at`` when no noun follows)."""
    end, nominal = at, False
    for token in (t for t in _tags(text) if t.end > at):
        word = text[token.start:token.end]
        if token.start != end or not (token.tag in _NOMINAL or token.tag in {"TIME", "m"} or word in _QUOTE_MARKS):
            break
        end, nominal = token.end, nominal or token.tag in _NOMINAL
    return end if nominal else at


def _content(text: str) -> bool:
    """Whether ``text`` has a noun of its own besides question words and attribute nouns."""
    wh = _wh_tokens(text)
    for index, token in enumerate(_tags(text)):
        word = text[token.start:token.end]
        if index not in wh and (token.tag in _NOMINAL or token.tag == "TIME") and word not in _ATTRIBUTES:
            return True
    return bool(_QUOTED.search(text))


@lru_cache(maxsize=1024)
def _tags(text: str):
    return tag(text)


def _wh_tokens(text: str) -> set[int]:
    """Indices of the question words and the measure or noun they ask for (哪/一年, 甚麼/會議)."""
    tokens, out = _tags(text), set()
    for index, token in enumerate(tokens):
        if _WH.search(text[token.start:token.end]):
            out.add(index)
            for follower in range(index + 1, min(index + 3, len(tokens))):
                if tokens[follower].tag in {"m", "q", "TIME"} | _NOMINAL:
                    out.add(follower)
                else:
                    break
    return out


# ---- key phrases -------------------------------------------------------------

def topic(question: str, vocabulary=None) -> Topic:
    return _topic(question, vocabulary)


@lru_cache(maxsize=512)
def _topic(question: str, vocabulary) -> Topic:
    tokens, wh = _tags(question), _wh_tokens(question)
    spans = [_quoted(question, m, vocabulary) for m in _QUOTED.finditer(question)
             if vocabulary is None or vocabulary.contains(fold(m.group()[1:-1]))]
    inside = lambda t: any(s <= t.start < e for s, e, _ in spans)  # noqa: E731
    runs: list[list] = [[]]
    for index, token in enumerate(tokens):
        word = question[token.start:token.end]
        if _TIME.match(word) and index not in wh:
            spans.append((token.start, token.end, "time"))
        usable = index not in wh and not inside(token)
        if usable and (_continues(token, word) if runs[-1] else _starts_run(token, word)):
            runs[-1].append(token)
        else:
            runs.append([token] if usable and _starts_run(token, word) else [])
    for run in runs:
        spans.extend(_held(question, run, vocabulary))
    spans.extend((m.start(), m.end(), "ordinal") for m in _ORDINAL.finditer(question))
    spans.sort()
    phrases = [question[s:e] for s, e, kind in spans if kind in ("quoted", "phrase")]
    phrases = [p for p in phrases if p not in _DOCUMENT_WORDS] or phrases
    quoted = [question[s:e] for s, e, kind in spans if kind == "quoted"]
    asks_person, asks_entity = _asks(question, tokens, wh)
    return Topic(question=question, phrase=(quoted or phrases or [""])[0], phrases=tuple(phrases),
                 spans=tuple(spans), person=_person(question, tokens, vocabulary), asks_person=asks_person,
                 asks_entity=asks_entity)


def _quoted(question: str, match: re.Match, vocabulary) -> tuple[int, int, str]:
    """A quoted phrase with the noun written after it when the article has
    both together: “十四五”規劃, “數字中國”建設."""
    end = match.end()
    for token in _tags(question):
        if token.start == end and token.tag in _NOMINAL and vocabulary is not None \
                and vocabulary.contains(fold(question[match.start():token.end])):
            end = token.end
    return match.start(), end, "quoted"


def _person(question: str, tokens, vocabulary) -> str:
    """The first person named, with a character LAC left off when the article
    has the longer name (李廣/PER 乾/v -> 李廣乾)."""
    for index, token in enumerate(tokens):
        if token.tag in {"PER", "nr"}:
            end = token.end
            following = tokens[index + 1] if index + 1 < len(tokens) else None
            if following is not None and following.end - following.start == 1 and vocabulary is not None \
                    and vocabulary.contains(fold(question[token.start:following.end])):
                end = following.end
            return question[token.start:end]
    return ""


def _starts_run(token, word: str) -> bool:
    return token.tag not in _BREAK_TAGS and word not in _COPULAS and not _TIME.match(word)


def _continues(token, word: str) -> bool:
    return word in _JOINERS or (token.tag not in _BREAK_TAGS - {"v"} and word not in _COPULAS)


def _held(question: str, run: list, vocabulary) -> list[tuple[int, int, str]]:
    """The longest parts of a run of words that end in a noun (not an
    attribute noun) and that the article holds, left to right."""
    out, start = [], 0
    while start < len(run):
        for end in range(len(run), start, -1):
            last, first = run[end - 1], run[start]
            text = question[first.start:last.end]
            words = [question[t.start:t.end] for t in run[start:end]]
            if last.tag not in _NOMINAL or words[0] in _JOINERS or all(w in _ATTRIBUTES | _JOINERS for w in words):
                continue
            if vocabulary is None or vocabulary.contains(fold(text)):
                out.append((first.start, last.end, "phrase"))
                start = end
                break
        else:
            start += 1
    return out


def _asks(question: str, tokens, wh: set[int]) -> tuple[bool, bool]:
    """Whether the question word asks for a person, and for a thing the answer
    names that a next "它" would mean: the question word is the subject, or
    the subject before it is an agent (國務院發布了哪份文件), and it asks for
    neither a time, a figure or an attribute, nor a place or an agent (由哪個機構)."""
    person = entity = False
    for index in sorted(wh):
        token = tokens[index]
        word = question[token.start:token.end]
        if not _WH.search(word):
            continue
        before = question[:token.start]
        marked = before.endswith(_CASE_MARKERS)
        nouns = [question[tokens[i].start:tokens[i].end] for i in range(index + 1, len(tokens))
                 if i in wh and tokens[i].tag in _NOMINAL]
        nouns = [n for n in nouns if n not in _ATTRIBUTES]
        subjects = [t for t in tokens[:index] if t.tag in _NOMINAL and not _in_quote(question, t)]
        agent = not subjects or subjects[0].tag in {"ORG", "PER", "nr", "nt"}
        measure = word[-1] if len(word) > 1 else (question[tokens[index + 1].start:tokens[index + 1].end][-1:]
                                                  if index + 1 < len(tokens) and tokens[index + 1].tag == "q" else "")
        if re.search(r"誰|谁|哪位", word):
            person = True
        elif word.startswith("哪") and (measure and measure in _ENTITY_MEASURES or nouns) \
                and not marked and agent:
            entity = True
        elif re.match(r"什麼|甚麼|什么", word) and (nouns or before.endswith(("叫", "稱為", "称为"))) \
                and not marked and agent:
            entity = True
    return person, entity or person


def _in_quote(question: str, token) -> bool:
    return any(m.start() < token.start < m.end() for m in _QUOTED.finditer(question))


def named_in(quote: str, question: str) -> str:
    """No name is taken from a Chinese quote: the short answer names it, or nothing does."""
    return ""


def plausible_entity(answer: str, *, person: bool = False) -> bool:
    """Whether a short answer names something a pronoun can stand for: short,
    ending in a noun (a person's name when ``person``), not a time."""
    if not answer or len(answer) > 30 or re.search(r"[，,;；。:：]", answer):
        return False
    tokens = _tags(answer)
    if not tokens:
        return False
    if person:
        return any(t.tag in {"PER", "nr"} for t in tokens)
    return tokens[-1].tag in _NOMINAL or answer[-1] in _QUOTE_MARKS


# ---- the rewrite -------------------------------------------------------------

def rewrite(question: str, reading: Reading, context) -> str:
    # Phrases are borrowed as written (in the history's or the article's
    # script): converting a name between scripts can change it (乾 -> 干).
    language = question_language(question)
    if reading.kind == "ellipsis":
        return _ellipsis(reading.x, context, language)
    if reading.kind == "short":
        core = _strip_openers(question)
        referent = context.referent("focus")
        if not referent:
            return ""
        joiner = "的" if _content_start(core) else ""
        return referent + joiner + core
    kind = {"person": "person", "noun": "noun"}.get(reading.kind, "thing")
    referent = context.referent(kind, reading.x)
    if not referent or kind == "noun" and fold(referent).strip(_QUOTE_MARKS) == fold(reading.x):
        return ""  # nothing to resolve: the demonstrative's noun names the thing already
    if question[reading.start:reading.end] in _PLURALS:
        referent = _group(context.topic, referent)
    after = question[reading.end:]
    if reading.kind == "among":
        referent += "中"
    elif reading.kind == "its" and not after.startswith("的"):
        referent += "的"
    start = reading.start
    if reading.start and question[:reading.start].endswith("那") and reading.kind != "noun":
        start -= 1  # 那它的排名呢 -> …的排名呢
    return question[:start] + referent + after


def _group(topic: Topic, phrase: str) -> str:
    """``phrase`` with the phrases joined to it by 和/與/、 (行程碼和健康碼), for 它們."""
    question, spans = topic.question, [(s, e) for s, e, kind in topic.spans if kind in ("quoted", "phrase")]
    for index, (start, end) in enumerate(spans):
        if question[start:end] == phrase:
            for next_start, next_end in spans[index + 1:]:
                if question[end:next_start] not in _JOINERS:
                    break
                end = next_end
            return question[start:end]
    return phrase


def _content_start(text: str) -> bool:
    tokens = _tags(text)
    return bool(tokens) and (tokens[0].tag in _NOMINAL or tokens[0].tag == "m" or bool(_ORDINAL.match(text)))


def _ellipsis(x: str, context, language: str) -> str:
    """The previous question with ``x`` in the place of its part of the same kind."""
    previous, topic = context.question, context.topic
    if _TIME.match(x):
        return _replace(previous, topic, "time", x) or x + previous
    if _ORDINAL.match(x):
        return _replace(previous, topic, "ordinal", x) or x + previous
    if x in _ATTRIBUTES:
        referent = context.referent("thing")
        return f"{referent}的{x}是{'什么' if language == 'zh-Hans' else '什麼'}?" if referent else ""
    phrases = [(s, e) for s, e, kind in topic.spans if kind in ("quoted", "phrase")]
    same = [(s, e) for s, e in phrases if same_head(previous[s:e], x)]
    quoted = [(s, e) for s, e, kind in topic.spans if kind == "quoted"] if x[0] in _QUOTE_MARKS else []
    target = (same or quoted or phrases or [None])[0]
    if target is None:
        return x + previous
    if x.startswith("在") and previous[:target[0]].endswith("在"):
        x = x[1:]  # 在起步期呢 for 在快速發展時期…
    return previous[:target[0]] + x + previous[target[1]:]


def _replace(previous: str, topic: Topic, kind: str, x: str) -> str:
    spans = [(s, e) for s, e, k in topic.spans if k == kind]
    if not spans:
        return ""
    start, end = spans[0]
    return previous[:start] + x + previous[end:]


def same_head(phrase: str, head: str) -> bool:
    """``phrase`` ends in ``head`` (三金工程 / 工程, 起步期 / 時期): the last
    two characters, or the last one of a short head; a head of several words
    (五年規劃) must end ``phrase`` whole."""
    phrase, head = fold(phrase).strip(_QUOTE_MARKS), fold(head).strip(_QUOTE_MARKS)
    if not phrase or not head:
        return False
    if len(_tags(head)) > 1:
        return phrase.endswith(head)
    return phrase.endswith(head[-2:]) or (len(head) <= 2 and phrase[-1] == head[-1])
