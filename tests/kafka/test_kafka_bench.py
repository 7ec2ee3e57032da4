"""Event pipeline on Kafka + Debezium: events per second and commit-to-consumer latency.

Run by `make bench` (its PostgreSQL step: Debezium needs PostgreSQL's WAL; `BENCH=kafka` alone).
Figures are printed and recorded for docs/benchmarks/results.json (bench/report.py); the correctness
checks (0 lost, 0 applied twice) are asserted. Two loads, each run by the batched worker and by the
worker as it was before (one event per transaction, a blocking offset commit after each:
`run_worker(batch=1, synchronous_commits=True)`), in the same run:

- a burst: events committed as fast as the database takes them (outbox rows written 500 to a
  transaction), then delivered/s = events / (last one applied - first one committed), through
  Debezium, Kafka and the group's worker;
- a steady 50 commits a second, each `adjust_stock` in its own transaction: the latency from its
  commit (transaction.on_commit) to the consumer group's effect committed (on_commit in the handler).

One consumer group, run_worker in a thread of this process (as `dukaan worker` runs it). "on topic" is
when Debezium published the event (the Kafka message timestamp), read by a plain consumer alongside.
The figures before the PostgreSQL and Debezium settings changed (docs/benchmarks/events.md) are the
make bench of 2026-11-24 at cca8132: the settings cannot be switched back within a run.
"""

from __future__ import annotations

import statistics
import threading
import time
from collections import Counter
from collections.abc import Callable
from decimal import Decimal

import pytest
from confluent_kafka import Consumer, TopicPartition
from django.db import transaction
from rich.console import Console
from rich.table import Table

from bench.measure import CpuUse, percentile, postgres_pid, write_stock_updates
from bench.report import QUICK
from dukaan.catalog import services
from dukaan.catalog.events import STOCK_CHANGED
from dukaan.conftest import make_store
from dukaan.events.models import OutboxEvent, ProcessedEvent
from dukaan.events.outbox import outbox_event
from tests.waiting import wait_until

pytestmark = [pytest.mark.bench, pytest.mark.kafka]
# Events in each load; the worker before batching gets a shorter burst (its rate is the figure).
BURST, BURST_BEFORE, STEADY = (2_000, 300, 100) if QUICK else (10_000, 1_000, 300)
# Sent through first, not measured: Connect and the broker are JVMs, and until their JIT has compiled
# the path a burst costs them about 5x the CPU per event of a warm run (docs/benchmarks/events.md); a
# deployed pipeline runs warm.
WARM_UP = 2_000
ROWS_PER_TRANSACTION = 500
BATCHED: dict = {}  # run_worker's defaults
BEFORE = {"batch": 1, "synchronous_commits": True}
DOCUMENTED = "make bench of 2026-11-24 at cca8132 (docs/benchmarks/README.md)"


class TopicClock:
    """Reads dukaan.catalog from its current end and notes each event's message timestamp (ms)."""

    def __init__(self, bootstrap_servers: str, ends: dict[int, int]) -> None:
        self.published: dict[str, float] = {}
        self.stopping = threading.Event()
        self.consumer = Consumer(
            {
                "bootstrap.servers": bootstrap_servers,
                "group.id": "dukaan-bench-clock",
                "enable.auto.commit": False,
            }
        )
        self.consumer.assign([TopicPartition("dukaan.catalog", p, offset) for p, offset in ends.items()])
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        while not self.stopping.is_set():
            for message in self.consumer.consume(1000, 0.1):
                if message.error() is None:
                    headers = dict(message.headers() or [])
                    self.published[headers["id"].decode()] = message.timestamp()[1] / 1000

    def stop(self) -> None:
        self.stopping.set()
        self.thread.join(5)
        self.consumer.close()


Committed = Callable[[str], None]  # notes an event id as its transaction commits


def write_burst(product, *, updates: int, on_commit: Committed) -> tuple[float, float]:
    """`updates` stock.changed outbox rows, ROWS_PER_TRANSACTION to a transaction, as fast as possible."""
    started = time.perf_counter()
    for first in range(0, updates, ROWS_PER_TRANSACTION):
        with transaction.atomic():
            rows = OutboxEvent.objects.bulk_create(
                outbox_event(
                    STOCK_CHANGED,
                    store_id=product.store_id,
                    data={"id": product.pk, "variant_id": None, "stock": number, "version": number},
                )
                for number in range(first, min(first + ROWS_PER_TRANSACTION, updates))
            )
            ids = [str(row.id) for row in rows]
            transaction.on_commit(lambda ids=ids: [on_commit(key) for key in ids])
    return started, time.perf_counter() - started


def processes(kafka_bus) -> dict[str, int]:
    """The servers a burst runs through, by name: their CPU is measured with the bench's own (CpuUse)."""
    data = kafka_bus.cluster.data_dir
    return {
        "broker": int((data / "broker.pid").read_text()),
        "connect": int((data / "connect.pid").read_text()),
        "postgresql": postgres_pid(),
    }


def measure(kafka_bus, product, write, *, updates: int, worker: dict) -> tuple[CpuUse, dict[str, float]]:
    """The CPU each process spent from the first write to the last event applied, and the load's figures."""
    committed: dict[str, tuple[float, float]] = {}  # event id -> (perf_counter, wall clock)
    arrived: dict[str, float] = {}
    applied = Counter()  # event id -> effects committed

    def handle(event) -> None:
        def effect() -> None:
            arrived.setdefault(event.id, time.perf_counter())
            applied[event.id] += 1

        transaction.on_commit(effect)

    group = kafka_bus.group("bench", handle)
    clock = TopicClock(kafka_bus.cluster.bootstrap_servers, kafka_bus.end_offsets("dukaan.catalog"))
    running = kafka_bus.run(group, **worker)
    # The group's first assignment is not part of the measurement: wait for one event through it.
    services.adjust_stock(product=product, delta=-1)
    warm_up = str(OutboxEvent.objects.latest("created_at").id)
    wait_until(lambda: warm_up in arrived, what="the warm-up event", timeout=60)

    def note(key: str) -> None:
        committed[key] = (time.perf_counter(), time.time())

    try:
        wall_started = time.time()
        # own: the worker, the writer and the topic clock are threads of this process
        use = CpuUse(processes(kafka_bus), own="bench").start()
        started, writing = write(product, updates=updates, on_commit=note)
        wait_until(lambda: set(committed) <= set(arrived), what=f"{updates} events", timeout=300, poll=0.05)
        use.stop()
    finally:
        running.stop()
        clock.stop()
    last = max(arrived[key] for key in committed)
    latencies = [(arrived[key] - at) * 1000 for key, (at, _wall) in committed.items()]
    on_topic = [
        (clock.published[key] - wall) * 1000
        for key, (_at, wall) in committed.items()
        if key in clock.published
    ]
    processed = ProcessedEvent.objects.filter(group=group.name, event_id__in=list(committed)).count()
    return use, {
        "events": updates,
        "commits_per_second": updates / writing,
        "delivered_per_second": updates / (last - started),
        # Debezium's part of the rate: events / (last one on the topic - first one committed)
        "published_per_second": updates / (max(clock.published.values()) - wall_started)
        if clock.published
        else None,
        "on_topic_p50_ms": statistics.median(on_topic) if on_topic else None,
        "latency_p50_ms": statistics.median(latencies),
        "latency_p99_ms": percentile(latencies, 0.99),
        "lost": updates - processed,
        "applied_twice": sum(1 for key in committed if applied[key] > 1),
    }


def row(load: str, found: dict) -> list[str]:
    on_topic = found["on_topic_p50_ms"]
    return [
        load,
        str(found["events"]),
        f"{found['commits_per_second']:,.0f}",
        f"{found['published_per_second'] or 0:,.0f}",
        f"{found['delivered_per_second']:,.0f}",
        f"{on_topic:.0f}" if on_topic is not None else "-",
        f"{found['latency_p50_ms']:.1f}",
        f"{found['latency_p99_ms']:.1f}",
        f"{found['lost']} / {found['applied_twice']}",
    ]


def record_load(record, load: str, found: dict) -> None:
    units = {
        "commits_per_second": "commits/s",
        "published_per_second": "events/s",
        "delivered_per_second": "events/s",
        "lost": "events",
        "applied_twice": "events",
    }
    for name, value in found.items():
        if name != "events" and value is not None:
            record(f"{load}_{name}", value, unit=units.get(name, "ms"), note=f"{found['events']} events")


def test_kafka_debezium_throughput_and_latency(kafka_bus, record):
    store = make_store("+919812347900", "kafka-bench")
    product = services.create_product(store=store, name="Bench", price=Decimal("10"), stock=10**6)
    table = Table(title="Kafka + Debezium (kafka://), one consumer group (run_worker)")
    columns = ["load", "events", "commits/s", "on topic/s", "delivered/s", "on topic p50 ms"]
    for column in [*columns, "latency p50 ms", "latency p99 ms", "lost / twice"]:
        table.add_column(column, justify="right")
    steady_writer = lambda product, **kw: write_stock_updates(product, per_second=50, **kw)  # noqa: E731
    measure(kafka_bus, product, write_burst, updates=WARM_UP, worker=BATCHED)
    _, burst_before = measure(kafka_bus, product, write_burst, updates=BURST_BEFORE, worker=BEFORE)
    burst_cpu, burst = measure(kafka_bus, product, write_burst, updates=BURST, worker=BATCHED)
    _, steady_before = measure(kafka_bus, product, steady_writer, updates=STEADY, worker=BEFORE)
    _, steady = measure(kafka_bus, product, steady_writer, updates=STEADY, worker=BATCHED)
    loads = {"burst_before": burst_before, "burst": burst, "steady_before": steady_before, "steady": steady}
    labels = {
        "burst_before": "burst, worker before (1 event a transaction, sync commits)",
        "burst": "burst, batched worker",
        "steady_before": "50/s steady, worker before",
        "steady": "50/s steady, batched worker",
    }
    for load, found in loads.items():
        table.add_row(*row(labels[load], found))
        record_load(record, load, found)
    console = Console(width=160)
    console.print(table)
    ceiling = burst_cpu.record(record, per=burst["events"], unit="event")
    console.print(burst_cpu.summary(per=burst["events"], unit="event"))
    record.target(
        "burst_delivered_per_group",
        burst["delivered_per_second"],
        unit="events/s",
        target=5_000,
        higher_is_better=True,
        before=burst_before["delivered_per_second"],
        before_note="this run, run_worker(batch=1, synchronous_commits=True)",
        note=f"{burst['events']} events",
        cpu_ceiling=ceiling,
    )
    record.target(
        "steady_latency_p99",
        steady["latency_p99_ms"],
        unit="ms",
        target=100,
        higher_is_better=False,
        before=926,
        before_note=DOCUMENTED,
        note=f"{steady['events']} events at 50 commits/s",
    )
    for load, found in loads.items():
        assert (found["lost"], found["applied_twice"]) == (0, 0), f"{load}: lost / applied twice"
