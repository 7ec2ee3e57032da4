"""1,000 catalog updates through the real pipeline reach two consumer groups once each, in store order.

Each `adjust_stock` is its own transaction (outbox row included) -> WAL -> Debezium -> dukaan.catalog
-> two consumer groups, each `run_worker` in its own thread, each applying through `deliver()`.
"""

from __future__ import annotations

import sys
import time
from collections import defaultdict
from datetime import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from dukaan.catalog import services
from dukaan.conftest import make_store
from dukaan.events.kafka import group_lag
from dukaan.events.models import OutboxEvent, ProcessedEvent
from tests.waiting import wait_until

pytestmark = [pytest.mark.kafka]

UPDATES = 1000
STORES = 3


def stores_with_a_product(count: int) -> list:
    products = []
    for number in range(count):
        store = make_store(f"+9198123470{number:02d}", f"kafka-store-{number}")
        products.append(services.create_product(store=store, name="Chai", price=Decimal("99"), stock=10**6))
    return products


def check_exactly_once_in_store_order(recorder, expected: set[str], began) -> None:
    counts = recorder.counts()
    seen_twice = {event_id: n for event_id, n in counts.items() if n > 1}
    assert not seen_twice, f"{recorder.name} applied {len(seen_twice)} events more than once"
    assert expected <= set(counts), f"{recorder.name} missed {len(expected - set(counts))} events"
    # Anything else it applied was published before this test began (a previous test's tail).
    strays = [event for event in recorder.effects if event.id not in expected]
    assert all(datetime.fromisoformat(event.occurred_at) < began for event in strays), strays[:3]

    # The effect is recorded with the event id: one ProcessedEvent row per event, no more.
    assert ProcessedEvent.objects.filter(group=recorder.name, event_id__in=expected).count() == len(expected)

    versions = defaultdict(list)
    for event in recorder.effects:
        if event.id in expected and event.type == "stock.changed":
            versions[event.store_id].append(event.data["version"])
    for store_id, seen in versions.items():
        assert all(a < b for a, b in zip(seen, seen[1:], strict=False)), (
            f"{recorder.name}: store {store_id}'s stock.changed versions out of order"
        )
    assert sum(map(len, versions.values())) == UPDATES


def test_two_groups_each_apply_every_update_once_in_store_order(kafka_bus):
    began = timezone.now()
    # The groups start at the topic's end before anything of this test is written: they must see it all.
    first, second = kafka_bus.recorder("first"), kafka_bus.recorder("second")
    workers = [kafka_bus.run(first), kafka_bus.run(second)]
    products = stores_with_a_product(STORES)

    started = time.monotonic()
    for number in range(UPDATES):
        services.adjust_stock(product=products[number % STORES], delta=-1)  # a transaction each
    writing = time.monotonic() - started

    expected = {
        str(pk) for pk in OutboxEvent.objects.filter(aggregatetype="catalog").values_list("id", flat=True)
    }
    assert len(expected) == UPDATES + 2 * STORES  # + store.created and product.created per store
    first.wait_for(expected, timeout=120)
    second.wait_for(expected, timeout=120)
    delivered = time.monotonic() - started
    # Nothing left in flight that could still arrive twice: each group committed the topic's end.
    wait_until(
        lambda: group_lag(first.group) == group_lag(second.group) == 0,
        what="both groups to commit every offset",
    )
    assert all(worker.alive() for worker in workers)

    for recorder in (first, second):
        check_exactly_once_in_store_order(recorder, expected, began)
    print(
        f"\nkafka: {UPDATES} updates committed in {writing:.1f} s; both groups had applied all "
        f"{len(expected)} events {delivered:.1f} s after the first commit",
        file=sys.stderr,
    )
