"""Reads of an order's payments: the payments recorded against it, its refunds and how it can be
refunded. What is due and asked are the order's own (`Order.amount_due`, `Order.amount_asked`)."""

from django.db.models import QuerySet

from dukaan.orders.models import Order

from .models import Payment, RecordedPayment, Refund


def order_payments(*, order: Order) -> QuerySet[RecordedPayment]:
    """The order's payments, oldest first."""
    return RecordedPayment.objects.filter(store_id=order.store_id, order=order).order_by("recorded_at", "id")


def order_refunds(*, store_id: int, order_id: int) -> list[Refund]:
    """The order's refunds, oldest first, failed ones included (they say why)."""
    return list(Refund.objects.filter(store_id=store_id, order_id=order_id).order_by("at", "id"))


def refund_methods(*, store_id: int, order_id: int) -> list[tuple[str, str]]:
    """The ways this order can be refunded: through the gateway only when it was paid there."""
    online = Payment.objects.filter(
        store_id=store_id, order_id=order_id, status=Payment.Status.CAPTURED
    ).exclude(provider_payment_id="")
    methods = [(value, str(label)) for value, label in Refund.Method.choices]  # in the request's language
    return methods if online.exists() else [m for m in methods if m[0] != Refund.Method.GATEWAY]
