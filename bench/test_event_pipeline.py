"""Event pipeline on the embedded bus: events per second and commit-to-consumer latency.

Run with `make bench` (or `make bench PYTEST_ARGS='-k event -s'`). Figures are printed, not asserted.
Two loads: as fast as one writer can commit (throughput, and how far the consumer lags), and a
steady 50 commits a second (the latency a shopkeeper's edit sees).
"""

import statistics
import threading
import time
from decimal import Decimal

import pytest
from django.db import transaction
from rich.console import Console
from rich.table import Table

from dukaan.catalog import services
from dukaan.events import consumers
from dukaan.events.consumers import ConsumerGroup, Event
from dukaan.events.local import EmbeddedWorkers, relay_once
from dukaan.events.models import ConsumerOffset, OutboxEvent

pytestmark = [pytest.mark.bench, pytest.mark.django_db(transaction=True)]


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def measure(product, monkeypatch, *, updates: int, per_second: float | None) -> list[str]:
    committed: dict[str, float] = {}
    arrived: dict[str, float] = {}
    done = threading.Event()

    def handle(event: Event) -> None:
        arrived[event.id] = time.perf_counter()
        if len(arrived) >= updates:
            done.set()

    monkeypatch.setattr(
        consumers, "_groups", {"bench": ConsumerGroup("bench", handle, frozenset({"catalog"}))}
    )
    while relay_once():  # the log so far is not part of the measurement
        pass
    head = OutboxEvent.objects.order_by("-position").values_list("position", flat=True).first() or 0
    ConsumerOffset.objects.update_or_create(group="bench", defaults={"position": head})
    workers = EmbeddedWorkers()
    monkeypatch.setattr("dukaan.events.local._workers", workers)
    workers.start()
    started = time.perf_counter()
    try:
        for number in range(updates):
            if per_second:
                time.sleep(max(0.0, started + number / per_second - time.perf_counter()))
            with transaction.atomic():
                services.adjust_stock(product=product, delta=-1)
                event_id = str(OutboxEvent.objects.order_by("-created_at").values_list("id", flat=True)[0])
                transaction.on_commit(lambda key=event_id: committed.__setitem__(key, time.perf_counter()))
        writing = time.perf_counter() - started
        assert done.wait(120), f"only {len(arrived)} of {updates} events arrived"
    finally:
        workers.stop()
    total = time.perf_counter() - started
    latencies = [(arrived[key] - committed[key]) * 1000 for key in committed]
    load = f"{per_second:.0f}/s steady" if per_second else "as fast as possible"
    return [
        load,
        str(updates),
        f"{updates / writing:,.0f}",
        f"{updates / total:,.0f}",
        f"{statistics.median(latencies):.1f}",
        f"{percentile(latencies, 0.99):.1f}",
    ]


def test_embedded_bus_throughput_and_latency(store, monkeypatch):
    product = services.create_product(store=store, name="Bench", price=Decimal("10"), stock=10**5)
    table = Table(title="Embedded bus (local://), one consumer group, each update its own transaction")
    for column in ["load", "events", "commits/s", "delivered/s", "latency p50 ms", "latency p99 ms"]:
        table.add_column(column, justify="right")
    table.add_row(*measure(product, monkeypatch, updates=1000, per_second=None))
    table.add_row(*measure(product, monkeypatch, updates=300, per_second=50))
    Console().print(table)
