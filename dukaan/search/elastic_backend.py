"""The Elasticsearch adapter (SEARCH_URL=http://host:9200), on the official `elasticsearch` 8 client.

Text is analysed by `analysis.py`, not by Elasticsearch: each text field of `analysis.field_texts()`
holds the words' Snowball stems (exact and synonym matches, scored by BM25), a `*_words` twin holds
the words as written (typos, and search as you type through the field's `index_prefixes`) and a
`*_starts` twin the starts of those words (a last word typed with a typo). The node
that tests run (the integ-test-zip distribution) has no stemmer, synonym or edge-ngram filter, and
this way it, a full distribution, the embedded engine and the database fallback all agree on what a
word is; docs/elasticsearch.md says what a full distribution could do instead.

SEARCH_INDEX names an alias. It points at one concrete index, `<alias>-<UTC timestamp>`, made on
first use. `rebuild()` fills a new concrete index and moves the alias to it in one `_aliases` call,
so a search sees the old index or the new, never a half-built one; writes made meanwhile go to both.
Documents carry the product's version as Elasticsearch's external version: an older one is refused.

A search is one `_msearch` round trip when the store knows every word (most searches): the products
matching every word, and beside them a size-0 count telling which words the store knows (the rules of
`analysis`: a typo only for a word it does not know; skipped when no word is long enough for a typo).
A word it does not know takes a second round trip, the strict search again with that word's typos.
When there are two words or more and fewer than `analysis.RELATED_BELOW` products match every word,
one more asks for the products matching most words (the related tier). One timeout covers them all.
"""

from __future__ import annotations

import re
import time
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
# The starts of the words, the whole words too, for a last word typed with a typo ("pohn" is "phon"
# of "phone" with one). Elasticsearch keeps `index_prefixes` in a field no query can name.
_STARTS_FIELD = {"type": "text", "analyzer": "whitespace", "index_options": "docs", "norms": False}
# The shortest start such a word can be: 4 letters (the fewest with a typo allowed) less its typo.
SHORTEST_START = 3
# A typo is looked for in the name's words and in one field holding the category's and the body's
# (`other_*`, filled by copy_to), with the body's boost: Elasticsearch builds a fuzzy word's
# Levenshtein automaton once per field it is looked for in, most of a typo'd search's time, so two
# fields build it twice, not three times. One field for all three lost the name's weight: nDCG@10
# with typos 0.860 against 0.885 (docs/benchmarks/search.md).
TYPO_FIELDS = {"name": "name", "other": "body"}  # the field looked in: whose boost it takes


def _copied(mapping: dict, field: str, kind: str) -> dict:
    """A `*_words` or `*_starts` field's mapping; the category's and the body's are copied to `other_*`."""
    return mapping if field in TYPO_FIELDS else {**mapping, "copy_to": f"other_{kind}"}


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
            **{f"{field}_words": _copied(_WORDS_FIELD, field, "words") for field in FIELD_BOOSTS},
            **{f"{field}_starts": _copied(_STARTS_FIELD, field, "starts") for field in FIELD_BOOSTS},
            "other_words": {"type": "text", "analyzer": "whitespace"},
            "other_starts": _STARTS_FIELD,
        },
    },
}

_NDJSON = {"accept": "application/json", "content-type": "application/x-ndjson"}

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
                # One segment before any search sees it: a typo's fuzzy rewrite walks each segment's
                # words, and the bulk load leaves about ten (100k products: search p99 21 -> 14 ms).
                self._writer.indices.forcemerge(index=new, max_num_segments=1)
                # Read again: with no live index at the start, another process's first write made
                # one meanwhile (and wrote into `new` too, see _write_targets).
                replaced = [name for name, is_live in self._concrete_indices().items() if is_live]
                moves = [{"remove": {"index": name, "alias": self.alias}} for name in replaced]
                moves.append({"add": {"index": new, "alias": self.alias, "is_write_index": True}})
                self._writer.indices.update_aliases(actions=moves)
            except BaseException:
                self._writer.indices.delete(index=new, ignore_unavailable=True)
                raise
            for name in replaced:
                self._writer.indices.delete(index=name, ignore_unavailable=True)
        self._alias_known = True
        return count

    # --- Reading -----------------------------------------------------------------------------------

    def search(self, query: SearchQuery) -> SearchResults:
        if query.offset < 0 or query.limit < 1:
            raise ValueError(
                f"offset must be 0 or more and limit 1 or more, not {query.offset}, {query.limit}"
            )
        plans = analysis.plan_query(query.text, query.synonyms)
        sort = "newest" if query.sort == "relevance" and not plans else query.sort
        deadline = time.monotonic() + self.timeout  # one budget for the whole search, not per request
        with self._engine_errors():
            if not self._alias_known:
                self._ensure_alias()
            # Guessing that the store knows every word is right for most queries: then the check and
            # the strict search are one round trip. A word it does not know takes a second, with typos.
            asked = [plan for plan in plans if plan.typos]
            known = [True] * len(plans)
            strict = _strict_request(query, _word_clauses(plans, known), sort)
            answers = self._msearch(
                [_known_request(query.store_id, asked), strict] if asked else [strict], deadline
            )
            if asked:
                known = _known(plans, answers.pop(0))
                if not all(known):
                    answers = self._msearch(
                        [_strict_request(query, _word_clauses(plans, known), sort)], deadline
                    )
            strict_found = answers[0]
            most_found = None
            if len(plans) >= 2 and _total(strict_found) < analysis.RELATED_BELOW:
                most_words = _most_words_request(query, plans, _word_clauses(plans, known), sort)
                most_found = self._msearch([most_words], deadline)[0]
        strict_total = _total(strict_found)
        page = [(hit, False) for hit in strict_found["hits"]["hits"]]
        buckets = _category_counts(strict_found)
        related_total = 0
        if most_found:
            # The products with most words hold those with every word too: the facets count both,
            # and the page goes on with the others where the strict products end.
            related_total = _total(most_found) - strict_total
            buckets = _category_counts(most_found)
            every_word = {plan.word for plan in plans}
            related = [hit for hit in most_found["hits"]["hits"] if set(hit["matched_queries"]) != every_word]
            skipped, rest = max(0, query.offset - strict_total), query.limit - len(page)
            page += [(hit, True) for hit in related[skipped : skipped + rest]]
        names = [hit["_source"]["display_name"] for hit, _ in page]
        unknown = {plan.word for plan, plan_known in zip(plans, known, strict=True) if not plan_known}
        return SearchResults(
            hits=[
                SearchHit(
                    product_id=int(hit["_id"]),
                    score=float(hit["_score"] or 0.0) if sort == "relevance" else 0.0,
                    highlighted_name=analysis.highlight(name, query.text, query.synonyms),
                    related=related,
                )
                for (hit, related), name in zip(page, names, strict=True)
            ],
            total=strict_total + related_total,
            categories=[
                CategoryFacet(category_id=category_id, count=count)
                for category_id, count in sorted(buckets.items(), key=lambda item: (-item[1], item[0]))
            ],
            engine=self.name,
            related=related_total,
            did_you_mean=analysis.did_you_mean(plans, unknown, names),
        )

    def _msearch(self, requests: list[dict], deadline: float) -> list[dict]:
        """The answers to these searches of the alias, in one round trip within the search's budget."""
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise SearchUnavailable(f"Elasticsearch at {self.url} did not answer within {self.timeout} s")
        # Sent by the transport itself: a request timeout of its own through Elasticsearch.options()
        # builds a whole new client, about a millisecond of Python per round trip.
        found = self._client.transport.perform_request(
            "POST",
            f"/{self.alias}/_msearch",
            body=[part for request in requests for part in ({}, request)],
            headers=_NDJSON,
            request_timeout=remaining,
        )
        if found.meta.status >= 400:
            raise SearchUnavailable(f"Elasticsearch at {self.url} answered {found.meta.status}: {found.body}")
        for answer in found.body["responses"]:
            if "error" in answer:
                raise SearchUnavailable(f"Elasticsearch at {self.url} failed a search: {answer['error']}")
        return found.body["responses"]

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
        """The live index and any other a rebuild is filling, so that no write is lost in a swap (one
        left by a failed rebuild is written too, until the next rebuild deletes it)."""
        indices = self._concrete_indices()
        if not any(indices.values()):
            self._ensure_alias()
            indices = self._concrete_indices()
        return list(indices)

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
    source = {
        "id": document.id,
        "store_id": document.store_id,
        "category_id": document.category_id,
        "price_hundredths": int(document.price * 100),
        "in_stock": document.in_stock,
        "created_at": document.created_at,
        "display_name": document.name,
    }
    for field, text in analysis.field_texts(document).items():
        field_words = analysis.words(text)
        source[field] = " ".join(analysis.stem(word) for word in field_words)
        source[f"{field}_words"] = " ".join(field_words)
        starts = {word[:length] for word in field_words for length in range(SHORTEST_START, len(word) + 1)}
        source[f"{field}_starts"] = " ".join(sorted(starts))
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


def _word_clauses(plans, known: list[bool]) -> list[dict]:
    return [_word_clause(plan, plan_known) for plan, plan_known in zip(plans, known, strict=True)]


def _strict_request(query: SearchQuery, clauses: list[dict], sort: str) -> dict:
    """A page of the products with every word."""
    strict = {"bool": {"must": clauses or [{"match_all": {}}], "filter": _filters(query)}}
    return _page_request(query, strict, sort, query.offset, query.limit)


def _most_words_request(query: SearchQuery, plans, clauses: list[dict], sort: str) -> dict:
    """The products with most words, each word's clause named so that a hit says which it matched;
    those with every word among them too (fewer than RELATED_BELOW, when this is asked), so the
    page can go on past them. One query: excluding them would run every clause twice."""
    named = [
        {"bool": {**clause["bool"], "_name": plan.word}} for clause, plan in zip(clauses, plans, strict=True)
    ]
    minimum = analysis.minimum_should_match(len(plans))
    most_words = {"bool": {"should": named, "minimum_should_match": minimum, "filter": _filters(query)}}
    return _page_request(query, most_words, sort, 0, query.offset + query.limit + analysis.RELATED_BELOW)


def _page_request(query: SearchQuery, matching: dict, sort: str, skipped: int, size: int) -> dict:
    """A search for a page of the matches, their total and their counts per category."""
    request = {
        "query": matching,
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
        "from": skipped,
        "size": size,
        "track_total_hits": True,
        "_source": ["display_name"],
    }
    if query.category_id is not None:
        # Narrows the hits, not the facets: a buyer still sees how many the other categories have.
        request["post_filter"] = _term("category_id", query.category_id)
    return request


def _total(found: dict) -> int:
    return found["hits"]["total"]["value"]


def _category_counts(found: dict) -> dict[int, int]:
    buckets = found["aggregations"]["categories"]["buckets"]
    return {int(bucket["key"]): bucket["doc_count"] for bucket in buckets}


def _known_request(store_id: int, asked: list[analysis.WordPlan]) -> dict:
    """A count of the store's products that know each asked word (see `_known_filter`). Asked only
    of words long enough for a typo: a shorter one is matched as typed either way."""
    return {
        "size": 0,
        "query": {"bool": {"filter": [_term("store_id", store_id)]}},
        "aggs": {"known": {"filters": {"filters": [_known_filter(plan) for plan in asked]}}},
    }


def _known(plans, found: dict) -> list[bool]:
    """Per query word, does the store know it, from the answer to `_known_request`."""
    buckets = iter(found["aggregations"]["known"]["buckets"])
    return [next(buckets)["doc_count"] > 0 if plan.typos else True for plan in plans]


def _known_filter(plan: analysis.WordPlan) -> dict:
    """The store's products that know the word: one of its exact stems in a stem field, or, for the
    last word, a word starting with it ("keyp" is the start of "keypad", not a typo of "keep")."""
    ways = [{"terms": {field: sorted(plan.exact_stems)}} for field in FIELD_BOOSTS]
    if plan.is_last:
        ways += [{"prefix": {f"{field}_words": plan.word}} for field in FIELD_BOOSTS]
    return {"bool": {"should": ways}}


def _word_clause(plan: analysis.WordPlan, known: bool) -> dict:
    """What one query word matches (see `analysis`): its stem, its synonyms' stems, and when last the
    start of a word; when the store does not know it, also a word within its typos, the stems of a
    synonym group with such a word, and when last the start of a word within its typos."""
    ways = [{"multi_match": {"query": plan.stem, "fields": _boosted("", 1.0)}}]
    if plan.synonym_stems:
        synonyms = " ".join(sorted(plan.synonym_stems))
        ways.append({"multi_match": {"query": synonyms, "fields": _boosted("", SYNONYM_WEIGHT)}})
    loose = _boosted("_words", LOOSE_MATCH_WEIGHT)
    if plan.is_last:  # search as you type: the last word may be unfinished
        ways.append({"multi_match": {"query": plan.word, "fields": loose, "type": "bool_prefix"}})
    if not known and plan.typos:
        # A word within its typos; for the last word, a word or the start of one ("pohn": "phon…").
        suffix = "_starts" if plan.is_last else "_words"
        fields = [
            f"{field}{suffix}^{FIELD_BOOSTS[boost_of] * LOOSE_MATCH_WEIGHT:g}"
            for field, boost_of in TYPO_FIELDS.items()
        ]
        typo = {"fuzziness": plan.typos, "prefix_length": 1}
        ways.append({"multi_match": {"query": plan.word, "fields": fields, **typo}})
    if not known and plan.fuzzy_synonym_stems:
        fuzzy_synonyms = " ".join(sorted(plan.fuzzy_synonym_stems))
        ways.append({"multi_match": {"query": fuzzy_synonyms, "fields": _boosted("", LOOSE_MATCH_WEIGHT)}})
    return {"bool": {"should": ways, "minimum_should_match": 1}}


def _boosted(suffix: str, weight: float) -> list[str]:
    """The fields of one kind ("" the stems, "_words" the words as written, "_starts" their starts),
    each with its boost."""
    return [f"{field}{suffix}^{boost * weight:g}" for field, boost in FIELD_BOOSTS.items()]
