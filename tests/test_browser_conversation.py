"""A real browser on the real app: a follow-up shows the question as understood,
and the Download button saves the conversation as Markdown."""

from __future__ import annotations

from pathlib import Path

import pytest
from browsing import TIMEOUT_MS, ask

pytestmark = pytest.mark.slow

FIRST = "政府上網工程是哪一年啟動的?"
FOLLOW_UP = "那三金工程呢?"
RESOLVED = "三金工程是哪一年啟動的?"


def test_a_follow_up_is_answered_as_understood_and_the_conversation_downloads(browser, server_url):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        page.goto(server_url)
        page.wait_for_selector("#aqa-question textarea", timeout=TIMEOUT_MS)
        ask(page, FIRST)
        bots = page.locator('#aqa-chat [data-testid="bot"]')
        assert "1999" in bots.last.inner_text() and bots.last.locator(".aqa-understood").count() == 0
        ask(page, FOLLOW_UP)
        understood = bots.last.locator(".aqa-understood")
        understood.wait_for(timeout=TIMEOUT_MS)
        assert understood.inner_text().strip() == f"Answering: {RESOLVED}"
        assert "1993" in bots.last.locator("blockquote.aqa-answer").inner_text()
        with page.expect_download(timeout=TIMEOUT_MS) as info:
            page.click("#aqa-download")
        download = info.value
        assert download.suggested_filename.endswith(".md")
        text = Path(download.path()).read_text(encoding="utf-8")
        assert f"## 1. {FIRST}" in text and f"## 2. {FOLLOW_UP}" in text and f"*Answering: {RESOLVED}*" in text
        assert "> " in text and "paragraph" in text and "[1]" in text
    finally:
        context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"
