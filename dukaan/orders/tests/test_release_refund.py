"""Taking back a refund the gateway did not make: the sums and the payment status go back."""

from decimal import Decimal

import pytest
from django.db import transaction

from dukaan.orders.services import lock_order, record_money, release_refund

from .conftest import line, make_product, order

pytestmark = pytest.mark.django_db


def test_releasing_a_refund_makes_a_refunded_order_paid_again_and_refuses_more_than_was_refunded(store):
    lamp = make_product(store, "Brass lamp", "500.00")
    placed = order(store, [line(lamp)])
    with transaction.atomic():
        locked = lock_order(store_id=store.pk, order_id=placed.pk)
        record_money(order=locked, paid=locked.total, refunded=locked.total)
        assert locked.payment_status == "refunded"
        release_refund(order=locked, amount=Decimal("100.00"))
        assert (locked.amount_refunded, locked.payment_status) == (locked.total - 100, "paid")
        with pytest.raises(ValueError):
            release_refund(order=locked, amount=locked.total)
