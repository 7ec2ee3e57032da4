"""Browser fixtures: Debian's Chromium, driven by Playwright, in a phone-sized window.

Browser tests use pytest-django's `live_server`, which serves the test database from another
thread; `page` asks for `transactional_db` so that thread sees what the test writes. ORM calls in
a browser test's body run on a database connection of their own (see `page`), so they too see only
committed data, which transactional_db gives.
"""

import re
from pathlib import Path

import pytest
from django.db import connections

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE_VIEWPORT = {"width": 390, "height": 844}
DEFAULT_TIMEOUT_MS = 10_000


def safe_file_name(text: str) -> str:
    return re.sub(r"[^\w.-]+", "_", text).strip("_")


def phone_page(browser):
    """A page in a fresh, phone-sized browser context: its own cookies, so its own person."""
    context = browser.new_context(
        viewport=PHONE_VIEWPORT, is_mobile=True, has_touch=True, locale="en-IN", timezone_id="Asia/Kolkata"
    )
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    return context.new_page()


@pytest.fixture
def screenshot_dir(request) -> Path:
    path = Path(request.config.rootpath) / "test-artifacts" / "screenshots"
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    # Remember each phase's outcome on the test item, so `page` can tell whether the test failed.
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture
def page(request, transactional_db, monkeypatch, screenshot_dir):
    """A fresh Chromium page with a phone-sized viewport; a failing test leaves a screenshot behind."""
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing, and browser tests need Debian's Chromium. "
            "Install it with `apt-get install -y chromium fonts-liberation`, or run `make test`, "
            "which does that for you.",
            pytrace=False,
        )
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an asyncio loop running in this thread; Django refuses ORM
    # calls under a running loop unless told that this thread is in fact synchronous.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            the_page = phone_page(browser)
            yield the_page
            report = getattr(request.node, "report_call", None)
            if report is not None and report.failed:
                name = safe_file_name(request.node.nodeid)
                the_page.screenshot(path=screenshot_dir / f"FAILED-{name}.png", full_page=True)
        finally:
            browser.close()
            # While the loop runs, Django keys connections to it, so ORM calls in the test body got
            # connections of their own; close them now, or they outlive the test database.
            connections.close_all()


@pytest.fixture
def second_page(page):
    """Another person in the same browser: a phone-sized page with its own cookies."""
    return phone_page(page.context.browser)


@pytest.fixture
def screenshot(page, screenshot_dir):
    """`screenshot("01-login")` saves the whole page as test-artifacts/screenshots/01-login.png.

    `screenshot("10-cart", on=other_page)` takes it of another page, such as a second buyer's.
    """

    def take(name: str, on=None) -> Path:
        path = screenshot_dir / f"{safe_file_name(name.removesuffix('.png'))}.png"
        (on or page).screenshot(path=path, full_page=True)
        return path

    return take
