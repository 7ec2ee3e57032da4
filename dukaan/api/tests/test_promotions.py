"""Coupons and offers through the API: the merchant's CRUD, pause and resume, and 422s that say why."""

import pytest

from dukaan.accounts.scopes import Scope
from dukaan.accounts.services import create_api_token
from dukaan.events.models import OutboxEvent
from dukaan.promotions.models import Coupon, Offer

from .conftest import ApiClient, problem, simple_product

pytestmark = pytest.mark.django_db

SAVE10 = {"code": "save10", "kind": "percent", "value": "10", "min_order": "500", "max_uses": 5}


def test_a_coupon_is_created_read_and_listed_with_its_code_upper_case(api):
    created = api.post("/coupons", SAVE10)
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["code"] == "SAVE10" and body["value"] == "10.00" and body["min_order"] == "500.00"
    assert body["used_count"] == 0 and body["max_uses"] == 5 and body["active"] is True
    assert api.get(f"/coupons/{body['id']}").json() == body
    assert [item["code"] for item in api.get("/coupons").json()["items"]] == ["SAVE10"]
    assert OutboxEvent.objects.filter(type="coupon.created").count() == 1


def test_the_coupon_list_pages_newest_first(api):
    for number in range(3):
        assert api.post("/coupons", {**SAVE10, "code": f"CODE{number}"}).status_code == 201
    first = api.get("/coupons", {"limit": 2}).json()
    assert [item["code"] for item in first["items"]] == ["CODE2", "CODE1"]
    rest = api.get("/coupons", {"limit": 2, "cursor": first["next_cursor"]}).json()
    assert [item["code"] for item in rest["items"]] == ["CODE0"] and rest["next_cursor"] is None


def test_a_patch_changes_only_what_is_sent(api, store):
    product = simple_product(store)
    coupon_id = api.post("/coupons", SAVE10).json()["id"]
    response = api.patch(f"/coupons/{coupon_id}", {"value": "15", "product_ids": [product.pk]})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["value"] == "15.00" and body["product_ids"] == [product.pk] and body["min_order"] == "500.00"


def test_pause_and_resume(api):
    coupon_id = api.post("/coupons", SAVE10).json()["id"]
    assert api.post(f"/coupons/{coupon_id}/pause").json()["active"] is False
    assert api.post(f"/coupons/{coupon_id}/resume").json()["active"] is True
    assert OutboxEvent.objects.filter(type="coupon.paused").count() == 1


@pytest.mark.parametrize(
    "changes, field, message",
    [
        ({"value": "150"}, "value", "A percent off is at most 100."),
        ({"code": "SAVE 10"}, "code", "no spaces or emoji"),
        ({"min_order": "-5"}, "min_order", "digits, at most two after the point"),
        (
            {"starts_at": "2026-02-01T00:00:00+05:30", "ends_at": "2026-01-01T00:00:00+05:30"},
            "ends_at",
            "after",
        ),
    ],
)
def test_bad_settings_are_a_422_naming_the_field_and_nothing_is_saved(api, changes, field, message):
    body = problem(api.post("/coupons", {**SAVE10, **changes}), 422)
    assert any(error["field"] == field and message in error["message"] for error in body["errors"]), body
    assert not Coupon.objects.exists()


def test_a_twin_code_is_a_422(api):
    api.post("/coupons", SAVE10)
    body = problem(api.post("/coupons", {**SAVE10, "code": "Save10"}), 422)
    assert "already have a coupon SAVE10" in body["errors"][0]["message"]


def test_another_store_s_coupon_is_a_404(api, other_token):
    coupon_id = ApiClient(other_token).post("/coupons", SAVE10).json()["id"]
    problem(api.get(f"/coupons/{coupon_id}"), 404)
    problem(api.patch(f"/coupons/{coupon_id}", {"value": "50"}), 404)
    problem(api.post(f"/coupons/{coupon_id}/pause"), 404)


def test_an_offer_is_created_changed_and_paused(api, store):
    product = simple_product(store)
    bogo = {"name": "Tumblers 2+1", "kind": "buy_get", "buy": 2, "get": 1, "product_ids": [product.pk]}
    created = api.post("/offers", bogo)
    assert created.status_code == 201, created.content
    offer_id = created.json()["id"]
    changed = api.patch(f"/offers/{offer_id}", {"get": 2}).json()
    assert changed["buy"] == 2 and changed["get"] == 2 and changed["product_ids"] == [product.pk]
    assert api.post(f"/offers/{offer_id}/pause").json()["active"] is False
    assert [item["id"] for item in api.get("/offers").json()["items"]] == [offer_id]


def test_an_order_offer_with_both_a_percent_and_an_amount_is_a_422(api):
    body = problem(api.post("/offers", {"name": "Big", "kind": "order", "percent": "10", "flat": "100"}), 422)
    assert body["errors"][0]["message"] == "Give either a percent off or an amount off, not both."
    assert not Offer.objects.exists()


def test_a_read_only_token_cannot_write(store):
    reader = ApiClient(create_api_token(store=store, name="Reader", scopes=[Scope.CATALOG_READ])[1])
    assert reader.get("/coupons").status_code == 200
    problem(reader.post("/coupons", SAVE10), 403)
