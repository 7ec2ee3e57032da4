"""From order to refund in phone-sized Chromium: a buyer orders two lamps and a mat and chooses UPI; the
payment is recorded; the shopkeeper refunds one lamp and puts it back in stock from the order's page; the
buyer's order page says what was refunded.

The payment is recorded through orders.services in the test (dukaan.payments.tests.helpers.pay), as the
dashboard's "record a payment" form does. Screenshots land in test-artifacts/screenshots/ (refund-*.png).
"""

import re
from decimal import Decimal

import pytest

from dukaan.catalog import services as catalog
from dukaan.catalog.models import Product
from dukaan.conftest import change_store, make_store
from dukaan.orders.models import Order
from dukaan.payments.models import Refund
from dukaan.payments.tests.helpers import pay
from tests.browser.chromium import fill_checkout, fits_the_phone, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def add_to_cart(buyer, base: str, store, product, quantity: int) -> None:
    buyer.goto(f"{base}/s/{store.slug}/p/{product.pk}/")
    buyer.fill("#quantity", str(quantity))
    buyer.get_by_role("button", name="Add to cart").click()
    buyer.wait_for_load_state()


def test_a_buyer_pays_by_upi_and_the_shopkeeper_refunds_one_lamp_back_to_stock(
    live_server, page, second_page, screenshot
):
    base, buyer = live_server.url, second_page
    store = change_store(make_store("+919812345601", "asha-store"), upi_id="asha@okhdfc")
    lamp = catalog.create_product(store=store, name="Brass lamp", price=Decimal("500"), stock=5)
    mat = catalog.create_product(store=store, name="Jute mat", price=Decimal("200"), stock=5)

    add_to_cart(buyer, base, store, lamp, 2)
    add_to_cart(buyer, base, store, mat, 1)
    buyer.goto(f"{base}/s/{store.slug}/cart/")
    buyer.get_by_role("link", name="Check out").click()
    buyer.wait_for_url("**/checkout/")
    fill_checkout(buyer, payment_method="upi")
    buyer.get_by_role("button", name=re.compile("Place order")).click()
    buyer.wait_for_url(re.compile(r".*/o/[\w-]+/$"))
    status_url = buyer.url
    assert buyer.locator("#upi-pay").count() == 1
    screenshot("refund-01-buyer-pays-by-upi", on=buyer)

    order = pay(Order.objects.get(store=store))
    log_in(page, live_server, store.owner)
    page.goto(f"{base}/dashboard/orders/{order.number}/")
    form = page.locator("#refund-form")
    assert form.locator("input[name=amount]").input_value() == f"{order.total}"
    screenshot("refund-02-merchant-refund-form")

    lamps = order.lines.get(name="Brass lamp")
    form.locator("input[name=amount]").fill("500")
    form.locator("select[name=method]").select_option("upi")
    form.locator("input[name=reference]").fill("UPI 402817")
    form.locator(f"input[name=restock-{lamps.pk}]").fill("1")
    form.get_by_role("button", name="Refund").click()
    page.wait_for_load_state()
    assert "₹500 refunded." in page.inner_text("main")
    assert "UPI 402817" in page.locator("#refund-list").inner_text()
    assert fits_the_phone(page)
    screenshot("refund-03-merchant-refunded")

    assert Product.objects.get(pk=lamp.pk).stock == 5 - 2 + 1
    assert Product.objects.get(pk=mat.pk).stock == 4
    refund = Refund.objects.get()
    assert (refund.status, refund.restocked) == ("processed", {str(lamps.pk): 1})

    buyer.goto(status_url)
    assert re.search(r"₹500 refunded on \d+ \w+ \d{4}", buyer.locator("#refunds").inner_text())
    assert fits_the_phone(buyer)
    screenshot("refund-04-buyer-sees-the-refund", on=buyer)
