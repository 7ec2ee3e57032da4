"""Searching a store's products, whichever engine SEARCH_URL names, and the database when it fails.

`search_products()` is what the storefront page and the API call. It adds the store's own synonyms
to the query and asks the engine through a circuit breaker; when the engine fails, times out or its
circuit is open, the same query is answered from the database instead (degraded: no typos, word
forms or synonyms, a plain "every word somewhere" match), logged, and counted in `fallback_count()`.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.db.models import Q

from dukaan.catalog.models import Category, Product, ProductVariant, Store
from dukaan.events.outbox import emit
from dukaan.infra.circuit import CircuitBreaker
from dukaan.infra.metrics import SEARCH_DURATION
from dukaan.infra.queries import only_row
from dukaan.infra.tracing import span

from . import analysis
from .backend import (
    CategoryFacet,
    ProductDocument,
    SearchBackend,
    SearchHit,
    SearchQuery,
    SearchResults,
    SearchUnavailable,
)
from .documents import documents_of
from .events import SYNONYMS_CHANGED, SynonymsChanged
from .models import StoreSynonyms, format_synonyms, parse_synonyms

logger = logging.getLogger(__name__)

# A price filter above this is no price (prices stop at 1 crore); pages and the API refuse it.
MAX_FILTER_PRICE = 10_000_000_000

# --- The engine -----------------------------------------------------------------------------------

_backend_lock = threading.Lock()
_backend: tuple[tuple, SearchBackend] | None = None


def get_backend() -> SearchBackend:
    """The engine SEARCH_URL names, made once per process (again when the settings change)."""
    global _backend
    key = (settings.SEARCH_URL, settings.SEARCH_INDEX, settings.SEARCH_TIMEOUT_SECONDS)
    with _backend_lock:
        if _backend is None or _backend[0] != key:
            _backend = (key, _make_backend(settings.SEARCH_URL))
        return _backend[1]


def _make_backend(url: str) -> SearchBackend:
    parts = urlsplit(url)
    if parts.scheme == "tantivy" and not parts.netloc and parts.path:
        from .tantivy_backend import TantivyBackend

        return TantivyBackend(Path(parts.path))
    if parts.scheme in ("http", "https") and parts.netloc:
        from .elastic_backend import ElasticBackend

        return ElasticBackend(url, settings.SEARCH_INDEX, settings.SEARCH_TIMEOUT_SECONDS)
    raise ImproperlyConfigured(
        f"SEARCH_URL={url!r} names no search engine. Use tantivy:///absolute/path/to/a/folder for the "
        "embedded engine (three slashes), or http://host:9200 for Elasticsearch."
    )


breaker = CircuitBreaker(
    "search engine",
    failure_threshold=settings.SEARCH_BREAKER_FAILURES,
    reset_seconds=settings.SEARCH_BREAKER_RESET_SECONDS,
)

_fallbacks = 0
_fallbacks_lock = threading.Lock()


def fallback_count() -> int:
    """How many searches this process answered from the database since it started."""
    return _fallbacks


def _count_fallback() -> None:
    global _fallbacks
    with _fallbacks_lock:
        _fallbacks += 1


# --- Searching ------------------------------------------------------------------------------------


def search_products(query: SearchQuery) -> SearchResults:
    """The query's matches in its store: from the engine, or from the database when the engine fails."""
    started = time.perf_counter()
    with span("search.query", store_id=query.store_id) as current:
        query = replace(query, synonyms=query.synonyms + store_synonyms(query.store_id))
        if breaker.allow():
            try:
                results = get_backend().search(query)
            except SearchUnavailable as error:
                breaker.record_failure(error)
                logger.warning("search engine failed, answering from the database: %s", error)
            else:
                breaker.record_success()
                SEARCH_DURATION.labels("engine").observe(time.perf_counter() - started)
                current.set_attribute("search.answered_by", "engine")
                return results
        _count_fallback()
        results = database_search(query)
        SEARCH_DURATION.labels("database").observe(time.perf_counter() - started)
        current.set_attribute("search.answered_by", "database")
        return results


def database_search(query: SearchQuery) -> SearchResults:
    """The degraded search: every query word must be in the name, description or category name
    (ignoring case); the same filters, facets, sorts and paging as the engines."""
    spelled = analysis.words_as_written(query.text)[: analysis.MAX_QUERY_WORDS]
    query_words = [word for word, _ in spelled]
    products = Product.objects.filter(store_id=query.store_id, is_active=True)
    for spellings in spelled:
        # A Devanagari word as written or in Latin letters: a product may be named either way.
        found = Q()
        for spelling in set(spellings):
            # Category names and variants through subqueries scoped to the store: joins bounded only
            # by ids may be met, at a large store, by walking every store's rows.
            categories = Category.objects.filter(store_id=query.store_id, name__icontains=spelling).values(
                "pk"
            )
            found |= (
                Q(name__icontains=spelling) | Q(description__icontains=spelling) | Q(category__in=categories)
            )
        products = products.filter(found)
    variants = ProductVariant.objects.filter(store_id=query.store_id, product__in=products.values("pk"))
    matches = [document for document in documents_of(products, variants) if _passes_filters(document, query)]
    facets = _category_facets(matches)
    if query.category_id is not None:
        matches = [document for document in matches if document.category_id == query.category_id]
    scores = {document.id: _score(document, query_words) for document in matches}
    matches.sort(key=_sort_key(query, scores))
    page = matches[query.offset : query.offset + query.limit]
    return SearchResults(
        hits=[
            SearchHit(
                product_id=document.id,
                score=scores[document.id],
                highlighted_name=analysis.highlight(document.name, query.text, query.synonyms),
            )
            for document in page
        ],
        total=len(matches),
        categories=facets,
        engine="database",
    )


def _passes_filters(document: ProductDocument, query: SearchQuery) -> bool:
    """Every filter but the category's, which the facets ignore."""
    if query.min_price is not None and document.price < query.min_price:
        return False
    if query.max_price is not None and document.price > query.max_price:
        return False
    return document.in_stock or not query.in_stock


def _category_facets(documents: list[ProductDocument]) -> list[CategoryFacet]:
    counts: dict[int, int] = {}
    for document in documents:
        if document.category_id is not None:
            counts[document.category_id] = counts.get(document.category_id, 0) + 1
    ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return [CategoryFacet(category_id=category_id, count=count) for category_id, count in ordered]


def _score(document: ProductDocument, query_words: list[str]) -> float:
    """2 when every word is in the name, else 1: name matches first, as the engines rank them."""
    name = document.name.casefold()
    return 2.0 if all(word in name for word in query_words) else 1.0


def _sort_key(query: SearchQuery, scores: dict[int, float]):
    if query.sort == "price_asc":
        return lambda document: (document.price, -document.created_at, -document.id)
    if query.sort == "price_desc":
        return lambda document: (-document.price, -document.created_at, -document.id)
    if query.sort == "newest":
        return lambda document: (-document.created_at, -document.id)
    return lambda document: (-scores[document.id], -document.created_at, -document.id)


# --- The store's synonyms -------------------------------------------------------------------------


def store_synonyms_text(store_id: int) -> str:
    """The store's synonyms as the merchant wrote them ("" when none)."""
    return only_row(StoreSynonyms.objects.filter(store_id=store_id).values_list("text", flat=True), "")


def store_synonyms(store_id: int) -> tuple[tuple[str, ...], ...]:
    """The store's own groups of synonyms (the global list is the engines' own)."""
    text = store_synonyms_text(store_id)
    return parse_synonyms(text) if text else ()


@transaction.atomic
def update_store_synonyms(*, store: Store, text: str) -> StoreSynonyms:
    """Replace the store's synonyms with the groups in `text` (one per line, words separated by
    commas); raises ValidationError saying which lines are wrong, and then nothing is saved."""
    groups = parse_synonyms(text)
    synonyms, _ = StoreSynonyms.objects.update_or_create(
        store=store, defaults={"text": format_synonyms(groups)}
    )
    emit(SYNONYMS_CHANGED, store_id=store.pk, data=SynonymsChanged(groups=len(groups)))
    return synonyms
