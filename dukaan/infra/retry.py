"""Bounded retries with exponential backoff and full jitter, for calls that are safe to repeat.

Use it only where a second try cannot do a thing twice: an idempotent request, or a failure that
shows the request never reached the server (connection refused). Clients that retry on their own
(botocore, confluent-kafka, the Elasticsearch client) need none of this.

The wait before try n+1 is a random time between 0 and min(max_delay, base_delay * 2**n) ("full
jitter"), so many clients that failed together do not come back together. No wait runs past the
deadline: when the next try could not start before it, the last error is raised at once.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 3  # tries in all, the first included
    base_delay: float = 0.1
    max_delay: float = 2.0
    deadline: float = 10.0  # seconds from the first try after which no new try starts

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError("attempts must be at least 1")

    def delay(self, retry: int, random_fraction: float) -> float:
        """The wait before retry number `retry` (0 for the first retry), for a fraction in [0, 1)."""
        return random_fraction * min(self.max_delay, self.base_delay * 2**retry)


def call_with_retries(
    call: Callable[[], T],
    *,
    policy: RetryPolicy,
    retryable: Callable[[Exception], bool],
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    random_fraction: Callable[[], float] = random.random,
) -> T:
    """`call()`, tried again while it raises an error `retryable` accepts; other errors pass at once."""
    started = clock()
    for retry in range(policy.attempts):
        try:
            return call()
        except Exception as error:
            if not retryable(error) or retry == policy.attempts - 1:
                raise
            wait = policy.delay(retry, random_fraction())
            if clock() + wait - started >= policy.deadline:
                raise
        sleep(wait)
    raise AssertionError("unreachable: the last attempt returns or raises")
