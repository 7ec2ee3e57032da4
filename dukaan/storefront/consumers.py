"""The `cache` consumer group: a change to a store's catalog, delivery settings or offers forgets its
snapshot and purges the edge.

On the embedded bus this runs in the serving process right after the change commits (tests call
`run_pending()`); on Kafka, `dukaan worker --group cache`. Deleting a key is idempotent, so a
redelivered event costs one more rebuild at most. When the cache is down the handler raises: the
event is retried, then parked as a dead letter (replay it with `dukaan events replay`).
"""

import logging
import threading
from collections.abc import Sequence
from http.client import HTTPConnection, HTTPException, HTTPSConnection
from urllib.parse import urlsplit

from django.conf import settings
from opentelemetry.trace import SpanKind

from dukaan.catalog.events import POLICIES_CHANGED, PRODUCT_CHANGES, STORE_WIDE_CHANGES, THEME_CHANGED
from dukaan.catalog.snapshot import ListingPage, store_catalog
from dukaan.events.consumers import Event, consumer
from dukaan.infra import db_routing
from dukaan.infra.circuit import CircuitBreaker
from dukaan.infra.tracing import span
from dukaan.promotions.events import OFFER_CHANGED, OFFER_CREATED
from dukaan.search.events import SYNONYMS_CHANGED
from dukaan.shipping.events import DELIVERY_SETTINGS_CHANGED

from . import catalog_cache

logger = logging.getLogger(__name__)


def changed_products(event: Event) -> list[int]:
    """The products an event names (their edge pages carry a product tag); [] for store-wide changes."""
    if event.is_a(*PRODUCT_CHANGES):
        product_id = event.data.get("id")
        return [product_id] if isinstance(product_id, int) else []
    return []


def edge_tags(store_id: int, product_ids: list[int]) -> list[str]:
    """The tags the edge knows a store's pages by; every listing page shows prices, so the store's always."""
    return [f"store-{store_id}", *(f"product-{product_id}" for product_id in product_ids)]


class EdgePurgeFailed(Exception):
    """The edge did not confirm a purge (refused, timed out, or its circuit is open)."""


edge_breaker = CircuitBreaker(
    "edge purge",
    failure_threshold=settings.EDGE_BREAKER_FAILURES,
    reset_seconds=settings.EDGE_BREAKER_RESET_SECONDS,
)


def purge_edge(store_id: int, product_ids: list[int], url: str | None = None) -> None:
    """Purge the store's pages at the edge by tag: one `PURGE` with an `xkey` header to `url`
    (EDGE_PURGE_URL unless given).

    Nothing to do without EDGE_PURGE_URL. A failure is logged and raised, so the `cache` group
    retries the event and then parks it as a dead letter; while the edge keeps failing the circuit
    breaker refuses at once instead of waiting EDGE_PURGE_TIMEOUT_SECONDS every time.
    """
    url = settings.EDGE_PURGE_URL if url is None else url
    if not url:
        return
    tags = " ".join(edge_tags(store_id, product_ids))
    if not edge_breaker.allow():
        logger.warning("edge purge of %s not sent: the edge's circuit is open", tags)
        raise EdgePurgeFailed("the edge's circuit is open")
    target = urlsplit(url)
    connection_class = HTTPSConnection if target.scheme == "https" else HTTPConnection
    connection = connection_class(target.hostname, target.port, timeout=settings.EDGE_PURGE_TIMEOUT_SECONDS)
    try:
        with span("edge.purge", kind=SpanKind.CLIENT, **{"url.full": url, "dukaan.xkey": tags}):
            connection.request("PURGE", target.path or "/", headers={"xkey": tags})
            response = connection.getresponse()
            body = response.read(200).decode(errors="replace").strip()
            if response.status != 200:
                raise EdgePurgeFailed(f"the edge answered {response.status} {response.reason}: {body}")
    except (OSError, HTTPException, EdgePurgeFailed) as error:
        edge_breaker.record_failure(error)
        logger.warning("edge purge of %s failed: %s: %s", tags, type(error).__name__, error)
        if isinstance(error, EdgePurgeFailed):
            raise
        raise EdgePurgeFailed(f"{type(error).__name__}: {error}") from error
    finally:
        connection.close()
    edge_breaker.record_success()
    logger.debug("edge purged %s: %s", tags, body)


# What CATALOG_PREWARM builds: the store home's first page.
HOME_PAGE = ListingPage(category_id=None, number=1, per_page=catalog_cache.PER_PAGE)


def invalidate_catalogs(events: Sequence[Event]) -> None:
    """The group's effect for a run of events: each store's snapshots forgotten once and its pages purged
    once, by the tags of every product the events name; with CATALOG_PREWARM, then its home page built."""
    # Storefronts rebuild from replicas: forget the snapshot only once they hold the change.
    db_routing.wait_for_replicas()
    products: dict[int, list[int]] = {}
    for event in events:
        products.setdefault(event.store_id, []).extend(changed_products(event))
    for store_id, named in products.items():
        product_ids = list(dict.fromkeys(named))
        catalog_cache.invalidate(store_id)
        purge_edge(store_id, product_ids)
        purge_edge_again_later(store_id, product_ids)
    if settings.CATALOG_PREWARM:
        # After every purge, so no page waits for it: the page asked for most, the home's first, is
        # built once here and read from the cache by the edge's first miss. Only that page: the whole
        # store's snapshot costs what the store holds (about 1 s at 10,000 products) on every edit.
        with db_routing.reads_from_replicas():
            for store_id in products:
                store_catalog(store_id, HOME_PAGE)


# Every change to what a store's pages show (the snapshot's parts too: the delivery note, the offers'
# badges and banners); new synonyms change its search pages' answers; new policies, its policy pages.
# A new look (theme, colour, banner, announcement) changes every page. Coupons are never shown.
@consumer(
    "cache",
    events=PRODUCT_CHANGES
    | STORE_WIDE_CHANGES
    | {
        SYNONYMS_CHANGED,
        POLICIES_CHANGED,
        THEME_CHANGED,
        DELIVERY_SETTINGS_CHANGED,
        OFFER_CREATED,
        OFFER_CHANGED,
    },
    handle_batch=invalidate_catalogs,
)
def invalidate_catalog(event: Event) -> None:
    invalidate_catalogs([event])


def purge_edge_again_later(store_id: int, product_ids: list[int]) -> None:
    """Purge once more after EDGE_REPURGE_SECONDS. The edge can fetch an old page just after the
    first purge: one rendered from the old catalog by a request already running, or served from
    memory by a storefront worker that has not read the invalidation yet. The second purge ends
    that; its failure is only logged (the first one was confirmed)."""
    url = settings.EDGE_PURGE_URL
    if not url or settings.EDGE_REPURGE_SECONDS <= 0:
        return

    def purge() -> None:
        try:
            purge_edge(store_id, product_ids, url)
        except EdgePurgeFailed:
            pass  # purge_edge logged it

    timer = threading.Timer(settings.EDGE_REPURGE_SECONDS, purge)
    timer.daemon = True
    timer.start()
