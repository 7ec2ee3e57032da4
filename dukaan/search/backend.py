"""The search-backend interface: what every engine adapter does, and the values that cross it.

Adapters: `tantivy_backend.TantivyBackend` (embedded, the default: SEARCH_URL=tantivy:///path) and
`elastic_backend.ElasticBackend` (SEARCH_URL=http://host:9200). `get_backend()` returns the one
SEARCH_URL names, made once per process. Callers do not use an adapter directly: they go through
`service.search_products()`, which falls back to the database when the engine fails.

Every search is scoped to one store. Documents carry the product's `version`: an adapter never
replaces a document with an older version of it (events can arrive twice, or late).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal, Protocol

Sort = Literal["relevance", "price_asc", "price_desc", "newest"]
SORTS: tuple[Sort, ...] = ("relevance", "price_asc", "price_desc", "newest")


class SearchUnavailable(Exception):
    """The engine failed, timed out, or its circuit is open; the message says which."""


@dataclass(frozen=True)
class ProductDocument:
    """What the engine knows of one visible product (documents.py builds them from the database)."""

    id: int
    store_id: int
    version: int
    name: str
    description: str
    category_id: int | None
    category_name: str
    price: Decimal  # the lowest price a buyer can pay (the cheapest variant's, if it has variants)
    in_stock: bool
    created_at: float  # Unix seconds, for "newest"
    variant_labels: str = ""  # "Size: M, Colour: Red …", searchable too


@dataclass(frozen=True)
class SearchQuery:
    store_id: int
    text: str  # what the buyer typed; may be empty (then: every product, filtered and sorted)
    category_id: int | None = None
    min_price: Decimal | None = None
    max_price: Decimal | None = None
    in_stock: bool = False  # True: only products in stock
    sort: Sort = "relevance"
    offset: int = 0
    limit: int = 24
    # The store's own synonyms (each a group of words meaning the same), added to the global list.
    synonyms: tuple[tuple[str, ...], ...] = ()


@dataclass(frozen=True)
class SearchHit:
    product_id: int
    score: float
    # The product's name with the matched words in <mark>…</mark>, HTML-escaped otherwise;
    # the plain escaped name when nothing in the name matched.
    highlighted_name: str
    # A related product: it matches most words of the query, not every one (after those that do).
    related: bool = False


@dataclass(frozen=True)
class CategoryFacet:
    category_id: int
    count: int


@dataclass(frozen=True)
class SearchResults:
    hits: list[SearchHit]
    total: int  # every match, not just this page
    # Counts per category of every match, ignoring the query's own category filter, biggest first.
    categories: list[CategoryFacet] = field(default_factory=list)
    engine: str = ""  # "tantivy", "elasticsearch" or "database" (the degraded fallback)
    related: int = 0  # how many of `total` are related products (analysis.RELATED_BELOW)
    # The query with its typos corrected, when a correction found what the words as typed did not.
    did_you_mean: str = ""


class SearchBackend(Protocol):
    name: str

    def index(self, documents: list[ProductDocument]) -> None:
        """Add or replace documents (skipping any whose stored version is newer); visible at return."""

    def delete(self, store_id: int, product_ids: list[int]) -> None:
        """Remove these products of the store (missing ones are fine); visible at return."""

    def delete_store(self, store_id: int) -> None:
        """Remove every document of the store."""

    def search(self, query: SearchQuery) -> SearchResults:
        """Matches of the query in its store only. Raises SearchUnavailable if the engine fails."""

    def rebuild(self, documents_by_store) -> int:
        """Replace the whole index with these documents (an iterable of lists, one per store, or of
        any chunking); searches keep answering from the old index until the new one is complete.
        Returns how many documents were indexed."""

    def healthy(self) -> bool:
        """Does the engine answer now? Never raises."""
