"""The merchant downloads an accepted order's invoice from its page; never another store's."""

import io

import pytest
from pypdf import PdfReader

from dukaan.invoices.tests.conftest import make_order

pytestmark = pytest.mark.django_db


def test_an_accepted_order_page_links_to_its_invoice_pdf(me, store):
    order = make_order(store)
    page = me.get(f"/dashboard/orders/{order.number}/")
    assert f'href="/dashboard/orders/{order.number}/invoice.pdf"' in page.content.decode()
    response = me.get(f"/dashboard/orders/{order.number}/invoice.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="INV-2026-27-0001.pdf"'
    assert "private" in response["Cache-Control"]
    text = PdfReader(io.BytesIO(response.content)).pages[0].extract_text()
    assert "INV/2026-27/0001" in text and "938.20" in text


def test_an_order_not_yet_accepted_has_no_link_and_no_invoice(me, store):
    order = make_order(store, accepted_at=None)
    assert "invoice.pdf" not in me.get(f"/dashboard/orders/{order.number}/").content.decode()
    assert me.get(f"/dashboard/orders/{order.number}/invoice.pdf").status_code == 404


def test_another_stores_order_invoice_is_not_found(me, other_store):
    order = make_order(other_store)
    assert me.get(f"/dashboard/orders/{order.number}/invoice.pdf").status_code == 404
