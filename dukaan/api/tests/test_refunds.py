"""The refunds API: list an order's refunds, refund it (idempotent), refusals as problems."""

from decimal import Decimal

import pytest

from dukaan.accounts.scopes import Scope
from dukaan.accounts.services import create_api_token
from dukaan.orders.models import Order
from dukaan.payments.models import Refund
from dukaan.payments.tests.helpers import paid_order

from .conftest import ApiClient, problem

pytestmark = pytest.mark.django_db


@pytest.fixture
def paid(store):
    return paid_order(store)


def test_a_refund_is_made_with_lines_restocked_and_listed(api, paid):
    lamps = paid.lines.order_by("pk").first()
    body = {
        "amount": "500",
        "method": "upi",
        "reference": "UPI 99",
        "restock": [{"line_id": lamps.pk, "units": 1}],
    }
    response = api.post(f"/orders/{paid.pk}/refunds", body)
    assert response.status_code == 201, response.content
    made = response.json()
    assert (made["amount"], made["status"], made["method"], made["reference"]) == (
        "500.00",
        "processed",
        "upi",
        "UPI 99",
    )
    assert made["restocked"] == [{"line_id": lamps.pk, "units": 1}] and made["credit_note"] is None
    assert Refund.objects.get().by == "the API token ‘POS’ (" + Refund.objects.get().by.split("(")[1]
    listed = api.get(f"/orders/{paid.pk}/refunds").json()["items"]
    assert [item["id"] for item in listed] == [made["id"]]


def test_the_same_idempotency_key_refunds_once_and_answers_200_replayed(api, paid):
    body = {"amount": "100.00", "method": "cash"}
    first = api.post(f"/orders/{paid.pk}/refunds", body, headers={"Idempotency-Key": "r-1"})
    again = api.post(f"/orders/{paid.pk}/refunds", body, headers={"Idempotency-Key": "r-1"})
    assert (first.status_code, again.status_code) == (201, 200)
    assert again["Idempotent-Replayed"] == "true" and again.json()["id"] == first.json()["id"]
    assert Order.objects.get(pk=paid.pk).amount_refunded == Decimal("100.00")
    other = api.post(
        f"/orders/{paid.pk}/refunds", {**body, "amount": "5"}, headers={"Idempotency-Key": "r-1"}
    )
    reused = problem(other, 422)
    assert (
        reused["type"].endswith("idempotency-key-reused")
        and "already used for another refund" in reused["detail"]
    )


def test_more_than_was_paid_is_a_422_naming_the_sums_and_nothing_changes(api, paid):
    response = api.post(f"/orders/{paid.pk}/refunds", {"amount": "5000", "method": "cash"})
    body = problem(response, 422)
    assert body["type"].endswith("refund-refused")
    assert body["detail"] == "You can refund at most ₹1,200: ₹1,200 was paid and ₹0 already refunded."
    assert not Refund.objects.exists() and Order.objects.get(pk=paid.pk).amount_refunded == 0


@pytest.mark.parametrize(
    "body",
    [
        {"amount": "1", "method": "cheque"},
        {"amount": "abc", "method": "cash"},
        {"amount": "1", "method": "cash", "restock": [{"line_id": 1, "units": -1}]},
        {"method": "cash"},
    ],
)
def test_a_malformed_refund_is_a_422_with_the_field(api, paid, body):
    assert problem(api.post(f"/orders/{paid.pk}/refunds", body), 422)["errors"]


def test_refunding_needs_the_orders_write_scope(store, paid):
    reader = ApiClient(create_api_token(store=store, name="Reader", scopes=[Scope.ORDERS_READ])[1])
    assert reader.get(f"/orders/{paid.pk}/refunds").status_code == 200
    problem(reader.post(f"/orders/{paid.pk}/refunds", {"amount": "1", "method": "cash"}), 403)
