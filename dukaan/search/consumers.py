"""The `search` consumer group: keeps the search engine's index in step with the catalog.

Every handler reads the product or store as the database has it now and writes that to the index,
rather than applying the event's own data: a repeated, late or out-of-order event then writes the
current state again, which changes nothing. The engine refuses a document older than the one it
holds (`ProductDocument.version`), so two workers racing cannot put an old version back either.

An engine failure raises: the event is retried, then parked as a dead letter of the `search` group
(replay it with `dukaan events replay --group search`, or run `dukaan reindex`).
"""

from dukaan.catalog.events import PRODUCT_CHANGES, STORE_WIDE_CHANGES
from dukaan.catalog.models import Product, Store
from dukaan.events.consumers import Event, consumer

from .documents import document_for_product, documents_for_store
from .service import get_backend


# Not SYNONYMS_CHANGED: synonyms are applied to each query as it is asked, nothing indexed changes.
@consumer("search", events=PRODUCT_CHANGES | STORE_WIDE_CHANGES)
def update_index(event: Event) -> None:
    if event.is_a(*PRODUCT_CHANGES):
        reindex_product(event.store_id, event.data["id"])
    else:
        reindex_store(event.store_id)


def reindex_product(store_id: int, product_id: int) -> None:
    """Index the product as it is now, or remove it when it is hidden or deleted."""
    document = document_for_product(product_id)
    if document is None:
        get_backend().delete(store_id, [product_id])
    else:
        get_backend().index([document])


def reindex_store(store_id: int) -> None:
    """Index every visible product of the store and remove its hidden ones; the whole store when it
    no longer exists. Searches keep answering meanwhile (no moment with an empty store)."""
    backend = get_backend()
    if not Store.objects.filter(pk=store_id).exists():
        backend.delete_store(store_id)
        return
    backend.index(documents_for_store(store_id))
    hidden = list(Product.objects.filter(store_id=store_id, is_active=False).values_list("pk", flat=True))
    if hidden:
        backend.delete(store_id, hidden)
