"""/status: the health of every part this process depends on, on one page for staff.

The same facts the metrics carry (infra/metrics.py), read now and said in words: each row is a part,
its state (ok, degraded: serving with a fallback, down) and what to look at. Every check has a short
timeout of its own, so the page answers while a part hangs. Staff only (Django's is_staff). Rows
about an app's own parts (the catalog cache, search, events) come from that app, through
registry.add_status_section.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, pgettext_lazy
from django.views.decorators.cache import never_cache

from . import registry
from .registry import DEGRADED, DOWN, OK, Check

STARTED = time.time()
# A state as the page says it, in the reader's language; the badge's class keeps the state itself.
STATE_WORDS = {
    OK: pgettext_lazy("health", "ok"),
    DEGRADED: pgettext_lazy("health", "degraded"),
    DOWN: pgettext_lazy("health", "down"),
}
# A slot that keeps more WAL than this is worth a look (the alert rules page at 5 GiB).
SLOT_WARN_BYTES = 1024**3


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
    rows = [_primary(), *_replicas()]
    for section in registry.status_sections():  # the apps' parts: the catalog cache, search, events…
        rows.extend(section())
    return [*rows, *_slots(), *_breakers()]


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
        raise PermissionDenied(
            gettext("The status page is for Dukaan's staff; ask an admin to mark your account as staff.")
        )
    rows = checks()
    worst = (
        DOWN
        if any(r.state == DOWN for r in rows)
        else DEGRADED
        if any(r.state == DEGRADED for r in rows)
        else OK
    )
    up = int(time.time() - STARTED)
    return render(
        request,
        "infra/status.html",
        {
            "rows": [(row, STATE_WORDS[row.state]) for row in rows],
            "overall": worst,
            "overall_word": STATE_WORDS[worst],
            "region": settings.DUKAAN_REGION,
            "uptime": f"{up // 3600}:{up // 60 % 60:02}:{up % 60:02}",  # h:mm:ss, the same in every language
            "now": timezone.now(),
        },
    )
