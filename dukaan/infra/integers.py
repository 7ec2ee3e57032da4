"""Whole numbers from requests (URL paths, query strings, form fields), bounded to what the database holds.

Python's int has no upper bound and Django's <int:…> converter takes any number of digits, but an id
column is a BIGINT: a larger number reaching a query fails inside the database driver ("int too
large"), a 500. Every id or count a request carries goes through here first, so an out-of-range
number is "no such object" (or a form error) and never reaches the database.
"""

from __future__ import annotations

from collections.abc import Iterable

MAX_ID = 2**63 - 1  # a BIGINT, the type of every id column
_MAX_DIGITS = len(str(MAX_ID))


def request_int(raw: object, *, low: int = 1, high: int = MAX_ID) -> int | None:
    """The whole number `raw` spells in ASCII digits, if it lies in [low, high]; None for anything else
    (empty, signs, spaces, other scripts' digits, or out of range)."""
    if not isinstance(raw, str) or not raw.isascii() or not raw.isdigit() or len(raw) > _MAX_DIGITS:
        return None
    value = int(raw)
    return value if low <= value <= high else None


def request_ids(raws: Iterable[object]) -> list[int]:
    """The ids among `raws` (a form's repeated field), in order, without the ones that cannot name a row."""
    return [value for raw in raws if (value := request_int(raw)) is not None]


class IdConverter:
    """<id:name> in a URL: a positive id that fits a BIGINT; any other number is a 404 without a query."""

    regex = f"[0-9]{{1,{_MAX_DIGITS}}}"

    def to_python(self, value: str) -> int:
        number = request_int(value)
        if number is None:
            raise ValueError(value)  # the pattern does not match: Django answers 404
        return number

    def to_url(self, value: int) -> str:
        return str(value)
