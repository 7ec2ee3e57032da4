"""Debian's Chromium, driven by Playwright, in a phone-sized window (tests/browser, tests/cluster)."""

import re
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

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


@contextmanager
def chromium():
    """A headless Chromium; fails the test (never skips it) when Debian's Chromium is missing."""
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing, and browser tests need Debian's Chromium. "
            "Install it with `apt-get install -y chromium fonts-liberation`, or run `make test`, "
            "which does that for you.",
            pytrace=False,
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def fill_checkout(page, *, payment_method: str) -> None:
    """Give the PIN code first (the page then says whether the shop delivers there), then type a
    buyer's details into the checkout form on `page` and choose `payment_method`."""
    page.fill("#pin-form input[name=pin_code]", "560038")
    page.click("#pin-form button")
    page.wait_for_selector("#delivery-message")
    page.fill("input[name=name]", "Ravi Kumar")
    page.fill("input[name=phone]", "98123 00001")
    page.fill("textarea[name=address]", "14 MG Road, Indiranagar, Bengaluru")
    page.locator(f"input[name=payment_method][value={payment_method}]").check()


def log_in(page, live_server, user) -> None:
    """The merchant's session, made by Django's test client and handed to the browser as its cookie."""
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}]
    )


def fits_the_phone(page) -> bool:
    """No sideways scrolling at the page's viewport width. Not window.innerWidth: a phone-emulating
    Chromium widens the layout viewport to a page that is too wide, so that compared with itself."""
    return page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]
