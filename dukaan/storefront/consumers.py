"""The `cache` consumer group: a change to a store's catalog forgets its snapshot and purges the edge.

On the embedded bus this runs in the serving process right after the change commits (tests call
`run_pending()`); on Kafka, `dukaan worker --group cache`. Deleting a key is idempotent, so a
redelivered event costs one more rebuild at most. When the cache is down the handler raises: the
event is retried, then parked as a dead letter (replay it with `dukaan events replay`).
"""

import logging

from django.conf import settings

from dukaan.events.consumers import Event, consumer

from . import catalog_cache

logger = logging.getLogger(__name__)

CATALOG_PREFIXES = ("store.", "category.", "product.")
CATALOG_TYPES = {"stock.changed", "catalog.imported"}

_edge_warned = False


def changes_catalog(event_type: str) -> bool:
    return event_type.startswith(CATALOG_PREFIXES) or event_type in CATALOG_TYPES


def changed_products(event: Event) -> list[int]:
    """The products an event names (their edge pages carry a product tag); [] for store-wide changes."""
    if event.type.startswith("product.") or event.type == "stock.changed":
        product_id = event.data.get("id")
        return [product_id] if isinstance(product_id, int) else []
    return []


def edge_tags(store_id: int, product_ids: list[int]) -> list[str]:
    """The tags the edge knows a store's pages by; every listing page shows prices, so the store's always."""
    return [f"store-{store_id}", *(f"product-{product_id}" for product_id in product_ids)]


def purge_edge(store_id: int, product_ids: list[int]) -> None:
    """The hook for the edge cache: purge these pages by tag. Nothing to do without EDGE_PURGE_URL.

    The edge (Varnish with xkey) is not built yet: its issue adds the HTTP call here.
    """
    global _edge_warned
    if not settings.EDGE_PURGE_URL:
        return
    if not _edge_warned:
        _edge_warned = True
        logger.warning(
            "EDGE_PURGE_URL is set (%s) but purging the edge is not built yet; pages stay at the edge "
            "until their s-maxage runs out. Unset EDGE_PURGE_URL until the edge cache is deployed.",
            settings.EDGE_PURGE_URL,
        )
    logger.debug("edge purge skipped for tags %s", edge_tags(store_id, product_ids))


@consumer("cache", aggregatetypes={"catalog"})
def invalidate_catalog(event: Event) -> None:
    if not changes_catalog(event.type):
        return
    catalog_cache.invalidate(event.store_id)
    purge_edge(event.store_id, changed_products(event))
