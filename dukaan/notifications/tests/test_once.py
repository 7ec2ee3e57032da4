"""Each message once per event, also when the event is retried after a channel failed half-way; the
shipment and refund messages from the events of fulfilment and payments."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import transaction

from dukaan.events.jobs import run_due_jobs
from dukaan.events.local import run_pending
from dukaan.events.models import ConsumerOffset, DeadLetter
from dukaan.events.outbox import emit
from dukaan.infra.sms import latest_console_message
from dukaan.notifications.models import SentMessage
from dukaan.orders.events import (
    REFUND_PROCESSED,
    REFUND_RECORDED,
    SHIPMENT_CREATED,
    RefundRecorded,
    ShipmentCreated,
)
from dukaan.orders.models import Order
from dukaan.orders.services import change_order_status
from dukaan.orders.tests.conftest import line, order
from dukaan.shipping.models import DeliverySettings

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


def _write(event_type, data) -> None:
    """As fulfilment and payments write their events: through the outbox, in a transaction."""
    with transaction.atomic():
        emit(event_type, store_id=Order.objects.get(pk=data["order_id"]).store_id, data=data)


def test_a_shipment_tells_the_buyer_the_courier_and_tracking_once(product, settings):
    placed = order(product.store, [line(product, product.variants.first())])
    _write(
        SHIPMENT_CREATED,
        ShipmentCreated(
            order_id=placed.pk,
            number=placed.number,
            token=placed.public_token,
            courier="Delhivery",
            tracking_number="1234567890123",
            tracking_url="https://www.delhivery.com/track/package/1234567890123",
        ),
    )

    run_pending()
    ConsumerOffset.objects.filter(group="notifier").update(position=0)  # redelivery
    run_pending()

    assert latest_console_message(BUYER_PHONE) == (
        f"Your order #{placed.number} from {product.store.name} is on its way with Delhivery, "
        "tracking number 1234567890123. Track it: https://www.delhivery.com/track/package/1234567890123"
    )
    assert SentMessage.objects.filter(kind="order_shipped").count() == 1


def _refund(placed, status: str) -> RefundRecorded:
    return RefundRecorded(
        order_id=placed.pk,
        number=placed.number,
        token=placed.public_token,
        refund_id=1,
        amount=Decimal("120.50"),
        method="razorpay",
        amount_refunded=Decimal("120.50"),
        payment_status="partly_paid",
        status=status,
    )


def test_a_refund_is_told_once_it_is_processed(product, settings):
    placed = order(product.store, [line(product, product.variants.first())])
    _write(REFUND_RECORDED, _refund(placed, "pending"))
    run_pending()
    assert not SentMessage.objects.filter(kind="order_refunded").exists()

    _write(REFUND_PROCESSED, _refund(placed, "processed"))
    run_pending()

    text = latest_console_message(BUYER_PHONE)
    assert text.startswith(f"{product.store.name} refunded ₹120.50 for your order #{placed.number}. http")
    assert SentMessage.objects.filter(kind="order_refunded").count() == 1


def test_a_cod_order_awaiting_confirmation_asks_the_buyer_and_tells_the_shop_once_confirmed(
    product, settings
):
    DeliverySettings.objects.update_or_create(store=product.store, defaults={"cod_confirm_hours": 24})
    placed = order(product.store, [line(product, product.variants.first())])
    assert placed.status == Order.Status.UNCONFIRMED
    run_pending()

    asked = latest_console_message(BUYER_PHONE)
    assert asked.startswith(f"Please confirm your cash on delivery order #{placed.number}")
    assert asked.endswith(f"/s/{product.store.slug}/o/{placed.public_token}/")
    assert latest_console_message(product.store.owner.phone) is None

    change_order_status(order=placed, status="placed", by="buyer")
    run_pending()

    assert latest_console_message(product.store.owner.phone).startswith(f"New order #{placed.number}")
    assert "got your order" in latest_console_message(BUYER_PHONE)


def test_a_buyer_who_has_not_confirmed_by_half_time_is_reminded_once(product, settings):
    DeliverySettings.objects.update_or_create(store=product.store, defaults={"cod_confirm_hours": 24})
    placed = order(product.store, [line(product, product.variants.first())])
    run_pending()
    assert SentMessage.objects.filter(kind="confirm_cod").count() == 1

    run_due_jobs(now=placed.created_at + timedelta(hours=12, minutes=1))
    run_pending()
    run_due_jobs(now=placed.created_at + timedelta(hours=13))
    run_pending()

    assert SentMessage.objects.filter(kind="confirm_cod").count() == 2
    assert latest_console_message(BUYER_PHONE).startswith(
        f"Please confirm your cash on delivery order #{placed.number}"
    )
