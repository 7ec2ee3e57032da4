"""The Elasticsearch adapter (SEARCH_URL=http://host:9200), on the official `elasticsearch` 8 client.

Text is analysed by `analysis.py`, not by Elasticsearch: each text field holds the words' Snowball
stems (exact and synonym matches, scored by BM25) and a `*_words` twin holds the words as written
(typos with fuzziness AUTO, and search as you type through the field's `index_prefixes`). The node
that tests run (the integ-test-zip distribution) has no stemmer, synonym or edge-ngram filter, and
this way it, a full distribution, the embedded engine and the database fallback all agree on what a
word is; docs/elasticsearch.md says what a full distribution could do instead.

SEARCH_INDEX names an alias. It points at one concrete index, `<alias>-<UTC timestamp>`, made on
first use. `rebuild()` fills a new concrete index and moves the alias to it in one `_aliases` call,
so a search sees the old index or the new, never a half-built one; writes made meanwhile go to both.
Documents carry the product's version as Elasticsearch's external version: an older one is refused.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from elasticsearch import ApiError, Elasticsearch, TransportError

from . import analysis
from .backend import CategoryFacet, ProductDocument, SearchHit, SearchQuery, SearchResults, SearchUnavailable

# name > category name > description and variant labels; a synonym counts for less than the word
# itself, and a typo or prefix match less again.
FIELD_BOOSTS = {"name": 3.0, "category": 2.0, "body": 1.0}
SYNONYM_WEIGHT = 0.5
LOOSE_MATCH_WEIGHT = 0.3
MAX_CATEGORIES = 10_000  # per store, far more than any store has
DELETE_PAGE = 1000
# Writes (a bulk load, an index made, a refresh) may take longer than a buyer waits for a search.
WRITE_TIMEOUT_SECONDS = 60.0

_WORDS_FIELD = {
    "type": "text",
    "analyzer": "whitespace",
    # Every word's first 1-19 letters (the most allowed) as terms of a hidden field: a prefix query
    # reads one term instead of scanning every word that starts so.
    "index_prefixes": {"min_chars": 1, "max_chars": 19},
}
INDEX_BODY = {
    "settings": {
        "number_of_shards": 1,
        "auto_expand_replicas": "0-1",  # no replica on a single node, one on a cluster
    },
    "mappings": {
        "dynamic": "strict",
        "properties": {
            "id": {"type": "long"},
            "store_id": {"type": "long"},
            "category_id": {"type": "long"},
            "price_hundredths": {"type": "long"},  # exact money; scaled_float needs mapper-extras
            "in_stock": {"type": "boolean"},
            "created_at": {"type": "double"},
            "display_name": {"type": "keyword", "index": False, "doc_values": False},
            **{field: {"type": "text", "analyzer": "whitespace"} for field in FIELD_BOOSTS},
            **{f"{field}_words": _WORDS_FIELD for field in FIELD_BOOSTS},
        },
    },
}

_SORTS = {
    "relevance": ["_score", {"id": "desc"}],
    "price_asc": [{"price_hundredths": "asc"}, {"id": "desc"}],
    "price_desc": [{"price_hundredths": "desc"}, {"id": "desc"}],
    "newest": [{"created_at": "desc"}, {"id": "desc"}],
}


class ElasticBackend:
    name = "elasticsearch"

    def __init__(self, url: str, alias: str, timeout: float):
        self.url = url
        self.alias = alias
        self.timeout = timeout
        self._client = Elasticsearch(url, request_timeout=timeout, max_retries=1)
        self._writer = self._client.options(request_timeout=WRITE_TIMEOUT_SECONDS)
        self._concrete_name = re.compile(rf"{re.escape(alias)}-\d{{20}}")
        self._alias_known = False

    # --- Writing -----------------------------------------------------------------------------------

    def index(self, documents: list[ProductDocument]) -> None:
        if not documents:
            return
        with self._engine_errors():
            targets = self._write_targets()
            self._bulk([item for index in targets for item in _index_actions(index, documents)], refresh=True)

    def delete(self, store_id: int, product_ids: list[int]) -> None:
        if product_ids:
            self._delete_matching(_term("store_id", store_id), {"terms": {"id": product_ids}})

    def delete_store(self, store_id: int) -> None:
        self._delete_matching(_term("store_id", store_id))

    def rebuild(self, documents_by_store: Iterable[list[ProductDocument]]) -> int:
        with self._engine_errors():
            indices = self._concrete_indices()
            live = next((name for name, is_live in indices.items() if is_live), None)
            for leftover in indices.keys() - {live}:
                self._writer.indices.delete(index=leftover)  # from a rebuild that failed half-way
            new = self._new_index_name()
            self._writer.indices.create(index=new, **INDEX_BODY)
            try:
                count = 0
                for documents in documents_by_store:
                    self._bulk(_index_actions(new, documents))
                    count += len(documents)
                self._writer.indices.refresh(index=new)
                moves = [{"add": {"index": new, "alias": self.alias, "is_write_index": True}}]
                if live:
                    moves.insert(0, {"remove": {"index": live, "alias": self.alias}})
                self._writer.indices.update_aliases(actions=moves)
            except BaseException:
                self._writer.indices.delete(index=new, ignore_unavailable=True)
                raise
            if live:
                self._writer.indices.delete(index=live, ignore_unavailable=True)
        self._alias_known = True
        return count

    # --- Reading -----------------------------------------------------------------------------------

    def search(self, query: SearchQuery) -> SearchResults:
        if query.offset < 0 or query.limit < 1:
            raise ValueError(
                f"offset must be 0 or more and limit 1 or more, not {query.offset}, {query.limit}"
            )
        text_words = analysis.words(query.text)
        sort = "newest" if query.sort == "relevance" and not text_words else query.sort
        request = {
            "query": {"bool": {"must": _word_clauses(text_words, query.synonyms), "filter": _filters(query)}},
            "aggs": {
                "categories": {
                    "terms": {
                        "field": "category_id",
                        "size": MAX_CATEGORIES,
                        "order": [{"_count": "desc"}, {"_key": "asc"}],
                    }
                }
            },
            "sort": _SORTS[sort],
            "from_": query.offset,
            "size": query.limit,
            "track_total_hits": True,
            "source": ["display_name"],
        }
        if query.category_id is not None:
            # Narrows the hits, not the facets: a buyer still sees how many the other categories have.
            request["post_filter"] = _term("category_id", query.category_id)
        with self._engine_errors():
            if not self._alias_known:
                self._ensure_alias()
            found = self._client.search(index=self.alias, **request)
        return SearchResults(
            hits=[
                SearchHit(
                    product_id=int(hit["_id"]),
                    score=float(hit["_score"] or 0.0) if sort == "relevance" else 0.0,
                    highlighted_name=analysis.highlight(
                        hit["_source"]["display_name"], query.text, query.synonyms
                    ),
                )
                for hit in found["hits"]["hits"]
            ],
            total=found["hits"]["total"]["value"],
            categories=[
                CategoryFacet(category_id=int(bucket["key"]), count=bucket["doc_count"])
                for bucket in found["aggregations"]["categories"]["buckets"]
            ],
            engine=self.name,
        )

    def healthy(self) -> bool:
        try:
            return self._client.cluster.health()["status"] in ("green", "yellow")
        except (ApiError, TransportError):
            return False

    # --- The alias and its indices -------------------------------------------------------------------

    @contextmanager
    def _engine_errors(self) -> Iterator[None]:
        try:
            yield
        except (ApiError, TransportError) as error:
            raise SearchUnavailable(f"Elasticsearch at {self.url} failed: {error}") from error

    def _concrete_indices(self) -> dict[str, bool]:
        """Each `<alias>-<timestamp>` index, and whether the alias points at it."""
        found = self._writer.indices.get_alias(index=f"{self.alias}-*")
        return {
            name: self.alias in details["aliases"]
            for name, details in found.body.items()
            if self._concrete_name.fullmatch(name)
        }

    def _write_targets(self) -> list[str]:
        """The live index, and any newer one a rebuild is filling, so that no write is lost in a swap."""
        indices = self._concrete_indices()
        if not any(indices.values()):
            self._ensure_alias()
            indices = self._concrete_indices()
        live = next(name for name, is_live in indices.items() if is_live)
        return [name for name in indices if name >= live]

    def _ensure_alias(self) -> None:
        """Make the first concrete index with the alias on it, unless another process has."""
        if not self._client.indices.exists_alias(name=self.alias):
            try:
                self._writer.indices.create(
                    index=self._new_index_name(),
                    aliases={self.alias: {"is_write_index": True}},
                    **INDEX_BODY,
                )
            except ApiError:
                # Two processes raced and the other won (an alias has one write index at most).
                if not self._client.indices.exists_alias(name=self.alias):
                    raise
        self._alias_known = True

    def _delete_matching(self, *filters: dict) -> None:
        """Delete the documents these filters select, page by page (this node has no
        _delete_by_query: that comes with the reindex module)."""
        with self._engine_errors():
            targets = ",".join(self._write_targets())
            while True:
                found = self._writer.search(
                    index=targets, query={"bool": {"filter": list(filters)}}, size=DELETE_PAGE, source=False
                )
                hits = found["hits"]["hits"]
                if not hits:
                    return
                deletes = [{"delete": {"_index": hit["_index"], "_id": hit["_id"]}} for hit in hits]
                self._bulk(deletes, refresh=True)

    def _new_index_name(self) -> str:
        return f"{self.alias}-{datetime.now(UTC):%Y%m%d%H%M%S%f}"

    def _bulk(self, actions: list[dict], refresh: bool = False) -> None:
        """One bulk request; a document refused for being older than the stored one (409) is fine."""
        if not actions:
            return
        answer = self._writer.bulk(operations=actions, refresh=refresh)
        if not answer["errors"]:
            return
        for item in answer["items"]:
            outcome = next(iter(item.values()))
            if outcome.get("error") and outcome["status"] != 409:
                raise SearchUnavailable(f"Elasticsearch at {self.url} refused a document: {outcome['error']}")


# --- Documents ------------------------------------------------------------------------------------------


def _index_actions(index: str, documents: list[ProductDocument]) -> list[dict]:
    actions = []
    for document in documents:
        # external_gte: the same version may be written again (a category renamed changes no
        # product's version), an older one is refused with a 409.
        meta = {"_index": index, "_id": str(document.id), "version": document.version}
        actions += [{"index": {**meta, "version_type": "external_gte"}}, _source(document)]
    return actions


def _source(document: ProductDocument) -> dict:
    texts = {
        "name": document.name,
        "category": document.category_name,
        "body": f"{document.description}\n{document.variant_labels}",
    }
    source = {
        "id": document.id,
        "store_id": document.store_id,
        "category_id": document.category_id,
        "price_hundredths": int(document.price * 100),
        "in_stock": document.in_stock,
        "created_at": document.created_at,
        "display_name": document.name,
    }
    for field, text in texts.items():
        field_words = analysis.words(text)
        source[field] = " ".join(analysis.stem(word) for word in field_words)
        source[f"{field}_words"] = " ".join(field_words)
    return source


# --- Queries ------------------------------------------------------------------------------------------


def _term(field: str, value) -> dict:
    return {"term": {field: value}}


def _hundredths(price: Decimal, rounding: str) -> int:
    return int((price * 100).to_integral_value(rounding=rounding))


def _filters(query: SearchQuery) -> list[dict]:
    """The store, and every filter but the category's (the facets ignore that one)."""
    filters = [_term("store_id", query.store_id)]
    if query.min_price is not None or query.max_price is not None:
        bounds = {}
        if query.min_price is not None:
            bounds["gte"] = _hundredths(query.min_price, ROUND_CEILING)
        if query.max_price is not None:
            bounds["lte"] = _hundredths(query.max_price, ROUND_FLOOR)
        filters.append({"range": {"price_hundredths": bounds}})
    if query.in_stock:
        filters.append(_term("in_stock", True))
    return filters


def _word_clauses(text_words: list[str], synonyms) -> list[dict]:
    """One clause per query word; a product must match every one (see `analysis`)."""
    if not text_words:
        return [{"match_all": {}}]
    exact, synonym, loose = (
        _boosted("", 1.0),
        _boosted("", SYNONYM_WEIGHT),
        _boosted("_words", LOOSE_MATCH_WEIGHT),
    )
    clauses = []
    for position, word in enumerate(text_words):
        own_stem = analysis.stem(word)
        synonym_stems = {analysis.stem(other) for other in analysis.alternatives(word, synonyms)} - {own_stem}
        ways = [
            {"multi_match": {"query": own_stem, "fields": exact}},
            {"multi_match": {"query": word, "fields": loose, "fuzziness": "AUTO"}},
        ]
        if synonym_stems:
            ways.append({"multi_match": {"query": " ".join(sorted(synonym_stems)), "fields": synonym}})
        if position == len(text_words) - 1:  # search as you type: the last word may be unfinished
            ways.append({"multi_match": {"query": word, "fields": loose, "type": "bool_prefix"}})
        clauses.append({"bool": {"should": ways, "minimum_should_match": 1}})
    return clauses


def _boosted(suffix: str, weight: float) -> list[str]:
    """The fields of one kind ("" the stems, "_words" the words as written), each with its boost."""
    return [f"{field}{suffix}^{boost * weight:g}" for field, boost in FIELD_BOOSTS.items()]
