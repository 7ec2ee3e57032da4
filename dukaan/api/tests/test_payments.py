"""The payments API: an order's payments, recording one (merchant), starting an online payment (buyer)."""

import pytest

from dukaan.api.tests.conftest import ApiClient, make_order, problem, simple_product
from dukaan.orders.models import Order
from dukaan.orders.services import change_order_status
from dukaan.orders.tests.conftest import event_counts, line, order
from dukaan.payments.models import Payment, RecordedPayment

pytestmark = pytest.mark.django_db


@pytest.fixture
def placed(store):
    return make_order(store, simple_product(store, price="549.00"))


def test_recording_a_payment_answers_the_orders_payments_and_status(api, store, placed):
    response = api.post(
        f"/orders/{placed.pk}/payments",
        {"amount": "200", "method": "upi", "reference": "412345678901", "note": "half now"},
    )
    assert response.status_code == 201, response.content
    body = dict(response.json())
    (payment,) = body.pop("payments")
    assert body == {
        "order_id": placed.pk,
        "currency": "INR",
        "total": "549.00",
        "amount_paid": "200.00",
        "amount_refunded": "0.00",
        "amount_due": "349.00",
        "payment_status": "partly_paid",
    }
    assert payment["amount"] == "200.00" and payment["method"] == "upi"
    assert payment["reference"] == "412345678901" and payment["note"] == "half now"
    assert payment["recorded_by"].startswith("the API token ‘POS’")
    listed = api.get(f"/orders/{placed.pk}/payments")
    assert listed.status_code == 200 and listed.json() == response.json()

    rest = api.post(f"/orders/{placed.pk}/payments", {"amount": 349, "method": "cash"}).json()
    assert rest["payment_status"] == "paid" and rest["amount_due"] == "0.00"
    assert [p["amount"] for p in rest["payments"]] == ["200.00", "349.00"]
    assert event_counts(store)["payment.recorded"] == 2


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"amount": "600", "method": "cash"}, "amount", "Only ₹549 is still due on order #1"),
        ({"amount": "0", "method": "cash"}, "amount", "more than zero"),
        ({"amount": 10.005, "method": "cash"}, "amount", "at most two digits after the point"),
        ({"amount": "10.005", "method": "cash"}, "amount", "at most two after the point"),
        ({"amount": "10", "method": "cheque"}, "method", "Input should be"),
        ({"amount": "10", "method": "cash", "reference": "x" * 65}, "reference", "at most 64 characters"),
    ],
)
def test_a_refused_payment_is_a_422_naming_the_field_and_records_nothing(api, placed, body, field, message):
    refused = problem(api.post(f"/orders/{placed.pk}/payments", body), 422)
    assert refused["errors"][0]["field"] == field and message in refused["errors"][0]["message"]
    assert not RecordedPayment.objects.exists()


def test_a_payment_on_a_cancelled_order_is_refused(api, placed):
    change_order_status(order=placed, status="cancelled")
    refused = problem(api.post(f"/orders/{placed.pk}/payments", {"amount": "549", "method": "cash"}), 422)
    assert "a payment on a cancelled order is not recorded" in refused["detail"]
    assert Order.objects.get(pk=placed.pk).payment_status == "pending"


def test_a_retry_with_the_same_idempotency_key_records_the_payment_once(api, placed):
    headers = {"Idempotency-Key": "pay-1"}
    first = api.post(f"/orders/{placed.pk}/payments", {"amount": "549", "method": "cash"}, headers=headers)
    again = api.post(f"/orders/{placed.pk}/payments", {"amount": "549", "method": "cash"}, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true" and again.json() == first.json()
    assert RecordedPayment.objects.count() == 1


def test_another_stores_order_is_a_404_for_reading_and_paying(other_token, placed):
    theirs = ApiClient(other_token)
    problem(theirs.get(f"/orders/{placed.pk}/payments"), 404)
    problem(theirs.post(f"/orders/{placed.pk}/payments", {"amount": "549", "method": "cash"}), 404)
    assert not RecordedPayment.objects.exists()


@pytest.fixture
def online(settings):
    settings.SITE_URL = "http://testserver"
    settings.PAYMENT_GATEWAY = "fake"
    settings.PAYMENT_WEBHOOK_SECRET = "test-webhook-secret"


def test_a_buyer_starts_paying_an_online_order_at_its_token(anon, online, store):
    placed = order(store, [line(simple_product(store, price="549.00"))], payment_method="online")
    response = anon.post(f"/stores/{store.slug}/orders/{placed.public_token}/online-payment")
    assert response.status_code == 201, response.content
    assert response["Cache-Control"] == "private, no-store"
    (payment,) = Payment.objects.filter(order=placed)
    assert response.json() == {
        "checkout_url": f"http://testserver/s/{store.slug}/o/{placed.public_token}/",
        "provider": "fake",
        "provider_order_id": payment.provider_order_id,
    }


def test_an_order_that_cannot_be_paid_online_is_a_409_saying_why(anon, online, store, placed):
    path = f"/stores/{store.slug}/orders/{placed.public_token}/online-payment"
    refused = problem(anon.post(path), 409)
    assert refused["type"] == "/api/problems/payment-unavailable"
    assert refused["detail"] == "Order #1 is not paid online."
    assert not Payment.objects.exists()


def test_without_a_gateway_or_with_a_wrong_token_nothing_is_started(anon, store, other_store):
    placed = order(store, [line(simple_product(store, price="549.00"))], payment_method="cod")
    refused = problem(anon.post(f"/stores/{store.slug}/orders/{placed.public_token}/online-payment"), 409)
    assert "Online payment is not available here" in refused["detail"]
    problem(anon.post(f"/stores/{store.slug}/orders/not-a-real-token/online-payment"), 404)
    problem(anon.post(f"/stores/{other_store.slug}/orders/{placed.public_token}/online-payment"), 404)
    assert not Payment.objects.exists()
