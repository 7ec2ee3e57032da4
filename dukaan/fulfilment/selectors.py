"""Reading fulfilment: an order's shipment, and a buyer phone's record in a store."""

from dataclasses import dataclass

from django.db.models import Count, Q

from dukaan.orders.models import Order

from .models import Shipment


def order_shipment(*, store_id: int, order_id: int) -> Shipment | None:
    return Shipment.objects.filter(store_id=store_id, order_id=order_id).first()


@dataclass(frozen=True)
class BuyerRecord:
    orders: int
    delivered: int
    returned: int  # returned to origin (RTO)
    cancelled: int


def buyer_record(*, store_id: int, phone: str) -> BuyerRecord:
    """What became of every order placed with `phone` in the store. 1 query."""
    S = Order.Status
    counts = Order.objects.filter(store_id=store_id, buyer_phone=phone).aggregate(
        orders=Count("id"),
        delivered=Count("id", filter=Q(status=S.DELIVERED)),
        returned=Count("id", filter=Q(status=S.RETURNED)),
        cancelled=Count("id", filter=Q(status=S.CANCELLED)),
    )
    return BuyerRecord(**counts)
