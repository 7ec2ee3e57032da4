"""Event pipeline on the embedded bus: events per second per consumer group, and commit-to-applied latency.

Run with `make bench` (or `make bench BENCH=event_pipeline`). Two loads, each through the real
`cache` and `search` groups (stock.changed is theirs) and `tally`, a group whose batch handler does
nothing (what the bus itself costs):

- a burst: 10,000 stock changes written first by the shop's bulk edit (`bulk_edit_products`, 100
  products a transaction, over 1,000 products), then the workers start; delivered/s per group is
  the events over the time from the start to the group's last applied event (relay included). One
  writer's commits are far slower than the bus, so writing while delivering would measure the
  writer. A shorter burst (500 events) is first delivered one event a transaction (every group's
  batch 1, as before batching): the "before" of the headline figure.
- a steady 50 commits a second, one stock change each, delivered as they commit: the latency a
  shopkeeper's edit sees.

Every load checks what must hold exactly: each event applied once by each group (its ProcessedEvent
row, its handler called once for it), none lost. `QUICK=1` sends a fifth of the events.
"""

import dataclasses
import itertools
import statistics
import threading
import time
from collections import Counter
from decimal import Decimal

import pytest
from django.db import connection, transaction
from rich.console import Console
from rich.table import Table

from bench.measure import CpuUse, percentile, postgres_pid
from bench.report import QUICK
from dukaan.catalog import services
from dukaan.catalog.events import STOCK_CHANGED
from dukaan.catalog.models import Product
from dukaan.catalog.services import BulkEdit
from dukaan.events import consumers, local
from dukaan.events.consumers import ConsumerGroup, Event, registered_groups
from dukaan.events.local import EmbeddedWorkers, relay_once
from dukaan.events.models import ConsumerOffset, OutboxEvent, ProcessedEvent

pytestmark = [pytest.mark.bench, pytest.mark.django_db(transaction=True)]
BURST, BEFORE, STEADY, PRODUCTS = (2_000, 200, 100, 200) if QUICK else (10_000, 500, 300, 1_000)
PER_COMMIT = 100  # a bulk edit's stock changes per transaction in the burst
STOCK_LEVELS = itertools.count(10**6 - 1, -1)
TARGET = 2_000  # events/s delivered, per group (issue 23)


class Watch:
    """Wraps groups' handlers to see, per group, each event's handler calls and when it committed."""

    def __init__(self) -> None:
        self.calls: dict[str, Counter[str]] = {}
        self.applied: dict[str, dict[str, float]] = {}
        self.expected = 0
        self.done = threading.Event()

    def group(self, group: ConsumerGroup, batch: int | None) -> ConsumerGroup:
        calls = self.calls.setdefault(group.name, Counter())
        applied = self.applied.setdefault(group.name, {})

        def committed(event_id: str) -> None:
            applied[event_id] = time.perf_counter()
            if all(len(found) >= self.expected for found in self.applied.values()):
                self.done.set()

        def seen(events: list[Event]) -> None:
            for event in events:
                if event.is_a(STOCK_CHANGED):
                    calls[event.id] += 1
                    transaction.on_commit(lambda key=event.id: committed(key))

        def handle(event: Event) -> None:
            group.handler(event)
            seen([event])

        def handle_batch(events: list[Event]) -> None:
            group.handle_batch(events)
            seen(events)

        return dataclasses.replace(
            group,
            handler=handle,
            handle_batch=handle_batch if group.handle_batch else None,
            batch=batch or group.batch,
        )


# The app's groups, before any load put its watched copies in their place.
REAL_GROUPS = dict(registered_groups())


def groups(watch: Watch, batch: int | None) -> dict[str, ConsumerGroup]:
    real = [group for group in REAL_GROUPS.values() if STOCK_CHANGED in group.events]
    tally = ConsumerGroup(
        "tally", lambda event: None, frozenset({STOCK_CHANGED}), handle_batch=lambda events: None
    )
    return {group.name: watch.group(group, batch) for group in [*real, tally]}


def write_backlog(store, products: list[Product], updates: int) -> tuple[list[str], float]:
    """`updates` stock changes by bulk edits of PER_COMMIT products each (products in turn), with no
    worker running. Returns the events' ids and how many the writer committed a second."""
    started = time.perf_counter()
    for number in range(updates // PER_COMMIT):
        first = number * PER_COMMIT
        chunk = [products[index % len(products)] for index in range(first, first + PER_COMMIT)]
        stock = next(STOCK_LEVELS)  # lower than any before it: every edit changes the stock
        edits = [BulkEdit(product_id=product.pk, stock=stock) for product in chunk]
        services.bulk_edit_products(store=store, edits=edits)
    writing = time.perf_counter() - started
    ids = OutboxEvent.objects.filter(position__isnull=True).values_list("id", flat=True)
    return [str(event_id) for event_id in ids], updates / writing


def write_steadily(
    products: list[Product], updates: int, per_second: float
) -> tuple[dict[str, float], float]:
    """`updates` stock changes, one a transaction, `per_second`. Returns each event's commit time and how
    many were committed a second."""
    committed: dict[str, float] = {}
    started = time.perf_counter()
    for number in range(updates):
        time.sleep(max(0.0, started + number / per_second - time.perf_counter()))
        with transaction.atomic():
            services.adjust_stock(product=products[number % len(products)], delta=-1)
            (event_id,) = (
                OutboxEvent.objects.filter(position__isnull=True)
                .order_by("-created_at")
                .values_list("id", flat=True)[:1]
            )
            transaction.on_commit(lambda key=str(event_id): committed.__setitem__(key, time.perf_counter()))
    return committed, updates / (time.perf_counter() - started)


def measure(
    store, products, monkeypatch, *, updates: int, steady: bool, batch: int | None = None
) -> tuple[CpuUse, dict]:
    """A burst (a backlog written first, then delivered) or a steady load (delivered as it is written):
    the CPU each process spent from the workers' start to the last event applied, and the figures.
    `batch`: the rows every group reads at a time, instead of its own."""
    watch = Watch()
    watch.expected = updates
    monkeypatch.setattr(consumers, "_groups", groups(watch, batch))
    while relay_once():  # the log so far is not part of the measurement
        pass
    head = OutboxEvent.objects.order_by("-position").values_list("position", flat=True).first() or 0
    for name in consumers._groups:
        ConsumerOffset.objects.update_or_create(group=name, defaults={"position": head})
    workers = EmbeddedWorkers()
    monkeypatch.setattr(local, "_workers", workers)
    if not steady:
        ids, written = write_backlog(store, products, updates)
    # own: the relay and the groups' workers are threads of this process (as in `dukaan up`)
    servers = {"postgresql": postgres_pid()} if connection.vendor == "postgresql" else {}
    use = CpuUse(servers, own="bench").start()
    started = time.perf_counter()
    workers.start()
    workers.notify_commit()
    try:
        if steady:
            committed, written = write_steadily(products, updates, per_second=50)
            ids = list(committed)
        if not watch.done.wait(120):
            pytest.fail(
                f"events lost: applied { ({n: len(a) for n, a in watch.applied.items()}) } of {updates}"
            )
        use.stop()
    finally:
        workers.stop()
    found: dict = {"events": updates, "written_per_second": written, "groups": {}}
    for name, applied in watch.applied.items():
        twice = [key for key, calls in watch.calls[name].items() if calls != 1]
        rows = ProcessedEvent.objects.filter(group=name, event_id__in=ids).count()
        assert not twice, f"{name}: {len(twice)} events handled more than once"
        assert set(applied) == set(ids) and rows == updates, f"{name}: {updates - rows} events lost"
        figures = found["groups"][name] = {
            "delivered_per_second": updates / (max(applied.values()) - started)
        }
        if steady:
            latencies = sorted((applied[key] - committed[key]) * 1000 for key in ids)
            figures["latency_p50_ms"] = statistics.median(latencies)
            figures["latency_p99_ms"] = percentile(latencies, 0.99)
    return use, found


def rows(load: str, found: dict) -> list[list[str]]:
    return [
        [
            load,
            name,
            f"{found['events']:,}",
            f"{found['written_per_second']:,.0f}",
            f"{figures['delivered_per_second']:,.0f}",
            *(
                f"{figures[key]:.1f}" if key in figures else "–"
                for key in ["latency_p50_ms", "latency_p99_ms"]
            ),
        ]
        for name, figures in found["groups"].items()
    ]


def record_load(record, load: str, found: dict) -> None:
    note = f"{found['events']} events"
    record(f"{load}_written_per_second", found["written_per_second"], unit="events/s", note=note)
    for group, figures in found["groups"].items():
        for name, value in figures.items():
            unit = "events/s" if name == "delivered_per_second" else "ms"
            record(f"{load}_{group}_{name}", value, unit=unit, note=note)


def test_embedded_bus_throughput_and_latency(store, monkeypatch, record):
    products = [
        services.create_product(store=store, name=f"Bench {number}", price=Decimal("10"), stock=10**6)
        for number in range(PRODUCTS)
    ]
    table = Table(title="Embedded bus (local://): the cache and search groups, and one that only counts")
    for column in ["load", "group", "events", "written/s", "delivered/s", "latency p50 ms", "latency p99 ms"]:
        table.add_column(column, justify="right")
    _, before = measure(store, products, monkeypatch, updates=BEFORE, steady=False, batch=1)
    burst_cpu, burst = measure(store, products, monkeypatch, updates=BURST, steady=False)
    _, steady = measure(store, products, monkeypatch, updates=STEADY, steady=True)
    for load, found in [
        ("burst, one event a transaction", before),
        ("burst", burst),
        ("50/s steady", steady),
    ]:
        for line in rows(load, found):
            table.add_row(*line)
    Console().print(table)
    # events delivered: each group handles every one, so this is the CPU of one event through all groups
    ceiling = burst_cpu.record(record, per=BURST, unit="event")
    Console().print(burst_cpu.summary(per=BURST, unit="event"))
    record_load(record, "burst_batch_1", before)
    record_load(record, "burst", burst)
    record_load(record, "steady", steady)
    slowest = min(burst["groups"].values(), key=lambda figures: figures["delivered_per_second"])
    slowest_before = min(before["groups"].values(), key=lambda figures: figures["delivered_per_second"])
    record.target(
        "burst_delivered_per_second",
        slowest["delivered_per_second"],
        unit="events/s",
        target=TARGET,
        higher_is_better=True,
        before=slowest_before["delivered_per_second"],
        before_note=f"this run, one event a transaction, {before['events']} events",
        note=f"the slowest group, {BURST} events",
        cpu_ceiling=ceiling,
    )
