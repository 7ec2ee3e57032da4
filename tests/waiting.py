"""The one way a test waits for something to happen: a bounded poll of the state it waits on, never a
sleep that hopes the thing happened meanwhile. Importable from dukaan/ and tests/ alike (pyproject's
`pythonpath` puts the repository on sys.path).
"""

import time
from collections.abc import Callable
from typing import TypeVar

Found = TypeVar("Found")


def wait_until(
    condition: Callable[[], Found],
    *,
    what: str,
    timeout: float = 10.0,
    poll: float = 0.02,
    ignoring: tuple[type[Exception], ...] = (),
) -> Found:
    """Call condition() until it returns something truthy, and return that. An exception of `ignoring`
    means "not yet" (a server that does not listen yet); any other ends the wait. Fails the test,
    naming `what`, after `timeout` seconds: a bound for a hang, not a measure of speed."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            found = condition()
        except ignoring:
            found = None
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up after {timeout:g} s waiting for {what}")
        time.sleep(poll)
