"""The buyer confirms a COD order on its status page; the page says clearly when it cannot."""

import html
from dataclasses import replace
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils.timezone import localtime

from dukaan.conftest import change_store
from dukaan.events.jobs import run_due_jobs
from dukaan.orders.models import Order
from dukaan.orders.services import Buyer, CartLine, place_order
from dukaan.shipping.rules import DEFAULT_SETUP
from dukaan.shipping.services import save_delivery_settings

pytestmark = pytest.mark.django_db

BUYER = Buyer(name="Ravi Kumar", phone="98123 00001", address="14 MG Road, Bengaluru", pin_code="560038")


def placed_cod(store, simple_product, *, advance: str = "0", key: str = "k") -> Order:
    save_delivery_settings(
        store=store, setup=replace(DEFAULT_SETUP, cod_confirm_hours=24, cod_advance=Decimal(advance))
    )
    line = CartLine(
        product_id=simple_product.pk, variant_id=None, quantity=1, seen_price=simple_product.price
    )
    return place_order(store=store, lines=[line], buyer=BUYER, payment_method="cod", idempotency_key=key)


def page_of(client, order) -> str:
    return html.unescape(
        client.get(reverse("storefront:order", args=[order.store.slug, order.public_token])).content.decode()
    )


def confirm(client, order):
    return client.post(
        reverse("storefront:order_confirm", args=[order.store.slug, order.public_token]), follow=True
    )


def test_the_buyer_confirms_with_the_button_on_their_order_page(client, store, simple_product):
    order = placed_cod(store, simple_product)

    page = page_of(client, order)
    assert "Confirm your order" in page and 'id="confirm-order"' in page
    assert f"Confirm by {localtime(order.confirm_by):%-d %b}" in page

    page = html.unescape(confirm(client, order).content.decode())

    assert "Thank you! Order #1 is confirmed" in page
    assert 'id="confirm-order"' not in page
    order.refresh_from_db()
    assert order.status == "placed"


def test_confirming_twice_or_after_the_time_ran_out_says_so(client, store, simple_product):
    order = placed_cod(store, simple_product)
    confirm(client, order)
    assert "Order #1 is already confirmed." in html.unescape(confirm(client, order).content.decode())

    late = placed_cod(store, simple_product, key="k2")
    run_due_jobs(now=late.confirm_by)
    page = html.unescape(confirm(client, late).content.decode())
    assert "Order #2 was cancelled, so it can no longer be confirmed." in page
    late.refresh_from_db()
    assert late.status == "cancelled"


def test_a_part_prepaid_order_asks_for_the_advance_by_upi_instead_of_a_button(client, store, simple_product):
    change_store(store, upi_id="asha@okaxis")
    order = placed_cod(store, simple_product, advance="50")

    page = page_of(client, order)

    assert "Pay ₹50 now to confirm" in page and "you pay the rest on delivery" in page
    assert "upi://pay?pa=asha@okaxis" in page and "am=50.00" in page
    assert f"the note “{order.pay_reference}”" in page
    assert 'id="confirm-order"' not in page
    assert "Pay the advance of ₹50 by UPI" in html.unescape(confirm(client, order).content.decode())


def test_the_confirmation_needs_the_csrf_token_and_a_real_order_link(store, simple_product):
    order = placed_cod(store, simple_product)
    forger = Client(enforce_csrf_checks=True)
    url = reverse("storefront:order_confirm", args=[store.slug, order.public_token])

    assert forger.post(url).status_code == 403
    assert Client().get(url).status_code == 405
    wrong = reverse("storefront:order_confirm", args=[store.slug, "not-a-token"])
    assert Client().post(wrong).status_code == 404
    order.refresh_from_db()
    assert order.status == "unconfirmed"


def test_an_order_placed_without_confirmation_shows_no_button(client, store, simple_product):
    line = CartLine(
        product_id=simple_product.pk, variant_id=None, quantity=1, seen_price=simple_product.price
    )
    order = place_order(store=store, lines=[line], buyer=BUYER, payment_method="cod", idempotency_key="k")

    assert 'id="cod-confirm"' not in page_of(client, order)
