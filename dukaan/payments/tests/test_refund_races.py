"""Refunds racing each other: what was paid is paid back once, never more."""

from collections import Counter
from decimal import Decimal

import pytest

from dukaan.conftest import race
from dukaan.orders.models import Order
from dukaan.orders.tests.conftest import concurrent_db, event_counts  # noqa: F401 (fixture)
from dukaan.payments.models import Refund
from dukaan.payments.services import refund_order

from .helpers import paid_order

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_racing_refunds_of_the_whole_amount_refund_it_once(concurrent_db, store):  # noqa: F811
    placed = paid_order(store)
    lamps = placed.lines.order_by("pk").first()

    def refund_all(index: int):
        return refund_order(
            store=store, order=placed, amount=placed.total, method="upi", restock={lamps.pk: 2}, by="shop"
        )

    results = race(2, refund_all)
    outcomes = Counter(type(result).__name__ for result in results)
    assert outcomes == {"Refund": 1, "RefundRefused": 1}, results
    (refused,) = [result for result in results if not isinstance(result, Refund)]
    assert "You can refund at most ₹0" in refused.message
    placed = Order.objects.get(pk=placed.pk)
    assert (placed.amount_refunded, placed.payment_status) == (placed.total, "refunded")
    assert Refund.objects.get().amount == placed.total
    lamps.refresh_from_db()
    assert lamps.restocked == 2 and event_counts(store)["refund.recorded"] == 1


def test_racing_partial_refunds_never_add_up_to_more_than_was_paid(concurrent_db, store):  # noqa: F811
    placed = paid_order(store)  # 1,200 paid
    results = race(
        4,
        lambda index: refund_order(
            store=store, order=placed, amount=Decimal("500.00"), method="cash", by="shop"
        ),
    )
    assert Counter(type(result).__name__ for result in results) == {"Refund": 2, "RefundRefused": 2}
    assert Order.objects.get(pk=placed.pk).amount_refunded == Decimal("1000.00")
