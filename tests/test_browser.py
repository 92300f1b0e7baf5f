"""A real browser (Debian chromium via Playwright) against the real app on 127.0.0.1.

Asks a question, checks the quoted answer, its [n] marks and the highlighted
source; then checks a <script> question is shown as text and never runs.
Screenshots: tests/artifacts/chat.png (every run) and, with UPDATE_SCREENSHOT=1,
docs/screenshot.png (the README's picture).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]
QUESTION = "政府上網工程是哪一年啟動的?"
XSS = "<script>window.__pwned=1</script>什麼?"
XSS_IMG = '<img src=x onerror="window.__pwned=1">呢?'
TIMEOUT_MS = 20_000


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is missing (apt-get install chromium fonts-noto-cjk)"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(f"CI is set but {reason}")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


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


def ask(page, question: str) -> None:
    bots = page.locator('#aqa-chat [data-testid="bot"]')
    before = bots.count()
    page.fill("#aqa-question textarea", question)
    page.click("#aqa-send")
    bots.nth(before).wait_for(timeout=TIMEOUT_MS)


def test_chat_answers_with_citations_and_highlight_and_keeps_scripts_inert(page):
    ask(page, QUESTION)
    bot = page.locator('#aqa-chat [data-testid="bot"]').last
    quote = bot.locator("blockquote.aqa-answer")
    assert "1999" in quote.inner_text() and "[1]" in quote.inner_text()
    assert bot.locator(".aqa-cite").first.inner_text() == "[1]"
    head = bot.locator(".aqa-source-head").first.inner_text()
    assert head.startswith("[1]") and "paragraph" in head
    marked = bot.locator(".aqa-source mark").first
    assert "1999" in marked.inner_text()
    # the side panel shows the retrieved passages, the answering one highlighted
    panel = page.locator("#aqa-panel")
    assert panel.locator(".aqa-passage").count() == 3
    assert "1999" in panel.locator("mark").first.inner_text()

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.wait_for_timeout(300)  # let the chat finish scrolling
    page.screenshot(path=str(ARTIFACTS / "chat.png"))
    if os.environ.get("UPDATE_SCREENSHOT"):  # the README's picture, refreshed on request only
        page.screenshot(path=str(ROOT / "docs" / "screenshot.png"))

    # <script> and onerror questions are shown as text and never run
    for hostile in (XSS, XSS_IMG):
        ask(page, hostile)
        user = page.locator('#aqa-chat [data-testid="user"]').last
        assert user.inner_text().strip() == hostile
        assert page.evaluate("typeof window.__pwned") == "undefined"
        bot_text = page.locator('#aqa-chat [data-testid="bot"]').last.inner_text()
        assert bot_text.strip()
    assert page.locator("#aqa-chat script, #aqa-chat img[onerror], #aqa-panel script").count() == 0
    page.screenshot(path=str(ARTIFACTS / "chat-xss.png"))


def test_clicking_an_example_asks_it(page):
    page.locator("button", has_text="在线服务指数排名全球第几?").first.click()
    bot = page.locator('#aqa-chat [data-testid="bot"]').first
    bot.wait_for(timeout=TIMEOUT_MS)
    assert "第9位" in bot.inner_text() and "[1]" in bot.inner_text()


def test_not_found_reply_is_plain_and_in_the_users_language(page):
    ask(page, "月球距離地球有多遠?")
    text = page.locator('#aqa-chat [data-testid="bot"]').last.inner_text()
    assert "文章沒有提到這一點" in text and "[1]" not in text


def test_slider_changes_the_number_of_panel_passages(page):
    ask(page, QUESTION)
    panel = page.locator("#aqa-panel .aqa-passage")
    assert panel.count() == 3
    number = page.locator('input[type="number"]').first
    number.fill("6")
    number.press("Enter")
    page.wait_for_function("document.querySelectorAll('#aqa-panel .aqa-passage').length === 6",
                           timeout=TIMEOUT_MS)
    assert panel.count() == 6
