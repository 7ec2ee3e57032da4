"""Event pipeline on the embedded bus: events per second and commit-to-consumer latency.

Run with `make bench` (or `make bench BENCH=event_pipeline`). Figures are printed and recorded for
docs/benchmarks/results.json, not asserted. Two loads: as fast as one writer can commit (throughput,
and how far the consumer lags), and a steady 50 commits a second (the latency a shopkeeper's edit
sees); `QUICK=1` sends a third of the events.
"""

import statistics
import threading
import time
from decimal import Decimal

import pytest
from rich.console import Console
from rich.table import Table

from bench.measure import percentile, write_stock_updates
from bench.report import QUICK
from dukaan.catalog import services
from dukaan.events import consumers
from dukaan.events.consumers import ConsumerGroup, Event
from dukaan.events.contract import types_on
from dukaan.events.local import EmbeddedWorkers, relay_once
from dukaan.events.models import ConsumerOffset, OutboxEvent

pytestmark = [pytest.mark.bench, pytest.mark.django_db(transaction=True)]
BURST, STEADY = (300, 100) if QUICK else (1000, 300)  # events in each load


def measure(product, monkeypatch, *, updates: int, per_second: float | None) -> dict[str, float]:
    committed: dict[str, float] = {}
    arrived: dict[str, float] = {}
    done = threading.Event()

    def handle(event: Event) -> None:
        arrived[event.id] = time.perf_counter()
        if len(arrived) >= updates:
            done.set()

    monkeypatch.setattr(
        consumers, "_groups", {"bench": ConsumerGroup("bench", handle, types_on({"catalog"}))}
    )
    while relay_once():  # the log so far is not part of the measurement
        pass
    head = OutboxEvent.objects.order_by("-position").values_list("position", flat=True).first() or 0
    ConsumerOffset.objects.update_or_create(group="bench", defaults={"position": head})
    workers = EmbeddedWorkers()
    monkeypatch.setattr("dukaan.events.local._workers", workers)
    workers.start()
    try:
        started, writing = write_stock_updates(
            product,
            updates=updates,
            per_second=per_second,
            on_commit=lambda key: committed.__setitem__(key, time.perf_counter()),
        )
        assert done.wait(120), f"only {len(arrived)} of {updates} events arrived"
    finally:
        workers.stop()
    total = time.perf_counter() - started
    latencies = [(arrived[key] - committed[key]) * 1000 for key in committed]
    return {
        "events": updates,
        "commits_per_second": updates / writing,
        "delivered_per_second": updates / total,
        "latency_p50_ms": statistics.median(latencies),
        "latency_p99_ms": percentile(latencies, 0.99),
    }


def row(load: str, found: dict[str, float]) -> list[str]:
    return [
        load,
        str(found["events"]),
        f"{found['commits_per_second']:,.0f}",
        f"{found['delivered_per_second']:,.0f}",
        f"{found['latency_p50_ms']:.1f}",
        f"{found['latency_p99_ms']:.1f}",
    ]


def record_load(record, load: str, found: dict[str, float]) -> None:
    units = {"commits_per_second": "commits/s", "delivered_per_second": "events/s"}
    for name, value in found.items():
        if name != "events":
            record(f"{load}_{name}", value, unit=units.get(name, "ms"), note=f"{found['events']} events")


def test_embedded_bus_throughput_and_latency(store, monkeypatch, record):
    product = services.create_product(store=store, name="Bench", price=Decimal("10"), stock=10**5)
    table = Table(title="Embedded bus (local://), one consumer group, each update its own transaction")
    for column in ["load", "events", "commits/s", "delivered/s", "latency p50 ms", "latency p99 ms"]:
        table.add_column(column, justify="right")
    burst = measure(product, monkeypatch, updates=BURST, per_second=None)
    steady = measure(product, monkeypatch, updates=STEADY, per_second=50)
    table.add_row(*row("as fast as possible", burst))
    table.add_row(*row("50/s steady", steady))
    record_load(record, "burst", burst)
    record_load(record, "steady", steady)
    Console().print(table)
