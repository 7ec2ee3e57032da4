"""/status: the health of every part this process depends on, on one page for staff.

The same facts the metrics carry (infra/metrics.py), read now and said in words: each row is a part,
its state (ok, degraded: serving with a fallback, down) and what to look at. Every check has a short
timeout of its own, so the page answers while a part hangs. Staff only (Django's is_staff).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.db.models import Count, Max
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache

OK, DEGRADED, DOWN = "ok", "degraded", "down"
STARTED = time.time()
# A slot that keeps more WAL than this is worth a look (the alert rules page at 5 GiB).
SLOT_WARN_BYTES = 1024**3


@dataclass
class Check:
    part: str
    state: str
    detail: str


def outbox_backlog() -> int:
    """Outbox rows the embedded relay has not published yet (local:// bus)."""
    from dukaan.events.models import OutboxEvent

    return OutboxEvent.objects.filter(position__isnull=True).count()


def embedded_consumer_lags() -> dict[str, int]:
    """Published events each consumer group of the embedded bus has not handled yet."""
    from dukaan.events.consumers import registered_groups
    from dukaan.events.models import ConsumerOffset, OutboxEvent

    last = OutboxEvent.objects.aggregate(last=Max("position"))["last"] or 0
    offsets = dict(ConsumerOffset.objects.values_list("group", "position"))
    return {name: max(last - offsets.get(name, 0), 0) for name in registered_groups()}


def replication_slots() -> dict[str, float]:
    """Bytes of WAL the primary keeps for each replication slot (PostgreSQL only)."""
    connection = connections[DEFAULT_DB_ALIAS]
    if connection.vendor != "postgresql":
        return {}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT slot_name, pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn) "
            "FROM pg_replication_slots WHERE restart_lsn IS NOT NULL AND NOT pg_is_in_recovery()"
        )
        return {slot: float(kept) for slot, kept in cursor.fetchall()}


def checks() -> list[Check]:
    return [
        _primary(),
        *_replicas(),
        _cache(),
        _search(),
        *_events(),
        *_slots(),
        *_breakers(),
    ]


def _primary() -> Check:
    from .views import database_problem

    problem, _unapplied = database_problem(DEFAULT_DB_ALIAS)
    engine = connections[DEFAULT_DB_ALIAS].vendor
    return Check("database (primary)", DOWN if problem else OK, problem or f"{engine} answers")


def _replicas() -> list[Check]:
    from . import db_routing

    if not db_routing.replica_aliases():
        return []
    db_routing.monitor()  # starts measuring in a process that has not read from a replica yet
    rows = []
    for alias, state in sorted(db_routing.replica_states().items()):
        lag = "lag unknown" if state.lag_seconds is None else f"{state.lag_seconds:.2f} s behind"
        detail = f"{lag}; {state.error}" if state.error else lag
        rows.append(Check(f"read replica {alias}", OK if state.usable else DEGRADED, detail))
    return rows


def _cache() -> Check:
    from django.core.cache import caches

    from dukaan.storefront import catalog_cache

    if settings.CACHE_URL == "locmem://":
        return Check("catalog cache", OK, "in-process memory of each worker (no Redis configured)")
    try:
        caches[settings.CATALOG_CACHE_ALIAS].get("status-probe")
    except Exception as error:  # any backend failure means pages build from the database
        return Check(
            "catalog cache",
            DEGRADED,
            f"Redis did not answer ({type(error).__name__}): pages build from the database",
        )
    if catalog_cache.breaker.state != "closed":
        return Check(
            "catalog cache", DEGRADED, f"Redis answers again; its circuit is {catalog_cache.breaker.state}"
        )
    return Check("catalog cache", OK, "Redis answers")


def _search() -> Check:
    from dukaan.search import service

    engine = "Elasticsearch" if settings.SEARCH_URL.startswith("http") else "embedded (tantivy)"
    if service.breaker.state != "closed":
        return Check("search", DEGRADED, f"{engine} failing: searches answered from the database")
    return Check(
        "search", OK, f"{engine}; {service.fallback_count()} searches fell back to the database here"
    )


def _events() -> list[Check]:
    from dukaan.events.models import DeadLetter

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
    except DatabaseError as error:
        rows.append(Check("events", DOWN, f"could not read the outbox ({type(error).__name__})"))
    return rows


def _kafka_groups() -> list[Check]:
    from dukaan.events.consumers import registered_groups
    from dukaan.events.kafka import group_lag

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


def _slots() -> list[Check]:
    try:
        slots = replication_slots()
    except DatabaseError:
        return []
    return [
        Check(
            f"replication slot {slot}",
            OK if kept < SLOT_WARN_BYTES else DEGRADED,
            f"keeps {kept / 1024**2:,.1f} MiB of WAL",
        )
        for slot, kept in sorted(slots.items())
    ]


def _breakers() -> list[Check]:
    from .circuit import CLOSED, all_breakers

    return [
        Check(f"circuit {breaker.name}", OK if breaker.state == CLOSED else DEGRADED, breaker.state)
        for breaker in all_breakers()
    ]


@never_cache
def status(request):
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path(), reverse("admin:login"))
    if not request.user.is_staff:
        raise PermissionDenied("The status page is for staff; ask an admin to mark your account as staff.")
    rows = checks()
    worst = (
        DOWN
        if any(r.state == DOWN for r in rows)
        else DEGRADED
        if any(r.state == DEGRADED for r in rows)
        else OK
    )
    return render(
        request,
        "infra/status.html",
        {
            "rows": rows,
            "overall": worst,
            "region": settings.DUKAAN_REGION,
            "uptime": timedelta(seconds=int(time.time() - STARTED)),
            "now": timezone.now(),
        },
    )
