"""Getting paid online: starting a payment, and the provider's signed webhooks."""

import json
from decimal import Decimal

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse

from dukaan.events.models import OutboxEvent
from dukaan.orders.models import Order
from dukaan.orders.services import CheckoutRefused
from dukaan.orders.tests.conftest import event_counts, line, make_product, order
from dukaan.payments.gateways import FakeGateway, InvalidSignature, get_gateway
from dukaan.payments.models import ProcessedWebhook, RecordedPayment
from dukaan.payments.services import PaymentUnavailable, start_online_payment

pytestmark = pytest.mark.django_db

URL = "/payments/webhook/fake/"


def test_the_gateway_comes_from_settings(settings):
    settings.PAYMENT_GATEWAY = ""
    assert get_gateway() is None
    settings.PAYMENT_GATEWAY = "fake"
    assert isinstance(get_gateway(), FakeGateway)
    settings.PAYMENT_GATEWAY = "paypal"
    with pytest.raises(ImproperlyConfigured, match="paypal"):
        get_gateway()


def test_an_online_order_is_refused_while_the_provider_has_no_keys(settings, store):
    settings.PAYMENT_GATEWAY = "razorpay"
    settings.RAZORPAY_KEY_ID = settings.RAZORPAY_KEY_SECRET = settings.RAZORPAY_WEBHOOK_SECRET = ""
    with pytest.raises(CheckoutRefused, match="Online payment is not available here yet"):
        order(store, [line(make_product(store, "Lamp", "100"))], payment_method="online")
    assert not Order.objects.exists()


def test_the_fake_gateway_checks_the_hmac_of_the_raw_body():
    gateway = FakeGateway(secret="s3cret")
    body, signature = gateway.capture_webhook(
        provider_order_id="order_1", amount=Decimal("549.00"), currency="INR"
    )
    event = gateway.verify_webhook(body, signature)
    assert (event.type, event.provider_order_id, event.amount, event.currency) == (
        "payment.captured",
        "order_1",
        Decimal("549.00"),
        "INR",
    )
    with pytest.raises(InvalidSignature):
        gateway.verify_webhook(body + b" ", signature)
    with pytest.raises(InvalidSignature):
        FakeGateway(secret="other").verify_webhook(body, signature)


@pytest.fixture
def online(settings):
    settings.SITE_URL = "http://testserver"
    settings.PAYMENT_GATEWAY = "fake"
    settings.PAYMENT_WEBHOOK_SECRET = "test-webhook-secret"
    return get_gateway()


@pytest.fixture
def payment(online, store):
    lamp = make_product(store, "Brass lamp", "549.00", stock=3)
    placed = order(store, [line(lamp)], payment_method="online")
    started = start_online_payment(order=placed)
    assert started.checkout_url == f"http://testserver/s/{store.slug}/o/{placed.public_token}/"
    return started.payment


def post(client, body: bytes, signature: str | None):
    headers = {} if signature is None else {"HTTP_X_DUKAAN_SIGNATURE": signature}
    return client.post(URL, body, content_type="application/json", **headers)


def captured(online, payment, **overrides):
    fields = {
        "provider_order_id": payment.provider_order_id,
        "amount": payment.amount,
        "currency": payment.currency,
        "event_id": "evt_1",
    }
    return online.capture_webhook(**{**fields, **overrides})


def test_starting_an_online_payment_records_it_at_the_order_total(payment, store):
    assert (payment.provider, payment.status, payment.amount, payment.currency) == (
        "fake",
        "created",
        Decimal("549.00"),
        "INR",
    )
    assert payment.provider_order_id.startswith("order_")
    assert event_counts(store)["payment.created"] == 1


def test_an_online_payment_is_only_started_for_an_unpaid_online_order(online, store):
    lamp = make_product(store, "Brass lamp", "549.00")
    with pytest.raises(PaymentUnavailable, match="not paid online"):
        start_online_payment(order=order(store, [line(lamp)], payment_method="cod"))


def test_the_url_is_named_for_the_checkout_to_reverse():
    assert reverse("payments:webhook", args=["fake"]) == URL


def test_a_signed_capture_marks_the_payment_captured_and_the_order_paid_once(client, online, payment, store):
    body, signature = captured(online, payment)
    response = post(client, body, signature)
    assert response.status_code == 200 and response.json() == {"status": "applied"}
    payment.refresh_from_db()
    assert payment.status == "captured"
    assert Order.objects.get(pk=payment.order_id).payment_status == "paid"
    (event,) = OutboxEvent.objects.filter(type="payment.captured")
    assert event.aggregatetype == "order" and event.payload["data"]["amount"] == "549.00"
    assert event.payload["data"]["number"] == 1
    events_after_first = OutboxEvent.objects.count()

    again = post(client, body, signature)
    assert again.status_code == 200 and again.json() == {"status": "duplicate"}
    assert OutboxEvent.objects.count() == events_after_first
    assert ProcessedWebhook.objects.count() == 1


def test_a_second_capture_event_for_a_paid_payment_changes_nothing(client, online, payment):
    post(client, *captured(online, payment))
    before = OutboxEvent.objects.count()
    response = post(client, *captured(online, payment, event_id="evt_2"))
    assert response.status_code == 200 and response.json() == {"status": "ignored"}
    assert OutboxEvent.objects.count() == before


@pytest.mark.parametrize("signature", ["0" * 64, "", None, "not hex at all"])
def test_a_wrong_or_missing_signature_is_refused_and_changes_nothing(client, online, payment, signature):
    body, _ = captured(online, payment)
    before = OutboxEvent.objects.count()
    response = post(client, body, signature)
    assert response.status_code == 400 and "signature" in response.json()["error"]
    payment.refresh_from_db()
    assert payment.status == "created" and Order.objects.get(pk=payment.order_id).payment_status == "pending"
    assert OutboxEvent.objects.count() == before and not ProcessedWebhook.objects.exists()


def test_a_body_signed_with_another_secret_is_refused(client, online, payment):
    body, _ = captured(online, payment)
    response = post(client, body, FakeGateway(secret="someone-else").sign(body))
    assert response.status_code == 400
    payment.refresh_from_db()
    assert payment.status == "created"


@pytest.mark.parametrize(
    "body, message",
    [
        (b"{not json", "not valid JSON"),
        (b"\xff\xfe", "not valid JSON"),
        (b"", "not valid JSON"),
        (b"[1, 2]", "must be a JSON object"),
        (b'{"event": "payment.captured"}', "no event id"),
        (b'{"id": "evt_1"}', "no event type"),
        (b'{"id": "evt_1", "event": "payment.captured", "payload": {}}', "lacks payload.payment.entity"),
        (
            b'{"id": "evt_1", "event": "payment.captured", "payload": {"payment": {"entity": '
            b'{"id": "pay_1", "order_id": "order_1", "amount": "549", "currency": "INR"}}}}',
            "whole number",
        ),
    ],
)
def test_a_malformed_body_is_a_400_with_a_reason_never_a_500(client, online, payment, body, message):
    response = post(client, body, online.sign(body))
    assert response.status_code == 400
    assert message in response.json()["error"]
    assert not ProcessedWebhook.objects.exists()


def test_an_unsigned_malformed_body_is_refused_too(client, online):
    assert post(client, b"{not json", "bad").status_code == 400


def test_a_capture_of_the_wrong_amount_does_not_mark_the_order_paid(client, online, payment):
    response = post(client, *captured(online, payment, amount=Decimal("1.00")))
    assert response.status_code == 200 and response.json() == {"status": "ignored"}
    assert Order.objects.get(pk=payment.order_id).payment_status == "pending"


def test_a_capture_for_an_unknown_provider_order_is_acknowledged_and_ignored(client, online, payment):
    response = post(client, *captured(online, payment, provider_order_id="order_unknown"))
    assert response.status_code == 200 and response.json() == {"status": "ignored"}


def test_other_event_types_are_acknowledged_and_ignored(client, online, payment):
    body = json.dumps({"id": "evt_9", "event": "refund.created", "payload": {}}).encode()
    response = post(client, body, online.sign(body))
    assert response.status_code == 200 and response.json() == {"status": "ignored"}


def test_a_failed_payment_is_recorded_without_marking_the_order_paid(client, online, payment):
    response = post(client, *captured(online, payment, event_type="payment.failed"))
    assert response.status_code == 200
    payment.refresh_from_db()
    assert payment.status == "failed"
    assert Order.objects.get(pk=payment.order_id).payment_status == "pending"
    assert OutboxEvent.objects.filter(type="payment.failed").count() == 1


def test_a_webhook_for_a_provider_not_set_up_is_404(client, settings):
    settings.PAYMENT_GATEWAY = ""
    assert client.post(URL, b"{}", content_type="application/json").status_code == 404
    settings.PAYMENT_GATEWAY = "fake"
    assert (
        client.post("/payments/webhook/razorpay/", b"{}", content_type="application/json").status_code == 404
    )


def test_the_webhook_only_takes_post(client, online):
    assert client.get(URL).status_code == 405


def test_the_webhook_needs_no_csrf_token(online, payment):
    from django.test import Client

    body, signature = captured(online, payment)
    response = Client(enforce_csrf_checks=True).post(
        URL, body, content_type="application/json", HTTP_X_DUKAAN_SIGNATURE=signature
    )
    assert response.status_code == 200


def test_a_provider_that_is_down_keeps_the_order_unpaid_and_is_skipped_after_repeated_failures(
    online, store, monkeypatch
):
    from dukaan.payments import gateways as payments

    calls = []

    def down(order):
        calls.append(order.pk)
        raise payments.ProviderUnavailable("connection refused")

    monkeypatch.setattr(payments.FakeGateway, "create_order", lambda self, order: down(order))
    payments.breaker.reset()
    lamp = make_product(store, "Brass lamp", "549.00", stock=9)
    try:
        for _attempt in range(payments.breaker.failure_threshold + 1):
            placed = order(store, [line(lamp)], payment_method="online")
            with pytest.raises(PaymentUnavailable, match="nothing was charged"):
                start_online_payment(order=placed)
            placed.refresh_from_db()
            assert placed.payment_status != "paid" and not placed.payments.exists()
        # The last order was refused by the open breaker without calling the provider.
        assert len(calls) == payments.breaker.failure_threshold
    finally:
        payments.breaker.reset()


def test_a_capture_records_the_money_in_as_an_online_payment_by_the_gateway(client, online, payment, store):
    post(client, *captured(online, payment))
    (recorded,) = RecordedPayment.objects.filter(order_id=payment.order_id)
    assert (recorded.amount, recorded.method, recorded.recorded_by) == (
        Decimal("549.00"),
        "online",
        "gateway",
    )
    assert recorded.reference.startswith("pay_")
    types = [event.type for event in OutboxEvent.objects.order_by("created_at", "id")]
    assert types[-2:] == ["payment.captured", "payment.recorded"]
    (event,) = OutboxEvent.objects.filter(type="payment.recorded")
    assert (
        event.payload["data"]["amount_paid"] == "549.00" and event.payload["data"]["payment_status"] == "paid"
    )
