"""The invoices consumer group: an invoice for each accepted order, marked cancelled with its order, and a
credit note for each processed refund of an invoiced order."""

from datetime import datetime
from decimal import Decimal

from dukaan.events.consumers import Event, consumer
from dukaan.orders.events import ORDER_ACCEPTED, ORDER_CANCELLED, REFUND_PROCESSED, REFUND_RECORDED
from dukaan.orders.models import Order

from .services import cancel_invoice, issue_credit_note, issue_invoice


@consumer("invoices", events={ORDER_ACCEPTED, ORDER_CANCELLED, REFUND_RECORDED, REFUND_PROCESSED})
def invoice(event: Event) -> None:
    if event.is_a(REFUND_RECORDED, REFUND_PROCESSED):
        if event.data["status"] == "processed":  # a pending gateway refund gets its note when processed
            order = Order.objects.get(store_id=event.store_id, pk=event.data["order_id"])
            issue_credit_note(
                order=order,
                refund_id=event.data["refund_id"],
                amount=Decimal(event.data["amount"]),
                at=datetime.fromisoformat(event.occurred_at),
            )
        return
    order = Order.objects.get(store_id=event.store_id, pk=event.data["id"])
    if event.is_a(ORDER_ACCEPTED):
        issue_invoice(order=order)
    else:
        cancel_invoice(order=order)
