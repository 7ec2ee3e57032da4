"""The circuit breaker: when it opens, how it tries again, what it logs, and that threads agree on it."""

import logging
import threading

import pytest

from dukaan.infra.circuit import CLOSED, HALF_OPEN, OPEN, CircuitBreaker


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def breaker(clock):
    return CircuitBreaker("test dependency", failure_threshold=3, reset_seconds=5, clock=clock)


def fail(breaker: CircuitBreaker, times: int) -> None:
    for _ in range(times):
        assert breaker.allow()
        breaker.record_failure(ConnectionError("refused"))


def test_it_opens_after_the_threshold_of_failures_in_a_row(breaker):
    fail(breaker, 2)
    assert breaker.state == CLOSED and breaker.allow()

    fail(breaker, 1)

    assert breaker.state == OPEN
    assert not breaker.allow()


def test_a_success_between_failures_starts_the_count_again(breaker):
    fail(breaker, 2)
    breaker.record_success()
    fail(breaker, 2)

    assert breaker.state == CLOSED


def test_after_the_cool_down_exactly_one_caller_tries_it(breaker, clock):
    fail(breaker, 3)
    clock.now += 4.9
    assert not breaker.allow()

    clock.now += 0.1

    assert breaker.allow()  # the trial
    assert breaker.state == HALF_OPEN
    assert not breaker.allow()  # everyone else keeps the fallback meanwhile


def test_a_successful_trial_closes_it(breaker, clock):
    fail(breaker, 3)
    clock.now += 5
    assert breaker.allow()

    breaker.record_success()

    assert breaker.state == CLOSED and breaker.allow() and breaker.allow()


def test_a_failed_trial_opens_it_for_another_cool_down(breaker, clock):
    fail(breaker, 3)
    clock.now += 5
    assert breaker.allow()

    breaker.record_failure(TimeoutError("timed out"))

    assert breaker.state == OPEN and not breaker.allow()
    clock.now += 5
    assert breaker.allow()


def test_a_trial_that_never_reports_back_does_not_keep_it_shut(breaker, clock):
    fail(breaker, 3)
    clock.now += 5
    assert breaker.allow()  # and its caller dies

    clock.now += 5

    assert breaker.allow()


def test_it_logs_each_change_of_state_once_not_each_call(breaker, clock, caplog):
    caplog.set_level(logging.DEBUG, logger="dukaan.infra.circuit")
    fail(breaker, 3)
    for _ in range(50):
        breaker.allow()
        breaker.record_failure()
    clock.now += 5
    breaker.allow()
    breaker.record_success()

    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    infos = [r for r in caplog.records if r.levelno == logging.INFO]
    assert len(warnings) == 1 and "circuit open after 3 failures" in warnings[0].getMessage()
    assert len(infos) == 1 and "circuit closed" in infos[0].getMessage()


def test_many_threads_failing_at_once_open_it_once(clock):
    breaker = CircuitBreaker("shared", failure_threshold=5, reset_seconds=5, clock=clock)
    start = threading.Barrier(50)

    def caller():
        start.wait()
        for _ in range(100):
            if breaker.allow():
                breaker.record_failure()

    threads = [threading.Thread(target=caller) for _ in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert breaker.state == OPEN and breaker.opened_count == 1


def test_a_threshold_below_one_is_refused():
    with pytest.raises(ValueError):
        CircuitBreaker("nonsense", failure_threshold=0)
