"""The embedded event bus (EVENT_BUS_URL=local://): the outbox table is the log.

A relay gives each committed outbox row a position, in the order it sees them commit; each
consumer group reads rows after its stored offset. Commits wake the relay at once (see
`emit()`); polling is only a safety net for commits made by other processes.
"""

import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import cast

from django.conf import settings
from django.db import close_old_connections, connection, connections, transaction
from django.db.models import Max, Min
from django.utils import timezone

from .consumers import ConsumerGroup, Event, deliver_batch, registered_groups
from .jobs import run_due_jobs_logged
from .models import ConsumerOffset, OutboxEvent, ProcessedEvent

logger = logging.getLogger(__name__)

RELAY_BATCH = 500
_RELAY_LOCK_ID = 7_201_011  # any constant: the PostgreSQL advisory lock that makes one relay at a time


# One statement numbers the oldest unpositioned rows after the highest position (an index lookup):
# the rows are not read into Python and written back one by one. PostgreSQL and SQLite (3.33+) both run it.
_RELAY_SQL = """
UPDATE outbox SET position = numbered.position
FROM (
    SELECT id, (SELECT COALESCE(MAX(position), 0) FROM outbox)
               + ROW_NUMBER() OVER (ORDER BY created_at, id) AS position
    FROM (SELECT id, created_at FROM outbox WHERE position IS NULL ORDER BY created_at, id LIMIT %s) AS oldest
) AS numbered
WHERE outbox.id = numbered.id
"""


def relay_once() -> int:
    """Give positions to committed rows that have none, oldest first. Returns how many."""
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_RELAY_LOCK_ID])
        cursor.execute(_RELAY_SQL, [RELAY_BATCH])
        relayed: int = cursor.rowcount
    return relayed


def consume_once(group: ConsumerGroup) -> int:
    """Deliver the next batch after the group's offset. Returns how many rows were read.

    The group's events of the batch are applied in one transaction with the offset (deliver_batch);
    when that fails, or the group has outside effects (an SMS must not be rolled back and redone
    because a later event failed), each in its own transaction with its offset.
    """
    offset, _ = ConsumerOffset.objects.get_or_create(group=group.name)
    # Tuples, not model instances: every group reads every row (docs/benchmarks/events.md).
    rows = list(
        OutboxEvent.objects.filter(position__gt=offset.position)
        .order_by("position")
        .values_list("position", "aggregatetype", "payload", "traceparent")[: group.batch_size]
    )
    if not rows:
        return 0
    positions: dict[str, int] = {}
    events = []
    for position, aggregatetype, payload, traceparent in rows:
        event = Event.from_envelope(payload, aggregatetype, traceparent=traceparent)
        if group.wants(event):
            positions[event.id] = cast(int, position)  # never None: the rows were read by position
            events.append(event)
    deliver_batch(group, events, on_applied=lambda event: _advance(group, positions[event.id]))
    last = cast(int, rows[-1][0])
    if not events or positions[events[-1].id] != last:  # else its delivery stored the offset
        _advance(group, last)  # past the rows the group does not read
    return len(rows)


def _advance(group: ConsumerGroup, position: int) -> None:
    ConsumerOffset.objects.filter(group=group.name).update(position=position)


def run_pending(groups: list[ConsumerGroup] | None = None) -> None:
    """Relay and deliver everything committed so far, in this thread (commands and tests use it)."""
    while relay_once():
        pass
    for group in groups if groups is not None else registered_groups().values():
        while consume_once(group):
            pass


def prune_outbox(now: datetime | None = None) -> int:
    """Delete rows every group has read and that are older than the retention. Returns how many."""
    now = now or timezone.now()
    names = list(registered_groups())
    read_by_all = ConsumerOffset.objects.filter(group__in=names).aggregate(low=Min("position"))["low"]
    if read_by_all is None or len(names) != ConsumerOffset.objects.filter(group__in=names).count():
        return 0  # a group that never started has read nothing yet
    cutoff = now - timedelta(hours=settings.EVENT_OUTBOX_RETENTION_HOURS)
    deleted, _ = OutboxEvent.objects.filter(position__lte=read_by_all, created_at__lt=cutoff).delete()
    ProcessedEvent.objects.filter(processed_at__lt=cutoff).delete()
    return deleted


def replay(group: ConsumerGroup, *, from_position: int | None = None, since: datetime | None = None) -> int:
    """Re-deliver a group's events from a position or a time; returns the new offset.

    The group's memory of those events is cleared too, or the redelivery would be skipped as
    duplicates.
    """
    if (from_position is None) == (since is None):
        raise ValueError("Give either a position or a time to replay from.")
    rows = OutboxEvent.objects.filter(position__isnull=False)
    rows = (
        rows.filter(position__gte=from_position)
        if from_position is not None
        else rows.filter(created_at__gte=since)
    )
    first = rows.order_by("position").values_list("position", flat=True).first()
    with transaction.atomic():
        start = (
            (first - 1) if first is not None else OutboxEvent.objects.aggregate(m=Max("position"))["m"] or 0
        )
        ids = [row["payload"]["id"] for row in rows.values("payload")]
        ProcessedEvent.objects.filter(group=group.name, event_id__in=ids).delete()
        ConsumerOffset.objects.update_or_create(group=group.name, defaults={"position": start})
    return start


class EmbeddedWorkers:
    """The relay, one thread per consumer group and one running due jobs, inside the serving process."""

    def __init__(self, groups: list[ConsumerGroup] | None = None) -> None:
        self._groups = groups if groups is not None else list(registered_groups().values())
        self._wake_relay = threading.Event()
        self._wake_groups: dict[str, threading.Event] = {}
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        for group in self._groups:
            self._wake_groups[group.name] = threading.Event()
            self._spawn(f"consumer-{group.name}", self._consume_loop, group)
        self._spawn("outbox-relay", self._relay_loop)
        self._spawn("scheduled-jobs", self._jobs_loop)

    def notify_commit(self) -> None:
        self._wake_relay.set()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._wake_relay.set()
        for wake in self._wake_groups.values():
            wake.set()
        for thread in self._threads:
            thread.join(timeout)

    def _spawn(self, name: str, target: Callable[..., None], *args: object) -> None:
        def run() -> None:
            try:
                target(*args)
            finally:
                connections.close_all()  # this thread's own: a stopped worker holds no connection

        thread = threading.Thread(target=run, name=name, daemon=True)
        thread.start()
        self._threads.append(thread)

    def _relay_loop(self) -> None:
        last_prune = timezone.now()
        while not self._stop.is_set():
            self._wake_relay.wait(settings.EVENT_POLL_SECONDS)
            self._wake_relay.clear()
            try:
                while relay_once():
                    for wake in self._wake_groups.values():
                        wake.set()
                if timezone.now() - last_prune > timedelta(minutes=10):
                    last_prune = timezone.now()
                    prune_outbox()
            except Exception:  # the relay must outlive a database hiccup
                logger.exception("outbox relay failed; retrying")
            finally:
                close_old_connections()

    def _jobs_loop(self) -> None:
        while not self._stop.wait(settings.JOB_POLL_SECONDS):
            try:
                run_due_jobs_logged()
            finally:
                close_old_connections()

    def _consume_loop(self, group: ConsumerGroup) -> None:
        wake = self._wake_groups[group.name]
        while not self._stop.is_set():
            wake.wait(settings.EVENT_POLL_SECONDS)
            wake.clear()
            try:
                while consume_once(group):
                    pass
            except Exception:
                logger.exception("consumer group %s failed; retrying", group.name)
            finally:
                close_old_connections()


_workers: EmbeddedWorkers | None = None


def start_embedded_workers() -> EmbeddedWorkers:
    global _workers
    if _workers is None:
        _workers = EmbeddedWorkers()
        _workers.start()
    return _workers


def notify_commit() -> None:
    """Called on every commit that wrote an outbox row: wakes the relay if it runs here."""
    if _workers is not None:
        _workers.notify_commit()
