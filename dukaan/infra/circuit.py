"""A circuit breaker: stop calling a dependency that keeps failing, and try it again after a cool-down.

    closed ──N failures in a row──▶ open ──cool-down──▶ half-open ──trial succeeds──▶ closed
                                     ▲                      │
                                     └────trial fails───────┘

While open, `allow()` says no at once, so callers take their fallback without paying the
dependency's timeout on every request. After the cool-down exactly one caller is let through as a
trial; the others keep taking the fallback until it reports back.

State changes are logged once each (opening at WARNING, recovery at INFO; the repeated trials of a
long outage at DEBUG, so an hour of downtime is not hundreds of warnings). Thread-safe; knows
nothing about what it guards.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

logger = logging.getLogger(__name__)

CLOSED = "closed"
OPEN = "open"
HALF_OPEN = "half-open"


_breakers: list[CircuitBreaker] = []


def all_breakers() -> list[CircuitBreaker]:
    """Every breaker made in this process (for the metrics)."""
    return list(_breakers)


class CircuitBreaker:
    def __init__(
        self,
        name: str,
        *,
        failure_threshold: int = 3,
        reset_seconds: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if failure_threshold < 1:
            raise ValueError("failure_threshold must be at least 1")
        self.name = name
        self.failure_threshold = failure_threshold
        self.reset_seconds = reset_seconds
        self.clock = clock  # a test moves it past the cool-down instead of sleeping through it
        self._lock = threading.Lock()
        self._state = CLOSED
        self._failures = 0
        self._opened_at = 0.0
        self._trial_in_flight = False
        self._trial_started = 0.0
        self.opened_count = 0  # how many times it opened from closed, for tests and metrics
        _breakers.append(self)

    @property
    def state(self) -> str:
        with self._lock:
            return self._state

    def allow(self) -> bool:
        """May the caller use the dependency now? False means: take the fallback."""
        with self._lock:
            if self._state == CLOSED:
                return True
            if self._state == OPEN:
                if self.clock() - self._opened_at < self.reset_seconds:
                    return False
                self._state = HALF_OPEN
                self._trial_in_flight = False
                logger.debug("%s: circuit half-open, trying it again", self.name)
            now = self.clock()
            # A trial that never reported back (its caller died) must not keep the circuit shut.
            if self._trial_in_flight and now - self._trial_started < self.reset_seconds:
                return False
            self._trial_in_flight = True
            self._trial_started = now
            return True

    def record_success(self) -> None:
        with self._lock:
            if self._state != CLOSED:
                logger.info("%s: circuit closed, the dependency answers again", self.name)
            self._state = CLOSED
            self._failures = 0
            self._trial_in_flight = False

    def record_failure(self, error: BaseException | str | None = None) -> None:
        with self._lock:
            if self._state == HALF_OPEN:
                self._open()
                logger.debug("%s: trial failed (%s), circuit open again", self.name, error)
                return
            if self._state == OPEN:
                return  # a call let through before it opened, reporting late
            self._failures += 1
            if self._failures >= self.failure_threshold:
                self._open()
                self.opened_count += 1
                logger.warning(
                    "%s: circuit open after %d failures in a row (last: %s); using the fallback, "
                    "trying again every %.1f s",
                    self.name,
                    self._failures,
                    error,
                    self.reset_seconds,
                )

    def reset(self) -> None:
        """Back to closed with no history (tests, or an operator who knows it is back)."""
        with self._lock:
            self._state = CLOSED
            self._failures = 0
            self._trial_in_flight = False

    def _open(self) -> None:
        self._state = OPEN
        self._opened_at = self.clock()
        self._trial_in_flight = False
