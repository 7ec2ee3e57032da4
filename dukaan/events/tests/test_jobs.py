"""Scheduled jobs: each runs once at its time, with any number of workers, survives restarts, retries,
gives up visibly. The clock is the `now` the tests hand in; nothing sleeps."""

import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction

from dukaan.conftest import race
from dukaan.events import jobs, monitoring
from dukaan.events.jobs import ScheduleOutsideTransaction, job, run_due_jobs, schedule, unschedule
from dukaan.events.local import EmbeddedWorkers
from dukaan.events.models import ScheduledJob

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 12, 6, 10, 0, tzinfo=UTC)
ran: list[tuple[str, datetime]] = []  # (the job's "what", the clock it was handed), in order
failing: dict[str, BaseException] = {}  # "what" → what the handler raises instead of running


@job("test.record")
def record(data: dict, *, now: datetime) -> None:
    what = data["what"]
    if what in failing:
        raise failing[what]
    if data.get("then_schedule"):  # a database write the job's transaction must keep or roll back
        schedule(
            "test.record", key=data["then_schedule"], due_at=now + timedelta(hours=1), data={"what": "next"}
        )
    if data.get("fail_after_write"):
        raise RuntimeError("failed after writing")
    ran.append((what, now))


@pytest.fixture(autouse=True)
def clean_slate(settings):
    ran.clear()
    failing.clear()
    settings.JOB_MAX_ATTEMPTS = 3
    settings.JOB_RETRY_BASE_SECONDS = 60


def later(what: str, *, at: datetime, key: str | None = None, **data) -> None:
    with transaction.atomic():
        schedule("test.record", key=key or what, due_at=at, store_id=7, data={"what": what, **data})


def test_a_due_job_runs_once_with_the_runner_s_clock_and_is_gone():
    later("cancel", at=T0)
    assert run_due_jobs(now=T0 + timedelta(seconds=1)) == 1
    assert run_due_jobs(now=T0 + timedelta(hours=5)) == 0
    assert ran == [("cancel", T0 + timedelta(seconds=1))]
    assert not ScheduledJob.objects.exists()


def test_a_job_not_yet_due_waits_for_its_time_and_due_jobs_run_earliest_first():
    later("third", at=T0 + timedelta(hours=3))
    later("first", at=T0 + timedelta(hours=1))
    later("second", at=T0 + timedelta(hours=2))
    assert run_due_jobs(now=T0 + timedelta(minutes=59)) == 0
    assert run_due_jobs(now=T0 + timedelta(hours=2)) == 2
    assert [what for what, _ in ran] == ["first", "second"]
    assert run_due_jobs(now=T0 + timedelta(hours=3)) == 1


def test_limit_bounds_one_call_and_the_rest_wait_for_the_next():
    for number in range(5):
        later(f"job-{number}", at=T0)
    assert run_due_jobs(now=T0, limit=3) == 3
    assert run_due_jobs(now=T0, limit=3) == 2


def test_the_same_name_and_key_scheduled_twice_keeps_the_first():
    later("first", key="order-9", at=T0)
    later("second", key="order-9", at=T0 - timedelta(hours=1))
    assert ScheduledJob.objects.get().data == {"what": "first"}
    run_due_jobs(now=T0)
    assert [what for what, _ in ran] == ["first"]


def test_a_rolled_back_change_leaves_no_job():
    with pytest.raises(RuntimeError), transaction.atomic():
        schedule("test.record", key="ghost", due_at=T0, data={"what": "ghost"})
        raise RuntimeError("the change failed")
    assert run_due_jobs(now=T0) == 0


@pytest.mark.parametrize(
    "name, due_at, message",
    [
        ("test.nope", T0, "There is no job 'test.nope'"),
        ("test.record", T0.replace(tzinfo=None), "due_at must be timezone-aware"),
    ],
)
def test_a_bad_schedule_is_refused(name, due_at, message):
    with pytest.raises(ValueError, match=message), transaction.atomic():
        schedule(name, key="1", due_at=due_at)


@pytest.mark.django_db(transaction=True)
def test_scheduling_outside_a_transaction_is_refused():
    with pytest.raises(ScheduleOutsideTransaction):
        schedule("test.record", key="1", due_at=T0)


def test_unschedule_forgets_a_pending_job_and_is_quiet_about_none():
    later("reminder", key="order-1", at=T0)
    unschedule("test.record", key="order-1")
    unschedule("test.record", key="order-404")
    assert run_due_jobs(now=T0) == 0


def test_jobs_are_rows_so_a_worker_killed_mid_job_leaves_it_to_the_next():
    later("cancel", at=T0)
    failing["cancel"] = KeyboardInterrupt()  # the process is stopped inside the handler
    with pytest.raises(KeyboardInterrupt):
        run_due_jobs(now=T0)
    failing.clear()
    assert ScheduledJob.objects.get().attempts == 0  # not a failure of the job: it was never finished
    assert run_due_jobs(now=T0) == 1  # a new process finds it in the table
    assert [what for what, _ in ran] == ["cancel"]


def test_a_failing_job_is_retried_with_backoff_then_given_up_and_shown(capsys):
    later("cancel", at=T0)
    failing["cancel"] = RuntimeError("courier API down")
    assert run_due_jobs(now=T0) == 1
    row = ScheduledJob.objects.get()
    assert (row.attempts, row.due_at, row.last_error) == (
        1,
        T0 + timedelta(seconds=60),
        "RuntimeError: courier API down",
    )
    assert run_due_jobs(now=T0 + timedelta(seconds=59)) == 0  # backing off
    assert run_due_jobs(now=T0 + timedelta(seconds=60)) == 1
    assert ScheduledJob.objects.get().due_at == T0 + timedelta(seconds=180)  # twice the wait
    assert run_due_jobs(now=T0 + timedelta(seconds=180)) == 1
    row = ScheduledJob.objects.get()
    assert (row.attempts, row.failed_at) == (3, T0 + timedelta(seconds=180))
    assert run_due_jobs(now=T0 + timedelta(days=30)) == 0  # given up: never claimed again by itself

    call_command("events", "jobs")
    listing = capsys.readouterr().out
    assert f"#{row.pk} test.record key cancel store 7" in listing and "attempts 3" in listing
    assert "RuntimeError: courier API down" in listing
    [check] = [check for check in monitoring.status_rows() if check.part == "scheduled jobs"]
    assert check.state == monitoring.DEGRADED and "given up: 1" in check.detail

    failing.clear()  # the operator fixed the cause
    call_command("events", "jobs", "--retry", str(row.pk))
    assert run_due_jobs() == 1
    assert [what for what, _ in ran] == ["cancel"]


def test_retrying_a_job_that_did_not_give_up_is_refused():
    later("cancel", at=T0)
    with pytest.raises(CommandError, match="no job .* given up on"):
        call_command("events", "jobs", "--retry", str(ScheduledJob.objects.get().pk))


def test_a_failed_attempt_keeps_none_of_the_handler_s_writes():
    later("half", at=T0, then_schedule="follow-up", fail_after_write=True)
    run_due_jobs(now=T0)
    assert list(ScheduledJob.objects.values_list("key", "attempts")) == [("half", 1)]


def test_a_handler_may_schedule_its_own_key_again():
    later("reminder", key="order-1", at=T0, then_schedule="order-1")
    assert run_due_jobs(now=T0) == 1
    again = ScheduledJob.objects.get()
    assert (again.key, again.due_at, again.data) == ("order-1", T0 + timedelta(hours=1), {"what": "next"})


def test_a_job_whose_handler_is_gone_is_retried_with_a_clear_error():
    with transaction.atomic():
        ScheduledJob.objects.create(name="test.removed", key="1", due_at=T0)
    run_due_jobs(now=T0)
    assert "no handler is registered for job 'test.removed'" in ScheduledJob.objects.get().last_error


@pytest.mark.django_db(transaction=True)
def test_several_runners_at_once_run_each_job_exactly_once():
    for number in range(60):
        later(f"job-{number}", at=T0)
    counts = race(4, lambda _: run_due_jobs(now=T0))
    assert all(isinstance(count, int) for count in counts), counts
    assert sum(counts) == 60
    assert sorted(what for what, _ in ran) == sorted(f"job-{number}" for number in range(60))
    if connection.vendor == "postgresql":
        assert sum(1 for count in counts if count) > 1, "SKIP LOCKED should let the runners share the work"


@pytest.mark.django_db(transaction=True)
def test_a_job_being_run_is_skipped_by_another_runner_not_waited_for(monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite has one writer at a time: there the second runner waits for the first")
    later("slow", at=T0)
    later("quick", at=T0 + timedelta(seconds=1))
    inside, release = threading.Event(), threading.Event()

    def slow_first(data: dict, *, now: datetime) -> None:
        if data["what"] == "slow":  # holds its row lock until the other runner is done
            inside.set()
            release.wait(10)
        record(data, now=now)

    monkeypatch.setitem(jobs._handlers, "test.record", slow_first)

    def runner(index: int) -> int:
        if index == 0:
            return run_due_jobs(now=T0 + timedelta(seconds=1), limit=1)  # claims "slow", the earliest
        inside.wait(10)
        try:
            return run_due_jobs(now=T0 + timedelta(seconds=1))
        finally:
            release.set()

    assert race(2, runner) == [1, 1]
    assert [what for what, _ in ran] == ["quick", "slow"]


@pytest.mark.django_db(transaction=True)
def test_the_embedded_workers_run_due_jobs(settings):
    settings.JOB_POLL_SECONDS = 0.05
    later("now", at=datetime.now(UTC) - timedelta(seconds=1))
    workers = EmbeddedWorkers(groups=[])
    workers.start()
    try:
        for _ in range(200):
            if ran:
                break
            threading.Event().wait(0.05)
    finally:
        workers.stop()
    assert [what for what, _ in ran] == ["now"]
