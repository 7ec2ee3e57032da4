"""Buyers racing through checkout with one coupon: its limits hold, on PostgreSQL and SQLite.

Each buyer places a whole order (place_order, its own connection and transaction) at the total they
were shown with the code, as the web checkout and the API send it. The coupon's use is counted inside
the order's transaction, so a refused buyer's order, lines, stock and events are rolled back with it.
"""

from collections import Counter
from decimal import Decimal

import pytest
from django.db.models import Sum

from dukaan.catalog.models import Product
from dukaan.conftest import race
from dukaan.orders.models import Order, OrderDiscount, OrderLine
from dukaan.orders.selectors import Choices, quote_cart
from dukaan.orders.services import Buyer, CheckoutRefused, place_order
from dukaan.promotions.models import Coupon, CouponPhoneUses, CouponUse
from dukaan.promotions.tests.helpers import make_coupon

from .conftest import event_counts, line, make_product

pytestmark = pytest.mark.django_db(transaction=True)

STOCK = 100
USED_UP = "This code was used the maximum number of times."


@pytest.fixture(autouse=True)
def no_phone_limit(settings):
    """One phone places many orders here; the hourly order limits are tested in test_limits.py."""
    settings.ORDER_MAX_PER_PHONE_PER_STORE_PER_HOUR = 0


def buyer(index: int) -> Buyer:
    return Buyer(
        name=f"Buyer {index}",
        phone=f"98124{index:05d}",
        address="14 MG Road, Indiranagar, Bengaluru",
        pin_code="560038",
    )


def checkout(store, product, who: Buyer, key: str):
    """One buyer's checkout with SAVE10 at the total the cart page showed them."""
    shown = quote_cart(
        store=store, lines=[line(product)], choices=Choices(coupon_code="SAVE10", pin_code="560038")
    )
    assert shown.pricing is not None and shown.pricing.coupon_code == "SAVE10", shown.pricing
    return place_order(
        store=store,
        lines=[line(product)],
        buyer=who,
        payment_method="cod",
        idempotency_key=key,
        coupon_code="SAVE10",
        seen_total=shown.total,
    )


def refusal(result) -> str:
    assert isinstance(result, CheckoutRefused), result  # any other exception fails with its text
    return " ".join(result.messages)


def assert_only_placed_orders_saved(store, products, orders: list[Order]) -> None:
    """Refused checkouts left nothing: no order, line, discount, coupon use, stock taken or event."""
    assert Order.objects.filter(store=store).count() == len(orders)
    assert OrderLine.objects.filter(store=store).count() == len(orders)
    assert OrderDiscount.objects.filter(store=store).count() == len(orders)
    assert CouponUse.objects.filter(store=store).count() == len(orders)
    left = Product.objects.filter(pk__in=[p.pk for p in products]).aggregate(left=Sum("stock"))["left"]
    assert STOCK * len(products) - left == len(orders)
    counts = event_counts(store)
    assert counts["order.placed"] == counts["stock.changed"] == len(orders)
    numbers = sorted(order.number for order in Order.objects.filter(store=store).only("number"))
    assert numbers == list(range(1, len(orders) + 1))


@pytest.mark.parametrize("shared", [True, False], ids=["one-item", "each-their-own-item"])
def test_twenty_buyers_racing_for_five_uses_left_place_exactly_five_orders_with_the_code(
    concurrent_db, store, shared
):
    # One item: the buyers queue on its lock, and those after the fifth are priced without the used-up
    # code. Their own items: nothing queues them before the coupon's counting UPDATE.
    count = 20
    products = [
        make_product(store, f"Brass lamp {i}", "500.00", stock=STOCK) for i in range(1 if shared else count)
    ]
    coupon = make_coupon(store, code="save10", max_uses=5)

    results = race(count, lambda i: checkout(store, products[0 if shared else i], buyer(i), f"buyer-{i}"))

    orders = [result for result in results if isinstance(result, Order)]
    assert len(orders) == 5
    assert all(order.coupon_code == "SAVE10" and order.total == Decimal("450.00") for order in orders)
    refusals = [refusal(result) for result in results if not isinstance(result, Order)]
    assert len(refusals) == 15 and all(USED_UP in message for message in refusals), Counter(refusals)
    assert Coupon.objects.get(pk=coupon.pk).used_count == 5
    assert sorted(CouponUse.objects.values_list("order_id", flat=True)) == sorted(o.pk for o in orders)
    assert_only_placed_orders_saved(store, products, orders)
    assert event_counts(store)["coupon.used_up"] == 1


def test_one_phone_in_ten_racing_checkouts_uses_a_once_per_phone_code_once(concurrent_db, store):
    lamp = make_product(store, "Brass lamp", "500.00", stock=STOCK)
    coupon = make_coupon(store, code="save10", per_phone_limit=1)
    same = buyer(1)

    results = race(10, lambda i: checkout(store, lamp, same, f"tab-{i}"))

    orders = [result for result in results if isinstance(result, Order)]
    assert len(orders) == 1 and orders[0].coupon_code == "SAVE10"
    assert Counter(refusal(result) for result in results if not isinstance(result, Order)) == {
        "You have already used this code. Remove the code to place the order without it.": 9
    }
    assert Coupon.objects.get(pk=coupon.pk).used_count == 1
    assert CouponPhoneUses.objects.get(coupon=coupon).count == 1
    assert_only_placed_orders_saved(store, [lamp], orders)
