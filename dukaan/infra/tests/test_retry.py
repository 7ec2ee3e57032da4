"""The retry helper: bounded tries, full-jitter exponential backoff, a deadline, and only retryable errors."""

import pytest

from dukaan.infra.retry import RetryPolicy, call_with_retries


class Flaky:
    """Fails with `error` the first `failures` calls, then answers "ok"."""

    def __init__(self, failures: int, error: Exception | None = None) -> None:
        self.failures = failures
        self.error = error or ConnectionRefusedError("refused")
        self.calls = 0

    def __call__(self) -> str:
        self.calls += 1
        if self.calls <= self.failures:
            raise self.error
        return "ok"


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def is_connection_error(error: Exception) -> bool:
    return isinstance(error, ConnectionError)


def run(call, policy: RetryPolicy, time: FakeTime, fraction: float = 1.0):
    return call_with_retries(
        call,
        policy=policy,
        retryable=is_connection_error,
        sleep=time.sleep,
        clock=time.clock,
        random_fraction=lambda: fraction,
    )


def test_a_call_that_fails_twice_then_answers_is_tried_three_times_with_growing_waits():
    call, time = Flaky(failures=2), FakeTime()

    assert run(call, RetryPolicy(attempts=3, base_delay=0.1, max_delay=5), time) == "ok"

    assert call.calls == 3
    assert time.sleeps == [0.1, 0.2]


def test_after_the_last_attempt_the_last_error_is_raised():
    call, time = Flaky(failures=10), FakeTime()

    with pytest.raises(ConnectionRefusedError):
        run(call, RetryPolicy(attempts=4, base_delay=0.1), time)

    assert call.calls == 4
    assert len(time.sleeps) == 3


def test_an_error_that_is_not_retryable_is_raised_at_once():
    call, time = Flaky(failures=1, error=ValueError("bad request")), FakeTime()

    with pytest.raises(ValueError):
        run(call, RetryPolicy(attempts=5), time)

    assert call.calls == 1
    assert time.sleeps == []


def test_waits_are_capped_by_max_delay_and_jittered_down_to_zero():
    policy = RetryPolicy(attempts=10, base_delay=1, max_delay=3)

    assert [policy.delay(retry, 1.0) for retry in range(4)] == [1, 2, 3, 3]
    assert policy.delay(3, 0.0) == 0
    assert policy.delay(3, 0.5) == 1.5


def test_no_try_starts_after_the_deadline():
    call, time = Flaky(failures=10), FakeTime()

    with pytest.raises(ConnectionRefusedError):
        run(call, RetryPolicy(attempts=10, base_delay=1, max_delay=100, deadline=5), time)

    # Waits of 1 and 2 (t=3); the next wait of 4 would end past the 5 s deadline.
    assert time.sleeps == [1, 2]
    assert call.calls == 3


def test_a_policy_needs_at_least_one_attempt():
    with pytest.raises(ValueError):
        RetryPolicy(attempts=0)
