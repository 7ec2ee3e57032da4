"""The invoice PDF: what a buyer and an accountant read in it, from the order's stored figures."""

import io
import re

import pytest
from pypdf import PdfReader

from dukaan.invoices.pdf import render_invoice
from dukaan.invoices.services import cancel_invoice, issue_invoice
from dukaan.orders.models import Order
from dukaan.orders.services import change_order_status

from .conftest import GSTIN, make_order

pytestmark = pytest.mark.django_db


def pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return re.sub(r"\s+", " ", " ".join(page.extract_text() for page in reader.pages))


def test_a_tax_invoice_shows_the_seller_buyer_lines_and_the_stored_cgst_and_sgst(store):
    data = render_invoice(issue_invoice(order=make_order(store)))
    assert data.startswith(b"%PDF")
    text = pdf_text(data)
    for expected in [
        "Tax invoice",
        "Store asha-store",
        f"GSTIN: {GSTIN}",
        "Invoice number: INV/2026-27/0001",
        "Date: 6 Dec 2026",
        "Ravi Kumar",
        "14 MG Road, Indiranagar",
        "PIN 560038",
        "Cotton kurta (Size: M)",
        "6211",
        "499.00",
        "99.80",
        "855.42",
        "5%",
        "21.39",
        "898.20",
        "Delivery",
        "9965",
        "33.90",
        "18%",
        "3.05",
        "Subtotal Rs. 998.00",
        "Discount: SAVE10 -Rs. 99.80",
        "CGST (included above) Rs. 24.44",
        "SGST (included above) Rs. 24.44",
        "Total Rs. 938.20",
        "Rupees nine hundred thirty-eight and twenty paise only",
    ]:
        assert expected in text, expected
    assert "IGST" not in text and "CANCELLED" not in text


def test_a_buyer_in_another_state_pays_igst(store):
    text = pdf_text(render_invoice(issue_invoice(order=make_order(store, delivery_state="27"))))
    assert "IGST (included above) Rs. 48.88" in text and "42.78" in text
    assert "CGST" not in text and "Place of supply: Maharashtra (27)" in text


def test_an_unregistered_seller_gives_a_bill_of_supply_without_gst(store):
    text = pdf_text(render_invoice(issue_invoice(order=make_order(store, gstin=""))))
    assert "Bill of supply" in text
    assert "The seller is not registered for GST; no GST is charged." in text
    assert "GST" not in text.replace("not registered for GST; no GST is charged", "")
    assert "Total Rs. 938.20" in text


def test_a_cancelled_invoice_says_so_and_keeps_its_number(store):
    order = make_order(store)
    issue_invoice(order=order)
    change_order_status(order=order, status="cancelled")
    text = pdf_text(render_invoice(cancel_invoice(order=order)))
    assert "CANCELLED" in text and "INV/2026-27/0001" in text
    assert f"Order #{order.number} was cancelled on" in text


def test_names_and_addresses_with_markup_characters_print_as_written(store):
    order = make_order(store)
    buyer = {"buyer_name": "Ravi & Sons <Traders>", "address": "Shop 4 & 5\nMG Road"}
    Order.objects.filter(pk=order.pk).update(**buyer)
    text = pdf_text(render_invoice(issue_invoice(order=order)))
    assert "Ravi & Sons <Traders>" in text and "Shop 4 & 5 MG Road" in text
