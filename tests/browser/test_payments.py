"""Payments by hand in a phone-sized Chromium: the shopkeeper records part of a COD order's money, then
the rest; the orders list filters by payment; the buyer's page follows along."""

import pytest
from django.test import Client

from dukaan.conftest import make_store
from dukaan.orders.tests.conftest import line, make_product, order

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_shopkeeper_records_a_part_payment_then_the_rest_and_the_buyer_sees_it(
    live_server, page, second_page, screenshot
):
    store = make_store("+919812345601", "asha-store")
    placed = order(store, [line(make_product(store, "Brass lamp", "549.00"))])
    base = live_server.url
    client = Client()
    client.force_login(store.owner)
    page.context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": base}])
    status_page = f"{base}/s/{store.slug}/o/{placed.public_token}/"

    page.goto(f"{base}/dashboard/orders/{placed.number}/")
    card = page.locator("#payments")
    assert "Paid ₹0 · ₹549 due" in card.inner_text()
    assert page.get_by_label("Amount received").input_value() == "549.00"
    page.get_by_label("Amount received").fill("200")
    page.get_by_label("Paid by").select_option("upi")
    page.get_by_label("UPI reference or UTR").fill("412345678901")
    page.get_by_role("button", name="Record payment").click()
    page.wait_for_load_state()
    assert "Recorded ₹200 by UPI for order #1. ₹349 is still due." in page.content()
    assert "₹200 by UPI · ref 412345678901" in card.inner_text()
    screenshot("payments-01-merchant-part-paid")

    second_page.goto(status_page)
    assert second_page.locator("#paid").inner_text() == "₹200 paid, ₹349 to pay on delivery"
    screenshot("payments-02-buyer-part-paid", on=second_page)

    page.get_by_text("Record a payment").click()
    assert page.get_by_label("Amount received").input_value() == "349.00"
    page.get_by_role("button", name="Record payment").click()
    page.wait_for_load_state()
    assert "It is paid in full." in page.content() and page.locator("#record-payment").count() == 0

    page.goto(f"{base}/dashboard/orders/")
    page.get_by_label("Payment").select_option("paid")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_load_state()
    assert page.locator("#order-list .pay-paid").inner_text() == "paid"
    screenshot("payments-03-merchant-orders-paid")

    second_page.goto(status_page)
    assert second_page.locator("#paid").inner_text() == "Paid ✓"
