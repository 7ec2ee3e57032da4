"""Reads of an order's payments: what is still due, and the payments recorded against it."""

from decimal import Decimal

from django.db.models import QuerySet

from dukaan.infra.money import ZERO
from dukaan.orders.models import Order

from .models import RecordedPayment


def amount_due(order: Order) -> Decimal:
    """What the buyer has still to pay: the total less what was paid. A refund does not make it due again."""
    return max(order.total - order.amount_paid, ZERO)


def amount_to_record(order: Order) -> Decimal:
    """The amount a "Record a payment" form suggests: the UPI amount the buyer was asked for (the total
    plus a few paise) while nothing is paid, else what is due."""
    if not order.amount_paid and order.upi_amount:
        return order.upi_amount
    return amount_due(order)


def order_payments(*, order: Order) -> QuerySet[RecordedPayment]:
    """The order's payments, oldest first."""
    return RecordedPayment.objects.filter(store_id=order.store_id, order=order).order_by("recorded_at", "id")
