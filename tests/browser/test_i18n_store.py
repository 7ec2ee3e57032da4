"""A buyer in real Chromium switches an English store to Hindi, adds to the cart and orders, every page
in Hindi with lang="hi"; another buyer still sees the store in English. The screenshots in
test-artifacts/screenshots/i18n-store-*.png are the ones in docs/images/ (docs/i18n.md)."""

import re

import pytest

from dukaan.orders.models import Order
from tests.browser.chromium import fill_checkout
from tests.security.shop import open_shop

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_buyer_switches_to_hindi_adds_to_cart_and_orders(page, second_page, live_server, screenshot):
    store, _, product = open_shop()
    product_url = f"{live_server.url}/s/{store.slug}/p/{product.pk}/"

    page.goto(product_url)
    assert page.locator("html").get_attribute("lang") == "en-in"
    assert page.get_by_role("button", name="Add to cart").is_visible()
    screenshot("i18n-store-product-en")

    page.get_by_role("button", name="हिन्दी").click()
    page.wait_for_url(product_url)
    assert page.locator("html").get_attribute("lang") == "hi"
    assert page.get_by_role("button", name="English").is_visible()
    screenshot("i18n-store-product-hi")

    page.get_by_role("button", name="कार्ट में डालें").click()
    assert "कार्ट में डाल दिया" in page.locator(".messages").inner_text()
    page.get_by_role("link", name=re.compile("^कार्ट")).click()
    assert page.get_by_role("heading", name="आपका कार्ट").is_visible()
    assert "₹549" in page.locator(".summary").inner_text()
    screenshot("i18n-store-cart-hi")

    page.get_by_role("link", name="चेकआउट").click()
    assert page.get_by_role("heading", name="चेकआउट").is_visible()
    fill_checkout(page, payment_method="cod")
    assert "पर डिलीवरी होती है" in page.locator("#delivery-message").inner_text()
    screenshot("i18n-store-checkout-hi")
    page.get_by_role("button", name=re.compile("^ऑर्डर करें")).click()

    page.wait_for_url(re.compile(r".*/o/[-\w]+/$"))
    order = Order.objects.get(store=store)
    assert page.get_by_role("heading", name=f"ऑर्डर #{order.number}").is_visible()
    assert page.locator("html").get_attribute("lang") == "hi"
    assert "कैश ऑन डिलीवरी" in page.locator("main").inner_text()
    screenshot("i18n-store-order-hi")

    second_page.goto(product_url)  # another buyer: the store's own language
    assert second_page.locator("html").get_attribute("lang") == "en-in"
    assert second_page.get_by_role("button", name="Add to cart").is_visible()
