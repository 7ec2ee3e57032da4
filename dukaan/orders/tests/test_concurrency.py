"""Many buyers at once: stock is never oversold, order numbers never skip or repeat, a key orders once.

The threads really race: a barrier releases them together, each on its own connection. SQLite
queues writers (BEGIN IMMEDIATE + busy timeout, see `concurrent_db`); PostgreSQL locks rows.
"""

import time
from collections import Counter

import pytest

from dukaan.catalog.models import Product
from dukaan.conftest import race
from dukaan.orders.models import Order, OrderLine
from dukaan.orders.services import CheckoutRefused, change_order_status, place_order

from .conftest import BUYER, event_counts, line, make_product

pytestmark = pytest.mark.django_db(transaction=True)

BUYERS = 20


@pytest.fixture(autouse=True)
def no_phone_limit(settings):
    """The racing buyers share one phone number; the hourly order limits are tested in test_limits.py."""
    settings.ORDER_MAX_PER_PHONE_PER_STORE_PER_HOUR = 0


def assert_sold_exactly(store, results, stock_left, stock_at_start=5):
    orders = [result for result in results if isinstance(result, Order)]
    refused = [result for result in results if isinstance(result, CheckoutRefused)]
    assert len(orders) + len(refused) == len(results), [r for r in results if not isinstance(r, Order)]
    for refusal in refused:
        assert "left of" in str(refusal) or "sold out" in str(refusal), str(refusal)
    sold = sum(line.quantity for line in OrderLine.objects.filter(order__store=store))
    assert sold == stock_at_start
    assert stock_left() == 0
    numbers = sorted(Order.objects.filter(store=store).values_list("number", flat=True))
    assert numbers == list(range(1, len(orders) + 1))
    store.refresh_from_db()
    assert store.order_counter == len(orders)
    counts = event_counts(store)
    assert counts["order.placed"] == len(orders) and counts["stock.changed"] == len(orders)
    return orders


def race_for(store, product, quantities, variant=None):
    def buy(index: int):
        return place_order(
            store=store,
            lines=[line(product, variant, quantity=quantities[index])],
            buyer=BUYER,
            payment_method="cod",
            idempotency_key=f"buyer-{index}",
        )

    started = time.perf_counter()
    results = race(len(quantities), buy)
    print(f"\n{len(quantities)} racing checkouts took {time.perf_counter() - started:.2f} s")
    return results


def test_twenty_buyers_racing_for_five_units_of_a_product_buy_exactly_five(concurrent_db, store):
    lamp = make_product(store, "Brass lamp", "250.00", stock=5)
    results = race_for(store, lamp, [1] * BUYERS)
    orders = assert_sold_exactly(store, results, lambda: Product.objects.get(pk=lamp.pk).stock)
    assert len(orders) == 5
    lamp.refresh_from_db()
    assert lamp.version == 1 + 5  # one version per stock change


def test_twenty_buyers_racing_for_five_units_of_a_variant_buy_exactly_five(concurrent_db, product):
    medium = product.variants.get(options={"Size": "M"})
    results = race_for(product.store, product, [1] * BUYERS, variant=medium)
    orders = assert_sold_exactly(product.store, results, lambda: product.variants.get(pk=medium.pk).stock)
    assert len(orders) == 5
    product.refresh_from_db()
    assert product.stock == 10  # the product's own count is not the variant's
    assert product.variants.get(options={"Size": "L"}).stock == 5


def test_buyers_racing_with_mixed_quantities_never_oversell(concurrent_db, store):
    lamp = make_product(store, "Brass lamp", "250.00", stock=5)
    quantities = [1 + index % 3 for index in range(BUYERS)]  # seven buyers of 1 always empty the stock
    results = race_for(store, lamp, quantities)
    assert_sold_exactly(store, results, lambda: Product.objects.get(pk=lamp.pk).stock)


def test_unlimited_stock_sells_to_every_racing_buyer_with_gapless_numbers(concurrent_db, store):
    tea = make_product(store, "Masala chai", "120.00", stock=None)
    results = race_for(store, tea, [1] * BUYERS)
    assert all(isinstance(result, Order) for result in results), results
    assert sorted(order.number for order in results) == list(range(1, BUYERS + 1))
    assert Product.objects.get(pk=tea.pk).stock is None
    assert event_counts(store)["stock.changed"] == 0


@pytest.mark.parametrize("stock", [1, None])
def test_two_submits_with_one_key_at_once_place_one_order_and_both_get_it(concurrent_db, store, stock):
    lamp = make_product(store, "Brass lamp", "250.00", stock=stock)

    def submit(index: int):
        return place_order(
            store=store, lines=[line(lamp)], buyer=BUYER, payment_method="cod", idempotency_key="same-key"
        )

    results = race(8, submit)
    assert all(isinstance(result, Order) for result in results), results
    assert len({result.pk for result in results}) == 1
    assert Order.objects.count() == 1 and results[0].number == 1
    assert Product.objects.get(pk=lamp.pk).stock == (0 if stock else None)
    assert event_counts(store)["order.placed"] == 1


def test_two_clicks_on_accept_at_once_apply_once(concurrent_db, product):
    placed = place_order(
        store=product.store,
        lines=[line(product, product.variants.first())],
        buyer=BUYER,
        payment_method="cod",
        idempotency_key="k",
    )
    results = race(2, lambda index: change_order_status(order=placed, status="accepted"))
    outcomes = Counter(type(result).__name__ for result in results)
    assert outcomes == {"Order": 1, "IllegalTransition": 1}, results
    assert event_counts(product.store)["order.accepted"] == 1
