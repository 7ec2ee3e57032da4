"""Event pipeline on Kafka + Debezium: events per second and commit-to-consumer latency.

Run by `make bench` (its PostgreSQL step: Debezium needs PostgreSQL's WAL; `BENCH=kafka` alone).
Figures are printed and recorded for docs/benchmarks/results.json (bench/report.py), not asserted;
`QUICK=1` sends a third of the events. The same two loads as bench/test_event_pipeline.py for the
embedded bus: as fast as one writer can commit, and a steady 50 commits a second. Each update is
`adjust_stock` in its own transaction; its commit time is taken with transaction.on_commit, its
arrival in the consumer group's handler (run_worker in a thread of this process, as `dukaan worker`
runs it). "on topic" is when Debezium published it (the Kafka message timestamp), read by a plain
consumer alongside.

The throwaway PostgreSQL runs synchronous_commit=off: the WAL writer flushes every wal_writer_delay
(200 ms) and logical decoding only sends flushed WAL, so that is the floor of the latency here.
"""

from __future__ import annotations

import statistics
import threading
import time
from decimal import Decimal

import pytest
from confluent_kafka import Consumer, TopicPartition
from rich.console import Console
from rich.table import Table

from bench.measure import percentile, write_stock_updates
from bench.report import QUICK
from dukaan.catalog import services
from dukaan.conftest import make_store
from dukaan.events.models import OutboxEvent
from tests.waiting import wait_until

pytestmark = [pytest.mark.bench, pytest.mark.kafka]
BURST, STEADY = (300, 100) if QUICK else (1000, 300)  # events in each load


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
            message = self.consumer.poll(0.1)
            if message is not None and message.error() is None:
                headers = dict(message.headers() or [])
                self.published[headers["id"].decode()] = message.timestamp()[1] / 1000

    def stop(self) -> None:
        self.stopping.set()
        self.thread.join(5)
        self.consumer.close()


def measure(kafka_bus, product, *, updates: int, per_second: float | None) -> dict[str, float]:
    committed: dict[str, tuple[float, float]] = {}  # event id -> (perf_counter, wall clock)
    arrived: dict[str, float] = {}
    ready = threading.Event()

    def handle(event) -> None:
        arrived.setdefault(event.id, time.perf_counter())
        if event.id in committed and len(committed) == updates and set(committed) <= set(arrived):
            ready.set()

    group = kafka_bus.group("bench", handle)
    clock = TopicClock(kafka_bus.cluster.bootstrap_servers, kafka_bus.end_offsets("dukaan.catalog"))
    worker = kafka_bus.run(group)
    # The group's first assignment is not part of the measurement: wait for one event through it.
    services.adjust_stock(product=product, delta=-1)
    warm_up = str(OutboxEvent.objects.latest("created_at").id)
    wait_until(lambda: warm_up in arrived, what="the warm-up event", timeout=60)

    try:
        started, writing = write_stock_updates(
            product,
            updates=updates,
            per_second=per_second,
            on_commit=lambda key: committed.__setitem__(key, (time.perf_counter(), time.time())),
        )
        wait_until(lambda: set(committed) <= set(arrived), what=f"{updates} events", timeout=180, poll=0.05)
    finally:
        worker.stop()
        clock.stop()
    last = max(arrived[key] for key in committed)
    latencies = [(arrived[key] - at) * 1000 for key, (at, _wall) in committed.items()]
    on_topic = [
        (clock.published[key] - wall) * 1000
        for key, (_at, wall) in committed.items()
        if key in clock.published
    ]
    return {
        "events": updates,
        "commits_per_second": updates / writing,
        "delivered_per_second": updates / (last - started),
        "on_topic_p50_ms": statistics.median(on_topic) if on_topic else None,
        "latency_p50_ms": statistics.median(latencies),
        "latency_p99_ms": percentile(latencies, 0.99),
    }


def row(load: str, found: dict) -> list[str]:
    on_topic = found["on_topic_p50_ms"]
    return [
        load,
        str(found["events"]),
        f"{found['commits_per_second']:,.0f}",
        f"{found['delivered_per_second']:,.0f}",
        f"{on_topic:.0f}" if on_topic is not None else "-",
        f"{found['latency_p50_ms']:.1f}",
        f"{found['latency_p99_ms']:.1f}",
    ]


def record_load(record, load: str, found: dict) -> None:
    units = {"commits_per_second": "commits/s", "delivered_per_second": "events/s"}
    for name, value in found.items():
        if name != "events" and value is not None:
            record(f"{load}_{name}", value, unit=units.get(name, "ms"), note=f"{found['events']} events")


def test_kafka_debezium_throughput_and_latency(kafka_bus, record):
    store = make_store("+919812347900", "kafka-bench")
    product = services.create_product(store=store, name="Bench", price=Decimal("10"), stock=10**6)
    table = Table(
        title="Kafka + Debezium (kafka://), one consumer group (run_worker), each update its own transaction"
    )
    columns = [
        "load",
        "events",
        "commits/s",
        "delivered/s",
        "on topic p50 ms",
        "latency p50 ms",
        "latency p99 ms",
    ]
    for column in columns:
        table.add_column(column, justify="right")
    burst = measure(kafka_bus, product, updates=BURST, per_second=None)
    steady = measure(kafka_bus, product, updates=STEADY, per_second=50)
    table.add_row(*row("as fast as possible", burst))
    table.add_row(*row("50/s steady", steady))
    record_load(record, "burst", burst)
    record_load(record, "steady", steady)
    console = Console(width=140)
    console.print(table)
    console.print(
        "PostgreSQL here: synchronous_commit=off, WAL flushed every wal_writer_delay (200 ms by default); "
        "Debezium only decodes flushed WAL, poll.interval.ms=100."
    )
