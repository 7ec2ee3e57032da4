"""A shopkeeper sets GST on a phone: the Tax page, a refused GSTIN, then a product's rate from a date.

Screenshots land in test-artifacts/screenshots/ (tax-*.png).
"""

from decimal import Decimal

import pytest

from dukaan.catalog import services as catalog
from dukaan.conftest import make_store
from tests.browser.chromium import fits_the_phone, log_in

pytestmark = pytest.mark.browser


def test_a_shopkeeper_sets_gst_from_a_phone(live_server, page, screenshot):
    store = make_store("+919812345601", "asha-store")
    product = catalog.create_product(store=store, name="Cotton kurta", price=Decimal("499"))
    log_in(page, live_server, store.owner)

    page.goto(live_server.url + "/dashboard/tax/")
    assert "No GST is charged: add your GSTIN if you are registered." in page.inner_text("main")
    assert fits_the_phone(page)
    screenshot("tax-01-unregistered")

    page.fill("input[name=gstin]", "27AAPFU0939F1ZV")
    page.select_option("select[name=state_code]", "29")
    page.fill("input[name=legal_name]", "Asha Textiles")
    page.fill("textarea[name=address]", "12 MG Road, Bengaluru 560001")
    page.select_option("select[name=default_rate]", "5")
    page.fill("input[name=default_hsn]", "6211")
    page.click("text=Save")
    assert "registered in Maharashtra (27), but the store's state is Karnataka (29)" in page.inner_text(
        "main"
    )
    screenshot("tax-02-gstin-of-another-state")

    page.fill("input[name=gstin]", "29abcde1234f1zw")
    page.click("button:text-is('Save')")
    main = page.inner_text("main")
    assert "Tax settings saved" in main and "No GST is charged" not in main
    assert page.input_value("input[name=gstin]") == "29ABCDE1234F1ZW"
    assert page.input_value("select[name=default_rate]") == "5"
    screenshot("tax-03-registered")

    page.goto(live_server.url + f"/dashboard/products/{product.pk}/")
    assert "Today: 5 % · HSN 6211" in page.inner_text("#gst")
    page.fill("#gst input[name=hsn_code]", "6109")
    page.select_option("#gst select[name=rate]", "18")
    page.fill("#gst input[name=valid_from]", "2025-10-01")
    page.click("text=Save GST")
    main = page.inner_text("main")
    assert "GST of “Cotton kurta”: 18 % from 1 October 2025." in main
    assert "Since 1 Oct 2025: 18 % · HSN 6109" in page.inner_text("#gst")
    assert fits_the_phone(page)
    screenshot("tax-04-product-gst")
