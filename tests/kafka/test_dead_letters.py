"""What must not reach a consumer group, and what must not stop one.

A rolled-back transaction publishes nothing. A poison event (its group's handler keeps raising) is
retried, then sent to `dukaan.dlq` with the error in a header (and kept as a DeadLetter row), and the
group goes on with the next events.
"""

from __future__ import annotations

import json

import pytest
from django.db import transaction

from dukaan.catalog.events import PRODUCT_DELETED, STOCK_CHANGED
from dukaan.conftest import make_store
from dukaan.events.contract import declare
from dukaan.events.kafka import DLQ_TOPIC
from dukaan.events.models import DeadLetter, OutboxEvent, ProcessedEvent
from dukaan.events.outbox import emit
from tests.waiting import wait_until

pytestmark = [pytest.mark.kafka]
# A made-up type on the catalog's topic, read only by this module's group.
VIEWED = declare("test.x_viewed", aggregatetype="catalog", payload=dict, external=True)


def stock_changed(store_id: int, version: int):
    with transaction.atomic():
        return emit(
            STOCK_CHANGED,
            store_id=store_id,
            data={"id": 1, "variant_id": None, "stock": 10 - version, "version": version},
        )


def test_a_rolled_back_transaction_publishes_nothing(kafka_bus):
    store = make_store("+919812347200", "kafka-rollback")
    recorder = kafka_bus.recorder("rollback")
    kafka_bus.run(recorder)

    class Abort(Exception):
        pass

    with pytest.raises(Abort), transaction.atomic():
        rolled_back = emit(PRODUCT_DELETED, store_id=store.pk, data={"id": 1})
        raise Abort
    after = stock_changed(store.pk, 2)  # same store: same partition, published after it if at all

    recorder.wait_for([after.id])
    applied = [event.id for event in recorder.effects if event.store_id == store.pk]
    assert str(rolled_back.id) not in applied
    # make_store's store.created is there too when it was published after the group's start
    created = OutboxEvent.objects.get(type="store.created", aggregateid=str(store.pk))
    assert set(applied) - {str(created.id)} == {str(after.id)}


def test_a_poison_event_goes_to_the_dead_letter_topic_and_the_group_moves_on(kafka_bus, settings):
    settings.EVENT_MAX_ATTEMPTS = 3
    settings.EVENT_RETRY_BASE_SECONDS = 0.01
    store = make_store("+919812347201", "kafka-poison")
    dlq_start = kafka_bus.end_offsets(DLQ_TOPIC)

    recorder = kafka_bus.recorder("poison")
    before = stock_changed(store.pk, 2)
    with transaction.atomic():
        poison = emit(
            STOCK_CHANGED,
            store_id=store.pk,
            data={"id": 1, "variant_id": None, "stock": 7, "version": 3},
        )
    recorder.fail_on.add(str(poison.id))
    after = [stock_changed(store.pk, version) for version in (4, 5)]
    kafka_bus.run(recorder)

    recorder.wait_for([after[-1].id])
    applied = [e.id for e in recorder.effects if e.store_id == store.pk and e.type == "stock.changed"]
    assert applied == [str(before.id), *(str(event.id) for event in after)]
    assert not ProcessedEvent.objects.filter(group=recorder.name, event_id=poison.id).exists()
    dead = DeadLetter.objects.get(group=recorder.name)
    assert (str(dead.event_id), dead.attempts) == (str(poison.id), 3)
    assert dead.error == f"Poison: poison pill {poison.id}"

    # The worker waits for the dead-letter topic's acknowledgement before it moves on to `after`.
    parked = sum(kafka_bus.end_offsets(DLQ_TOPIC).values()) - sum(dlq_start.values())
    assert parked == 1, "nothing (or too much) arrived on the dead-letter topic"
    (message,) = kafka_bus.read_until(DLQ_TOPIC, dlq_start, len, what="the dead letter")
    headers = {key: value.decode() for key, value in message.headers()}
    assert headers["error"] == f"Poison: poison pill {poison.id}"
    assert headers["group"] == recorder.name
    assert headers["attempts"] == "3"
    topic, partition, offset = headers["source"].rsplit("/", 2)
    assert topic == "dukaan.catalog" and partition.isdigit() and offset.isdigit()
    assert message.key() == str(store.pk).encode()
    assert json.loads(message.value()) == poison.payload


def test_an_effect_that_fails_at_commit_is_retried_and_parked_not_skipped(kafka_bus, settings):
    """PostgreSQL checks foreign keys at commit: that IntegrityError is the handler's, not a duplicate."""
    from dukaan.analytics.models import StoreDay

    settings.EVENT_MAX_ATTEMPTS = 2
    settings.EVENT_RETRY_BASE_SECONDS = 0.01
    store = make_store("+919812347202", "kafka-fk")
    missing_store = store.pk + 10_000
    applied = []

    def count_a_view(event) -> None:
        if not event.is_a(VIEWED):
            return
        StoreDay.objects.create(store_id=event.data["store"], day="2026-11-24", views=1)
        transaction.on_commit(lambda: applied.append(event.id))

    group = kafka_bus.group("fk", count_a_view)
    with transaction.atomic():
        broken = emit(VIEWED, store_id=store.pk, data={"store": missing_store})
    with transaction.atomic():
        fine = emit(VIEWED, store_id=store.pk, data={"store": store.pk})
    kafka_bus.run(group)

    wait_until(lambda: str(fine.id) in applied, what="the event after the broken one", timeout=30)
    assert applied == [str(fine.id)]
    dead = DeadLetter.objects.get(group=group.name)
    assert str(dead.event_id) == str(broken.id)
    assert dead.error.startswith("IntegrityError")
    assert not ProcessedEvent.objects.filter(group=group.name, event_id=broken.id).exists()
