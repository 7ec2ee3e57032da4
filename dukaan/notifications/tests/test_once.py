"""Each message once per event, also when the event is retried after a channel failed half-way; the
shipment and refund messages from the events of fulfilment and payments."""

import uuid

import pytest

from dukaan.events.consumers import Event, deliver, get_group
from dukaan.events.local import run_pending
from dukaan.events.models import DeadLetter
from dukaan.infra.sms import latest_console_message
from dukaan.notifications.models import SentMessage
from dukaan.orders.tests.conftest import line, order

pytestmark = pytest.mark.django_db
BUYER_PHONE = "+919812300001"
NOBODY_LISTENS = "http://127.0.0.1:9/"


def test_a_retried_event_sends_only_the_messages_that_had_not_gone_out(product, whatsapp, settings):
    settings.WHATSAPP_RETRY_ATTEMPTS = 1
    settings.SMS_BACKEND, settings.SMS_HTTP_URL, settings.SMS_RETRY_ATTEMPTS = (
        "http",
        "http://127.0.0.1:9/",
        1,
    )
    settings.EVENT_MAX_ATTEMPTS, settings.EVENT_RETRY_BASE_SECONDS = 3, 0.001
    whatsapp.answer_next()  # the shopkeeper's message goes out,
    whatsapp.fail_next(status=500)  # the buyer's fails by WhatsApp and then by SMS: the event is retried
    placed = order(product.store, [line(product, product.variants.first())])

    run_pending()

    assert [(body["to"], body["template"]["name"]) for body in whatsapp.sent] == [
        (product.store.owner.phone, "new_order"),
        (BUYER_PHONE, "order_placed"),
    ]
    sent = SentMessage.objects.filter(store=placed.store)
    assert sorted(sent.values_list("recipient", "kind", "channel")) == [
        ("buyer", "order_placed", "whatsapp"),
        ("shopkeeper", "new_order", "whatsapp"),
    ]
    assert not DeadLetter.objects.exists()


def _from_a_sibling(event_type: str, placed, **data) -> Event:
    """An event fulfilment or payments writes, as the notifier reads it."""
    return Event(
        id=str(uuid.uuid4()),
        type=event_type,
        version=1,
        store_id=placed.store_id,
        occurred_at="2026-12-06T10:00:00+00:00",
        data={"order_id": placed.pk, "number": placed.number, "token": placed.public_token, **data},
        aggregatetype="order",
    )


def test_a_shipment_tells_the_buyer_the_courier_and_tracking_once(product, settings):
    placed = order(product.store, [line(product, product.variants.first())])
    shipment = _from_a_sibling(
        "shipment.created",
        placed,
        courier="Delhivery",
        tracking_number="1234567890123",
        tracking_url="https://www.delhivery.com/track/package/1234567890123",
    )

    assert deliver(get_group("notifier"), shipment) == "applied"
    assert deliver(get_group("notifier"), shipment) == "duplicate"

    text = latest_console_message(BUYER_PHONE)
    assert text == (
        f"Your order #{placed.number} from {product.store.name} is on its way with Delhivery, "
        "tracking number 1234567890123. Track it: https://www.delhivery.com/track/package/1234567890123"
    )
    assert SentMessage.objects.filter(kind="order_shipped").count() == 1


def test_a_refund_is_told_once_it_is_processed(product, settings):
    placed = order(product.store, [line(product, product.variants.first())])
    refund = {"refund_id": 1, "amount": "120.50", "method": "razorpay", "amount_refunded": "120.50"}
    pending = _from_a_sibling("refund.recorded", placed, **refund, payment_status="paid", status="pending")
    processed = _from_a_sibling(
        "refund.processed", placed, **refund, payment_status="paid", status="processed"
    )

    deliver(get_group("notifier"), pending)
    assert not SentMessage.objects.filter(kind="order_refunded").exists()
    deliver(get_group("notifier"), processed)

    text = latest_console_message(BUYER_PHONE)
    assert text.startswith(f"{product.store.name} refunded ₹120.50 for your order #{placed.number}. http")
