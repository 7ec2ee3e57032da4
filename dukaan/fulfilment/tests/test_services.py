"""Shipping an order with its courier and tracking, returns to origin, the buyer's record, COD blocks."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from dukaan.catalog.models import Product
from dukaan.conftest import change_store
from dukaan.events.models import OutboxEvent
from dukaan.fulfilment.models import Shipment
from dukaan.fulfilment.selectors import buyer_record
from dukaan.fulfilment.services import ship_order
from dukaan.orders.models import Order
from dukaan.orders.services import CheckoutRefused, IllegalTransition, change_order_status
from dukaan.orders.tests.conftest import BUYER, line, make_product, order
from dukaan.shipping.services import block_cod_phone, unblock_cod_phone

pytestmark = pytest.mark.django_db

PHONE = "+919812300001"  # BUYER's phone, as stored


@pytest.fixture
def kurta(store):
    return make_product(store, "Kurta", "499", stock=5)


def accepted(store, product, key="k-1", quantity=1):
    placed = order(store, [line(product, quantity=quantity)], key=key)
    return change_order_status(order=placed, status="accepted", by="shop")


def outbox(store, event_type):
    return list(OutboxEvent.objects.filter(aggregateid=str(store.pk), type=event_type))


def test_shipping_with_a_known_courier_builds_the_tracking_link_and_tells_the_buyer(store, kurta):
    placed = accepted(store, kurta)

    shipment = ship_order(
        store=store, order=placed, courier="delhivery", tracking_number=" 1234 5678 ", by="shop"
    )

    placed.refresh_from_db()
    assert placed.status == "shipped" and placed.shipped_at
    assert (shipment.courier_name, shipment.tracking_number) == ("Delhivery", "12345678")
    assert shipment.tracking_url == "https://www.delhivery.com/track/package/12345678"
    (event,) = outbox(store, "shipment.created")
    assert event.payload["data"]["courier"] == "Delhivery"
    assert event.payload["data"]["tracking_url"] == shipment.tracking_url
    assert event.payload["data"]["token"] == placed.public_token
    assert len(outbox(store, "order.shipped")) == 1


def test_a_pasted_tracking_link_wins_over_the_couriers_page(store, kurta):
    placed = accepted(store, kurta)
    link = "https://track.example.in/p/ABC123?lang=en"

    shipment = ship_order(
        store=store, order=placed, courier="dtdc", tracking_number="ABC123", tracking_url=link, by="shop"
    )

    assert shipment.tracking_url == link


def test_a_courier_without_a_tracking_page_ships_with_the_number_alone(store, kurta):
    shipment = ship_order(
        store=store,
        order=accepted(store, kurta),
        courier="india_post",
        tracking_number="EK123456789IN",
        by="shop",
    )
    assert (shipment.courier_name, shipment.tracking_url) == ("India Post / Speed Post", "")


@pytest.mark.parametrize(
    "fields, field, message",
    [
        ({"tracking_url": "javascript:alert(1)"}, "tracking_url", "must start with https:// or http://"),
        ({"tracking_url": "ftp://files.example.in/track"}, "tracking_url", "must start with https://"),
        ({"tracking_url": "https://example.in/" + "a" * 3000}, "tracking_url", "at most 500 characters"),
        ({"tracking_url": "https://"}, "tracking_url", "not a web address"),
        ({"courier": "pigeon"}, "courier", "Choose a courier from the list"),
        ({"courier": "other"}, "courier_name", "Type the name of the courier"),
        ({"tracking_number": "<script>"}, "tracking_number", "only letters, digits"),
        ({"tracking_number": "9" * 41}, "tracking_number", "at most 40 characters"),
    ],
)
def test_bad_shipping_details_are_refused_and_nothing_changes(store, kurta, fields, field, message):
    placed = accepted(store, kurta)
    events_before = OutboxEvent.objects.count()

    with pytest.raises(ValidationError) as refused:
        ship_order(
            store=store,
            order=placed,
            **{"courier": "delhivery", "tracking_number": "123", **fields},
            by="shop",
        )

    assert message in " ".join(refused.value.message_dict[field])
    placed.refresh_from_db()
    assert placed.status == "accepted" and not Shipment.objects.exists()
    assert OutboxEvent.objects.count() == events_before


def test_other_courier_ships_under_the_name_typed(store, kurta):
    shipment = ship_order(
        store=store,
        order=accepted(store, kurta),
        courier="other",
        courier_name="  Raju  Transport ",
        by="shop",
    )
    assert (shipment.courier, shipment.courier_name, shipment.tracking_url) == ("other", "Raju Transport", "")


def test_only_an_accepted_order_can_be_shipped_and_only_once(store, kurta):
    placed = order(store, [line(kurta)], key="not-accepted")
    with pytest.raises(IllegalTransition, match="mark it accepted first"):
        ship_order(store=store, order=placed, courier="delhivery", by="shop")
    placed = change_order_status(order=placed, status="accepted")
    ship_order(store=store, order=placed, courier="delhivery", by="shop")
    with pytest.raises(IllegalTransition, match="already shipped"):
        ship_order(store=store, order=placed, courier="blue_dart", by="shop")
    assert Shipment.objects.get().courier == "delhivery"


def test_delivered_and_returned_to_origin_count_on_the_buyers_phone_and_rto_restocks(store, kurta):
    delivered = accepted(store, kurta, key="k-1")
    ship_order(store=store, order=delivered, courier="delhivery", tracking_number="1", by="shop")
    change_order_status(order=delivered, status="delivered", by="shop")
    returned = accepted(store, kurta, key="k-2", quantity=2)
    ship_order(store=store, order=returned, courier="delhivery", tracking_number="2", by="shop")
    assert Product.objects.get(pk=kurta.pk).stock == 2

    change_order_status(order=returned, status="returned", by="shop")

    assert Product.objects.get(pk=kurta.pk).stock == 4
    change_order_status(order=order(store, [line(kurta)], key="k-3"), status="cancelled", by="shop")
    order(store, [line(kurta)], key="k-4")
    record = buyer_record(store_id=store.pk, phone=PHONE)
    assert (record.orders, record.delivered, record.returned, record.cancelled) == (4, 1, 1, 1)
    assert buyer_record(store_id=store.pk, phone="+919800000000").orders == 0


def test_the_buyer_record_is_one_query(store, kurta, django_assert_num_queries):
    order(store, [line(kurta)])
    with django_assert_num_queries(1):
        buyer_record(store_id=store.pk, phone=PHONE)


def test_a_blocked_phone_cannot_order_cash_on_delivery_but_can_pay_by_upi(store, kurta):
    change_store(store, upi_id="asha@okicici")
    block_cod_phone(store=store, phone="98123 00001", reason="Two parcels refused")

    with pytest.raises(CheckoutRefused) as refused:
        order(store, [line(kurta)], key="cod")
    assert refused.value.messages == [
        "This shop cannot take cash on delivery for this phone number. Pay by UPI or online."
    ]
    assert not Order.objects.exists() and Product.objects.get(pk=kurta.pk).stock == 5

    assert order(store, [line(kurta)], key="upi", payment_method="upi").payment_method == "upi"

    assert unblock_cod_phone(store=store, phone=PHONE) is True
    assert order(store, [line(kurta)], key="cod-again").payment_method == "cod"


def test_another_stores_block_has_no_effect(store, other_store, kurta):
    block_cod_phone(store=other_store, phone=BUYER.phone)
    assert order(store, [line(kurta)]).payment_method == "cod"


def test_blocking_twice_keeps_one_block_and_one_event(store):
    first = block_cod_phone(store=store, phone=PHONE, reason="RTO twice")
    again = block_cod_phone(store=store, phone="+91 98123 00001", reason="again")
    assert first.pk == again.pk and again.reason == "RTO twice"
    assert [e.payload["data"] for e in outbox(store, "cod_phone.blocked")] == [
        {"phone": PHONE, "reason": "RTO twice"}
    ]
    assert unblock_cod_phone(store=store, phone=PHONE) and not unblock_cod_phone(store=store, phone=PHONE)
    assert len(outbox(store, "cod_phone.unblocked")) == 1


@pytest.mark.parametrize(
    "phone, reason, field",
    [("12345", "", "phone"), (PHONE, "x" * 201, "reason"), (PHONE, "bad\u202eone", "reason")],
)
def test_a_bad_phone_or_reason_blocks_nothing(store, phone, reason, field):
    with pytest.raises(ValidationError) as refused:
        block_cod_phone(store=store, phone=phone, reason=reason)
    assert field in refused.value.message_dict
    assert not outbox(store, "cod_phone.blocked")


def test_money_is_untouched_by_shipping(store, kurta):
    placed = accepted(store, kurta)
    ship_order(store=store, order=placed, courier="delhivery", by="shop")
    placed.refresh_from_db()
    assert (placed.amount_paid, placed.payment_status) == (Decimal(0), "pending")
