"""The API's quote is the order: a registered shop with GST rates, a delivery zone, a COD fee, a coupon
and an offer, quoted over POST /cart/quote and then ordered through the API and the web checkout.

The shop (Karnataka, prices include GST): kurtas ₹1,050 (Clothes, 5 %), earphones ₹1,180 (18 %),
socks ₹100 (Clothes, 5 %, buy 2 get 1 free); KURTA10 takes 10 % off clothes and stacks with offers;
delivery ₹40 in Bengaluru (PIN 56…), ₹80 elsewhere, nothing to 7…; cash on delivery ₹30.
"""

import html
import itertools
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import hypothesis
import pytest
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given
from hypothesis import strategies as st

from dukaan.catalog import services as catalog
from dukaan.catalog.models import Category, Product, Store
from dukaan.conftest import change_store
from dukaan.orders.models import Order
from dukaan.orders.services import change_order_status
from dukaan.promotions.models import Coupon, CouponUse, Offer
from dukaan.promotions.services import set_offer_active
from dukaan.promotions.tests.helpers import make_coupon, make_offer
from dukaan.shipping.rules import DeliverySetup, ZoneSetup
from dukaan.shipping.services import save_delivery_settings
from dukaan.storefront.tests.conftest import add_to_cart
from dukaan.taxes.services import save_tax_settings, set_tax_rate

from .conftest import BUYER, problem, simple_product

pytestmark = pytest.mark.django_db

D = Decimal
RATES_FROM = date(2025, 9, 22)
# The money an order stores, as the quote and the order both show it.
MONEY = ["subtotal", "discount_total", "cgst", "sgst", "igst", "total", "coupon_code"]
CHARGE = ["kind", "amount", "hsn_code", "gst_rate", "taxable_value", "cgst", "sgst", "igst", "gross"]
LINE_TAX = ["hsn_code", "gst_rate", "discount", "taxable_value", "cgst", "sgst", "igst"]


@pytest.fixture(autouse=True)
def no_address_limit(settings):
    """Every order here comes from the test client's one address; test_limits.py tests the limit."""
    settings.ORDER_MAX_PER_ADDRESS_PER_HOUR = 0


@dataclass
class Shop:
    store: Store
    clothes: Category
    kurta: Product
    earphones: Product
    socks: Product
    coupon: Coupon
    offer: Offer


def register_for_gst(store: Store, *, prices_include_tax: bool) -> None:
    save_tax_settings(
        store=store,
        gstin="29ABCDE1234F1ZW",
        state_code="29",
        prices_include_tax=prices_include_tax,
        legal_name="Asha Stores",
        address="12 MG Road, Bengaluru",
    )


@pytest.fixture
def shop(store) -> Shop:
    clothes = catalog.create_category(store=store, name="Clothes")
    electronics = catalog.create_category(store=store, name="Electronics")
    kurta = simple_product(store, name="Cotton kurta", price="1050.00", stock=500, category=clothes)
    earphones = simple_product(store, name="Earphones", price="1180.00", stock=500, category=electronics)
    socks = simple_product(store, name="Cotton socks", price="100.00", stock=None, category=clothes)
    register_for_gst(store, prices_include_tax=True)
    set_tax_rate(store=store, category=clothes, hsn_code="6109", rate=D("5"), valid_from=RATES_FROM)
    set_tax_rate(store=store, product=earphones, hsn_code="8518", rate=D("18"), valid_from=RATES_FROM)
    save_delivery_settings(
        store=store,
        setup=DeliverySetup(
            flat_fee=D("80"),
            free_above=None,
            cod_enabled=True,
            cod_fee=D("30"),
            cod_max_order=None,
            blocked="7",
            zones=(ZoneSetup(name="Bengaluru", pins="56", fee=D("40")),),
        ),
    )
    coupon = make_coupon(
        store, code="kurta10", category_ids=frozenset({clothes.pk}), combines_with_offers=True, max_uses=1000
    )
    offer = make_offer(
        store,
        name="Socks",
        kind="buy_get",
        percent=None,
        min_order=None,
        buy=2,
        get=1,
        product_ids=frozenset({socks.pk}),
    )
    return Shop(store, clothes, kurta, earphones, socks, coupon, offer)


def cart(shop: Shop, kurtas: int = 2, earphones: int = 1, socks: int = 3) -> list[dict]:
    wanted = [(shop.kurta, kurtas), (shop.earphones, earphones), (shop.socks, socks)]
    return [
        {"product_id": product.pk, "quantity": quantity, "seen_price": str(product.price)}
        for product, quantity in wanted
        if quantity
    ]


def get_quote(anon, shop: Shop, lines, *, pin_code="560038", coupon_code="KURTA10", payment_method="cod"):
    body = {
        "lines": lines,
        "pin_code": pin_code,
        "coupon_code": coupon_code,
        "payment_method": payment_method,
    }
    response = anon.post(f"/stores/{shop.store.slug}/cart/quote", body)
    assert response.status_code == 200, response.content
    return response.json()


keys = itertools.count(1)


def place(
    anon,
    shop: Shop,
    lines,
    *,
    expected_total,
    pin_code="560038",
    coupon_code="KURTA10",
    phone=None,
    payment_method="cod",
):
    body = {
        "lines": lines,
        "buyer": {**BUYER, "pin_code": pin_code, **({"phone": phone} if phone else {})},
        "payment_method": payment_method,
        "coupon_code": coupon_code,
        "expected_total": expected_total,
    }
    key = f"quote-{next(keys)}"
    return anon.post(f"/stores/{shop.store.slug}/orders", body, headers={"Idempotency-Key": key})


def assert_order_is_the_quote(order: dict, quote: dict) -> None:
    """Field by field: the order's stored money is the quote's."""
    assert {name: order[name] for name in MONEY} == {name: quote[name] for name in MONEY}
    fees = {charge["kind"]: charge["gross"] for charge in quote["charges"]}
    assert order["delivery_fee"] == fees.get("delivery", "0.00")
    assert order["cod_fee"] == fees.get("cod", "0.00")
    assert [{name: c[name] for name in CHARGE} for c in order["charges"]] == [
        {name: c[name] for name in CHARGE} for c in quote["charges"]
    ]
    assert order["discounts"] == quote["discounts"]
    assert [(line["product_id"], line["quantity"], line["line_total"]) for line in order["lines"]] == [
        (line["product_id"], line["quantity"], line["line_total"]) for line in quote["lines"]
    ]


def assert_lines_taxed_as_quoted(placed: dict, quote: dict) -> None:
    """Each stored line's discount and GST is its line's in the quote, and adds up to what it charges."""
    assert [{name: line[name] for name in LINE_TAX} for line in placed["lines"]] == [
        {name: line[name] for name in LINE_TAX} for line in quote["lines"]
    ]
    for line in placed["lines"]:
        taxed = sum(D(line[name]) for name in ("taxable_value", "cgst", "sgst", "igst"))
        assert taxed == D(line["line_total"]) - D(line["discount"])  # prices include GST here


def test_a_quote_in_bengaluru_shows_each_discount_fee_and_gst_as_worked_by_hand(anon, shop):
    quote = get_quote(anon, shop, cart(shop))

    assert quote["ok"] is True and quote["problems"] == []
    assert quote["subtotal"] == "3580.00"  # 2 × 1,050 + 1,180 + 3 × 100
    # One pair of socks free (100); then 10 % of the clothes left, 2,100 + 200: 230.
    assert [(d["source"], d["label"], d["amount"]) for d in quote["discounts"]] == [
        ("offer", "Socks (buy 2 get 1 free)", "100.00"),
        ("coupon", "KURTA10", "230.00"),
    ]
    assert quote["coupon_code"] == "KURTA10" and quote["coupon_note"] == ""
    assert quote["delivery"] == {
        "pin_code": "560038",
        "deliverable": True,
        "fee": "40.00",
        "zone": "Bengaluru",
        "waived": False,
    }
    assert [(c["kind"], c["gross"], c["gst_rate"]) for c in quote["charges"]] == [
        ("delivery", "40.00", "5.00"),  # at the kurtas' rate, the largest line
        ("cod", "30.00", "5.00"),
    ]
    assert quote["igst"] == "0.00" and quote["cgst"] == quote["sgst"]
    assert quote["total"] == "3320.00"  # 3,580 − 330 + 40 + 30


@pytest.mark.parametrize(
    "pin_code, coupon_code",
    [("560038", "KURTA10"), ("400001", "kurta10 "), ("560038", "")],
    ids=["bengaluru-with-code", "mumbai-igst-code-as-typed", "no-code"],
)
def test_the_order_stores_exactly_what_the_api_quoted(anon, shop, pin_code, coupon_code):
    lines = cart(shop)
    quote = get_quote(anon, shop, lines, pin_code=pin_code, coupon_code=coupon_code)

    response = place(
        anon, shop, lines, expected_total=quote["total"], pin_code=pin_code, coupon_code=coupon_code
    )

    assert response.status_code == 201, response.content
    placed = response.json()
    assert_order_is_the_quote(placed, quote)
    order = Order.objects.get(number=placed["number"], store=shop.store)
    assert str(order.total) == quote["total"] and order.pin_code == pin_code
    assert order.delivery_state == ("29" if pin_code.startswith("56") else "27")
    assert (order.igst > 0) == (pin_code == "400001")
    assert_lines_taxed_as_quoted(placed, quote)


def test_one_product_sent_as_two_lines_is_priced_and_stored_as_two_lines(anon, shop):
    lines = cart(shop, earphones=0, socks=0) * 2  # the API takes what a client sends, repeats included

    quote = get_quote(anon, shop, lines)
    response = place(anon, shop, lines, expected_total=quote["total"])

    assert response.status_code == 201, response.content
    placed = response.json()
    assert quote["subtotal"] == "4200.00" and [line["quantity"] for line in placed["lines"]] == [2, 2]
    assert_order_is_the_quote(placed, quote)
    assert_lines_taxed_as_quoted(placed, quote)


def test_the_web_checkout_places_what_the_api_quotes(anon, shop, client: Client):
    for product, quantity in [(shop.kurta, 2), (shop.earphones, 1), (shop.socks, 3)]:
        add_to_cart(client, product, quantity=quantity)
    slug = shop.store.slug
    client.post(reverse("storefront:cart_pin", args=[slug]), {"pin_code": "560038", "next": "checkout"})
    client.post(reverse("storefront:cart_coupon", args=[slug]), {"code": "kurta10", "next": "checkout"})
    page = html.unescape(client.get(reverse("storefront:checkout", args=[slug])).content.decode())
    shown = dict(re.findall(r'name="(seen_total_cod|idempotency_key|pin_code)" value="([^"]*)"', page))
    quote = get_quote(anon, shop, cart(shop))
    assert shown["seen_total_cod"] == quote["total"] == "3320.00"
    assert "₹3,320" in page

    response = client.post(
        reverse("storefront:checkout", args=[slug]),
        {**BUYER, "payment_method": "cod", **shown},
    )

    assert response.status_code == 302, response.content
    order = Order.objects.get(store=shop.store)
    token = response["Location"].rstrip("/").rsplit("/", 1)[-1]
    placed = anon.get(f"/stores/{slug}/orders/{token}").json()
    assert placed["number"] == order.number
    assert_order_is_the_quote(placed, quote)


def test_a_total_that_changed_since_the_quote_is_a_409_with_the_new_quote(anon, shop):
    lines = cart(shop)
    quote = get_quote(anon, shop, lines)
    set_offer_active(offer=shop.offer, active=False)  # the socks offer ends meanwhile

    refused = problem(place(anon, shop, lines, expected_total=quote["total"]), 409)

    assert refused["type"] == "/api/problems/prices-changed"
    # Without the offer: 10 % of 2,100 + 300 = 240 off, so 3,580 − 240 + 70.
    assert refused["quote"]["total"] == "3410.00"
    assert refused["messages"] == [
        "Your total is now ₹3,410, not ₹3,320. Check it and place the order again."
    ]
    assert refused["quote"] == get_quote(anon, shop, lines)
    assert not Order.objects.exists()
    assert Coupon.objects.get(pk=shop.coupon.pk).used_count == 0
    placed = place(anon, shop, lines, expected_total=refused["quote"]["total"])
    assert placed.status_code == 201 and placed.json()["total"] == "3410.00"


def test_a_repriced_item_still_refuses_the_order_with_the_new_price(anon, shop):
    lines = cart(shop)
    quote = get_quote(anon, shop, lines)
    catalog.update_product(product=shop.kurta, price=D("1100.00"))

    refused = problem(place(anon, shop, lines, expected_total=quote["total"]), 409)

    assert refused["messages"] == ["Cotton kurta is now ₹1,100, was ₹1,050."]
    assert refused["quote"]["lines"][0]["unit_price"] == "1100.00"
    assert not Order.objects.exists()


def test_cancelling_an_order_gives_its_coupon_use_back(anon, shop):
    Coupon.objects.filter(pk=shop.coupon.pk).update(max_uses=1)
    lines = cart(shop)
    total = get_quote(anon, shop, lines)["total"]
    placed = place(anon, shop, lines, expected_total=total)
    assert placed.status_code == 201 and placed.json()["coupon_code"] == "KURTA10"
    used_up = get_quote(anon, shop, lines)
    assert (used_up["coupon_code"], used_up["coupon_note"]) == (
        "",
        "This code was used the maximum number of times.",
    )

    order = Order.objects.get(number=placed.json()["number"], store=shop.store)
    change_order_status(order=order, status=Order.Status.CANCELLED)

    assert Coupon.objects.get(pk=shop.coupon.pk).used_count == 0
    assert CouponUse.objects.get(order_id=order.pk).released_at is not None
    assert get_quote(anon, shop, lines)["total"] == total
    again = place(anon, shop, lines, expected_total=total, phone="98123 00002")
    assert again.status_code == 201 and again.json()["coupon_code"] == "KURTA10"


@hypothesis.settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    quantities=st.tuples(st.integers(0, 5), st.integers(0, 3), st.integers(0, 9)).filter(any),
    pin_code=st.sampled_from(["560038", "400001", "110001", "570001"]),
    coupon_code=st.sampled_from(["", "KURTA10"]),
    payment_method=st.sampled_from(["cod", "upi"]),
    prices_include_tax=st.booleans(),
)
def test_any_cart_is_ordered_at_its_quote(
    anon, shop, quantities, pin_code, coupon_code, payment_method, prices_include_tax
):
    change_store(shop.store, upi_id="asha@okaxis")
    register_for_gst(shop.store, prices_include_tax=prices_include_tax)
    lines = cart(shop, *quantities)
    choices = {"pin_code": pin_code, "coupon_code": coupon_code}
    quote = get_quote(anon, shop, lines, payment_method=payment_method, **choices)

    response = place(
        anon, shop, lines, expected_total=quote["total"], payment_method=payment_method, **choices
    )

    assert response.status_code == 201, response.content
    placed = response.json()
    assert_order_is_the_quote(placed, quote)
    assert placed["prices_include_tax"] is prices_include_tax


def test_a_code_that_does_not_apply_refuses_an_order_sent_without_its_total(anon, shop):
    # Nothing was quoted, so nobody saw a total: placing it at full price would surprise the buyer.
    response = place(anon, shop, cart(shop), expected_total=None, coupon_code="NOSUCH")

    assert response.status_code == 422
    assert "There is no code NOSUCH at this shop" in response.json()["detail"]
    assert "Remove the code" in response.json()["detail"]
    assert not Order.objects.filter(store=shop.store).exists()
