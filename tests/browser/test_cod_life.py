"""A cash-on-delivery order's whole life in phone-sized Chromium: the shopkeeper asks COD buyers to
confirm; a buyer orders and confirms from their order page; the shopkeeper accepts and ships it with a
courier; the parcel comes back (RTO): the stock returns, the buyer's phone shows one return, and the
shopkeeper blocks that phone from COD, so its next COD checkout is refused.

Screenshots land in test-artifacts/screenshots/ (cod-*.png).
"""

import pytest

from dukaan.catalog.models import Product
from dukaan.conftest import make_store
from dukaan.orders.models import Order
from dukaan.orders.tests.conftest import make_product
from tests.browser.chromium import fill_checkout, fits_the_phone, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def buy_the_lamp(buyer, base: str, slug: str) -> None:
    buyer.goto(f"{base}/s/{slug}/")
    buyer.get_by_role("link", name="Brass lamp").first.click()
    buyer.get_by_role("button", name="Add to cart").click()
    buyer.goto(f"{base}/s/{slug}/checkout/")
    fill_checkout(buyer, payment_method="cod")
    buyer.get_by_role("button", name="Place order").click()
    buyer.wait_for_load_state()


def test_a_cod_order_is_confirmed_shipped_returned_and_its_phone_blocked(
    live_server, page, second_page, screenshot
):
    store = make_store("+919812345601", "asha-store")
    lamp = make_product(store, "Brass lamp", "549.00", stock=3)
    base, shop, buyer = live_server.url, page, second_page
    log_in(shop, live_server, store.owner)

    shop.goto(f"{base}/dashboard/delivery/")
    shop.get_by_label("Buyer confirms a COD order within (hours)").fill("24")
    shop.get_by_role("button", name="Save delivery settings").click()
    assert "Delivery settings saved" in shop.inner_text("main")

    buy_the_lamp(buyer, base, store.slug)
    order = Order.objects.get(store=store)
    assert order.status == "unconfirmed"
    assert "Confirm your order" in buyer.inner_text("#cod-confirm")
    assert fits_the_phone(buyer)
    screenshot("cod-01-buyer-asked-to-confirm", on=buyer)

    shop.goto(f"{base}/dashboard/orders/{order.number}/")
    assert "Awaiting the buyer's confirmation until" in shop.inner_text("#cod-confirmation")
    screenshot("cod-02-shop-awaiting")

    buyer.get_by_role("button", name="Confirm my order").click()
    buyer.wait_for_load_state()
    assert buyer.locator("#cod-confirm").count() == 0
    order.refresh_from_db()
    assert order.status == "placed" and order.confirmed_at

    shop.goto(f"{base}/dashboard/orders/{order.number}/")
    shop.get_by_role("button", name="Accept").click()
    shop.wait_for_load_state()
    shop.select_option("#ship-courier", "delhivery")
    shop.fill("#ship-number", "1234567890")
    shop.get_by_role("button", name="Mark shipped").click()
    shop.wait_for_load_state()
    assert "Shipped with Delhivery" in shop.inner_text("#shipment-details")
    assert fits_the_phone(shop)
    screenshot("cod-03-shop-shipped")

    buyer.reload()
    assert buyer.get_by_role("link", name="Track your parcel").get_attribute("href") == (
        "https://www.delhivery.com/track/package/1234567890"
    )
    screenshot("cod-04-buyer-tracking", on=buyer)

    assert Product.objects.get(pk=lamp.pk).stock == 2
    shop.get_by_role("button", name="Returned to origin (RTO)").click()
    shop.wait_for_load_state()
    assert Product.objects.get(pk=lamp.pk).stock == 3
    assert "1 order · 0 delivered · 1 returned" in shop.inner_text("#buyer-record")
    shop.fill("#cod-block-reason", "Refused the parcel")
    shop.get_by_role("button", name="Block this phone from COD").click()
    shop.wait_for_load_state()
    assert "blocked from cash on delivery" in shop.inner_text("#cod-blocked")
    screenshot("cod-05-shop-returned-and-blocked")

    buy_the_lamp(buyer, base, store.slug)
    assert "cannot take cash on delivery for this phone number" in buyer.inner_text("main")
    assert Order.objects.filter(store=store).count() == 1
    screenshot("cod-06-buyer-refused-cod", on=buyer)
