"""GET /orders/{id}/invoice and its PDF: the stored totals, 404 before acceptance and for other stores."""

import io

import pytest
from pypdf import PdfReader

from dukaan.invoices.tests.conftest import make_order

from .conftest import problem

pytestmark = pytest.mark.django_db


def test_an_accepted_orders_invoice_has_its_number_date_kind_and_stored_totals(api, store):
    order = make_order(store)
    response = api.get(f"/orders/{order.pk}/invoice")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["number"] == "INV/2026-27/0001" and body["kind"] == "tax_invoice"
    assert body["issued_at"].startswith("2026-12-06T")
    assert (body["order_id"], body["order_number"], body["cancelled_at"]) == (order.pk, order.number, None)
    assert body["totals"] == {
        "currency": "INR",
        "subtotal": "998.00",
        "discounts": [{"label": "SAVE10", "amount": "99.80"}],
        "discount_total": "99.80",
        "delivery_fee": "40.00",
        "cod_fee": "0.00",
        "cgst": "24.44",
        "sgst": "24.44",
        "igst": "0.00",
        "prices_include_tax": True,
        "total": "938.20",
    }
    pdf = api.get(body["pdf_url"])
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert "INV/2026-27/0001" in PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()


def test_asking_again_gives_the_same_invoice(api, store):
    order = make_order(store)
    numbers = {api.get(f"/orders/{order.pk}/invoice").json()["number"] for _ in range(2)}
    assert numbers == {"INV/2026-27/0001"}


def test_before_acceptance_the_invoice_is_a_404_that_says_when_it_comes(api, store):
    order = make_order(store, accepted_at=None)
    for path in (f"/orders/{order.pk}/invoice", f"/orders/{order.pk}/invoice.pdf"):
        body = problem(api.get(path), 404)
        assert body["detail"] == f"Order #{order.number} has no invoice yet: it gets one when you accept it."


def test_another_stores_order_has_no_invoice_here(api, other_store):
    order = make_order(other_store)
    for path in (f"/orders/{order.pk}/invoice", f"/orders/{order.pk}/invoice.pdf"):
        assert problem(api.get(path), 404)["detail"] == "There is no such order in your store."
