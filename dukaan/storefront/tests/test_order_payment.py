"""The buyer's order page says what is paid: "Paid ✓", what is left to pay, or nothing yet."""

import html
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from dukaan.conftest import change_store
from dukaan.orders.tests.conftest import line, make_product, order
from dukaan.payments.services import record_payment

pytestmark = pytest.mark.django_db


def paid_note(client, placed) -> str:
    """The page's payment note as the buyer reads it, or "" when there is none."""
    page = client.get(reverse("storefront:order", args=[placed.store.slug, placed.public_token])).content
    found = re.search(r'<p class="card center" id="paid">(.*?)</p>', page.decode())
    return html.unescape(re.sub(r"<[^>]+>", "", found[1])) if found else ""


def pay(store, placed, amount: str):
    record_payment(store=store, order=placed, amount=Decimal(amount), method="cash", by="+919812345601")


def test_a_cash_on_delivery_order_shows_what_was_paid_and_what_is_left_for_delivery(client, store):
    placed = order(store, [line(make_product(store, "Brass lamp", "549.00"))])
    assert paid_note(client, placed) == ""
    pay(store, placed, "100")
    assert paid_note(client, placed) == "₹100 paid, ₹449 to pay on delivery"
    pay(store, placed, "449")
    assert paid_note(client, placed) == "Paid ✓"


def test_a_partly_paid_upi_order_shows_what_is_still_to_pay(client, store):
    change_store(store, upi_id="asha@okaxis")
    placed = order(store, [line(make_product(store, "Brass lamp", "549.50"))], payment_method="upi")
    pay(store, placed, "500")
    assert paid_note(client, placed) == "₹500 paid, ₹49.50 still to pay"
