"""What the benches share to measure: percentiles, and stock updates written at a pace."""

import time
from collections.abc import Callable

from django.db import transaction

from dukaan.catalog import services
from dukaan.events.models import OutboxEvent


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def write_stock_updates(
    product, *, updates: int, per_second: float | None, on_commit: Callable[[str], None]
) -> tuple[float, float]:
    """`updates` adjust_stock calls, each in its own transaction, as fast as possible or `per_second`;
    on_commit(event id) runs as each commits. Returns when the writing started (time.perf_counter())
    and how many seconds it took."""
    started = time.perf_counter()
    for number in range(updates):
        if per_second:
            time.sleep(max(0.0, started + number / per_second - time.perf_counter()))
        with transaction.atomic():
            services.adjust_stock(product=product, delta=-1)
            event_id = str(OutboxEvent.objects.order_by("-created_at").values_list("id", flat=True)[0])
            transaction.on_commit(lambda key=event_id: on_commit(key))
    return started, time.perf_counter() - started
