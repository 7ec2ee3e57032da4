"""The core loop in a real phone-sized Chromium: a shopkeeper opens a store, a buyer orders, it ships.

Screenshots of every page land in test-artifacts/screenshots/.
"""

import re

import pytest
from PIL import Image

from dukaan.catalog.models import Product
from dukaan.infra.sms import latest_console_message
from dukaan.orders.models import Order
from tests.browser.chromium import fill_checkout
from tests.waiting import wait_until

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = "+919876500001"
NEW_PRODUCT_SHOWS_WITHIN_S = 20


def login_code(phone: str) -> str:
    message = latest_console_message(phone)
    assert message, f"no SMS to {phone} in the console log"
    return re.search(r"\b(\d{6})\b", message).group(1)


def sign_up(page, base_url: str, screenshot) -> None:
    page.goto(base_url + "/login/")
    screenshot("01-login")
    page.fill("input[type=tel]", "98765 00001")
    page.locator("form button[type=submit]").first.click()
    page.wait_for_url("**/login/verify/")
    page.fill("input[autocomplete=one-time-code]", login_code(PHONE))
    screenshot("02-verify")
    page.locator("form button[type=submit]").first.click()
    page.wait_for_url("**/dashboard/store/new/")


def create_store(page, screenshot) -> str:
    screenshot("03-create-store")
    page.fill("#id_name", "Asha's Kurtas")
    page.fill("#id_slug", "ashas-kurtas")
    page.get_by_role("button", name="Create store").click()
    page.wait_for_url(re.compile(r".*/dashboard/$"))
    share_link = page.locator("#share-link").inner_text()
    assert share_link.endswith("/s/ashas-kurtas/")
    assert page.locator(".qr svg").count() == 1
    assert "wa.me" in page.locator("#whatsapp-share").get_attribute("href")
    screenshot("04-dashboard-home")
    return share_link


def add_product(page, screenshot, photo) -> None:
    page.get_by_role("link", name="Add a product").first.click()
    page.fill("#id_name", "Block print kurta")
    page.fill("#id_price", "549")
    page.fill("#id_compare_at_price", "799")
    page.set_input_files("#id_new_images", str(photo))
    page.fill("#id_variants-0-options", "Size: M")
    page.fill("#id_variants-0-price", "549")
    page.fill("#id_variants-0-stock", "6")
    page.fill("#id_variants-1-options", "Size: L")
    page.fill("#id_variants-1-price", "579")
    screenshot("05-add-product")
    page.get_by_role("button", name="Save product").click()
    page.wait_for_url(re.compile(r".*/dashboard/products/\d+/$"))
    assert "Saved" in page.locator(".messages").inner_text()
    page.get_by_role("link", name="Products").first.click()
    row = page.locator("#product-list tbody tr", has_text="Block print kurta")
    assert "2 variants" in row.inner_text() and "₹549" in row.inner_text()
    thumb = row.locator("img.thumb")
    thumb.wait_for()
    assert thumb.evaluate("img => img.complete && img.naturalWidth") > 0, "the thumbnail did not load"
    screenshot("06-products")


def buy(buyer, base_url: str, screenshot) -> str:
    # The new product reaches a buyer through the event pipeline (in the cluster: Debezium, Kafka,
    # then the edge's purge), so a buyer who is not the merchant may need a reload or two.
    store_page = base_url + "/s/ashas-kurtas/"

    def shows_the_new_product() -> bool:
        buyer.goto(store_page)
        return "Block print kurta" in buyer.content()

    wait_until(
        shows_the_new_product,
        what="the new product on the store page",
        timeout=NEW_PRODUCT_SHOWS_WITHIN_S,
        poll=0.5,
    )
    screenshot("07-storefront", on=buyer)
    buyer.get_by_role("link", name=re.compile("Block print kurta")).first.click()
    buyer.wait_for_url(re.compile(r".*/p/\d+/$"))
    buyer.locator("label.opt", has_text="M").locator("input").check()
    buyer.fill("#quantity", "2")
    screenshot("08-product", on=buyer)
    buyer.get_by_role("button", name="Add to cart").click()
    buyer.goto(base_url + "/s/ashas-kurtas/cart/")
    assert "₹1,098" in buyer.content()
    screenshot("09-cart", on=buyer)
    buyer.get_by_role("link", name="Check out").click()
    buyer.wait_for_url("**/checkout/")
    fill_checkout(buyer, payment_method="cod")
    screenshot("10-checkout", on=buyer)
    buyer.get_by_role("button", name=re.compile("Place order")).click()
    buyer.wait_for_url(re.compile(r".*/o/[\w-]+/$"))
    assert "Order #1" in buyer.content()
    assert "wa.me" in buyer.get_by_role("link", name="Send this order on WhatsApp").get_attribute("href")
    screenshot("11-order-placed", on=buyer)
    return buyer.url


def ship_and_tell(merchant, buyer, status_url: str, screenshot) -> None:
    """The shopkeeper accepts and ships order #1; the buyer's status page says so."""
    merchant.get_by_role("link", name="Orders").first.click()
    merchant.get_by_role("link", name="#1").click()
    screenshot("12-merchant-order")
    merchant.get_by_role("button", name="Accept").click()
    merchant.wait_for_load_state()
    merchant.get_by_label("Courier", exact=True).select_option(label="Delhivery")
    merchant.get_by_label("Tracking number").fill("1234567890")
    merchant.get_by_role("button", name="Mark shipped").click()
    merchant.wait_for_load_state()
    assert "Shipped" in merchant.locator("#order-status").inner_text()
    assert "Shipped with Delhivery" in merchant.locator("#shipment-details").inner_text()
    screenshot("13-merchant-shipped")

    buyer.goto(status_url)
    assert "Shipped" in buyer.content()
    track = buyer.get_by_role("link", name="Track your parcel")
    assert track.get_attribute("href") == "https://www.delhivery.com/track/package/1234567890"
    screenshot("14-buyer-status-shipped", on=buyer)


def test_shopkeeper_opens_a_store_a_buyer_orders_and_the_shopkeeper_ships(
    live_server, page, second_page, screenshot, settings, tmp_path
):
    settings.SMS_CONSOLE_LOG = tmp_path / "sms.log"
    settings.MEDIA_ROOT = tmp_path / "media"
    photo = tmp_path / "kurta.jpg"
    Image.new("RGB", (800, 600), "darkorange").save(photo, format="JPEG")

    sign_up(page, live_server.url, screenshot)
    create_store(page, screenshot)
    add_product(page, screenshot, photo)
    product = Product.objects.get(name="Block print kurta")
    assert product.images.count() == 1 and product.variants.count() == 2

    buyer = second_page
    status_url = buy(buyer, live_server.url, screenshot)
    order = Order.objects.get()
    assert (order.total, order.payment_method, order.status) == (1098, "cod", "placed")
    assert product.variants.get(options={"Size": "M"}).stock == 4

    ship_and_tell(page, buyer, status_url, screenshot)
