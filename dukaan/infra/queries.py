"""Query helpers every app may use."""

from __future__ import annotations

from typing import TypeVar, overload

from django.db.models import Model, QuerySet

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
