"""A second worker joining a group mid-stream: the partitions are shared out again, and every event is
still applied once, in its store's order.

While the group rebalances, the broker refuses the first worker's offset commits
(REBALANCE_IN_PROGRESS); that must not end the worker, and the events whose offsets it could not
commit are redelivered to whichever worker gets their partition, which skips them (ProcessedEvent).
"""

from __future__ import annotations

import sys
import time

import pytest
from django.db import transaction

from dukaan.catalog.events import STOCK_CHANGED
from dukaan.conftest import make_store
from dukaan.events.kafka import group_lag
from dukaan.events.outbox import emit
from tests.waiting import wait_until

pytestmark = [pytest.mark.kafka]

PER_STORE = 15


def test_a_worker_joining_mid_stream_shares_the_work_without_double_effects(kafka_bus, caplog):
    stores = [make_store(f"+91981234750{number}", f"kafka-rebalance-{number}") for number in range(4)]
    recorder = kafka_bus.recorder("rebalance")
    recorder.delay = 0.1  # the first worker is busy with an event when the second one joins
    expected = []
    for version in range(1, PER_STORE + 1):
        for store in stores:
            with transaction.atomic():
                event = emit(
                    STOCK_CHANGED,
                    store_id=store.pk,
                    data={"id": 1, "variant_id": None, "stock": 100 - version, "version": version},
                )
            expected.append(str(event.id))

    began = time.monotonic()
    first = kafka_bus.run(recorder)
    wait_until(lambda: len(recorder.effects) >= 5, what="the first worker to start", timeout=30)
    second = kafka_bus.run(recorder)
    recorder.wait_for(expected, timeout=90)
    took = time.monotonic() - began
    # Nothing left in flight that could still arrive twice: the group committed the topic's end.
    wait_until(lambda: group_lag(recorder.group) == 0, what="the group to commit every offset")

    assert first.alive() and second.alive()
    assert recorder.not_applied_once(expected) == []
    assert recorder.processed(expected) == len(expected)
    versions = recorder.stock_versions()
    for store in stores:
        assert versions[store.pk] == list(range(1, PER_STORE + 1)), f"store {store.pk} out of order"
    refused = [r for r in caplog.records if "could not commit" in r.getMessage()]
    print(
        f"\nkafka: {len(expected)} events applied once by two workers in {took:.1f} s; "
        f"{len(refused)} offset commits refused during the rebalance; by worker: {dict(recorder.by_thread)}",
        file=sys.stderr,
    )
