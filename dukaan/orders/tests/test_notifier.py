"""The notifier texts the shopkeeper and the buyer about orders, from the event log, once per event."""

import pytest

from dukaan.events.local import run_pending
from dukaan.events.models import ConsumerOffset, DeadLetter
from dukaan.orders.services import change_order_status

from .conftest import line, order

pytestmark = pytest.mark.django_db


def sms_lines(settings) -> list[str]:
    path = settings.SMS_CONSOLE_LOG
    return path.read_text().splitlines() if path.exists() else []


def test_a_new_order_texts_the_shopkeeper_and_the_buyer(product, settings):
    placed = order(product.store, [line(product, product.variants.first())])
    run_pending()
    texts = sms_lines(settings)
    assert any(f"to={product.store.owner.phone}" in t and f"New order #{placed.number}" in t for t in texts)
    assert any("to=+919812300001" in t and placed.public_token in t for t in texts)


def test_status_changes_text_the_buyer_once(product, settings):
    placed = order(product.store, [line(product, product.variants.first())])
    change_order_status(order=placed, status="accepted")
    change_order_status(order=placed, status="shipped")
    run_pending()
    ConsumerOffset.objects.filter(group="notifier").update(position=0)  # redelivery
    run_pending()
    buyer_texts = [t for t in sms_lines(settings) if "to=+919812300001" in t]
    assert len(buyer_texts) == 3
    assert "is on its way" in buyer_texts[-1]


def test_an_sms_outage_dead_letters_after_retries_and_loses_no_order(product, settings):
    settings.SMS_BACKEND, settings.SMS_HTTP_URL = "http", "http://127.0.0.1:9/"  # nothing listens there
    settings.EVENT_MAX_ATTEMPTS, settings.EVENT_RETRY_BASE_SECONDS = 2, 0.001
    placed = order(product.store, [line(product, product.variants.first())])
    run_pending()
    letter = DeadLetter.objects.get(group="notifier")
    assert letter.type == "order.placed" and "SmsNotSent" in letter.error
    placed.refresh_from_db()
    assert placed.status == "placed"
