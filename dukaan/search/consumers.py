"""The `search` consumer group: keeps the search engine's index in step with the catalog.

Every handler reads the product or store as the database has it now and writes that to the index,
rather than applying the event's own data: a repeated, late or out-of-order event then writes the
current state again, which changes nothing. The engine refuses a document older than the one it
holds (`ProductDocument.version`), so two workers racing cannot put an old version back either.

An engine failure raises: the event is retried, then parked as a dead letter of the `search` group
(replay it with `dukaan events replay --group search`, or run `dukaan reindex`).
"""

from collections.abc import Sequence

from dukaan.catalog.events import PRODUCT_CHANGES, STORE_WIDE_CHANGES
from dukaan.catalog.models import Product, ProductVariant, Store
from dukaan.events.consumers import Event, consumer

from .documents import documents_for_store, documents_of
from .service import get_backend


def update_index_of(events: Sequence[Event]) -> None:
    """The group's effect for a run of events: each store named by a store-wide event reindexed, then
    every product named by a product event, all in one write (ten changes of a product: one document)."""
    for store_id in dict.fromkeys(event.store_id for event in events if not event.is_a(*PRODUCT_CHANGES)):
        reindex_store(store_id)
    reindex_products({event.data["id"]: event.store_id for event in events if event.is_a(*PRODUCT_CHANGES)})


# Events the embedded bus hands the group at a time. Each batch is one index commit, and a commit's
# cost is the disk's sync, whatever the number of documents (docs/benchmarks/events.md).
BATCH = 1_000


# Not SYNONYMS_CHANGED: synonyms are applied to each query as it is asked, nothing indexed changes.
@consumer("search", events=PRODUCT_CHANGES | STORE_WIDE_CHANGES, handle_batch=update_index_of, batch=BATCH)
def update_index(event: Event) -> None:
    update_index_of([event])


def reindex_products(store_of: dict[int, int]) -> None:
    """Index these products (id → store id) as they are now, in one write; remove the hidden or deleted."""
    if not store_of:
        return
    ids = list(store_of)
    documents = documents_of(
        Product.objects.filter(pk__in=ids, is_active=True), ProductVariant.objects.filter(product_id__in=ids)
    )
    backend = get_backend()
    backend.index(documents)
    gone: dict[int, list[int]] = {}
    for product_id in store_of.keys() - {document.id for document in documents}:
        gone.setdefault(store_of[product_id], []).append(product_id)
    for store_id, product_ids in gone.items():
        backend.delete(store_id, sorted(product_ids))


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
