"""Paying by UPI: a link with an amount no other open order asks for, and a reference in its note."""

from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest

from dukaan.conftest import change_store
from dukaan.orders.models import Order
from dukaan.orders.payments import upi_link
from dukaan.orders.services import change_order_status, lock_order, record_money

from .conftest import line, make_product, order

pytestmark = pytest.mark.django_db


def _params(link: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(link).query).items()}


def test_the_upi_link_asks_for_the_upi_amount_with_the_reference_in_its_note(store):
    change_store(store, name="Asha's Kurta & Co", upi_id="asha@okaxis")
    lamp = make_product(store, "Brass lamp", "1299.50")
    placed = order(store, [line(lamp)], payment_method="upi")
    link = upi_link(placed)
    assert link.startswith("upi://pay?pa=asha@okaxis&pn=Asha%27s%20Kurta%20%26%20Co&am=1299.50&cu=INR&tn=")
    assert _params(link)["tn"] == f"Order 1 ref {placed.pay_reference}"
    assert len(placed.pay_reference) == 8 and not set(placed.pay_reference) & set("01IO")


def test_open_upi_orders_of_the_same_total_ask_for_different_amounts(store):
    change_store(store, upi_id="asha@okaxis")
    lamp = make_product(store, "Brass lamp", "549.00")
    first, second, third = (order(store, [line(lamp)], key=f"k{n}", payment_method="upi") for n in range(3))
    assert [first.upi_amount, second.upi_amount, third.upi_amount] == [
        Decimal("549.00"),
        Decimal("549.01"),
        Decimal("549.02"),
    ]
    assert _params(upi_link(second))["am"] == "549.01"
    # Once an order is paid or cancelled its amount is free again.
    with_lock = lock_order(store_id=store.pk, order_id=first.pk)
    record_money(order=with_lock, paid=first.upi_amount)
    change_order_status(order=second, status="cancelled")
    fourth = order(store, [line(lamp)], key="k4", payment_method="upi")
    assert fourth.upi_amount == Decimal("549.00")
    fifth = order(store, [line(lamp)], key="k5", payment_method="upi")
    assert fifth.upi_amount == Decimal("549.01")


def test_cash_on_delivery_asks_for_nothing_by_upi(store):
    placed = order(store, [line(make_product(store, "Lamp", "100"))], payment_method="cod")
    assert placed.upi_amount is None and placed.pay_reference


def test_there_is_no_upi_link_without_a_upi_id(store):
    with pytest.raises(ValueError, match="no UPI ID"):
        upi_link(Order(store=store, number=1, total=Decimal("1.00"), currency="INR"))


def test_the_payment_status_follows_the_money(store):
    placed = order(store, [line(make_product(store, "Lamp", "100"))], payment_method="cod")
    locked = lock_order(store_id=store.pk, order_id=placed.pk)
    assert record_money(order=locked, paid=Decimal("40")).payment_status == "partly_paid"
    assert record_money(order=locked, paid=Decimal("60")).payment_status == "paid"
    assert record_money(order=locked, refunded=Decimal("30")).payment_status == "paid"
    assert record_money(order=locked, refunded=Decimal("70")).payment_status == "refunded"
    with pytest.raises(ValueError):
        record_money(order=locked, refunded=Decimal("1"))
    placed.refresh_from_db()
    assert (placed.amount_paid, placed.amount_refunded) == (Decimal("100"), Decimal("100"))
