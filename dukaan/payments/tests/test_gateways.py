"""The fake provider's side of the interface Razorpay's adapter also implements: payment signatures,
refunds, and webhooks named by a header when the body does not name them."""

from decimal import Decimal

import pytest

from dukaan.payments.gateways import (
    FakeGateway,
    InvalidSignature,
    MalformedWebhook,
    load_webhook,
    read_webhook,
)


def test_the_fake_checks_a_payment_signature_of_order_and_payment_ids():
    gateway = FakeGateway(secret="s3cret")
    signature = gateway.payment_signature("order_1", "pay_1")
    gateway.verify_payment(provider_order_id="order_1", provider_payment_id="pay_1", signature=signature)
    for order_id, payment_id, forged in [("order_2", "pay_1", signature), ("order_1", "pay_1", "é" * 64)]:
        with pytest.raises(InvalidSignature):
            gateway.verify_payment(
                provider_order_id=order_id, provider_payment_id=payment_id, signature=forged
            )


def test_the_fake_refunds_at_once():
    refund = FakeGateway(secret="s3cret").refund(
        provider_payment_id="pay_1", amount=Decimal("10.00"), notes={}
    )
    assert refund.refund_id.startswith("rfnd_") and refund.status == "processed"


def test_a_signature_that_is_not_ascii_is_refused_not_a_crash():
    with pytest.raises(InvalidSignature):
        FakeGateway(secret="s3cret").verify_webhook(b"{}", "é" * 64)


def test_without_an_event_id_an_event_is_named_by_its_type_and_entity():
    body = (
        b'{"event": "refund.processed", "payload": {"refund": {"entity": {"id": "rfnd_1",'
        b' "payment_id": "pay_1", "amount": 12345, "currency": "inr"}},'
        b' "payment": {"entity": {"order_id": "order_1"}}}}'
    )
    event = read_webhook(load_webhook(body), event_id="")
    assert (event.event_id, event.provider_refund_id, event.provider_payment_id, event.provider_order_id) == (
        "refund.processed:rfnd_1",
        "rfnd_1",
        "pay_1",
        "order_1",
    )
    assert (event.amount, event.currency) == (Decimal("123.45"), "INR")
    with pytest.raises(MalformedWebhook, match="lacks payload.refund.entity"):
        read_webhook(load_webhook(b'{"event": "refund.failed", "payload": {}}'), event_id="evt_1")
