"""A store's orders through the API: list, filter, detail, and moving them along."""

import pytest
from django.utils import timezone

from dukaan.orders.models import Order

from .conftest import make_order, problem, simple_product

pytestmark = pytest.mark.django_db


def test_list_orders_newest_first_with_lines_and_money_as_strings(api, store):
    product = simple_product(store, price="120.50")
    first = make_order(store, product, key="a", quantity=2)
    second = make_order(store, product, key="b")
    body = api.get("/orders").json()
    assert [item["number"] for item in body["items"]] == [second.number, first.number]
    oldest = body["items"][1]
    assert oldest["total"] == "241.00"
    assert oldest["lines"] == [
        {
            "product_id": product.pk,
            "variant_id": None,
            "name": "Steel tumbler",
            "variant_label": "",
            "sku": "",
            "unit_price": "120.50",
            "quantity": 2,
            "line_total": "241.00",
            "discount": "0.00",
            "hsn_code": "",
            "gst_rate": "0.00",
            "taxable_value": "241.00",
            "cgst": "0.00",
            "sgst": "0.00",
            "igst": "0.00",
        }
    ]
    # An unregistered store with no delivery settings: no GST, free delivery, nothing off.
    assert (oldest["subtotal"], oldest["discount_total"], oldest["delivery_fee"], oldest["gstin"]) == (
        "241.00",
        "0.00",
        "0.00",
        "",
    )
    assert oldest["discounts"] == [] and oldest["charges"] == []
    assert oldest["buyer"]["phone"] == "+919812300001"
    assert oldest["status_url"].endswith(f"/s/{store.slug}/o/{first.public_token}/")
    assert body["next_cursor"] is None


def test_filter_orders_by_status_and_day(api, store):
    product = simple_product(store)
    placed = make_order(store, product, key="a")
    accepted = make_order(store, product, key="b")
    Order.objects.filter(pk=accepted.pk).update(status="accepted")
    by_status = api.get("/orders", {"status": "placed"}).json()["items"]
    assert [item["id"] for item in by_status] == [placed.pk]
    today = timezone.localdate().isoformat()
    assert len(api.get("/orders", {"day": today}).json()["items"]) == 2
    assert api.get("/orders", {"day": "2001-01-01"}).json()["items"] == []
    body = problem(api.get("/orders", {"day": "2001-02-30"}), 422)
    assert body["errors"][0]["field"] == "day"
    problem(api.get("/orders", {"status": "lost"}), 422)


def test_order_detail(api, store):
    order = make_order(store, simple_product(store))
    body = api.get(f"/orders/{order.pk}").json()
    assert (body["id"], body["number"], body["status"]) == (order.pk, order.number, "placed")


def test_move_an_order_along_and_cancel_gives_stock_back(api, store):
    product = simple_product(store, stock=5)
    order = make_order(store, product, quantity=2)
    accepted = api.post(f"/orders/{order.pk}/status", {"status": "accepted"})
    assert accepted.status_code == 200, accepted.content
    assert accepted.json()["status"] == "accepted"
    assert accepted.json()["accepted_at"]
    assert api.post(f"/orders/{order.pk}/status", {"status": "cancelled"}).json()["status"] == "cancelled"
    product.refresh_from_db()
    assert product.stock == 5


def test_an_illegal_step_is_a_409_saying_why(api, store):
    order = make_order(store, simple_product(store))
    body = problem(api.post(f"/orders/{order.pk}/status", {"status": "delivered"}), 409)
    assert body["type"] == "/api/problems/illegal-transition"
    assert body["detail"] == f"Order #{order.number} cannot be delivered yet: mark it accepted first."


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01"])
def test_a_day_at_either_end_of_the_calendar_lists_no_orders(api, store, day):
    make_order(store, simple_product(store))

    response = api.get("/orders", {"day": day})

    assert response.status_code == 200, response.content
    assert response.json() == {"items": [], "next_cursor": None}


def test_merchant_answers_are_kept_by_no_cache(api, store):
    order = make_order(store, simple_product(store))

    for path in ("/orders", f"/orders/{order.pk}", "/me", "/orders/999999"):
        assert "no-store" in api.get(path)["Cache-Control"], path
