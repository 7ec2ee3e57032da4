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

from dukaan.analytics.consumers import count
from dukaan.analytics.events import STOREFRONT_VIEWED
from dukaan.analytics.models import StoreDay
from dukaan.conftest import make_store
from dukaan.events.consumers import ConsumerGroup
from dukaan.events.kafka import group_lag
from dukaan.events.models import OutboxEvent, ProcessedEvent
from dukaan.events.outbox import emit
from tests.waiting import wait_until

pytestmark = [pytest.mark.kafka]

VIEWS = 600
KILL_AT = 150
# The analytics group's topics (its aggregate types are order and storefront).
ANALYTICS_TOPICS = ["dukaan.order", "dukaan.storefront"]
# The group as group_lag() needs it: its name and the views' topic (the handler runs in the worker).
ANALYTICS = ConsumerGroup("analytics", count, frozenset({STOREFRONT_VIEWED}))


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

    wait_until(
        lambda: sum(kafka_bus.end_offsets("dukaan.storefront").values()) - published_before >= VIEWS,
        what="Debezium to publish the views",
        timeout=60,
        poll=0.1,
    )

    def applied(worker: subprocess.Popen, log: str) -> int:
        assert worker.poll() is None, (tmp_path / log).read_text()
        return views(store)

    first = worker_processes()
    wait_until(
        lambda: applied(first, "worker-1.log") >= KILL_AT, what=f"{KILL_AT} views", timeout=60, poll=0.005
    )
    os.kill(first.pid, signal.SIGKILL)
    first.wait(10)
    at_kill = views(store)
    assert KILL_AT <= at_kill < VIEWS, f"killed at {at_kill} views: not mid-stream"

    restarted_at = time.monotonic()
    second = worker_processes()
    wait_until(lambda: applied(second, "worker-2.log") >= VIEWS, what=f"{VIEWS} views", timeout=90)
    caught_up = time.monotonic() - restarted_at
    # A redelivered event would be counted before its offset is committed: wait for the last commit.
    wait_until(lambda: group_lag(ANALYTICS) == 0, what="the analytics group to commit every offset")
    assert views(store) == VIEWS
    assert ProcessedEvent.objects.filter(group="analytics", event_id__in=ids).count() == VIEWS

    second.send_signal(signal.SIGTERM)
    assert second.wait(30) == 0, (tmp_path / "worker-2.log").read_text()
    print(
        f"\nkafka: worker SIGKILLed at {at_kill}/{VIEWS} views; the restarted one reached {VIEWS} "
        f"after {caught_up:.1f} s",
        file=sys.stderr,
    )
