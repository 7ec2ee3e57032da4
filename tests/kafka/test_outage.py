"""Kafka and Connect stopped while the shop keeps writing: nothing is lost, nothing applies twice.

Writes never wait on Kafka: each commits its change and outbox row to PostgreSQL, and the replication
slot keeps the WAL until Debezium is back. The consumer group's worker keeps running through the
outage (its commits fail and it reconnects), then applies what was written meanwhile, once each, in
each store's order.
"""

from __future__ import annotations

import sys
import time
from decimal import Decimal

import pytest

from dukaan.catalog import services
from dukaan.conftest import make_store
from dukaan.events.kafka import group_lag
from dukaan.events.models import OutboxEvent
from tests.waiting import wait_until

pytestmark = [pytest.mark.kafka]

BEFORE, DURING, AFTER = 150, 150, 100


def test_writes_during_a_kafka_outage_arrive_once_after_it(kafka_bus):
    products = []
    for number in range(2):
        store = make_store(f"+91981234740{number}", f"kafka-outage-{number}")
        products.append(services.create_product(store=store, name="Dal", price=Decimal("60"), stock=10**6))
    recorder = kafka_bus.recorder("outage")
    # Slow enough to still hold fetched events when the broker goes (at 0.03 s each the batched worker,
    # one transaction and one offset commit per batch, had all of them done by then).
    recorder.delay = 0.1
    worker = kafka_bus.run(recorder)
    published_before = sum(kafka_bus.end_offsets("dukaan.catalog").values())

    def update(count: int) -> list[str]:
        ids = []
        for number in range(count):
            services.adjust_stock(product=products[number % 2], delta=-1)
            ids.append(str(OutboxEvent.objects.latest("created_at").id))
        return ids

    before = update(BEFORE)
    # Stop in mid-stream: every write is on the topic, but the worker is still applying them (and
    # committing their offsets) when Connect and the broker go away.
    wait_until(
        lambda: sum(kafka_bus.end_offsets("dukaan.catalog").values()) - published_before >= BEFORE,
        what="Debezium to publish the first writes",
        timeout=60,
        poll=0.1,
    )
    stopped_in = kafka_bus.cluster.stop()
    applied_at_stop = len(recorder.effects)
    assert applied_at_stop < BEFORE, "the worker was done before the stop: not mid-stream"

    began = time.monotonic()
    during = update(DURING)  # they commit without Kafka: the outbox and the WAL hold them
    writing_during = time.monotonic() - began
    assert writing_during < 15, "writes waited on Kafka"
    time.sleep(2)
    assert worker.alive(), "the worker ended while Kafka was down"

    started_in = kafka_bus.cluster.start()
    restarted = time.monotonic()
    recorder.delay = 0
    after = update(AFTER)
    expected = before + during + after
    recorder.wait_for(expected, timeout=90)
    caught_up = time.monotonic() - restarted
    # Nothing left in flight that could still arrive twice: the group committed the topic's end.
    wait_until(lambda: group_lag(recorder.group) == 0, what="the group to commit every offset")

    assert recorder.not_applied_once(expected) == []
    assert recorder.processed(expected) == len(expected)
    for store_id, seen in recorder.stock_versions().items():
        assert seen == sorted(set(seen)), f"store {store_id}'s stock.changed versions out of order"
    assert worker.alive()
    print(
        f"\nkafka: stopped in {stopped_in:.1f} s with {applied_at_stop}/{BEFORE} applied; {DURING} writes "
        f"committed meanwhile in {writing_during:.1f} s; started again in {started_in:.1f} s; all "
        f"{len(expected)} applied once {caught_up:.1f} s after the restart",
        file=sys.stderr,
    )
