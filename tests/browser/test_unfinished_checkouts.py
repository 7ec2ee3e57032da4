"""A buyer types their phone at checkout and leaves; the shopkeeper messages them on WhatsApp with a
link that opens the same cart on another phone. Phone-sized Chromium; screenshots 60-*."""

import re
from datetime import timedelta
from urllib.parse import parse_qs, urlparse

import pytest
from django.utils import timezone

from dukaan.catalog import services as catalog
from dukaan.conftest import make_store
from dukaan.orders.models import CheckoutDraft
from tests.browser.chromium import fits_the_phone, log_in, phone_page
from tests.waiting import wait_until

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_phone_typed_at_checkout_reaches_the_shopkeeper_and_the_link_brings_the_cart_back(
    live_server, page, second_page, screenshot, settings
):
    settings.SITE_URL = live_server.url
    store = make_store("+919876500003", "asha-tiffins")
    tiffin = catalog.create_product(store=store, name="Steel tiffin", price="250", stock=10)

    # The buyer: cart, checkout, the PIN code and their phone; then they leave without ordering.
    page.goto(f"{live_server.url}/s/{store.slug}/p/{tiffin.pk}/")
    page.fill("#quantity", "2")
    page.get_by_role("button", name="Add to cart").click()
    page.goto(f"{live_server.url}/s/{store.slug}/checkout/")
    page.fill("#pin-form input[name=pin_code]", "560038")
    page.click("#pin-form button")
    page.wait_for_selector("#delivery-message")
    page.fill("input[name=name]", "Meera Iyer")
    page.fill("input[name=phone]", "98123 45699")
    page.locator("textarea[name=address]").focus()  # leaving the phone field sends it (draft.js)
    wait_until(
        lambda: CheckoutDraft.objects.exists(), what="the draft saved from the checkout page", timeout=10
    )
    screenshot("60-checkout-phone-typed")
    draft = CheckoutDraft.objects.get()
    assert (draft.phone, draft.name, draft.pin_code) == ("+919812345699", "Meera Iyer", "560038")
    CheckoutDraft.objects.filter(pk=draft.pk).update(updated_at=timezone.now() - timedelta(hours=2))

    # The shopkeeper: the unfinished checkout with a WhatsApp message carrying the cart link.
    shop = second_page
    log_in(shop, live_server, store.owner)
    shop.goto(live_server.url + "/dashboard/")
    shop.get_by_role("link", name="Unfinished").click()
    card = shop.locator(".draft").first.inner_text()
    assert "Meera Iyer" in card and "+919812345699" in card and "2 × Steel tiffin" in card and "₹500" in card
    assert fits_the_phone(shop)
    screenshot("61-unfinished-checkouts", on=shop)
    whatsapp = urlparse(shop.get_by_role("link", name="WhatsApp").get_attribute("href"))
    assert whatsapp.netloc == "wa.me" and whatsapp.path == "/919812345699"
    cart_link = re.search(r"https?://\S+/cart/r/[\w-]+/", parse_qs(whatsapp.query)["text"][0])[0]

    # The buyer opens the link on another phone: the same cart, at today's price.
    catalog.update_product(product=tiffin, price="260")
    other_phone = phone_page(page.context.browser)
    other_phone.goto(cart_link)
    other_phone.wait_for_url(f"**/s/{store.slug}/cart/")
    cart = other_phone.locator("main").inner_text()
    assert "Your cart is back as you left it" in cart and "Steel tiffin" in cart and "₹520" in cart
    screenshot("62-cart-restored", on=other_phone)

    shop.get_by_role("button", name="Dismiss").click()
    assert "No unfinished checkouts" in shop.locator("main").inner_text()
