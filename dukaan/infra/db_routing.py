"""Reads to streaming replicas, writes to the primary, and a client reads its own writes.

Only GET/HEAD/OPTIONS requests read from a replica, and only when the client has not written within
DB_READ_YOUR_WRITES_SECONDS: any other request marks its client with a short-lived cookie
(RECENT_WRITE_COOKIE), and until it expires that client's reads stay on the primary. Requests with an
Authorization header (API tokens, which carry no cookies) always read from the primary. Everything
outside a request (workers, commands) reads from the primary.

The storefront service serves anonymous pages only (nginx sends anything carrying the cookie to
`web`), so it reads from replicas whatever the cookie says: `serve_reads_from_replicas()`.

A ReplicaMonitor thread per process measures each replica every DB_REPLICA_CHECK_SECONDS. Lag is
measured against the primary's own WAL position, sampled over time: a replica's lag is how long ago
the primary had written WAL that the replica has not yet replayed (0 once it has replayed everything
the primary had at the last sample). Unlike now() - pg_last_xact_replay_timestamp(), this does not
report an idle replica as far behind. A replica that lags past DB_REPLICA_MAX_LAG_SECONDS or fails
its check is skipped; with none usable, reads go to the primary.

When the primary does not answer the monitor's sample, no lag can be measured, but nothing new can
be written either: every replica that still answers counts as usable, and safe requests read from
one even when their client just wrote (a page a little stale beats an error). Writes fail and answer
503 (infra/unavailable.py). `primary_reachable()` says which of the two this process believes.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from django.conf import settings
from django.db import DatabaseError, connections

logger = logging.getLogger(__name__)

PRIMARY = "default"
RECENT_WRITE_COOKIE = "dukaan_wrote"
# Tells a person (and the tests) which database answered the reads of a response.
READS_HEADER = "X-Dukaan-Reads"
REGION_HEADER = "X-Dukaan-Region"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
# Enough samples to look back past any lag that still counts as usable.
SAMPLES_KEPT = 600

_request_may_read_replica: ContextVar[bool] = ContextVar("request_may_read_replica", default=False)
_replica_used: ContextVar[str | None] = ContextVar("replica_used", default=None)
_ignore_recent_writes = False


def replica_aliases() -> list[str]:
    return [alias for alias in settings.DATABASES if alias.startswith("replica_")]


def serve_reads_from_replicas() -> None:
    """For the storefront service: safe requests read from replicas even after the client wrote."""
    global _ignore_recent_writes
    _ignore_recent_writes = True


@dataclass
class ReplicaState:
    usable: bool = False
    lag_seconds: float | None = None
    error: str = ""


class ReplicaMonitor:
    """Checks every replica of this process in a daemon thread; `usable()` never touches a database."""

    def __init__(self, aliases: list[str]) -> None:
        self.aliases = aliases
        self.states = {alias: ReplicaState(error="not checked yet") for alias in aliases}
        self.samples: deque[tuple[float, int]] = deque(maxlen=SAMPLES_KEPT)  # (monotonic, primary LSN)
        self.checked = threading.Event()
        self.primary_reachable = True  # until a sample of the primary's WAL position fails
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="replica-monitor", daemon=True)
                self._thread.start()

    def usable(self) -> list[str]:
        if self._thread is None:  # every request asks: take the lock only until the thread runs
            self.start()
        # The first request of a process waits for the first check rather than guess.
        self.checked.wait(timeout=2)
        return [alias for alias, state in self.states.items() if state.usable]

    def _run(self) -> None:
        while True:
            self.check()
            self.checked.set()
            time.sleep(settings.DB_REPLICA_CHECK_SECONDS)

    def check(self) -> None:
        try:
            self.samples.append((time.monotonic(), _lsn(PRIMARY, "pg_current_wal_lsn()")))
        except DatabaseError as error:
            if self.primary_reachable:
                logger.warning("replica monitor: the primary did not answer, reads go to replicas: %s", error)
            self.primary_reachable = False
            _close(PRIMARY)
            for alias in self.aliases:
                self.states[alias] = self._answers(alias)
            return
        if not self.primary_reachable:
            logger.info("replica monitor: the primary answers again")
        self.primary_reachable = True
        for alias in self.aliases:
            self.states[alias] = self._measure(alias)

    def _answers(self, alias: str) -> ReplicaState:
        """With the primary gone no lag can be measured, and none can grow: a replica that answers serves."""
        try:
            _lsn(alias, "pg_last_wal_replay_lsn()")
        except DatabaseError as error:
            _close(alias)
            return ReplicaState(usable=False, error=str(error).strip().splitlines()[0])
        return ReplicaState(usable=True, lag_seconds=None, error="primary unreachable: lag unknown")

    def _measure(self, alias: str) -> ReplicaState:
        try:
            replayed = _lsn(alias, "pg_last_wal_replay_lsn()")
        except DatabaseError as error:
            _close(alias)
            if self.states[alias].usable:
                logger.warning("replica %s is down, reads go elsewhere: %s", alias, error)
            return ReplicaState(usable=False, error=str(error).strip().splitlines()[0])
        now = time.monotonic()
        behind_since = next((taken for taken, lsn in self.samples if lsn > replayed), None)
        lag = 0.0 if behind_since is None else now - behind_since
        usable = lag <= settings.DB_REPLICA_MAX_LAG_SECONDS
        if usable != self.states[alias].usable:
            logger.info("replica %s %s (lag %.1f s)", alias, "in use" if usable else "skipped", lag)
        return ReplicaState(usable=usable, lag_seconds=lag, error="" if usable else "lagging")

    def wait_until_replayed(self, timeout: float) -> bool:
        """Block until every usable replica has replayed what the primary has now; False on timeout.

        The `cache` consumer calls this before it forgets a snapshot, so the rebuild, read from a
        replica, already holds the change."""
        target = _lsn(PRIMARY, "pg_current_wal_lsn()")
        deadline = time.monotonic() + timeout
        waiting = self.usable()
        while waiting:
            try:
                waiting = [alias for alias in waiting if _lsn(alias, "pg_last_wal_replay_lsn()") < target]
            except DatabaseError:
                return False  # the monitor takes that replica out of use
            if not waiting or time.monotonic() >= deadline:
                break
            time.sleep(0.02)
        return not waiting


def _lsn(alias: str, expression: str) -> int:
    with connections[alias].cursor() as cursor:
        cursor.execute(f"SELECT ({expression} - '0/0'::pg_lsn)::bigint")
        (value,) = cursor.fetchone()
    if value is None:
        raise DatabaseError(f"{alias} is not a streaming replica")
    return value


def _close(alias: str) -> None:
    try:
        connections[alias].close()
    except DatabaseError:
        pass


_monitor: ReplicaMonitor | None = None
_monitor_lock = threading.Lock()


def monitor() -> ReplicaMonitor:
    global _monitor
    with _monitor_lock:
        if _monitor is None:
            _monitor = ReplicaMonitor(replica_aliases())
        return _monitor


def replica_states() -> dict[str, ReplicaState]:
    """What the monitor last measured; empty when this process has not used its replicas yet."""
    return dict(_monitor.states) if _monitor is not None else {}


def primary_reachable() -> bool:
    """False once the monitor's last sample of the primary failed; True before it has sampled."""
    return _monitor is None or _monitor.primary_reachable


def wait_for_replicas() -> None:
    """Let the replicas catch up with the primary (at most DB_REPLICA_MAX_LAG_SECONDS); no-op without."""
    if replica_aliases():
        monitor().wait_until_replayed(settings.DB_REPLICA_MAX_LAG_SECONDS)


@contextmanager
def reads_from_replicas() -> Iterator[None]:
    """Let reads outside a request (a region's projector rebuilding a snapshot) use the replicas."""
    allowed = _request_may_read_replica.set(True)
    chosen = _replica_used.set(None)
    try:
        yield
    finally:
        _request_may_read_replica.reset(allowed)
        _replica_used.reset(chosen)


class ReplicaRouter:
    def db_for_read(self, model, **hints):
        if not _request_may_read_replica.get():
            return PRIMARY
        chosen = _replica_used.get()
        if chosen is None:
            # One replica per request, so the reads of a page see one moment of the database.
            usable = monitor().usable()
            chosen = random.choice(usable) if usable else PRIMARY
            _replica_used.set(chosen)
        return chosen

    def db_for_write(self, model, **hints):
        return PRIMARY

    def allow_relation(self, obj1, obj2, **hints):
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == PRIMARY


class ReadRoutingMiddleware:
    """Lets a request read from a replica when that is safe; remembers clients that just wrote."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.enabled = bool(replica_aliases())
        if self.enabled:
            monitor().start()  # so a primary that goes down is noticed before a request must read

    def __call__(self, request):
        if not self.enabled:
            return self.get_response(request)
        may_read_replica = request.method in SAFE_METHODS and "HTTP_AUTHORIZATION" not in request.META
        if not _ignore_recent_writes and RECENT_WRITE_COOKIE in request.COOKIES and primary_reachable():
            may_read_replica = False
        allowed = _request_may_read_replica.set(may_read_replica)
        chosen = _replica_used.set(None)
        try:
            response = self.get_response(request)
            used = _replica_used.get()
            response[READS_HEADER] = "primary" if used in (None, PRIMARY) else used
        finally:
            _request_may_read_replica.reset(allowed)
            _replica_used.reset(chosen)
        if request.method not in SAFE_METHODS:
            response.set_cookie(
                RECENT_WRITE_COOKIE,
                "1",
                max_age=int(settings.DB_READ_YOUR_WRITES_SECONDS),
                httponly=True,
                samesite="Lax",
                secure=settings.SESSION_COOKIE_SECURE,
            )
        return response


class RegionHeaderMiddleware:
    """`X-Dukaan-Region: <DUKAAN_REGION>` on every answer: which region served it (and its edge kept it)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response[REGION_HEADER] = settings.DUKAAN_REGION
        return response
