"""Reading orders and carts: a quote in fixed queries, a buyer's order, a store's list, today's sums."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from dukaan.catalog import services as catalog
from dukaan.conftest import png_upload
from dukaan.orders.models import Order
from dukaan.orders.selectors import order_for_buyer, quote_cart, store_orders
from dukaan.orders.services import CartLine, change_order_status

from .conftest import line, make_product, order

pytestmark = pytest.mark.django_db

# Products, their variants, their images, then the store's delivery settings, tax settings and live
# offers: whatever the cart's size (a GST-registered store adds its rates: test_pricing.py).
QUOTE_QUERIES = 6


@pytest.fixture
def shelf(store):
    """Twenty products, every other one with two variants, each with an image."""
    products = []
    for index in range(20):
        variants = []
        if index % 2:
            variants = [
                catalog.VariantInput(options={"Size": size}, price=Decimal("100.00") + index, stock=5)
                for size in ("S", "M")
            ]
        products.append(
            make_product(
                store,
                f"Item {index}",
                f"{100 + index}.00",
                stock=9,
                variants=variants,
                new_images=[png_upload()],
            )
        )
    return products


def cart_of(products):
    return [line(product, product.variants.first()) for product in products]


def quote_queries(store, lines) -> int:
    with CaptureQueriesContext(connection) as queries:
        quote = quote_cart(store=store, lines=lines)
    assert quote.ok, quote.problems
    assert len(quote.lines) == len(lines) and all(quoted.image_url for quoted in quote.lines)
    return len(queries)


def test_a_quote_costs_the_same_queries_for_two_lines_and_twenty(store, shelf):
    # given two carts, one ten times the other
    small, large = cart_of(shelf[:2]), cart_of(shelf)
    # when each is quoted / then both stay within the same fixed budget
    assert quote_queries(store, small) == quote_queries(store, large) == QUOTE_QUERIES


def test_an_empty_cart_costs_no_query(store, django_assert_num_queries):
    with django_assert_num_queries(0):
        quote = quote_cart(store=store, lines=[])
    assert quote.lines == [] and quote.total == Decimal("0.00") and quote.ok


def test_a_quote_prices_each_line_and_totals_exactly(store, product):
    medium = product.variants.get(options={"Size": "M"})
    sweets = make_product(store, "Kaju katli", "33.33")
    quote = quote_cart(store=store, lines=[line(product, medium, quantity=2), line(sweets, quantity=3)])
    assert quote.ok and quote.currency == "INR"
    assert quote.total == Decimal("1097.99")
    kurta, katli = quote.lines
    assert (kurta.name, kurta.variant_label, kurta.unit_price, kurta.line_total, kurta.available) == (
        "Cotton kurta",
        "M",
        Decimal("499.00"),
        Decimal("998.00"),
        5,
    )
    assert kurta.image_url.endswith(".webp")
    assert (katli.line_total, katli.available, katli.image_url, katli.variant_id) == (
        Decimal("99.99"),
        None,
        "",
        None,
    )


def test_a_quote_names_moved_prices_and_lines_that_cannot_be_ordered(store, product):
    medium = product.variants.get(options={"Size": "M"})
    lamp = make_product(store, "Brass lamp", "250.00", stock=0)
    quote = quote_cart(
        store=store,
        lines=[
            line(product, medium, seen_price=Decimal("450.00")),
            line(lamp),
            CartLine(product_id=10**9, variant_id=None, quantity=1),
        ],
    )
    assert not quote.ok
    assert quote.price_changes == ["Cotton kurta (M) is now ₹499, was ₹450."]
    assert quote.problems == [
        "An item in your cart is no longer sold in this store. Remove it to continue.",
        "Brass lamp is sold out. Remove it to continue.",
    ]
    assert [quoted.name for quoted in quote.lines] == ["Cotton kurta", "Brass lamp"]
    assert quote.lines[1].available == 0


def test_a_quote_without_seen_prices_has_no_price_changes(store, product):
    medium = product.variants.first()
    quote = quote_cart(store=store, lines=[CartLine(product_id=product.pk, variant_id=medium.pk, quantity=1)])
    assert quote.ok


def test_a_buyer_finds_their_order_by_its_token_with_lines_and_store_loaded(store, product):
    placed = order(store, [line(product, product.variants.first(), quantity=2)])
    found = order_for_buyer(token=placed.public_token)
    with CaptureQueriesContext(connection) as queries:
        assert found.pk == placed.pk and found.store.name == store.name
        assert [saved.quantity for saved in found.lines.all()] == [2]
    assert len(queries) == 0
    assert order_for_buyer(token="not-a-token") is None
    assert order_for_buyer(token="") is None


def test_store_orders_filters_by_status_and_local_day_and_keeps_stores_apart(store, other_store, product):
    medium = product.variants.first()
    old, new = order(store, [line(product, medium)], key="a"), order(store, [line(product, medium)], key="b")
    theirs = order(other_store, [line(make_product(other_store, "Clay pot", "90.00"))], key="a")
    Order.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=3))
    change_order_status(order=new, status="accepted")
    assert [o.pk for o in store_orders(store=store)] == [new.pk, old.pk]
    assert [o.pk for o in store_orders(store=store, status="accepted")] == [new.pk]
    assert [o.pk for o in store_orders(store=store, day=timezone.localdate())] == [new.pk]
    three_days_ago = timezone.localdate() - timedelta(days=3)
    assert [o.pk for o in store_orders(store=store, day=three_days_ago)] == [old.pk]
    assert theirs.pk not in {o.pk for o in store_orders(store=store)}
