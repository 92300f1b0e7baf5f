"""Web pages, PDFs and Markdown: the article's text, headings as sections, none of the chrome.

Every fixture is made here: a saved news page, Markdown with every construct
the reader must reduce, PDFs written with pypdf (text drawn in a standard
font, a scan with no text, a locked file) and, when chromium is installed, a
Chinese page printed to PDF the way a reader would save one.
"""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import pytest
from pypdf import PdfWriter
from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

from article_qa import ArticleQA
from article_qa.errors import ArticleError
from article_qa.formats import sniff
from article_qa.ingest import read_article, read_article_bytes

from conftest import FakeEmbedder

CHROME = [
    "World News Menu", "Sport Section Link", "TRACKING_SCRIPT_TEXT", "FOOTER_SCRIPT_TEXT", "font-family",
    "We use cookies", "Accept all cookies", "Share on Facebook", "Share on Twitter", "Copy link",
    "morning briefing", "newsletter", "Subscribe now", "Comments (2)", "Reader Bob", "waste of public money",
    "Coastal Times Media Group", "Privacy policy",
]
NEWS_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Harbour lighthouse reopens | Coastal Times</title>
<style>.nav { color: red } body { font-family: sans-serif }</style>
<script>window.dataLayer = []; function track() { console.log("TRACKING_SCRIPT_TEXT") }</script>
</head><body>
<header><nav class="nav"><ul><li><a href="/">Home</a></li><li><a href="/world">World News Menu</a></li>
<li><a href="/sport">Sport Section Link</a></li></ul></nav></header>
<div id="cookie-banner" class="cookie-consent">We use cookies to improve your experience.
<button>Accept all cookies</button></div>
<main><article>
<h1>Harbour lighthouse reopens after restoration</h1>
<div class="share-buttons"><a href="#">Share on Facebook</a> <a href="#">Share on Twitter</a>
<a href="#">Copy link</a></div>
<p>The Kestrel Point lighthouse reopened on Saturday after a two-year restoration that cost 4.2 million
dollars. The work replaced the lantern glass and repaired the cast-iron gallery.</p>
<p>Volunteers from the harbour society will run guided tours every weekend from April to October, and
entry is free for children under twelve.</p>
<h2>A history of the keepers, from 1871 to the automation of the lamp in 1961.</h2>
<p>Three families kept the light between 1871 and 1961. The last keeper, Tom Avery, left when the lamp
was automated, and his logbooks are now shown in the tower.</p>
<h2>燈塔的中文介紹</h2>
<p>紅隼角燈塔建於1871年，是北海岸最古老的燈塔。修復工程耗時兩年，費用約四百二十萬元。</p>
<p>燈塔博物館每逢週末開放，兒童免費入場。</p>
<aside class="newsletter"><h3>Get our morning briefing</h3>
<p>Sign up for the Coastal Times newsletter and never miss a story.</p>
<form><input type="email"><button>Subscribe now</button></form></aside>
</article>
<section id="comments" class="comments"><h3>Comments (2)</h3>
<div class="comment"><p>Reader Bob wrote: Great news, I visited as a child!</p></div>
<div class="comment"><p>Reader Ann wrote: What a waste of public money.</p></div></section>
</main>
<footer><p>© 2024 Coastal Times Media Group. All rights reserved.</p><a href="/privacy">Privacy policy</a></footer>
<script>console.log("FOOTER_SCRIPT_TEXT")</script>
</body></html>
"""
NEWS_HEADINGS = ["Harbour lighthouse reopens after restoration",
                 "A history of the keepers, from 1871 to the automation of the lamp in 1961.", "燈塔的中文介紹"]


def headings(article) -> list[str]:
    return [article.text[s.start:s.end] for s in article.spans if s.is_heading]


def build(path: Path, tmp_path: Path) -> ArticleQA:
    return ArticleQA.build(path, index_dir=tmp_path / "index", embedder=FakeEmbedder(), chunk_size=120,
                           chunk_overlap=0)


# ---- HTML -------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["page.html", "page.htm", "saved-page.txt"])
def test_news_page_keeps_the_article_and_none_of_its_chrome(tmp_path, name):
    path = tmp_path / name
    path.write_text(NEWS_PAGE, encoding="utf-8")
    qa = build(path, tmp_path)
    for chrome in CHROME:
        assert chrome not in qa.article, chrome
    assert "<" not in qa.article and "{" not in qa.article
    article = read_article(path)
    assert headings(article) == NEWS_HEADINGS  # a long heading ending in "." is still a heading
    assert "燈塔博物館每逢週末開放，兒童免費入場。" in qa.article
    answer = qa.ask("How much did the restoration cost?")
    assert "4.2 million dollars" in answer.text
    assert answer.passages[0].section == "Harbour lighthouse reopens after restoration"
    chinese = qa.ask("紅隼角燈塔建於哪一年？")
    assert "紅隼角燈塔建於1871年" in chinese.text
    assert chinese.passages[0].section == "燈塔的中文介紹"


def test_page_in_a_legacy_encoding_is_read_by_its_charset(tmp_path):
    page = NEWS_PAGE.replace('charset="utf-8"', 'charset="big5"').replace("©", "(c)")
    path = tmp_path / "big5.html"
    path.write_bytes(page.encode("big5"))
    assert "紅隼角燈塔建於1871年" in read_article(path).text
    assert "紅隼角燈塔建於1871年" in read_article(path, encoding="big5").text


def test_page_of_only_chrome_is_refused(tmp_path):
    path = tmp_path / "page.html"
    path.write_text("<!DOCTYPE html><html><body><nav><a href='/'>Home</a><a href='/w'>World</a></nav>"
                    "<footer>© Coastal Times</footer></body></html>", encoding="utf-8")
    with pytest.raises(ArticleError, match="No article text found in .*page.html"):
        read_article(path)


# ---- Markdown ---------------------------------------------------------------------
MARKDOWN = """---
title: Tides
tags: [sea, moon]
---

# Tides of the North Coast: what the harbour logs say, 1871-1961.

*By Jane Doe*

The **spring tides** reach 6.1 metres at [Kestrel Point](https://example.org/kp "the point"),
the highest on the coast. ![tide gauge photo](gauge.jpg) <span class="note">Gauges</span> are read daily.

## Readings

| Station | Highest tide | Year |
|---|:---:|---:|
| Kestrel Point | 6.1 m | 1903 |
| Gull Bay | 4.8 m | 1911 |

```python
print("tide table")
```

Keepers wrote each reading in the log at noon.

<!-- an editor's note that is not part of the article -->
"""


def test_markdown_is_parsed_not_pattern_matched(tmp_path):
    path = tmp_path / "tides.md"
    path.write_text(MARKDOWN, encoding="utf-8")
    article = read_article(path)
    lines = article.text.split("\n")
    assert headings(article) == ["Tides of the North Coast: what the harbour logs say, 1871-1961.", "Readings"]
    assert article.byline == "By Jane Doe"
    assert ("The spring tides reach 6.1 metres at Kestrel Point, the highest on the coast. "
            "Gauges are read daily.") in lines
    assert "Station Highest tide Year" in lines
    assert "Kestrel Point 6.1 m 1903" in lines
    assert 'print("tide table")' in lines  # code is kept, as written
    for markup in ("---", "title: Tides", "|", "**", "](", "gauge", "<span", "editor's note", "```"):
        assert markup not in article.text, markup


def test_markdown_article_answers_from_its_table(tmp_path):
    path = tmp_path / "tides.md"
    path.write_text(MARKDOWN, encoding="utf-8")
    qa = build(path, tmp_path)
    question = "In which year did Gull Bay record 4.8 m?"
    assert qa.retrieve(question, k=1)[0].text == "Gull Bay 4.8 m 1911"
    answer = qa.ask(question)
    assert "Gull Bay 4.8 m 1911" in answer.text
    assert answer.passages[0].section == "Readings"


# ---- PDF written with pypdf -----------------------------------------------------------
LEADING = 14  # points between baselines, 12 pt text
PDF_PAGES = [
    [(720, "The Lighthouse Keepers"),
     (692, "The Kestrel Point lighthouse was built in 1871 by the harbour board and kept by three fam-"),
     (678, "ilies over ninety years, until the lamp was automated in 1961."),
     (650, "The last keeper, Tom Avery, wrote every storm into the station log, and his notebooks are"),
     (636, "now kept in the museum that the volunteers opened in the old oil store beside the tower")],
    [(720, "on the first Saturday of April in 2019."),
     (692, "Visitors climb the 112 steps of the tower on summer weekends.")],
]


def _text_page(writer: PdfWriter, lines: list[tuple[int, str]], number: int, pages: int) -> None:
    """A page that draws ``lines`` in Helvetica, with a running header and a page number."""
    page = writer.add_blank_page(612, 792)
    font = DictionaryObject({NameObject("/Type"): NameObject("/Font"), NameObject("/Subtype"): NameObject("/Type1"),
                             NameObject("/BaseFont"): NameObject("/Helvetica")})
    page[NameObject("/Resources")] = DictionaryObject({
        NameObject("/Font"): DictionaryObject({NameObject("/F1"): writer._add_object(font)})})
    drawn = [(770, "North Coast Heritage Review, Spring 2024"), *lines, (40, f"Page {number} of {pages}")]
    ops = "".join(f"BT /F1 12 Tf 72 {y} Td ({text}) Tj ET\n" for y, text in drawn)
    stream = DecodedStreamObject()
    stream.set_data(ops.encode("latin-1"))
    page[NameObject("/Contents")] = writer._add_object(stream)


def written_pdf(pages: list[list[tuple[int, str]]]) -> bytes:
    writer = PdfWriter()
    for number, lines in enumerate(pages, 1):
        _text_page(writer, lines, number, len(pages))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_pdf_paragraphs_are_rejoined_and_page_furniture_dropped(tmp_path):
    article = read_article_bytes(written_pdf(PDF_PAGES), "keepers.pdf")
    assert article.text.split("\n") == [
        "The Lighthouse Keepers",
        "The Kestrel Point lighthouse was built in 1871 by the harbour board and kept by three families "
        "over ninety years, until the lamp was automated in 1961.",
        "The last keeper, Tom Avery, wrote every storm into the station log, and his notebooks are now kept in "
        "the museum that the volunteers opened in the old oil store beside the tower on the first Saturday of "
        "April in 2019.",
        "Visitors climb the 112 steps of the tower on summer weekends.",
    ]
    assert headings(article) == ["The Lighthouse Keepers"]


def test_pdf_article_builds_and_answers(tmp_path):
    path = tmp_path / "keepers.pdf"
    path.write_bytes(written_pdf(PDF_PAGES))
    answer = build(path, tmp_path).ask("When did the volunteers open the museum?")
    assert "on the first Saturday of April in 2019." in answer.text


def test_pdf_renamed_to_txt_is_still_a_pdf(tmp_path):
    data = written_pdf(PDF_PAGES)
    assert sniff(data, "notes.txt") == "pdf"
    assert "112 steps" in read_article_bytes(data, "notes.txt").text


def _blank_pdf(**encrypt) -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(612, 792)
    if encrypt:
        writer.encrypt(**encrypt)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_scanned_pdf_without_text_layer_is_refused():
    with pytest.raises(ArticleError, match=r"scan\.pdf has no text layer \(a scanned PDF\?\); run OCR first"):
        read_article_bytes(_blank_pdf(), "scan.pdf")


def test_image_only_pdf_is_refused():
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (400, 300), "white").save(out, format="PDF")  # a picture of a page, as a scanner makes
    with pytest.raises(ArticleError, match="no text layer"):
        read_article_bytes(out.getvalue(), "photo.pdf")


def test_password_protected_pdf_is_refused():
    data = _blank_pdf(user_password="secret", algorithm="AES-128")
    with pytest.raises(ArticleError, match="locked.pdf is password-protected"):
        read_article_bytes(data, "locked.pdf")


def test_pdf_locked_only_for_editing_is_read():
    writer = PdfWriter()
    _text_page(writer, PDF_PAGES[1], 1, 1)
    writer.encrypt(user_password="", owner_password="owner", algorithm="AES-128")
    out = io.BytesIO()
    writer.write(out)
    assert "112 steps" in read_article_bytes(out.getvalue(), "locked-for-editing.pdf").text


@pytest.mark.parametrize("data", [b"%PDF-1.7\n1 0 obj << /Type /Catalog", b"%PDF-1.4\n" + bytes(range(256)) * 8],
                         ids=["truncated", "garbage"])
def test_broken_pdf_is_refused_clearly(data):
    with pytest.raises(ArticleError, match="broken.pdf is not a readable PDF"):
        read_article_bytes(data, "broken.pdf")


def test_pdf_extension_without_pdf_content_is_refused():
    with pytest.raises(ArticleError, match="not a PDF"):
        read_article_bytes(b"just some words", "paper.pdf")


# ---- bytes, sizes, binaries -----------------------------------------------------------
def test_uploaded_bytes_read_like_the_file(tmp_path):
    path = tmp_path / "page.html"
    path.write_text(NEWS_PAGE, encoding="utf-8")
    assert read_article_bytes(path.read_bytes(), "page.html") == read_article(path)


def test_binary_upload_is_still_refused():
    with pytest.raises(ArticleError, match="binary"):
        read_article_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 20, "picture.html")


def test_oversized_upload_is_refused():
    with pytest.raises(ArticleError, match="41 MB"):
        read_article_bytes(b"a" * (41 * 2**20), "big.txt")


# ---- a Chinese page printed to PDF by chromium ----------------------------------------
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHINESE_PAGE = """<!DOCTYPE html><html lang="zh-Hant"><head><meta charset="utf-8"><title>城市圖書館</title>
<style>body { font-size: 15px; width: 34em; }</style></head><body>
<h1>城市圖書館的變遷</h1>
<p>市立圖書館於1986年落成，當時藏書約十萬冊。""" + "館舍經過多次擴建，閱覽室的座位由最初的兩百個增加到八百個。" * 4 + """</p>
<h2>數位服務</h2>
<p>2015年圖書館完成數位化改造，讀者可以線上借閱電子書。館方表示，電子書借閱量在2020年首次超過紙本書。</p>
<p>The library also lends English e-books, and the reading room opens at nine every morning.</p>
</body></html>
"""


def print_to_pdf(html: Path, pdf: Path) -> None:
    subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", f"--print-to-pdf={pdf}",
                    html.as_uri()], check=True, capture_output=True, timeout=120)


@pytest.mark.slow
@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="chromium is not installed")
def test_chinese_page_printed_by_chromium_builds_and_answers(tmp_path):
    html = tmp_path / "library.html"
    html.write_text(CHINESE_PAGE, encoding="utf-8")
    print_to_pdf(html, tmp_path / "library.pdf")
    qa = build(tmp_path / "library.pdf", tmp_path)
    article = read_article(tmp_path / "library.pdf")
    assert headings(article) == ["城市圖書館的變遷", "數位服務"]
    assert "市立圖書館於1986年落成，當時藏書約十萬冊。館舍經過多次擴建" in qa.article  # wrapped lines joined, no space
    assert "library.html" not in qa.article and "1/1" not in qa.article  # chromium's header and footer
    answer = qa.ask("電子書借閱量在哪一年首次超過紙本書？")
    assert "電子書借閱量在2020年首次超過紙本書。" in answer.text
    assert answer.passages[0].section == "數位服務"
    english = qa.ask("When does the reading room open?")
    assert "the reading room opens at nine every morning." in english.text
