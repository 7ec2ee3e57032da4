"""Work due at a time (cancel an unconfirmed order after N hours): rows in the database, run by the workers.

A service schedules a job in its own transaction, so the job exists if and only if the change
committed; apps register handlers in their own `jobs.py`, loaded when Django starts:

    @job("orders.expire_unconfirmed")
    def expire_unconfirmed(data: dict, *, now: datetime) -> None: ...

Every worker process (`dukaan worker`, and the embedded workers of `dukaan up`) calls
`run_due_jobs()` from its loop. A job is claimed with SELECT … FOR UPDATE SKIP LOCKED and runs in
the transaction that deletes it, so with any number of workers its database effects happen once;
SQLite has one writer at a time anyway. A failing handler is retried with backoff, then left with
`failed_at` and its error (`dukaan events jobs`). docs/scheduler.md.
"""

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from dukaan.infra import tracing
from dukaan.infra.metrics import JOBS_RUN

from .consumers import error_text
from .models import ScheduledJob

logger = logging.getLogger(__name__)

JobHandler = Callable[..., None]  # handler(data: dict, *, now: datetime)

_handlers: dict[str, JobHandler] = {}

# A retried job waits base × 2^(attempt - 1), never longer than this.
MAX_RETRY_DELAY = timedelta(hours=1)
BATCH = 100


class ScheduleOutsideTransaction(RuntimeError):
    """A job was scheduled outside transaction.atomic, so it could outlive a rolled-back change."""


def job(name: str) -> Callable[[JobHandler], JobHandler]:
    """Register the decorated function as the handler of job `name`: handler(data, *, now)."""

    def register(handler: JobHandler) -> JobHandler:
        if name in _handlers and _handlers[name] is not handler:
            raise ValueError(f"job {name!r} is registered twice")
        _handlers[name] = handler
        return handler

    return register


def registered_jobs() -> dict[str, JobHandler]:
    return dict(_handlers)


def schedule(
    name: str,
    *,
    key: str,
    due_at: datetime,
    store_id: int | None = None,
    data: dict[str, Any] | None = None,
) -> None:
    """Run job `name` at `due_at` (or the first poll after). Call it inside the change's transaction.

    `key` names the thing the job is about (an order id): the same (name, key) scheduled again keeps
    the first, still pending, job.
    """
    if not connection.in_atomic_block:
        raise ScheduleOutsideTransaction(f"schedule({name!r}) must be called inside transaction.atomic")
    if name not in _handlers:
        known = ", ".join(sorted(_handlers)) or "none"
        raise ValueError(
            f"There is no job {name!r}; register it with @job in the app's jobs.py. Known: {known}."
        )
    if timezone.is_naive(due_at):
        raise ValueError(f"job {name!r}: due_at must be timezone-aware, not {due_at!r}")
    # ON CONFLICT DO NOTHING (INSERT OR IGNORE on SQLite): a duplicate leaves the transaction usable.
    ScheduledJob.objects.bulk_create(
        [ScheduledJob(name=name, key=str(key), due_at=due_at, store_id=store_id, data=data or {})],
        ignore_conflicts=True,
    )


def unschedule(name: str, *, key: str) -> None:
    """Forget job `name` for `key`, pending or given up; nothing happens when there is none."""
    ScheduledJob.objects.filter(name=name, key=str(key)).delete()


def run_due_jobs(*, now: datetime | None = None, limit: int = BATCH) -> int:
    """Run up to `limit` jobs due at `now` (default: the clock), earliest first. Returns how many ran
    (a failed attempt counts). Never raises for a handler's error."""
    ran = 0
    while ran < limit and _run_one(now or timezone.now()):
        ran += 1
    return ran


def _run_one(now: datetime) -> bool:
    """Claim the earliest due job and run it in the transaction that deletes it. False: none is due."""
    claimed: ScheduledJob | None = None
    try:
        with transaction.atomic():
            claimed = (
                ScheduledJob.objects.select_for_update(skip_locked=True)
                .filter(failed_at__isnull=True, due_at__lte=now)
                .order_by("due_at", "id")
                .first()
            )
            if claimed is None:
                return False
            try:
                # Deleted before the handler runs, so a handler may schedule its own (name, key) again;
                # a failure rolls the savepoint back, and the row with it.
                with transaction.atomic(), tracing.span(f"job {claimed.name}") as current:
                    current.set_attribute("dukaan.job.key", claimed.key)
                    ScheduledJob.objects.filter(pk=claimed.pk).delete()
                    _handler(claimed.name)(claimed.data, now=now)
            except Exception as error:  # a handler's failure of any kind is retried, then given up on
                _record_failure(claimed, error, now)
                return True
    except Exception as error:
        # PostgreSQL checks foreign keys at commit: the handler's writes were refused after it returned.
        if claimed is None:
            raise
        with transaction.atomic():
            again = ScheduledJob.objects.select_for_update(skip_locked=True).filter(pk=claimed.pk).first()
            if again is not None:
                _record_failure(again, error, now)
        return True
    JOBS_RUN.labels(claimed.name, "done").inc()
    return True


def _handler(name: str) -> JobHandler:
    try:
        return _handlers[name]
    except KeyError:
        raise LookupError(f"no handler is registered for job {name!r} in this release") from None


def _record_failure(claimed: ScheduledJob, error: Exception, now: datetime) -> None:
    claimed.attempts += 1
    claimed.last_error = error_text(error)
    if claimed.attempts >= settings.JOB_MAX_ATTEMPTS:
        claimed.failed_at = now
        outcome = "failed"
        logger.error(
            "job %s %s gives up after %d attempts: %r", claimed.name, claimed.key, claimed.attempts, error
        )
    else:
        delay = timedelta(seconds=settings.JOB_RETRY_BASE_SECONDS * 2 ** (claimed.attempts - 1))
        claimed.due_at = now + min(delay, MAX_RETRY_DELAY)
        outcome = "retry"
        logger.warning(
            "job %s %s failed (attempt %d): %r", claimed.name, claimed.key, claimed.attempts, error
        )
    claimed.save(update_fields=["attempts", "last_error", "failed_at", "due_at"])
    JOBS_RUN.labels(claimed.name, outcome).inc()


def run_due_jobs_logged() -> None:
    """run_due_jobs for a worker's loop: a database hiccup is logged, and the loop goes on."""
    try:
        while run_due_jobs() == BATCH:
            pass
    except Exception:
        logger.exception("running due jobs failed; the next poll tries again")
