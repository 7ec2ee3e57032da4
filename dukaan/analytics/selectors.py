"""Reads of the daily numbers for the dashboard."""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from .models import StoreDay


def recent_days(*, store, days: int = 7) -> list[StoreDay]:
    """The last `days` days, newest first, with zero rows for days that had nothing."""
    today = timezone.localdate()
    found = {
        row.day: row for row in StoreDay.objects.filter(store=store, day__gt=today - timedelta(days=days))
    }
    return [
        found.get(day) or StoreDay(store=store, day=day, views=0, orders=0, revenue=Decimal(0))
        for day in (today - timedelta(days=offset) for offset in range(days))
    ]
