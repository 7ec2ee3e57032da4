"""Query helpers every app may use."""

from __future__ import annotations

from django.db.models import QuerySet


def only_row(queryset: QuerySet, default=None):
    """The one row a lookup by a unique key finds, else `default`.

    Not `.first()`: its ORDER BY id can have PostgreSQL walk the primary key instead of the unique
    index the filter names (the index review, tests/scale/test_index_review.py, catches that)."""
    found = list(queryset[:1])
    return found[0] if found else default
