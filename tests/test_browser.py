"""A real browser (Debian chromium via Playwright) against the real app on 127.0.0.1.

Asks a question, checks the quoted answer, its [n] labels and the highlighted
passage in the side panel; checks a <script> question is shown as text and
never runs; uploads an article, waits for its build and asks about it.
Screenshots: tests/artifacts/*.png (every run, desktop and phone widths) and,
with UPDATE_SCREENSHOT=1, docs/screenshot.png (the README's picture).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from browsing import TIMEOUT_MS, ask

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "tests" / "artifacts"
QUESTION = "政府上網工程是哪一年啟動的?"
XSS = "<script>window.__pwned=1</script>什麼?"
XSS_IMG = '<img src=x onerror="window.__pwned=1">呢?'


@pytest.fixture
def page(browser, server_url):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, device_scale_factor=1)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(server_url)
    page.wait_for_selector("#aqa-question textarea", timeout=TIMEOUT_MS)
    yield page
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


def shoot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.wait_for_timeout(300)  # let the chat finish scrolling
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=page.viewport_size["width"] < 600)


def test_chat_answers_with_citations_and_highlight_and_keeps_scripts_inert(page):
    ask(page, QUESTION)
    bot = page.locator('#aqa-chat [data-testid="bot"]').last
    quote = bot.locator("blockquote.aqa-answer")
    assert "1999" in quote.inner_text() and "[1]" in quote.inner_text()
    assert bot.locator(".aqa-cite").first.inner_text() == "[1]"
    label = bot.locator(".aqa-labels li").first.inner_text()
    assert label.startswith("[1]") and "paragraph" in label
    assert bot.locator("mark").count() == 0  # the passage itself is shown once, in the panel
    panel = page.locator("#aqa-panel")
    assert panel.locator(".aqa-passage").count() == 3
    cited = panel.locator(".aqa-is-cited")
    assert cited.count() == 1 and "cited [1]" in cited.inner_text() and "1999" in cited.locator("mark").inner_text()
    head = cited.locator(".aqa-source-head").bounding_box()
    assert head["height"] < 40  # the score stays on the label's line
    shoot(page, "chat")
    if os.environ.get("UPDATE_SCREENSHOT"):  # the README's picture, refreshed on request only
        page.screenshot(path=str(ROOT / "docs" / "screenshot.png"))

    # <script> and onerror questions are shown as text and never run
    for hostile in (XSS, XSS_IMG):
        ask(page, hostile)
        user = page.locator('#aqa-chat [data-testid="user"]').last
        assert user.inner_text().strip() == hostile
        assert page.evaluate("typeof window.__pwned") == "undefined"
        assert page.locator('#aqa-chat [data-testid="bot"]').last.inner_text().strip()
    assert page.locator("#aqa-chat script, #aqa-chat img[onerror], #aqa-panel script").count() == 0
    shoot(page, "chat-xss")


def test_clicking_an_example_asks_it(page):
    example = page.locator("#aqa-examples button").first
    text = example.inner_text().strip()
    example.click()
    page.locator('#aqa-chat [data-testid="bot"]').first.wait_for(timeout=TIMEOUT_MS)
    assert page.locator('#aqa-chat [data-testid="user"]').first.inner_text().strip() == text
    assert page.locator('#aqa-chat [data-testid="bot"]').first.inner_text().strip()


def test_a_decline_names_the_closest_passages_in_the_users_language(page):
    ask(page, "月球距離地球有多遠?")
    text = page.locator('#aqa-chat [data-testid="bot"]').last.inner_text()
    assert "文章沒有提到這一點" in text and "最接近的段落" in text and "[1]" not in text
    assert "none of them answers it" in page.locator("#aqa-panel").inner_text()
    shoot(page, "decline")


def test_an_empty_question_is_an_inline_hint_not_a_toast(page):
    page.fill("#aqa-question textarea", "   ")
    page.click("#aqa-send")
    page.locator("#aqa-hint .aqa-hint").wait_for(timeout=TIMEOUT_MS)
    assert "type a question" in page.locator("#aqa-hint").inner_text()
    assert page.locator(".toast-body").count() == 0
    assert page.locator('#aqa-chat [data-testid="bot"]').count() == 0
    shoot(page, "empty-question")


def test_slider_changes_the_number_of_panel_passages(page):
    ask(page, QUESTION)
    panel = page.locator("#aqa-panel .aqa-passage")
    assert panel.count() == 3
    number = page.locator("#aqa-k input[type=number]")
    number.fill("6")
    number.press("Enter")
    page.wait_for_function("document.querySelectorAll('#aqa-panel .aqa-passage').length === 6",
                           timeout=TIMEOUT_MS)
    assert panel.count() == 6


LIGHTHOUSE = """# Lighthouses of the North Coast

The Kestrel Point lighthouse was built in 1871 by the harbour board. Its lamp
burned whale oil until 1904, when it was converted to kerosene.

## The keepers

Three families kept the light over ninety years. The last keeper, Tom Avery,
left in 1961 when the lamp was automated.
"""


def upload(page, path: Path) -> None:
    with page.expect_file_chooser() as chooser:
        page.click("#aqa-upload button")
    chooser.value.set_files(str(path))


def test_an_uploaded_article_is_built_and_answered_and_a_bad_one_changes_nothing(page, tmp_path):
    article = tmp_path / "lighthouse.md"
    article.write_text(LIGHTHOUSE, encoding="utf-8")
    upload(page, article)
    page.locator("#aqa-default").wait_for(state="visible", timeout=120_000)
    assert "Lighthouses of the North Coast" in page.locator("#aqa-header").inner_text()
    assert "?" in page.locator("#aqa-examples").inner_text()  # its own suggested questions (suggest.py)
    shoot(page, "upload-built")
    ask(page, "When was the Kestrel Point lighthouse built?")
    bot = page.locator('#aqa-chat [data-testid="bot"]').last
    assert "1871" in bot.locator("blockquote.aqa-answer").inner_text() and "[1]" in bot.inner_text()
    assert "1871" in page.locator("#aqa-panel .aqa-is-cited mark").inner_text()
    shoot(page, "upload-answer")

    empty = tmp_path / "empty.md"
    empty.write_text("")
    upload(page, empty)
    page.locator("#aqa-article-status [role=alert]").wait_for(timeout=TIMEOUT_MS)
    assert "empty.md is empty." in page.locator("#aqa-article-status").inner_text()
    shoot(page, "upload-bad")
    ask(page, "Who was the last keeper?")
    assert "Tom Avery" in page.locator('#aqa-chat [data-testid="bot"]').last.inner_text()

    page.click("#aqa-default")
    page.locator("#aqa-default").wait_for(state="hidden", timeout=TIMEOUT_MS)
    assert "Lighthouses" not in page.locator("#aqa-header").inner_text()


def test_phone_width_shows_the_answer_and_the_panel(browser, server_url):
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2)
    page = context.new_page()
    page.goto(server_url)
    page.wait_for_selector("#aqa-question textarea", timeout=TIMEOUT_MS)
    ask(page, QUESTION)
    assert "1999" in page.locator('#aqa-chat [data-testid="bot"]').last.inner_text()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390  # nothing forces sideways scrolling
    shoot(page, "phone-answer")
    context.close()
