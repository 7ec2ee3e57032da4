"""Counting page views without a database write per view.

Views are added up in memory and written as one `storefront.viewed` event per store at most every
VIEW_FLUSH_SECONDS, by whichever request comes along then (and at exit): the buyer's hot path
never waits on the database for a view. The serving process flushes again at exit (see
config/wsgi.py); counts in memory when a process is killed are lost, the right trade for a counter.
"""

import logging
import threading
import time
from collections import Counter

from django.db import transaction

from dukaan.analytics.events import STOREFRONT_VIEWED, PageViews
from dukaan.events.outbox import emit

logger = logging.getLogger(__name__)

VIEW_FLUSH_SECONDS = 10.0

_lock = threading.Lock()
_views: Counter[int] = Counter()
_product_views: dict[int, Counter[int]] = {}
_last_flush = time.monotonic()


def record_view(store_id: int, product_id: int | None = None) -> None:
    """Count a view; write the counts if VIEW_FLUSH_SECONDS have passed since the last write."""
    if count_view(store_id, product_id):
        flush_views()


def count_view(store_id: int, product_id: int | None = None) -> bool:
    """Count a view, never touching the database; True when a flush is due. The storefront service
    counts its in-memory page hits with this and flushes off its event loop."""
    with _lock:
        _views[store_id] += 1
        if product_id is not None:
            _product_views.setdefault(store_id, Counter())[product_id] += 1
        return time.monotonic() - _last_flush >= VIEW_FLUSH_SECONDS


def flush_views() -> int:
    """Write what has been counted as events; returns how many stores had views."""
    global _views, _product_views, _last_flush
    with _lock:
        views, product_views = _views, _product_views
        _views, _product_views, _last_flush = Counter(), {}, time.monotonic()
    if not views:
        return 0  # nothing to write: not even a connection (the exit flush of an idle process)
    try:
        with transaction.atomic():
            for store_id, count in views.items():
                products = {str(pid): n for pid, n in product_views.get(store_id, {}).items()}
                emit(STOREFRONT_VIEWED, store_id=store_id, data=PageViews(views=count, products=products))
    except Exception:  # a view count must never break a page
        logger.exception("could not record %d stores' page views", len(views))
        return 0
    return len(views)
