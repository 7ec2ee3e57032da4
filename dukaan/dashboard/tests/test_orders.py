"""The shopkeeper's side of orders: the list, filters, one order, and moving it along."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from dukaan.events.local import run_pending
from dukaan.orders.models import Order
from dukaan.orders.services import Buyer, CartLine, place_order

pytestmark = pytest.mark.django_db

BUYER = Buyer(name="Ravi Kumar", phone="+919812300001", address="14 MG Road, Indiranagar", pin_code="560038")


def order_for(product, key: str, quantity: int = 1, variant=None) -> Order:
    price = variant.price if variant else product.price
    return place_order(
        store=product.store,
        lines=[
            CartLine(
                product_id=product.pk, variant_id=variant and variant.pk, quantity=quantity, seen_price=price
            )
        ],
        buyer=BUYER,
        payment_method="cod",
        idempotency_key=key,
    )


def test_orders_list_filters_by_status_and_day(me, product):
    medium = product.variants.first()
    first, second = order_for(product, "k1", variant=medium), order_for(product, "k2", variant=medium)
    Order.objects.filter(pk=first.pk).update(created_at=timezone.now() - timedelta(days=3))
    me.post(reverse("dashboard:order_detail", args=[second.number]), {"status": "accepted"})
    listing = lambda **q: me.get(reverse("dashboard:orders"), q).content.decode()  # noqa: E731
    # An order's number as the list links it ("#1" alone is also the start of the theme colour).
    one, two = ">#1</a>", ">#2</a>"
    assert one in listing() and two in listing()
    assert two in listing(status="accepted") and one not in listing(status="accepted")
    today = timezone.localdate().isoformat()
    assert two in listing(day=today) and one not in listing(day=today)
    assert "No orders match" in listing(status="delivered")
    assert one in listing(status="nonsense", day="not-a-date")


def test_moving_an_order_along_and_cancelling_restores_stock(me, product):
    medium = product.variants.first()
    order = order_for(product, "k1", quantity=2, variant=medium)
    medium.refresh_from_db()
    assert medium.stock == 3
    url = reverse("dashboard:order_detail", args=[order.number])
    page = me.get(url).content.decode()
    assert "Ravi Kumar" in page and "14 MG Road" in page and "Accept" in page
    me.post(url, {"status": "accepted"})
    me.post(url, {"status": "cancelled"})
    order.refresh_from_db()
    medium.refresh_from_db()
    assert order.status == "cancelled" and medium.stock == 5
    response = me.post(url, {"status": "shipped"}, follow=True)
    assert "cancelled" in response.content.decode().lower()
    order.refresh_from_db()
    assert order.status == "cancelled"


def test_an_illegal_step_is_explained_and_changes_nothing(me, product):
    order = order_for(product, "k1", variant=product.variants.first())
    response = me.post(
        reverse("dashboard:order_detail", args=[order.number]), {"status": "delivered"}, follow=True
    )
    assert response.status_code == 200
    assert 'class="error"' in response.content.decode()
    order.refresh_from_db()
    assert order.status == "placed"


def test_home_shows_todays_orders_and_revenue_without_cancelled(me, product):
    medium = product.variants.first()
    order_for(product, "k1", quantity=2, variant=medium)
    cancelled = order_for(product, "k2", variant=medium)
    me.post(reverse("dashboard:order_detail", args=[cancelled.number]), {"status": "cancelled"})
    run_pending()  # the analytics consumer keeps the numbers
    today = me.get(reverse("dashboard:home")).content.decode()
    assert "<strong>1</strong> order " in today
    assert f"<strong>₹{2 * medium.price:,.0f}</strong>" in today
    assert medium.price == Decimal("499.00")


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01"])
def test_a_day_at_either_end_of_the_calendar_shows_no_orders(me, product, day):
    order_for(product, "k1", variant=product.variants.first())

    response = me.get(reverse("dashboard:orders"), {"day": day})

    assert response.status_code == 200
    assert "No orders match" in response.content.decode()
