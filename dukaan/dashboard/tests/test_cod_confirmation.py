"""The order page tells the shopkeeper a COD order awaits the buyer's confirmation, and lets them confirm."""

import html
from dataclasses import replace
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils.timezone import localtime

from dukaan.catalog import services as catalog
from dukaan.conftest import change_store
from dukaan.orders.models import Order
from dukaan.orders.services import Buyer, CartLine, place_order
from dukaan.shipping.rules import DEFAULT_SETUP
from dukaan.shipping.services import save_delivery_settings

pytestmark = pytest.mark.django_db

BUYER = Buyer(name="Ravi Kumar", phone="98123 00001", address="14 MG Road, Bengaluru", pin_code="560038")


def placed_cod(store, *, advance: str = "0") -> Order:
    save_delivery_settings(
        store=store, setup=replace(DEFAULT_SETUP, cod_confirm_hours=12, cod_advance=Decimal(advance))
    )
    lamp = catalog.create_product(store=store, name="Lamp", price=Decimal("300"), stock=3)
    line = CartLine(product_id=lamp.pk, variant_id=None, quantity=1, seen_price=lamp.price)
    return place_order(store=store, lines=[line], buyer=BUYER, payment_method="cod", idempotency_key="k")


def detail(me, order) -> str:
    return html.unescape(me.get(reverse("dashboard:order_detail", args=[order.number])).content.decode())


def test_the_order_page_shows_the_deadline_and_the_shop_confirms_for_the_buyer(me, store):
    order = placed_cod(store)

    page = detail(me, order)
    assert f"Awaiting the buyer's confirmation until {localtime(order.confirm_by):%-d %b, %H:%M}" in page
    assert "Confirm for the buyer" in page

    response = me.post(
        reverse("dashboard:order_detail", args=[order.number]), {"status": "placed"}, follow=True
    )

    assert "Order #1 is now placed." in html.unescape(response.content.decode())
    order.refresh_from_db()
    assert (order.status, order.confirmed_at is not None) == ("placed", True)
    assert "Confirmed " in detail(me, order)


def test_a_part_prepaid_order_shows_the_advance_asked(me, store):
    change_store(store, upi_id="asha@okaxis")
    order = placed_cod(store, advance="99")

    page = detail(me, order)

    assert "Confirmed when the buyer pays the advance of ₹99 by UPI (₹99, note" in page
    assert order.pay_reference in page
