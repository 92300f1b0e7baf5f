"""What the browser tests share: Debian's chromium through Playwright, and asking in the chat."""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]
TIMEOUT_MS = 20_000


@contextmanager
def chromium():
    """A headless chromium; skips without it, except under CI, where it must be there."""
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


def ask(page, question: str) -> None:
    """Type ``question``, send it, and wait for its reply bubble."""
    bots = page.locator('#aqa-chat [data-testid="bot"]')
    before = bots.count()
    page.fill("#aqa-question textarea", question)
    page.click("#aqa-send")
    bots.nth(before).wait_for(timeout=TIMEOUT_MS)
