"""Orders that were paid, for the refund tests here and in the apps that react to refunds."""

from decimal import Decimal

from django.db import transaction

from dukaan.orders.models import Order
from dukaan.orders.services import lock_order, record_money
from dukaan.orders.tests.conftest import line, make_product, order


def pay(placed: Order, amount: Decimal | None = None) -> Order:
    """Record `amount` (the total by default) paid for `placed`, as a payment recorded by hand does."""
    with transaction.atomic():
        locked = lock_order(store_id=placed.store_id, order_id=placed.pk)
        return record_money(order=locked, paid=locked.total if amount is None else amount)


def paid_order(store, *, key: str = "paid-1", price: str = "500.00", stock: int = 5) -> Order:
    """A cash-on-delivery order of two lamps and one mat, paid in full; the lamps' line comes first."""
    lamp = make_product(store, f"Brass lamp {key}", price, stock=stock)
    mat = make_product(store, f"Jute mat {key}", "200.00", stock=stock)
    return pay(order(store, [line(lamp, quantity=2), line(mat)], key=key))
