"""A shopkeeper whose phone speaks Hindi: the login and the dashboard come in Hindi from the browser's
language, a tap on "English" switches (and is remembered on their account), a tap on "हिंदी" switches
back. Phone-sized Chromium with a Hindi locale; screenshots in
test-artifacts/screenshots/i18n-dashboard-*.png."""

from decimal import Decimal
from pathlib import Path

import pytest

from dukaan.accounts.models import User
from dukaan.catalog import services as catalog
from dukaan.conftest import make_store
from dukaan.orders.services import Buyer, CartLine, place_order
from tests.browser.chromium import DEFAULT_TIMEOUT_MS, PHONE_VIEWPORT, fits_the_phone, log_in

pytestmark = pytest.mark.browser

# Copies of them are docs/images/i18n-dashboard-*.png (docs/i18n.md); a run never rewrites docs/.
IMAGES = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


@pytest.fixture
def hindi_page(page):
    """A phone whose browser asks for Hindi first (Accept-Language: hi-IN)."""
    context = page.context.browser.new_context(
        viewport=PHONE_VIEWPORT, is_mobile=True, has_touch=True, locale="hi-IN", timezone_id="Asia/Kolkata"
    )
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    return context.new_page()


def _shot(page, name: str) -> None:
    IMAGES.mkdir(parents=True, exist_ok=True)
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=IMAGES / f"i18n-dashboard-{name}.png", full_page=True)


def test_a_shopkeeper_runs_the_shop_in_hindi_and_switches_to_english_and_back(live_server, hindi_page):
    page = hindi_page
    store = make_store("+919812345601", "asha-store")
    kurta = catalog.create_product(store=store, name="Cotton kurta", price=Decimal("499"), stock=3)
    line = CartLine(product_id=kurta.pk, variant_id=None, quantity=2, seen_price=kurta.price)
    buyer = Buyer(
        name="Meera Iyer", phone="+919812345699", address="12 MG Road, Bengaluru", pin_code="560038"
    )
    place_order(store=store, lines=[line], buyer=buyer, payment_method="cod", idempotency_key="hindi-walk")

    page.goto(live_server.url + "/login/")
    assert page.get_attribute("html", "lang") == "hi"
    assert page.inner_text("h1") == "लॉगिन करें या अकाउंट बनाएँ"
    assert page.get_by_role("button", name="कोड भेजें").is_visible()
    _shot(page, "01-login")

    log_in(page, live_server, store.owner)
    page.goto(live_server.url + "/dashboard/")
    assert page.get_attribute("html", "lang") == "hi"
    assert "आपकी दुकान का लिंक" in page.inner_text("main")
    assert fits_the_phone(page)
    _shot(page, "02-home")

    page.get_by_role("link", name="ऑर्डर", exact=True).first.click()
    assert page.inner_text("h1") == "ऑर्डर"
    _shot(page, "03-orders")
    page.get_by_role("link", name="#1").click()
    assert "ऑर्डर #1" in page.inner_text("h1")
    assert "2 × Cotton kurta" in page.inner_text("main")  # the shop's own data stays as typed
    assert fits_the_phone(page)
    _shot(page, "04-order")

    page.get_by_role("link", name="प्रोडक्ट", exact=True).first.click()
    page.get_by_role("link", name="प्रोडक्ट जोड़ें").click()
    page.get_by_role("button", name="प्रोडक्ट सेव करें").click()
    assert page.get_attribute("html", "lang") == "hi"
    assert "यह भरना ज़रूरी है।" in page.inner_text("main")  # the form's errors, in plain Hindi too
    _shot(page, "05-product-errors")

    # "English" in the menu: the dashboard switches, and stays switched on the merchant's account.
    page.get_by_role("button", name="English").click()
    assert page.get_attribute("html", "lang") == "en-in"
    assert page.inner_text("h1") == "Add a product"
    assert User.objects.get(pk=store.owner.pk).language == "en-in"
    page.goto(live_server.url + "/dashboard/orders/")
    assert page.inner_text("h1") == "Orders"
    _shot(page, "06-english")

    page.get_by_role("button", name="हिंदी").click()
    assert page.get_attribute("html", "lang") == "hi"
    assert page.inner_text("h1") == "ऑर्डर"
    assert User.objects.get(pk=store.owner.pk).language == "hi"
