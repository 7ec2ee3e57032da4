"""Invoices issued at the same instant, each thread on its own connection: numbers stay consecutive.

SQLite queues the writers (BEGIN IMMEDIATE); PostgreSQL locks the counter row (and the order's row).
"""

from collections import Counter

import pytest

from dukaan.conftest import race
from dukaan.invoices.models import Invoice, InvoiceCounter
from dukaan.invoices.services import issue_invoice

from .conftest import make_order

pytestmark = pytest.mark.django_db(transaction=True)

ORDERS = 10


def test_ten_orders_issued_at_once_get_numbers_one_to_ten_without_gaps_or_repeats(store):
    orders = [make_order(store) for _ in range(ORDERS)]
    results = race(ORDERS, lambda index: issue_invoice(order=orders[index]))
    assert all(isinstance(result, Invoice) for result in results), results
    assert sorted(result.sequence for result in results) == list(range(1, ORDERS + 1))
    assert sorted(Invoice.objects.filter(store=store).values_list("sequence", flat=True)) == list(
        range(1, ORDERS + 1)
    )
    assert InvoiceCounter.objects.get(store=store).last == ORDERS


def test_one_order_issued_ten_times_at_once_has_one_invoice(store):
    order = make_order(store)
    results = race(ORDERS, lambda index: issue_invoice(order=order))
    assert Counter(getattr(result, "number", repr(result)) for result in results) == {
        "INV/2026-27/0001": ORDERS
    }
    assert Invoice.objects.filter(store=store).count() == 1
    assert InvoiceCounter.objects.get(store=store).last == 1
