"""Browser fixtures: Debian's Chromium, driven by Playwright, in a phone-sized window.

Browser tests use pytest-django's `live_server`, which serves the test database from another
thread; `page` asks for `transactional_db` so that thread sees what the test writes. ORM calls in
a browser test's body run on a database connection of their own (see `page`), so they too see only
committed data, which transactional_db gives.
"""

from pathlib import Path

import pytest
from django.db import connections

from tests.browser.chromium import chromium, phone_page, safe_file_name


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
    # Playwright's sync API keeps an asyncio loop running in this thread; Django refuses ORM
    # calls under a running loop unless told that this thread is in fact synchronous.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with chromium() as browser:
        try:
            the_page = phone_page(browser)
            yield the_page
            report = getattr(request.node, "report_call", None)
            if report is not None and report.failed:
                name = safe_file_name(request.node.nodeid)
                the_page.screenshot(path=screenshot_dir / f"FAILED-{name}.png", full_page=True)
        finally:
            # While Playwright's loop runs, Django keys connections to it, so ORM calls in the test
            # body got connections of their own; close them before the loop stops, or they outlive
            # the test database.
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
        # From the top: a page scrolled by a filled form would show its sticky bar in mid-page.
        (on or page).evaluate("window.scrollTo(0, 0)")
        (on or page).screenshot(path=path, full_page=True)
        return path

    return take
