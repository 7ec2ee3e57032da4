"""The analytics consumer group: views, orders and revenue per store per day.

Revenue is net: an order counts its total on the day it was placed, less what was refunded of it,
and nothing once cancelled or returned (OrderRevenue remembers what each order still counts).
"""

from datetime import date, datetime
from decimal import Decimal

from django.db.models import F
from django.utils import timezone

from dukaan.events.consumers import Event, consumer
from dukaan.orders.events import (
    ORDER_CANCELLED,
    ORDER_PLACED,
    ORDER_RETURNED,
    REFUND_PROCESSED,
    REFUND_RECORDED,
)
from dukaan.orders.models import Order

from .events import STOREFRONT_VIEWED
from .models import OrderRevenue, StoreDay


def _local_day(iso_time: str | datetime) -> date:
    at = iso_time if isinstance(iso_time, datetime) else datetime.fromisoformat(iso_time)
    return timezone.localtime(at).date()


def _add(store_id: int, day: date, *, views: int = 0, orders: int = 0, revenue: Decimal = Decimal(0)) -> None:
    StoreDay.objects.get_or_create(store_id=store_id, day=day)
    StoreDay.objects.filter(store_id=store_id, day=day).update(
        views=F("views") + views, orders=F("orders") + orders, revenue=F("revenue") + revenue
    )


def _revenue(store_id: int, order_id: int) -> OrderRevenue:
    """The order's row; an order placed before rows were kept counts its whole total."""
    found = OrderRevenue.objects.select_for_update().filter(store_id=store_id, order_id=order_id).first()
    if found is not None:
        return found
    total = Order.objects.values_list("total", flat=True).get(store_id=store_id, pk=order_id)
    return OrderRevenue.objects.create(store_id=store_id, order_id=order_id, counted=total)


@consumer(
    "analytics",
    events={
        ORDER_PLACED,
        ORDER_CANCELLED,
        ORDER_RETURNED,
        REFUND_RECORDED,
        REFUND_PROCESSED,
        STOREFRONT_VIEWED,
    },
)
def count(event: Event) -> None:
    if event.is_a(ORDER_PLACED):
        total = Decimal(event.data["total"])
        OrderRevenue.objects.get_or_create(
            store_id=event.store_id, order_id=event.data["id"], defaults={"counted": total}
        )
        _add(event.store_id, _local_day(event.occurred_at), orders=1, revenue=total)
    elif event.is_a(ORDER_CANCELLED, ORDER_RETURNED):
        # A cancelled order, or one the courier brought back, no longer counts on the day it was placed.
        row = _revenue(event.store_id, event.data["id"])
        if not row.closed:
            _add(event.store_id, _local_day(event.data["placed_at"]), orders=-1, revenue=-row.counted)
            row.counted, row.closed = Decimal(0), True
            row.save(update_fields=["counted", "closed"])
    elif event.is_a(REFUND_RECORDED, REFUND_PROCESSED):
        # A pending gateway refund counts when the gateway confirms it (refund.processed).
        if event.data["status"] != "processed":
            return
        row = _revenue(event.store_id, event.data["order_id"])
        if not row.closed:  # a cancelled order already counts nothing: a refund of it changes nothing
            amount = Decimal(event.data["amount"])
            placed_at = Order.objects.values_list("created_at", flat=True).get(pk=event.data["order_id"])
            _add(event.store_id, _local_day(placed_at), revenue=-amount)
            row.counted -= amount
            row.save(update_fields=["counted"])
    elif event.is_a(STOREFRONT_VIEWED):
        _add(event.store_id, _local_day(event.occurred_at), views=event.data["views"])
