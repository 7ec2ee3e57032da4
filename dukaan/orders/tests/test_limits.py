"""Hourly limits on placing orders: per client address, and per buyer phone in one store."""

import pytest

from dukaan.orders.models import Order
from dukaan.orders.services import Buyer, OrderLimited, place_order

from .conftest import BUYER, line, make_product

pytestmark = pytest.mark.django_db


def buyer(number: int) -> Buyer:
    return Buyer(**{**BUYER.__dict__, "phone": f"98123 001{number:02d}"})


def place(store, product, key: str, who: Buyer = BUYER, client: str | None = None) -> Order:
    return place_order(
        store=store,
        lines=[line(product)],
        buyer=who,
        payment_method="cod",
        idempotency_key=key,
        client=client,
    )


def test_one_phone_may_place_only_so_many_orders_an_hour_in_one_store(store, other_store, settings):
    settings.ORDER_MAX_PER_PHONE_PER_STORE_PER_HOUR = 2
    mine, theirs = make_product(store, "Brass lamp", "300.00"), make_product(other_store, "Jar", "90.00")
    place(store, mine, "k1")
    place(store, mine, "k2")

    with pytest.raises(OrderLimited) as limited:
        place(store, mine, "k3")

    assert "several orders with this mobile number at Store asha-store in the last hour" in str(limited.value)
    assert "Please try again in" in str(limited.value)
    assert 0 < limited.value.retry_after_seconds <= 3600
    assert Order.objects.filter(store=store).count() == 2
    # Another buyer in this store, and this buyer in another store, are not held back.
    place(store, mine, "k4", who=buyer(1))
    place(other_store, theirs, "k1")


def test_one_address_may_place_only_so_many_orders_an_hour_whatever_the_phones(store, settings):
    settings.ORDER_MAX_PER_ADDRESS_PER_HOUR = 3
    product = make_product(store, "Brass lamp", "300.00")
    for number in range(3):
        place(store, product, f"k{number}", who=buyer(number), client="203.0.113.7")

    with pytest.raises(OrderLimited) as limited:
        place(store, product, "k9", who=buyer(9), client="203.0.113.7")

    assert "Too many orders have come from your network in the last hour" in str(limited.value)
    assert Order.objects.count() == 3
    place(store, product, "k10", who=buyer(10), client="198.51.100.4")


def test_a_retry_of_a_placed_order_and_a_refused_form_count_against_no_limit(store, settings):
    settings.ORDER_MAX_PER_PHONE_PER_STORE_PER_HOUR = 1
    product = make_product(store, "Brass lamp", "300.00")
    first = place(store, product, "k1")
    for _ in range(3):
        assert place(store, product, "k1") == first

    settings.ORDER_MAX_PER_PHONE_PER_STORE_PER_HOUR = 2
    with pytest.raises(Exception, match="A PIN code is 6 digits"):
        place(store, product, "k2", who=Buyer(**{**BUYER.__dict__, "pin_code": "1"}))
    place(store, product, "k3")


def test_a_limit_of_zero_is_off(store, settings):
    settings.ORDER_MAX_PER_PHONE_PER_STORE_PER_HOUR = 0
    settings.ORDER_MAX_PER_ADDRESS_PER_HOUR = 0
    product = make_product(store, "Brass lamp", "300.00")
    for number in range(8):
        place(store, product, f"k{number}", client="127.0.0.1")
    assert Order.objects.count() == 8
