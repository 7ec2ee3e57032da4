"""Shipping over the API: ship with courier and tracking, read the shipment, couriers, COD blocks."""

import pytest

from dukaan.events.models import OutboxEvent
from dukaan.fulfilment.models import Shipment
from dukaan.orders.models import Order
from dukaan.orders.services import change_order_status
from dukaan.shipping.models import CodBlockedPhone

from .conftest import make_order, problem, simple_product

pytestmark = pytest.mark.django_db


@pytest.fixture
def accepted(store):
    return change_order_status(order=make_order(store, simple_product(store)), status="accepted")


def test_shipping_an_order_returns_its_shipment_with_the_tracking_link(api, accepted):
    response = api.post(
        f"/orders/{accepted.pk}/shipment", {"courier": "ecom_express", "tracking_number": "EE 123"}
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["courier_name"] == "Ecom Express" and body["tracking_number"] == "EE123"
    assert body["tracking_url"] == "https://www.ecomexpress.in/tracking/?awb_field=EE123"
    assert api.get(f"/orders/{accepted.pk}/shipment").json() == body
    assert api.get(f"/orders/{accepted.pk}").json()["status"] == "shipped"


def test_a_tracking_link_that_is_not_http_is_a_422_naming_the_field_and_nothing_changes(api, accepted):
    events_before = OutboxEvent.objects.count()

    body = problem(
        api.post(
            f"/orders/{accepted.pk}/shipment", {"courier": "dtdc", "tracking_url": "javascript:alert(1)"}
        ),
        422,
    )

    assert body["errors"][0]["field"] == "tracking_url"
    assert Order.objects.get(pk=accepted.pk).status == "accepted" and not Shipment.objects.exists()
    assert OutboxEvent.objects.count() == events_before


def test_shipping_an_order_not_accepted_is_a_409_saying_why(api, store):
    placed = make_order(store, simple_product(store))
    body = problem(api.post(f"/orders/{placed.pk}/shipment", {"courier": "delhivery"}), 409)
    assert "mark it accepted first" in body["detail"]


def test_the_status_endpoint_sends_shipping_to_the_shipment_operation(api, accepted):
    body = problem(api.post(f"/orders/{accepted.pk}/status", {"status": "shipped"}), 409)
    assert f"POST /orders/{accepted.pk}/shipment" in body["detail"]
    assert Order.objects.get(pk=accepted.pk).status == "accepted"
    body = problem(api.get(f"/orders/{accepted.pk}/shipment"), 404)
    assert "not shipped with a courier" in body["detail"]


def test_the_couriers_list_has_other_and_tracking_patterns(api):
    couriers = {c["key"]: c for c in api.get("/couriers").json()}
    assert couriers["delhivery"]["tracking_url"] == "https://www.delhivery.com/track/package/{number}"
    assert couriers["india_post"]["tracking_url"] == "" and couriers["other"]["name"] == "Other"


def test_blocking_listing_and_unblocking_a_phone(api, store):
    created = api.post("/cod-blocked-phones", {"phone": "98123 45678", "reason": "RTO twice"})
    assert created.status_code == 201, created.content
    block = created.json()
    assert (block["phone"], block["reason"]) == ("+919812345678", "RTO twice")
    assert [item["id"] for item in api.get("/cod-blocked-phones").json()["items"]] == [block["id"]]
    assert problem(api.post("/cod-blocked-phones", {"phone": "12"}), 422)["errors"][0]["field"] == "phone"

    assert api.delete(f"/cod-blocked-phones/{block['id']}").status_code == 204
    assert not CodBlockedPhone.objects.exists()
    problem(api.delete(f"/cod-blocked-phones/{block['id']}"), 404)


def test_another_stores_orders_and_blocks_are_not_found(api, other_store):
    theirs = change_order_status(
        order=make_order(other_store, simple_product(other_store)), status="accepted"
    )
    block = CodBlockedPhone.objects.create(store=other_store, phone="+919812345678")

    problem(api.post(f"/orders/{theirs.pk}/shipment", {"courier": "delhivery"}), 404)
    problem(api.get(f"/orders/{theirs.pk}/shipment"), 404)
    problem(api.delete(f"/cod-blocked-phones/{block.pk}"), 404)
    assert api.get("/cod-blocked-phones").json()["items"] == []
    assert Order.objects.get(pk=theirs.pk).status == "accepted" and CodBlockedPhone.objects.exists()
