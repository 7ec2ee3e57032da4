"""A shopkeeper, in a real phone-sized Chromium, signs up with a code, opens a store and adds a product."""

import re

import pytest
from PIL import Image

from dukaan.catalog.models import Product
from dukaan.infra.sms import latest_console_message

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = "+919876500001"


def login_code(phone: str) -> str:
    message = latest_console_message(phone)
    assert message, f"no SMS to {phone} in the console log"
    return re.search(r"\b(\d{6})\b", message).group(1)


def test_shopkeeper_signs_up_creates_a_store_and_adds_a_product(
    live_server, page, screenshot, settings, tmp_path
):
    settings.SMS_CONSOLE_LOG = tmp_path / "sms.log"
    settings.MEDIA_ROOT = tmp_path / "media"
    photo = tmp_path / "kurta.jpg"
    Image.new("RGB", (800, 600), "darkorange").save(photo, format="JPEG")

    page.goto(live_server.url + "/login/")
    screenshot("01-login")
    page.fill("input[type=tel]", "98765 00001")
    page.locator("form button[type=submit]").first.click()

    page.wait_for_url("**/login/verify/")
    page.fill("input[autocomplete=one-time-code]", login_code(PHONE))
    screenshot("02-verify")
    page.locator("form button[type=submit]").first.click()

    page.wait_for_url("**/dashboard/store/new/")
    screenshot("03-create-store")
    page.fill("#id_name", "Asha's Kurtas")
    page.fill("#id_slug", "ashas-kurtas")
    page.get_by_role("button", name="Create store").click()

    page.wait_for_url(re.compile(r".*/dashboard/$"))
    assert page.locator("#share-link").inner_text().endswith("/s/ashas-kurtas/")
    assert page.locator(".qr svg").count() == 1
    assert "wa.me" in page.locator("#whatsapp-share").get_attribute("href")
    screenshot("04-dashboard-home")

    page.get_by_role("link", name="Add a product").first.click()
    page.fill("#id_name", "Block print kurta")
    page.fill("#id_price", "549")
    page.fill("#id_compare_at_price", "799")
    page.fill("#id_stock", "10")
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
    assert "2 variants" in row.inner_text()
    assert "₹549" in row.inner_text()
    thumb = row.locator("img.thumb")
    thumb.wait_for()
    assert thumb.evaluate("img => img.complete && img.naturalWidth") > 0, "the thumbnail did not load"
    screenshot("06-products")

    product = Product.objects.get(name="Block print kurta")
    assert product.images.count() == 1 and product.variants.count() == 2

    page.goto(live_server.url + "/s/ashas-kurtas/")
    assert "Block print kurta" in page.content()
    screenshot("07-storefront")
