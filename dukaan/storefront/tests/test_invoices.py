"""The buyer downloads the invoice from the order's status page, with the link's token only."""

import io

import pytest
from pypdf import PdfReader

from dukaan.invoices.tests.conftest import make_order

pytestmark = pytest.mark.django_db


def test_the_buyer_downloads_the_invoice_of_an_accepted_order(client, store):
    order = make_order(store)
    page = client.get(f"/s/{store.slug}/o/{order.public_token}/").content.decode()
    link = f"/s/{store.slug}/o/{order.public_token}/invoice.pdf"
    assert f'href="{link}"' in page
    response = client.get(link)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert "no-store" in response["Cache-Control"]
    text = PdfReader(io.BytesIO(response.content)).pages[0].extract_text()
    assert "INV/2026-27/0001" in text and "Ravi Kumar" in text


def test_before_acceptance_there_is_no_link_and_no_invoice(client, store):
    order = make_order(store, accepted_at=None)
    assert "invoice.pdf" not in client.get(f"/s/{store.slug}/o/{order.public_token}/").content.decode()
    assert client.get(f"/s/{store.slug}/o/{order.public_token}/invoice.pdf").status_code == 404


def test_a_wrong_token_or_another_stores_slug_finds_no_invoice(client, store, other_store):
    order = make_order(store)
    assert client.get(f"/s/{store.slug}/o/{order.public_token[:-1]}x/invoice.pdf").status_code == 404
    assert client.get(f"/s/{other_store.slug}/o/{order.public_token}/invoice.pdf").status_code == 404
