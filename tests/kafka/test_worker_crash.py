"""`dukaan worker --group analytics` killed mid-stream (SIGKILL) and started again: no loss, no double effect.

The worker commits a message's offset only after `deliver()` applied it and recorded the event id
(ProcessedEvent) in the same transaction as the effect, so a kill between the two redelivers an event
the restarted worker then skips. The effect counted here, StoreDay.views, would show either mistake.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
from django.db import transaction
from django.db.models import Sum

from dukaan.analytics.events import STOREFRONT_VIEWED
from dukaan.analytics.models import StoreDay
from dukaan.conftest import make_store
from dukaan.events.models import OutboxEvent, ProcessedEvent
from dukaan.events.outbox import emit

pytestmark = [pytest.mark.kafka]

VIEWS = 600
KILL_AT = 150
# The analytics group's topics (its aggregate types are order and storefront).
ANALYTICS_TOPICS = ["dukaan.order", "dukaan.storefront"]


@pytest.fixture
def worker_processes(kafka_cluster, tmp_path):
    """Start `dukaan worker --group analytics` processes on the test database and the test broker."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "dukaan.config.settings",
        "DATABASE_URL": kafka_cluster.pg_url,
        "EVENT_BUS_URL": f"kafka://{kafka_cluster.bootstrap_servers}",
        "EVENT_MAX_ATTEMPTS": "2",
        "EVENT_RETRY_BASE_SECONDS": "0.05",
        "PYTHONUNBUFFERED": "1",
    }
    started: list[tuple[subprocess.Popen, object]] = []

    def start() -> subprocess.Popen:
        log = open(tmp_path / f"worker-{len(started) + 1}.log", "wb")  # noqa: SIM115 (closed below)
        process = subprocess.Popen(
            [sys.executable, "-m", "dukaan.cli", "worker", "--group", "analytics"],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        started.append((process, log))
        return process

    yield start
    for process, log in started:
        if process.poll() is None:
            process.kill()
            process.wait(10)
        log.close()


def views(store) -> int:
    return StoreDay.objects.filter(store=store).aggregate(total=Sum("views"))["total"] or 0


def test_worker_killed_mid_stream_resumes_without_loss_or_double_count(kafka_bus, worker_processes, tmp_path):
    store = make_store("+919812347100", "kafka-views")
    before = kafka_bus.move_to_end("dukaan-analytics", ANALYTICS_TOPICS)
    published_before = sum(o for (topic, _), o in before.items() if topic == "dukaan.storefront")

    for _ in range(VIEWS):
        with transaction.atomic():
            emit(STOREFRONT_VIEWED, store_id=store.pk, data={"views": 1, "products": {}})
    ids = list(OutboxEvent.objects.filter(aggregatetype="storefront").values_list("id", flat=True))
    assert len(ids) == VIEWS

    def all_published():
        return sum(kafka_bus.end_offsets("dukaan.storefront").values()) - published_before >= VIEWS

    deadline = time.monotonic() + 60
    while not all_published():
        assert time.monotonic() < deadline, "Debezium did not publish the views within 60 s"
        time.sleep(0.1)

    first = worker_processes()
    deadline = time.monotonic() + 60
    while views(store) < KILL_AT:
        assert first.poll() is None, (tmp_path / "worker-1.log").read_text()
        assert time.monotonic() < deadline, "the first worker applied too little within 60 s"
        time.sleep(0.005)
    os.kill(first.pid, signal.SIGKILL)
    first.wait(10)
    at_kill = views(store)
    assert KILL_AT <= at_kill < VIEWS, f"killed at {at_kill} views: not mid-stream"

    restarted_at = time.monotonic()
    second = worker_processes()
    deadline = time.monotonic() + 90
    while views(store) < VIEWS:
        assert second.poll() is None, (tmp_path / "worker-2.log").read_text()
        assert time.monotonic() < deadline, f"only {views(store)} of {VIEWS} views after the restart"
        time.sleep(0.02)
    caught_up = time.monotonic() - restarted_at
    time.sleep(2)  # a redelivered event would be counted by now
    assert views(store) == VIEWS
    assert ProcessedEvent.objects.filter(group="analytics", event_id__in=ids).count() == VIEWS

    second.send_signal(signal.SIGTERM)
    assert second.wait(30) == 0, (tmp_path / "worker-2.log").read_text()
    print(
        f"\nkafka: worker SIGKILLed at {at_kill}/{VIEWS} views; the restarted one reached {VIEWS} "
        f"after {caught_up:.1f} s",
        file=sys.stderr,
    )
