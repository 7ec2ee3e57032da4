"""The buyer's order page says what was refunded and when, with the credit note to download."""

from decimal import Decimal

import pytest
from django.utils import timezone

from dukaan.events.local import run_pending
from dukaan.invoices.services import issue_invoice
from dukaan.invoices.tests.conftest import make_order
from dukaan.payments.services import refund_order
from dukaan.payments.tests.helpers import pay

pytestmark = pytest.mark.django_db


def order_page(client, order) -> str:
    return client.get(f"/s/{order.store.slug}/o/{order.public_token}/").content.decode()


def test_the_buyer_sees_the_refund_and_downloads_its_credit_note(client, store):
    order = pay(make_order(store))
    assert 'id="refunds"' not in order_page(client, order)
    issue_invoice(order=order)
    made = refund_order(store=store, order=order, amount=Decimal("250.00"), method="upi", by="shop")
    run_pending()
    html = order_page(client, order)
    assert f"₹250 refunded on {timezone.localtime(made.processed_at):%-d %b %Y}" in html
    link = f"/s/{store.slug}/o/{order.public_token}/credit-notes/"
    assert "Credit note CN/2026-27/0001 (PDF)" in html
    response = client.get(html[html.index(link) :].split('"')[0])
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"


def test_a_credit_note_is_only_found_through_its_own_orders_link(client, store):
    order, other = pay(make_order(store)), pay(make_order(store))
    for placed in (order, other):
        issue_invoice(order=placed)
        refund_order(store=store, order=placed, amount=Decimal("10.00"), method="cash", by="shop")
    run_pending()
    theirs = other.invoice.credit_notes.get()
    assert (
        client.get(f"/s/{store.slug}/o/{order.public_token}/credit-notes/{theirs.pk}.pdf").status_code == 404
    )
    assert (
        client.get(f"/s/{store.slug}/o/{other.public_token}/credit-notes/{theirs.pk}.pdf").status_code == 200
    )
