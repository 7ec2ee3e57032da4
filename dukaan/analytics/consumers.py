"""The analytics consumer group: views, orders and revenue per store per day."""

from datetime import date, datetime
from decimal import Decimal

from django.db.models import F
from django.utils import timezone

from dukaan.events.consumers import Event, consumer
from dukaan.orders.events import ORDER_CANCELLED, ORDER_PLACED, ORDER_RETURNED

from .events import STOREFRONT_VIEWED
from .models import StoreDay


def _local_day(iso_time: str) -> date:
    return timezone.localtime(datetime.fromisoformat(iso_time)).date()


def _add(store_id: int, day: date, *, views: int = 0, orders: int = 0, revenue: Decimal = Decimal(0)) -> None:
    StoreDay.objects.get_or_create(store_id=store_id, day=day)
    StoreDay.objects.filter(store_id=store_id, day=day).update(
        views=F("views") + views, orders=F("orders") + orders, revenue=F("revenue") + revenue
    )


@consumer("analytics", events={ORDER_PLACED, ORDER_CANCELLED, ORDER_RETURNED, STOREFRONT_VIEWED})
def count(event: Event) -> None:
    if event.is_a(ORDER_PLACED):
        _add(event.store_id, _local_day(event.occurred_at), orders=1, revenue=Decimal(event.data["total"]))
    elif event.is_a(ORDER_CANCELLED, ORDER_RETURNED):
        # A cancelled order, or one the courier brought back, no longer counts on the day it was placed.
        day = _local_day(event.data["placed_at"])
        _add(event.store_id, day, orders=-1, revenue=-Decimal(event.data["total"]))
    elif event.is_a(STOREFRONT_VIEWED):
        _add(event.store_id, _local_day(event.occurred_at), views=event.data["views"])
