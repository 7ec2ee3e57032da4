"""The invoices consumer group: an invoice for each accepted order, marked cancelled with its order."""

from dukaan.events.consumers import Event, consumer
from dukaan.orders.events import ORDER_ACCEPTED, ORDER_CANCELLED
from dukaan.orders.models import Order

from .services import cancel_invoice, issue_invoice


@consumer("invoices", events={ORDER_ACCEPTED, ORDER_CANCELLED})
def invoice(event: Event) -> None:
    order = Order.objects.get(store_id=event.store_id, pk=event.data["id"])
    if event.is_a(ORDER_ACCEPTED):
        issue_invoice(order=order)
    else:
        cancel_invoice(order=order)
