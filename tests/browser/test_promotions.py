"""A shopkeeper sets up a coupon and an offer from a phone-sized Chromium.

Screenshots land in test-artifacts/screenshots/ (20-*).
"""

import pytest
from django.conf import settings
from django.test import Client

from dukaan.catalog import services as catalog
from dukaan.conftest import make_store
from dukaan.promotions.models import Coupon, Offer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(page, base_url: str, user) -> None:
    """The merchant's session cookie in the browser (the login itself is test_core_loop's)."""
    client = Client()
    client.force_login(user)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": base_url}])


def fits_the_phone(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_a_shopkeeper_makes_a_coupon_and_a_buy_two_get_one_offer_on_a_phone(live_server, page, screenshot):
    store = make_store("+919876500002", "asha-kurtas")
    kurta = catalog.create_product(store=store, name="Block print kurta", price="549")
    log_in(page, live_server.url, store.owner)

    page.goto(live_server.url + "/dashboard/")
    page.get_by_role("link", name="Coupons").first.click()
    screenshot("20-coupons-empty")
    page.get_by_role("link", name="New coupon").click()
    page.fill("#id_code", "diwali 10")
    page.fill("#id_value", "10")
    page.fill("#id_min_order", "500")
    page.fill("#id_max_uses", "5")
    page.get_by_role("button", name="Save coupon").click()
    assert "no spaces or emoji" in page.locator("main").inner_text()  # nothing saved; the form says why
    assert not Coupon.objects.exists()
    screenshot("21-coupon-error")
    page.fill("#id_code", "diwali10")
    page.select_option("#id_product_ids", label="Block print kurta")
    assert fits_the_phone(page)
    screenshot("22-coupon-form")
    page.get_by_role("button", name="Save coupon").click()
    page.wait_for_url("**/dashboard/coupons/")
    row = page.locator(".coupon").first.inner_text()
    assert "DIWALI10" in row and "10% off above ₹500" in row and "0 of 5 used" in row
    screenshot("23-coupons-list")
    page.get_by_role("button", name="Pause").click()
    assert "Paused" in page.locator(".coupon").first.inner_text()
    assert Coupon.objects.get().active is False

    page.get_by_role("link", name="Offers").first.click()
    page.get_by_role("link", name="New offer").click()
    page.fill("#id_name", "Kurtas: buy 2, get 1 free")
    page.select_option("#id_kind", "buy_get")
    page.fill("#id_buy", "2")
    page.fill("#id_get", "1")
    page.select_option("#id_product_ids", label="Block print kurta")
    page.get_by_role("button", name="Save offer").click()
    page.wait_for_url("**/dashboard/offers/")
    assert "Buy 2, get 1 free on 1 product" in page.locator(".offer").first.inner_text()
    assert fits_the_phone(page)
    screenshot("24-offers-list")
    assert list(Offer.objects.get().products.all()) == [kurta]
