"""The event pipeline's rows on /status and gauges on /metrics: the outbox relay's backlog, each consumer
group's lag (asked of Kafka in Kafka mode), the dead letters of the last day and the scheduled jobs late
or given up on. apps.py adds them to infra's pages (dukaan/infra/registry.py)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError
from django.db.models import Count, Max
from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily

from dukaan.infra.registry import DEGRADED, DOWN, OK, Check

from .consumers import registered_groups
from .models import ConsumerOffset, DeadLetter, OutboxEvent, ScheduledJob

# A due job still waiting this long after its time means no worker is running jobs (the row says 5 min).
JOB_LATE_AFTER = timedelta(minutes=5)


def outbox_backlog() -> int:
    """Outbox rows the embedded relay has not published yet (local:// bus)."""
    return OutboxEvent.objects.filter(position__isnull=True).count()


def embedded_consumer_lags() -> dict[str, int]:
    """Published events each consumer group of the embedded bus has not handled yet."""
    last = OutboxEvent.objects.aggregate(last=Max("position"))["last"] or 0
    offsets = dict(ConsumerOffset.objects.values_list("group", "position"))
    return {name: max(last - offsets.get(name, 0), 0) for name in registered_groups()}


def status_rows() -> list[Check]:
    rows = []
    try:
        if settings.EVENT_BUS_URL.startswith("local:"):
            backlog = outbox_backlog()
            rows.append(
                Check("outbox relay", OK if backlog < 100 else DEGRADED, f"not yet published: {backlog}")
            )
            for group, behind in embedded_consumer_lags().items():
                rows.append(
                    Check(
                        f"consumer group {group}",
                        OK if behind < 100 else DEGRADED,
                        f"events not handled yet: {behind}",
                    )
                )
        else:
            rows.extend(_kafka_groups())
        day_ago = timezone.now() - timedelta(days=1)
        parked = dict(
            DeadLetter.objects.filter(created_at__gte=day_ago).values_list("group").annotate(n=Count("id"))
        )
        detail = ", ".join(f"{group}: {count}" for group, count in sorted(parked.items())) or "none"
        rows.append(Check("dead letters (24 h)", DEGRADED if parked else OK, detail))
        late, failed = jobs_late_and_failed()
        rows.append(
            Check(
                "scheduled jobs",
                DEGRADED if late or failed else OK,
                f"late by over 5 min: {late}, given up: {failed} (dukaan events jobs)",
            )
        )
    except DatabaseError as error:
        rows.append(Check("events", DOWN, f"could not read the outbox ({type(error).__name__})"))
    return rows


def jobs_late_and_failed() -> tuple[int, int]:
    """Scheduled jobs due longer ago than JOB_LATE_AFTER and still waiting, and jobs given up on."""
    late = ScheduledJob.objects.filter(failed_at__isnull=True, due_at__lt=timezone.now() - JOB_LATE_AFTER)
    return late.count(), ScheduledJob.objects.filter(failed_at__isnull=False).count()


def _kafka_groups() -> list[Check]:
    from .kafka import group_lag  # confluent-kafka: loaded only in Kafka mode

    rows = []
    for group in registered_groups().values():
        behind = group_lag(group)
        if behind is None:
            rows.append(Check(f"consumer group {group.instance}", DOWN, "Kafka did not answer"))
        else:
            state = OK if behind < 1000 else DEGRADED
            rows.append(
                Check(f"consumer group {group.instance}", state, f"events on Kafka not handled yet: {behind}")
            )
    return rows


def database_metrics() -> Iterator[GaugeMetricFamily]:
    """The embedded bus's backlog and lag, from the outbox table; with Kafka each worker reports its own
    lag (infra.metrics.record_consumer_lag) and Debezium's replication slot says the backlog."""
    if not settings.EVENT_BUS_URL.startswith("local:"):
        return
    backlog = GaugeMetricFamily("dukaan_outbox_backlog", "Outbox events committed, not yet published")
    backlog.add_metric([], outbox_backlog())
    yield backlog
    lag = GaugeMetricFamily(
        "dukaan_consumer_lag_events",
        "Published events the group has not handled yet",
        labels=["group"],
    )
    for group, behind in embedded_consumer_lags().items():
        lag.add_metric([group], behind)
    yield lag
