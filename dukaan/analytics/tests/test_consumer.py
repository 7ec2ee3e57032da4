"""The analytics consumer: orders, revenue and views per store per local day, applied once each."""

from datetime import datetime, time, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from dukaan.analytics.models import StoreDay
from dukaan.analytics.selectors import recent_days
from dukaan.events.local import run_pending
from dukaan.events.models import ConsumerOffset
from dukaan.orders.services import Buyer, CartLine, change_order_status, place_order
from dukaan.storefront.view_counts import flush_views, record_view

pytestmark = pytest.mark.django_db

BUYER = Buyer(name="Ravi", phone="+919812300001", address="14 MG Road, Bengaluru", pin_code="560038")


def buy(product, key: str, quantity: int = 1):
    variant = product.variants.first()
    line = CartLine(product_id=product.pk, variant_id=variant.pk, quantity=quantity, seen_price=variant.price)
    return place_order(
        store=product.store, lines=[line], buyer=BUYER, payment_method="cod", idempotency_key=key
    )


def test_orders_and_revenue_are_counted_and_cancellations_taken_back(product):
    buy(product, "a", quantity=2)
    cancelled = buy(product, "b")
    change_order_status(order=cancelled, status="cancelled")
    run_pending()
    today = recent_days(store=product.store)[0]
    assert (today.orders, today.revenue) == (1, Decimal("998.00"))


def test_each_event_counts_once_even_when_delivered_again(product):
    buy(product, "a")
    run_pending()
    ConsumerOffset.objects.filter(group="analytics").update(position=0)
    run_pending()
    assert StoreDay.objects.get(store=product.store).orders == 1


def test_page_views_are_counted_from_batched_view_events(store, product):
    for _ in range(3):
        record_view(store.pk)
    record_view(store.pk, product.pk)
    flush_views()
    run_pending()
    assert recent_days(store=store)[0].views == 4


def test_a_flush_with_no_views_counted_does_not_touch_the_database(django_assert_num_queries):
    # a process that served no store page exits, and flushes its counts
    with django_assert_num_queries(0):
        assert flush_views() == 0


def test_a_cancellation_after_midnight_comes_off_the_day_the_order_was_placed(product, settings):
    settings.TIME_ZONE = "Asia/Kolkata"
    order = buy(product, "a")
    yesterday_evening = datetime.combine(
        timezone.localdate() - timedelta(days=1), time(21, 0), tzinfo=timezone.get_default_timezone()
    )
    type(order).objects.filter(pk=order.pk).update(created_at=yesterday_evening)
    run_pending()  # counted today: the event says when it happened, not the row
    change_order_status(order=order, status="cancelled")
    run_pending()
    days = {row.day: row.orders for row in StoreDay.objects.filter(store=product.store)}
    assert days[yesterday_evening.date()] == -1 and days[timezone.localdate()] == 1


def test_the_last_seven_days_are_listed_with_empty_days_as_zero(store):
    days = recent_days(store=store)
    assert len(days) == 7 and days[0].day == timezone.localdate()
    assert all(day.orders == 0 and day.views == 0 for day in days)
