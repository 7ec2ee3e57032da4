"""A real Kafka broker, Kafka Connect and Debezium's outbox router for the tests under tests/kafka.

`kafka_cluster` (session-scoped) runs `python -m deploy.local kafka start` with a temporary data directory,
pointed at the *test* database pytest-django created (test_<name>, on the throwaway server that
`python -m deploy.local with-postgres` starts for `make test-postgres`), and stops it when the session ends.

`kafka_bus` (per test, with transactional_db) points EVENT_BUS_URL at that broker and gives the test
its own consumer groups: `Recorder`s whose handler notes each event it applied once the effect
committed, run by `dukaan.events.kafka.run_worker` in threads of this process (`WorkerThread`).

Debezium reads PostgreSQL's write-ahead log, so on SQLite these tests are skipped: the PostgreSQL
pass covers them. When CI=true and the database is PostgreSQL, a Kafka that does not start is a
failure, never a skip.
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
import subprocess
import sys
import threading
import time
import urllib.parse
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from confluent_kafka import Consumer, KafkaException, TopicPartition

from tests.processes import deploy_local
from tests.waiting import wait_until

REPO = Path(__file__).resolve().parents[2]
# Not the default slot name: a developer's own Connect may use that one on the same server.
TEST_SLOT = "dukaan_outbox_test"
START_TIMEOUT_S = 150

SQLITE_REASON = (
    "Debezium reads PostgreSQL's write-ahead log (a logical replication slot), which SQLite does not have; "
    "the PostgreSQL pass (make test-postgres) runs these tests"
)


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("true", "1", "yes")


@dataclass
class KafkaCluster:
    bootstrap_servers: str
    connect_url: str
    data_dir: Path
    start_seconds: float
    state: dict
    pg_url: str = ""

    def stop(self) -> float:
        """Stop Connect, then the broker (`kafka.py stop`); returns the seconds it took."""
        began = time.monotonic()
        result = run_kafka_py("stop", "--data", str(self.data_dir), timeout=120)
        assert result.returncode == 0, f"`kafka.py stop` failed:\n{result.stderr}"
        return time.monotonic() - began

    def start(self) -> float:
        """Start both again with the same data directory, database and slot; returns the seconds it took."""
        began = time.monotonic()
        result = run_kafka_py(*start_arguments(self.data_dir, self.pg_url), timeout=START_TIMEOUT_S + 30)
        assert result.returncode == 0, f"`kafka.py start` failed:\n{result.stderr}"
        state = json.loads((self.data_dir / "state.json").read_text())
        # The clients keep the address they were given: the broker must come back on the same port.
        assert state["bootstrap_servers"] == self.bootstrap_servers, (
            f"the broker came back on {state['bootstrap_servers']}, not {self.bootstrap_servers}"
        )
        return time.monotonic() - began


def database_url(settings: dict) -> str:
    """postgres://user:password@host:port/name for a Django connection's settings."""
    user = urllib.parse.quote(settings.get("USER") or "postgres", safe="")
    password = settings.get("PASSWORD") or ""
    auth = f"{user}:{urllib.parse.quote(password, safe='')}" if password else user
    host = settings.get("HOST") or "127.0.0.1"
    port = settings.get("PORT") or "5432"
    return f"postgres://{auth}@{host}:{port}/{urllib.parse.quote(settings['NAME'], safe='')}"


def missing_tools() -> str | None:
    """Why Kafka cannot start on this machine at all, or None."""
    if not shutil.which("java"):
        return "no `java` on PATH (Kafka needs Java 17+: apt-get install -y openjdk-17-jdk-headless maven)"
    cache_home = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    fetched = list((Path(cache_home) / "dukaan").glob("kafka-*/broker/lib/.complete"))
    if not fetched and not shutil.which("mvn"):
        return "Kafka's jars are not fetched and there is no `mvn` to fetch them (apt-get install -y maven)"
    return None


def start_arguments(data_dir: Path, pg_url: str) -> list[str]:
    return [
        "start",
        "--data",
        str(data_dir),
        "--pg-url",
        pg_url,
        "--slot",
        TEST_SLOT,
        "--timeout",
        str(START_TIMEOUT_S),
        # If this pytest is killed, a watchdog stops the JVMs instead of leaving them running.
        "--stop-with-pid",
        str(os.getpid()),
    ]


def run_kafka_py(*args: str, timeout: float) -> subprocess.CompletedProcess:
    return deploy_local("kafka", *args, timeout=timeout)


def drop_test_slot(connection) -> None:
    """Drop the test's replication slot, if idle: a slot holds WAL and blocks DROP DATABASE."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots "
            "WHERE slot_name = %s AND NOT active",
            [TEST_SLOT],
        )


@pytest.fixture(scope="session")
def kafka_cluster(request, tmp_path_factory) -> KafkaCluster:
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip(SQLITE_REASON)
    why_not = missing_tools()
    if why_not:
        if in_ci():
            pytest.fail(f"CI runs on PostgreSQL, so Kafka must start here, but: {why_not}")
        pytest.skip(f"cannot start Kafka on this machine: {why_not}")

    request.getfixturevalue("django_db_setup")  # the test database exists (and outlives this fixture)
    django_db_blocker = request.getfixturevalue("django_db_blocker")
    with django_db_blocker.unblock():
        drop_test_slot(connection)  # left behind by a run that was killed
        url = database_url(connection.settings_dict)

    data_dir = tmp_path_factory.mktemp("kafka")
    began = time.monotonic()
    try:
        result = run_kafka_py(
            *start_arguments(data_dir, url),
            timeout=START_TIMEOUT_S + 120,  # + a first `fetch` from Maven Central
        )
        failure = None if result.returncode == 0 else f"exit {result.returncode}:\n{result.stderr}"
    except subprocess.TimeoutExpired as error:
        failure = f"did not return in {error.timeout:.0f} s:\n{error.stderr or ''}"
    start_seconds = time.monotonic() - began

    def stop_and_release_slot():
        stopped = run_kafka_py("stop", "--data", str(data_dir), timeout=120)
        with django_db_blocker.unblock():
            drop_test_slot(connection)
        if stopped.returncode != 0:
            print(stopped.stderr, file=sys.stderr)

    request.addfinalizer(stop_and_release_slot)
    if failure:
        # A failure, not a skip: the machine has Java and the database is PostgreSQL.
        pytest.fail(f"`kafka.py start` failed ({data_dir}/logs has the JVMs' logs), {failure}")

    state = json.loads((data_dir / "state.json").read_text())
    print(f"\nkafka: broker + Connect + Debezium connector RUNNING in {start_seconds:.1f} s", file=sys.stderr)
    return KafkaCluster(
        bootstrap_servers=state["bootstrap_servers"],
        connect_url=state["connect_url"],
        data_dir=data_dir,
        start_seconds=start_seconds,
        state=state,
        pg_url=url,
    )


# --- Consumer groups of a test, run by the real Kafka worker ------------------------------------------


class Poison(Exception):
    """What a Recorder's handler raises for the events it was told to fail on."""


@dataclass
class Recorder:
    """A consumer group whose effect is a note of each event, taken when the effect's transaction commits."""

    name: str
    aggregatetypes: frozenset[str]
    fail_on: set[str] = field(default_factory=set)
    effects: list = field(default_factory=list)
    delay: float = 0.0  # seconds each event takes, to make a backlog
    by_thread: Counter = field(default_factory=Counter)  # effects per worker thread

    def handle(self, event) -> None:
        from django.db import transaction

        time.sleep(self.delay)
        if event.id in self.fail_on:
            raise Poison(f"poison pill {event.id}")
        worker = threading.current_thread().name

        def applied() -> None:
            self.effects.append(event)
            self.by_thread[worker] += 1

        transaction.on_commit(applied)

    @property
    def group(self):
        from dukaan.events.consumers import ConsumerGroup
        from dukaan.events.contract import types_on

        return ConsumerGroup(self.name, self.handle, types_on(self.aggregatetypes))

    @property
    def topics(self) -> list[str]:
        from dukaan.events.kafka import topics_for

        return topics_for(self.group)

    def ids(self) -> list[str]:
        return [event.id for event in list(self.effects)]

    def counts(self) -> Counter:
        return Counter(self.ids())

    def not_applied_once(self, ids: Iterable[str]) -> list[str]:
        """The ids among `ids` whose effect is not recorded exactly once."""
        counts = self.counts()
        return [event_id for event_id in ids if counts[event_id] != 1]

    def processed(self, ids: Iterable[str]) -> int:
        """How many of `ids` the group has a ProcessedEvent row for."""
        from dukaan.events.models import ProcessedEvent

        return ProcessedEvent.objects.filter(group=self.name, event_id__in=list(ids)).count()

    def stock_versions(self) -> dict[int, list[int]]:
        """Each store's stock.changed versions, in the order the effects were recorded."""
        versions: dict[int, list[int]] = defaultdict(list)
        for event in self.effects:
            if event.type == "stock.changed":
                versions[event.store_id].append(event.data["version"])
        return versions

    def wait_for(self, ids: Iterable[str], timeout: float = 60) -> None:
        wanted = set(map(str, ids))
        wait_until(
            lambda: wanted <= set(self.ids()),
            what=f"group {self.name} to apply {len(wanted)} events (it has {len(wanted & set(self.ids()))})",
            timeout=timeout,
        )


class WorkerThread:
    """`run_worker(group)` in a thread, as `dukaan worker` runs it; stop() re-raises what ended it."""

    numbers = itertools.count(1)

    def __init__(self, group, **options) -> None:
        self.group, self.options = group, options  # options: run_worker's batch, synchronous_commits
        self.stopping = threading.Event()
        self.error: BaseException | None = None
        self.thread = threading.Thread(
            target=self._run, name=f"worker-{group.name}-{next(WorkerThread.numbers)}", daemon=True
        )
        self.thread.start()

    def _run(self) -> None:
        from django.db import connections

        from dukaan.events.kafka import run_worker

        try:
            run_worker(self.group, stop=self.stopping, **self.options)
        except BaseException as error:  # handed to the test by stop()
            self.error = error
        finally:
            connections.close_all()  # this thread's connections: the test database is flushed next

    def alive(self) -> bool:
        return self.thread.is_alive()

    def stop(self, timeout: float = 30) -> None:
        self.stopping.set()
        self.thread.join(timeout)
        assert not self.thread.is_alive(), f"worker {self.group.name} did not stop within {timeout} s"
        if self.error is not None:
            raise AssertionError(f"worker {self.group.name} ended with an error") from self.error


def move_group_to_end(bootstrap_servers: str, group_id: str, topics: Iterable[str]) -> dict:
    """Commit the current end of every partition of `topics` (those that exist) for the Kafka group.

    The topics hold what earlier tests published; a test's group starts after it. Returns
    {(topic, partition): offset}.
    """
    consumer = Consumer(
        {"bootstrap.servers": bootstrap_servers, "group.id": group_id, "enable.auto.commit": False}
    )
    try:
        metadata = consumer.list_topics(timeout=10)
        offsets = []
        for topic in topics:
            if topic not in metadata.topics or metadata.topics[topic].error is not None:
                continue  # made on first use; the group then reads it from its beginning
            for partition in sorted(metadata.topics[topic].partitions):
                _low, high = consumer.get_watermark_offsets(
                    TopicPartition(topic, partition), timeout=10, cached=False
                )
                offsets.append(TopicPartition(topic, partition, high))
        if offsets:
            # Right after the broker starts its group coordinator may still be loading (retriable).
            wait_until(
                lambda: consumer.commit(offsets=offsets, asynchronous=False),
                what=f"Kafka to take group {group_id}'s offsets",
                timeout=30,
                ignoring=(KafkaException,),
            )
        return {(tp.topic, tp.partition): tp.offset for tp in offsets}
    finally:
        consumer.close()


class KafkaBus:
    def __init__(self, cluster: KafkaCluster) -> None:
        self.cluster = cluster
        self.workers: list[WorkerThread] = []

    def recorder(self, prefix: str, aggregatetypes: Iterable[str] = ("catalog",), fail_on=()) -> Recorder:
        """A new consumer group (a unique name, so a new Kafka group), registered, reading from the end."""
        recorder = Recorder(f"{prefix}-{uuid.uuid4().hex[:8]}", frozenset(aggregatetypes), set(fail_on))
        self.register(recorder.group)
        return recorder

    def group(self, prefix: str, handler, aggregatetypes: Iterable[str] = ("catalog",)):
        """A new consumer group with this handler, registered, reading from the end."""
        from dukaan.events.consumers import ConsumerGroup
        from dukaan.events.contract import types_on

        return self.register(
            ConsumerGroup(f"{prefix}-{uuid.uuid4().hex[:8]}", handler, types_on(aggregatetypes))
        )

    def register(self, group):
        from dukaan.events import consumers
        from dukaan.events.kafka import group_id, topics_for

        consumers._groups[group.name] = group
        move_group_to_end(self.cluster.bootstrap_servers, group_id(group), topics_for(group))
        return group

    def move_to_end(self, group_id: str, topics: Iterable[str]) -> dict:
        return move_group_to_end(self.cluster.bootstrap_servers, group_id, topics)

    def end_offsets(self, topic: str) -> dict[int, int]:
        """{partition: offset after its last message}; {} while the topic does not exist."""
        consumer = Consumer(
            {"bootstrap.servers": self.cluster.bootstrap_servers, "group.id": "dukaan-tests-peek"}
        )
        try:
            metadata = consumer.list_topics(timeout=10).topics.get(topic)
            if metadata is None or metadata.error is not None:
                return {}
            return {
                partition: consumer.get_watermark_offsets(
                    TopicPartition(topic, partition), timeout=10, cached=False
                )[1]
                for partition in sorted(metadata.partitions)
            }
        finally:
            consumer.close()

    def read_until(self, topic: str, start: dict[int, int], enough, *, what: str, timeout: float = 60):
        """The messages of `topic` from `start` ({partition: offset}) on, read until enough(messages)."""
        consumer = Consumer(
            {
                "bootstrap.servers": self.cluster.bootstrap_servers,
                "group.id": "dukaan-tests-peek",
                "enable.auto.commit": False,
            }
        )
        consumer.assign([TopicPartition(topic, partition, offset) for partition, offset in start.items()])
        messages = []

        def read_one() -> bool:
            message = consumer.poll(0.1)
            if message is not None and message.error() is None:
                messages.append(message)
            return enough(messages)

        try:
            wait_until(read_one, what=what, timeout=timeout, poll=0)
            return messages
        finally:
            consumer.close()

    def run(self, group: Recorder | object, **options) -> WorkerThread:
        """run_worker(group, **options) in a thread; `group` is a Recorder or a ConsumerGroup."""
        worker = WorkerThread(group.group if isinstance(group, Recorder) else group, **options)
        self.workers.append(worker)
        return worker

    def stop_all(self) -> None:
        errors = []
        for worker in self.workers:
            try:
                worker.stop()
            except AssertionError as error:
                errors.append(error)
        self.workers.clear()
        if errors:
            raise errors[0]


@pytest.fixture
def kafka_bus(kafka_cluster, transactional_db, settings, monkeypatch):
    """EVENT_BUS_URL=kafka://<the test broker>, and no consumer groups but the ones the test makes."""
    from dukaan.events import consumers

    settings.EVENT_BUS_URL = f"kafka://{kafka_cluster.bootstrap_servers}"
    monkeypatch.setattr(consumers, "_groups", {})
    bus = KafkaBus(kafka_cluster)
    yield bus
    bus.stop_all()  # before transactional_db flushes the tables the workers write
