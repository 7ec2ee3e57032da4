"""The invoice in a phone-sized Chromium: the shopkeeper accepts an order and downloads its invoice from
the order's page; the buyer downloads the very same file from the status page."""

import io
from pathlib import Path

import pytest
from django.test import Client
from django.utils import timezone
from pypdf import PdfReader

from dukaan.conftest import make_store
from dukaan.invoices.rules import financial_year
from dukaan.invoices.tests.conftest import make_order

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LINK = "Download invoice (PDF)"


def download(page) -> tuple[str, bytes]:
    with page.expect_download() as started:
        page.get_by_role("link", name=LINK).click()
    return started.value.suggested_filename, Path(started.value.path()).read_bytes()


def test_the_shopkeeper_and_the_buyer_download_the_same_invoice(live_server, page, second_page, screenshot):
    store = make_store("+919812345601", "asha-store")
    order = make_order(store, accepted_at=None)
    base = live_server.url
    client = Client()
    client.force_login(store.owner)
    page.context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": base}])
    status_page = f"{base}/s/{store.slug}/o/{order.public_token}/"

    page.goto(f"{base}/dashboard/orders/{order.number}/")
    second_page.goto(status_page)
    assert page.get_by_role("link", name=LINK).count() == 0
    assert second_page.get_by_role("link", name=LINK).count() == 0

    page.get_by_role("button", name="Accept").click()
    page.wait_for_load_state()
    screenshot("invoice-01-merchant-order-accepted")
    name, merchant_pdf = download(page)
    number = f"INV/{financial_year(timezone.localdate())}/0001"
    assert name == number.replace("/", "-") + ".pdf"
    text = PdfReader(io.BytesIO(merchant_pdf)).pages[0].extract_text()
    assert number in text and "938.20" in text and "Ravi Kumar" in text

    second_page.goto(status_page)
    screenshot("invoice-02-buyer-status-page", on=second_page)
    assert download(second_page) == (name, merchant_pdf)
