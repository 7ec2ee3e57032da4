"""Query helpers every app may use."""

from __future__ import annotations

import json
from typing import TypeVar, overload

from django.db import connection
from django.db.models import Field, Model, QuerySet

_Row = TypeVar("_Row")
_Default = TypeVar("_Default")


@overload
def only_row(queryset: QuerySet[Model, _Row]) -> _Row | None: ...
@overload
def only_row(queryset: QuerySet[Model, _Row], default: _Default) -> _Row | _Default: ...
def only_row(queryset: QuerySet[Model, _Row], default: object = None) -> object:
    """The one row a lookup by a unique key finds, else `default`.

    Not `.first()`: its ORDER BY id can have PostgreSQL walk the primary key instead of the unique
    index the filter names (the index review, tests/scale/test_index_review.py, catches that)."""
    found = list(queryset[:1])
    return found[0] if found else default


def count_up(model: type[Model], pk: int, field: str, *, up_to: str | None = None) -> int | None:
    """Add 1 to the row's `field` and return the new value, in one round trip (UPDATE … RETURNING):
    the row stays locked to commit from here. With `up_to`, the name of a column holding the limit,
    only while `field` is below it (a NULL limit is none): None when it is reached, nothing changed.
    The column names are the caller's constants, never a person's input."""
    table, column = connection.ops.quote_name(model._meta.db_table), _column(model, field)
    below = ""
    if up_to is not None:
        limit = _column(model, up_to)
        below = f" AND ({limit} IS NULL OR {column} < {limit})"
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET {column} = {column} + 1 WHERE id = %s{below} RETURNING {column}",  # noqa: S608
            [pk],
        )
        found = cursor.fetchone()
    return None if found is None else found[0]


def insert_each(model: type[Model], field: str, values: list[object], **same: object) -> None:
    """One row of `model` for each of `values` in `field`, its other columns `same` for all, in one
    INSERT that takes the values as one JSON array: bulk_create prepares every value of every row
    as its own parameter, a third of an event group's CPU in a burst (docs/benchmarks/events.md)."""
    if not values:
        return
    varying = _field(model, field)
    array = json.dumps([varying.get_db_prep_value(value, connection) for value in values], default=str)
    if connection.vendor == "postgresql":
        each_value = f"SELECT value::{varying.db_type(connection)} FROM jsonb_array_elements_text(%s::jsonb)"
    else:
        each_value = "SELECT value FROM json_each(%s)"
    columns = ", ".join(_column(model, name) for name in (field, *same))
    same_values = [_field(model, name).get_db_prep_value(value, connection) for name, value in same.items()]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {connection.ops.quote_name(model._meta.db_table)} ({columns}) "  # noqa: S608
            f"SELECT value{', %s' * len(same)} FROM ({each_value}) AS each_value",
            [*same_values, array],
        )


def _field(model: type[Model], name: str) -> Field:
    field = model._meta.get_field(name)
    if not isinstance(field, Field):
        raise TypeError(f"{model.__name__}.{name} is not a column")
    return field


def _column(model: type[Model], name: str) -> str:
    column = _field(model, name).column
    if column is None:
        raise TypeError(f"{model.__name__}.{name} is not a column")
    return connection.ops.quote_name(column)
