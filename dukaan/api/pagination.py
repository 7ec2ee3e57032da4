"""Cursor pagination for every list: `?limit=` and `?cursor=`, answered with items and `next_cursor`.

A cursor holds the sort values of the last item sent, signed so that a client cannot forge or
alter one (an altered cursor is a 400, never a 500). Database lists page by keyset
(`WHERE (created_at, id) < (…)`), so a row added or deleted meanwhile never shifts a page: each
item is sent exactly once. Lists built in memory from the catalog snapshot page after the last id.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.core import signing
from django.db.models import Q, QuerySet

from .problems import Problem

SALT = "dukaan.api.cursor"
DEFAULT_LIMIT = 20
MAX_LIMIT = 100
MAX_CURSOR_LENGTH = 500


def page_size(limit: int) -> int:
    return max(1, min(limit, MAX_LIMIT))


def encode_cursor(kind: str, values: list[Any]) -> str:
    return signing.dumps({"k": kind, "v": values}, salt=SALT, compress=False)


def decode_cursor(kind: str, cursor: str) -> list[Any]:
    refused = Problem("invalid-cursor", "That cursor is not one this list gave out. Start again without it.")
    if len(cursor) > MAX_CURSOR_LENGTH:
        raise refused
    try:
        data = signing.loads(cursor, salt=SALT)
    except signing.BadSignature as error:
        raise refused from error
    if not isinstance(data, dict) or data.get("k") != kind or not isinstance(data.get("v"), list):
        raise refused
    return data["v"]


def _to_json(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def _from_json(value: Any, like: type) -> Any:
    if like is datetime:
        return datetime.fromisoformat(value)
    if not isinstance(value, like) or isinstance(value, bool):
        raise TypeError(value)
    return value


def _after(ordering: Sequence[str], values: list[Any]) -> Q:
    """Rows strictly after `values` in `ordering` (e.g. ("-created_at", "-id")), as one filter."""
    condition = Q()
    for index, field in enumerate(ordering):
        name = field.lstrip("-")
        lookup = "lt" if field.startswith("-") else "gt"
        step = Q(**{f"{name}__{lookup}": values[index]})
        for earlier, value in zip(ordering[:index], values[:index], strict=True):
            step &= Q(**{earlier.lstrip("-"): value})
        condition |= step
    # Implied by the OR above, but an index can start its scan at this bound; it cannot at an OR,
    # and would walk every earlier row of the list to reach a late page.
    first = ordering[0]
    return Q(**{f"{first.lstrip('-')}__{'lte' if first.startswith('-') else 'gte'}": values[0]}) & condition


def keyset_page(
    queryset: QuerySet,
    *,
    kind: str,
    ordering: Sequence[str],
    types: Sequence[type],
    cursor: str | None,
    limit: int,
) -> tuple[list, str | None]:
    """One page of `queryset` in `ordering` (unique, ending with the id), and the next page's cursor."""
    limit = page_size(limit)
    if cursor:
        raw = decode_cursor(kind, cursor)
        try:
            if len(raw) != len(ordering):
                raise ValueError(raw)
            values = [_from_json(value, like) for value, like in zip(raw, types, strict=True)]
        except (TypeError, ValueError) as error:
            raise Problem("invalid-cursor", "That cursor is damaged. Start again without it.") from error
        queryset = queryset.filter(_after(ordering, values))
    rows = list(queryset.order_by(*ordering)[: limit + 1])
    if len(rows) <= limit:
        return rows, None
    last = rows[limit - 1]
    values = [_to_json(getattr(last, field.lstrip("-"))) for field in ordering]
    return rows[:limit], encode_cursor(kind, values)


def list_page(items: Sequence, *, kind: str, cursor: str | None, limit: int) -> tuple[list, str | None]:
    """One page of an in-memory list of objects with unique `id`s, in its order, and the next cursor.

    The cursor holds the last id sent and its position; when that item has gone from the list
    meanwhile, the page starts at the position it had.
    """
    limit = page_size(limit)
    start = 0
    if cursor:
        raw = decode_cursor(kind, cursor)
        if len(raw) != 2 or not all(type(value) is int and value >= 0 for value in raw):
            raise Problem("invalid-cursor", "That cursor is damaged. Start again without it.")
        last_id, position = raw
        ids = [item.id for item in items]
        if 0 < position <= len(ids) and ids[position - 1] == last_id:
            start = position
        elif last_id in ids:
            start = ids.index(last_id) + 1
        else:
            start = min(position, len(ids))
    page = list(items[start : start + limit])
    end = start + len(page)
    if end >= len(items) or not page:
        return page, None
    return page, encode_cursor(kind, [page[-1].id, end])
