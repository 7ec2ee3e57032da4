"""The embedded search engine: a tantivy index in a folder (SEARCH_URL=tantivy:///path), no server.

Text is analysed by `analysis.py`, not by tantivy: each text field (`analysis.field_texts()`: the
name without what the product is for, the category name, the rest) holds the words' Snowball stems
(for exact and synonym matches, scored by BM25) and a `*_words` twin holds the words as written, each
led by two more copies of its first letter (`_led`), for typos and search-as-you-type: tantivy's
typo matching has no fixed prefix, and that lead keeps a typo off the first letter. So this engine,
Elasticsearch and the database fallback agree on what a word is. Field boosts follow the relevance
rule: name, then category name, then the rest.

A search follows `analysis.plan_query()`: first one count per query word long enough for a typo,
does the store know it (`_unknown_words`); then the products with every word (strict), and when
fewer than `analysis.RELATED_BELOW` and the query has two words or more, a second search for the
related ones (at least half the words, not strict), the page running on from the first into the
second; the facets count both, in one aggregation.

Folder layout: `path/current` is a symlink to `path/index-<random>`, the live index. `rebuild()`
writes a whole new `index-…` beside it and then swaps the symlink (one rename, atomic): a search
sees the old index or the new, never a half-built one. The previous index is kept until the next
rebuild, for a process still reading it.

Several processes may share the folder (the web server and `dukaan worker --group search`). Writes
take an exclusive file lock, `path/writer.lock`, for as long as tantivy's single writer is open, and
every search first picks up whatever was committed since, in this process or another.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import threading
import time
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import tantivy

from . import analysis
from .backend import CategoryFacet, ProductDocument, SearchHit, SearchQuery, SearchResults, SearchUnavailable

# name > category name > description and variant labels; the word itself > a synonym > a typo or
# the start of a word (see `analysis`).
FIELD_BOOSTS = {"name": 3.0, "category": 2.0, "body": 1.0}
SYNONYM_WEIGHT = 0.5
LOOSE_MATCH_WEIGHT = 0.3
MAX_CATEGORIES = 10_000  # per store, far more than any store has

WRITER_HEAP_BYTES = 15_000_000  # tantivy's minimum: enough for the few documents an event brings
REBUILD_HEAP_BYTES = 200_000_000


def _schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    builder.add_integer_field("id", stored=True, indexed=True, fast=True)
    builder.add_integer_field("store_id", indexed=True, fast=True)
    builder.add_integer_field("version", fast=True)
    builder.add_integer_field("category_id", indexed=True, fast=True)
    builder.add_float_field("price", indexed=True, fast=True)
    builder.add_boolean_field("in_stock", indexed=True, fast=True)
    builder.add_float_field("created_at", fast=True)
    builder.add_text_field("display_name", stored=True, tokenizer_name="raw", index_option="basic")
    for field in FIELD_BOOSTS:
        builder.add_text_field(field, tokenizer_name="whitespace", index_option="freq")
        builder.add_text_field(f"{field}_words", tokenizer_name="whitespace", index_option="basic")
    return builder.build()


SCHEMA = _schema()


class TantivyBackend:
    name = "tantivy"

    def __init__(self, path: Path, lock_timeout: float = 5.0):
        self.path = Path(path)
        # How long a write waits for another process's write or rebuild before it fails (and the
        # event bus retries it).
        self.lock_timeout = lock_timeout
        self._lock = threading.Lock()
        self._folder: str | None = None
        self._index: tantivy.Index | None = None

    # --- Writing -----------------------------------------------------------------------------------

    def index(self, documents: list[ProductDocument]) -> None:
        newest: dict[int, ProductDocument] = {}
        for document in documents:
            if document.id not in newest or document.version >= newest[document.id].version:
                newest[document.id] = document
        if not newest:
            return
        with self._writer() as (index, writer):
            stored = _stored_versions(index.searcher(), list(newest))
            for document in newest.values():
                if stored.get(document.id, document.version) > document.version:
                    continue  # an older event arriving late: the index already has something newer
                writer.delete_documents_by_term("id", document.id)
                writer.add_document(_tantivy_document(document))

    def delete(self, store_id: int, product_ids: list[int]) -> None:
        if not product_ids:
            return
        with self._writer() as (_, writer):
            writer.delete_documents_by_query(
                _all_of(_store_filter(store_id), tantivy.Query.term_set_query(SCHEMA, "id", product_ids))
            )

    def delete_store(self, store_id: int) -> None:
        with self._writer() as (_, writer):
            writer.delete_documents_by_term("store_id", store_id)

    def rebuild(self, documents_by_store: Iterable[list[ProductDocument]]) -> int:
        with self._file_lock():
            current = self._current_folder()
            folder = self.path / f"index-{uuid.uuid4().hex}"
            try:
                count = _write_new_index(folder, documents_by_store)
                with _engine_errors(self.path):
                    self._point_current_at(folder.name)
            except BaseException:
                shutil.rmtree(folder, ignore_errors=True)
                raise
            for old in self.path.glob("index-*"):
                if old.name not in (folder.name, current):
                    shutil.rmtree(old, ignore_errors=True)
        return count

    # --- Reading -----------------------------------------------------------------------------------

    def search(self, query: SearchQuery) -> SearchResults:
        if query.sort not in _ORDERS or query.offset < 0 or query.limit < 1:
            raise ValueError(
                f"Bad search query: sort {query.sort!r} (one of {', '.join(_ORDERS)}), "
                f"offset {query.offset} (0 or more), limit {query.limit} (1 or more)."
            )
        plans = analysis.plan_query(query.text, query.synonyms)
        # Without words there is nothing to rank by: the newest come first.
        order_by, order = _ORDERS["newest" if not plans and query.sort == "relevance" else query.sort]
        with _engine_errors(self.path):
            index = self._open()
            index.reload()
            searcher = index.searcher()
            filters = _filters(query)
            unknown = _unknown_words(searcher, plans, _store_filter(query.store_id))
            clauses = [_word_clause(plan, plan.word in unknown) for plan in plans] or [
                tantivy.Query.all_query()
            ]
            in_category = [_filter("category_id", query.category_id)] if query.category_id is not None else []
            every_word = _all_of(*clauses)
            strict = searcher.search(
                _all_of(every_word, *filters, *in_category),
                query.limit,
                count=True,
                order_by_field=order_by,
                offset=query.offset,
                order=order,
            )
            tiers = [(strict, False)]
            matching = _all_of(every_word, *filters)
            # Related products are added when the strict ones the shopper is shown (in the chosen
            # category, if any) are few, whatever the page.
            if len(plans) > 1 and strict.count < analysis.RELATED_BELOW:
                most_words = tantivy.Query.boolean_query(
                    [(tantivy.Occur.Should, clause) for clause in clauses],
                    minimum_number_should_match=analysis.minimum_should_match(len(plans)),
                )
                matching = _all_of(most_words, *filters)
                not_strict = tantivy.Query.boolean_query(
                    [
                        (tantivy.Occur.Must, _all_of(matching, *in_category)),
                        (tantivy.Occur.MustNot, every_word),
                    ]
                )
                # The page runs on from the strict products into the related ones. A page already
                # full of strict products still asks for one related hit: tantivy counts only then.
                related = searcher.search(
                    not_strict,
                    max(1, query.limit - len(strict.hits)),
                    count=True,
                    order_by_field=order_by,
                    offset=max(0, query.offset - strict.count),
                    order=order,
                )
                tiers.append((related, True))
            facets = searcher.aggregate(
                matching, {"categories": {"terms": {"field": "category_id", "size": MAX_CATEGORIES}}}
            )
            hits, names = [], []
            for found, is_related in tiers:
                for score, address in found.hits[: query.limit - len(hits)]:
                    stored = searcher.doc(address)
                    name = stored.get_first("display_name")
                    names.append(name)
                    hits.append(
                        SearchHit(
                            product_id=stored.get_first("id"),
                            score=float(score) if order_by is None else 0.0,
                            highlighted_name=analysis.highlight(name, query.text, query.synonyms),
                            related=is_related,
                        )
                    )
        buckets = facets["categories"]["buckets"]
        related_count = sum(found.count for found, is_related in tiers if is_related)
        return SearchResults(
            hits=hits,
            total=strict.count + related_count,
            categories=[
                CategoryFacet(category_id=int(bucket["key"]), count=bucket["doc_count"])
                for bucket in sorted(buckets, key=lambda bucket: (-bucket["doc_count"], bucket["key"]))
            ],
            engine=self.name,
            related=related_count,
            # Every unknown word was matched loosely, if at all; nothing found corrects nothing.
            did_you_mean=analysis.did_you_mean(plans, unknown, names) if names else "",
        )

    def healthy(self) -> bool:
        try:
            with _engine_errors(self.path):
                index = self._open()
                index.reload()
                index.searcher()
        except SearchUnavailable:
            return False
        return True

    # --- The folder, the lock and the writer --------------------------------------------------------

    def _current_folder(self) -> str | None:
        try:
            return os.readlink(self.path / "current")
        except FileNotFoundError:
            return None

    def _point_current_at(self, folder_name: str) -> None:
        link = self.path / f"current-{uuid.uuid4().hex}"
        os.symlink(folder_name, link)
        os.replace(link, self.path / "current")

    def _open(self) -> tantivy.Index:
        """The live index of this process, opened again when a rebuild has swapped in a new one."""
        folder = self._current_folder()
        if folder is None:
            with self._file_lock():  # the first use of the folder: one process creates the index
                folder = self._current_folder() or self._create_empty_index()
        with self._lock:
            if folder != self._folder:
                index = tantivy.Index(SCHEMA, path=str(self.path / folder), reuse=True)
                index.config_reader(reload_policy="manual")
                self._index, self._folder = index, folder
            return self._index

    def _create_empty_index(self) -> str:
        """Called under the file lock."""
        folder = f"index-{uuid.uuid4().hex}"
        tantivy.Index(SCHEMA, path=str(_made(self.path / folder)), reuse=False)
        self._point_current_at(folder)
        return folder

    @contextmanager
    def _file_lock(self) -> Iterator[None]:
        """Only one writer at a time, across threads and processes (tantivy allows one per index)."""
        with _engine_errors(self.path):
            _made(self.path)
            lock_file = open(self.path / "writer.lock", "a")
        with lock_file:  # closing the file releases the lock
            deadline = time.monotonic() + self.lock_timeout
            while True:
                try:
                    fcntl.flock(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise SearchUnavailable(
                            f"The search index at {self.path} was busy for {self.lock_timeout:g} s "
                            "(a rebuild, or another process writing); try again."
                        ) from None
                    time.sleep(0.005)
            yield

    @contextmanager
    def _writer(self) -> Iterator[tuple[tantivy.Index, tantivy.IndexWriter]]:
        """The index's writer, under the file lock; commits at the end (each search reloads first)."""
        with self._file_lock(), _engine_errors(self.path):
            if self._current_folder() is None:
                self._create_empty_index()
            index = self._open()
            index.reload()
            writer = index.writer(heap_size=WRITER_HEAP_BYTES, num_threads=1)
            try:
                yield index, writer
                writer.commit()
            except BaseException:
                writer.rollback()
                raise
            finally:
                # Finishes the merges this commit started and drops the writer (and tantivy's lock).
                writer.wait_merging_threads()


@contextmanager
def _engine_errors(path: Path) -> Iterator[None]:
    try:
        yield
    except (OSError, ValueError, RuntimeError) as error:
        raise SearchUnavailable(f"The search index at {path} failed: {error}") from error


def _made(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _write_new_index(folder: Path, documents_by_store: Iterable[list[ProductDocument]]) -> int:
    with _engine_errors(folder):
        writer = tantivy.Index(SCHEMA, path=str(_made(folder)), reuse=False).writer(REBUILD_HEAP_BYTES)
    count = 0
    try:
        for documents in documents_by_store:
            with _engine_errors(folder):
                for document in documents:
                    writer.add_document(_tantivy_document(document))
            count += len(documents)
        with _engine_errors(folder):
            writer.commit()
    finally:
        writer.wait_merging_threads()
    return count


def _tantivy_document(document: ProductDocument) -> tantivy.Document:
    stored = tantivy.Document()
    stored.add_integer("id", document.id)
    stored.add_integer("store_id", document.store_id)
    stored.add_integer("version", document.version)
    if document.category_id is not None:
        stored.add_integer("category_id", document.category_id)
    stored.add_float("price", float(document.price))
    stored.add_boolean("in_stock", document.in_stock)
    stored.add_float("created_at", document.created_at)
    stored.add_text("display_name", document.name)
    for field, text in analysis.field_texts(document).items():
        field_words = analysis.words(text)
        stored.add_text(field, " ".join(analysis.stem(word) for word in field_words))
        stored.add_text(f"{field}_words", " ".join(_led(word) for word in field_words))
    return stored


def _led(word: str) -> str:
    """The word led by analysis.MAX_TYPOS more copies of its first letter: "lamp" -> "lllamp".

    How a `*_words` field holds a word, so that tantivy's typo matching keeps the first letter: no
    MAX_TYPOS edits turn three leading "l" into three "c", so "lamp" never reaches "camp", while two
    words with the same first letter are exactly as many edits apart as before.
    """
    return word[:1] * analysis.MAX_TYPOS + word


def _stored_versions(searcher: tantivy.Searcher, product_ids: list[int]) -> dict[int, int]:
    found = searcher.search(tantivy.Query.term_set_query(SCHEMA, "id", product_ids), len(product_ids))
    addresses = [address for _, address in found.hits]
    ids = searcher.fast_field_values("id", addresses)
    versions = searcher.fast_field_values("version", addresses)
    return dict(zip(ids, versions, strict=True))


# --- Queries ------------------------------------------------------------------------------------------

_ORDERS = {
    "relevance": (None, tantivy.Order.Desc),
    "price_asc": ("price", tantivy.Order.Asc),
    "price_desc": ("price", tantivy.Order.Desc),
    "newest": ("created_at", tantivy.Order.Desc),
}


def _all_of(*queries: tantivy.Query) -> tantivy.Query:
    return tantivy.Query.boolean_query([(tantivy.Occur.Must, query) for query in queries])


def _filter(field: str, value) -> tantivy.Query:
    """A clause that narrows the matches without touching their scores."""
    return _filter_by(tantivy.Query.term_query(SCHEMA, field, value))


def _filter_by(query: tantivy.Query) -> tantivy.Query:
    return tantivy.Query.const_score_query(query, 0.0)


def _store_filter(store_id: int) -> tantivy.Query:
    return _filter("store_id", store_id)


def _filters(query: SearchQuery) -> list[tantivy.Query]:
    """The store, and every filter but the category's (the facets ignore that one)."""
    filters = [_store_filter(query.store_id)]
    if query.min_price is not None or query.max_price is not None:
        price_range = tantivy.Query.range_query(
            SCHEMA,
            "price",
            tantivy.FieldType.Float,
            lower_bound=float(query.min_price) if query.min_price is not None else None,
            upper_bound=float(query.max_price) if query.max_price is not None else None,
        )
        filters.append(_filter_by(price_range))
    if query.in_stock:
        filters.append(_filter("in_stock", True))
    return filters


def _unknown_words(searcher: tantivy.Searcher, plans, store_filter: tantivy.Query) -> set[str]:
    """The query words no product of the store has, by stem or synonym, nor, for the last word, as
    the start of a word being typed ("keyp" of "keypad" is not a typo of "keeps"): those may be typos.

    One count of the store's products per word long enough for a typo, over the postings of its
    stems and (last word) of the words it starts, without scores: 0.07 ms a search (p50, all its
    words) at 100k documents, where term-set queries, reading every posting of a stem, took 0.9 ms.
    """
    unknown = set()
    for plan in plans:
        if not plan.typos:
            continue
        ways = [
            tantivy.Query.term_query(SCHEMA, field, stem)
            for field in FIELD_BOOSTS
            for stem in plan.exact_stems
        ]
        if plan.is_last:
            ways.extend(_start_of_word(field, plan.word) for field in FIELD_BOOSTS)
        has_it = tantivy.Query.boolean_query([(tantivy.Occur.Should, way) for way in ways])
        if searcher.search(_all_of(store_filter, _filter_by(has_it)), 1, count=True).count == 0:
            unknown.add(plan.word)
    return unknown


def _start_of_word(field: str, word: str, typos: int = 0) -> tantivy.Query:
    """Products with a word in `field` that starts with `word`, give or take its typos."""
    return tantivy.Query.fuzzy_term_query(SCHEMA, f"{field}_words", _led(word), distance=typos, prefix=True)


def _word_clause(plan: analysis.WordPlan, unknown: bool) -> tantivy.Query:
    """What one query word matches (see `analysis`): its stem and synonyms, the start of a word when
    it is the last one, and only when the store does not know it, a typo or a typo'd synonym."""
    ways = []
    for field, boost in FIELD_BOOSTS.items():
        ways.append((tantivy.Query.term_query(SCHEMA, field, plan.stem), boost))
        for synonym_stem in plan.synonym_stems:
            ways.append((tantivy.Query.term_query(SCHEMA, field, synonym_stem), boost * SYNONYM_WEIGHT))
        if plan.is_last:
            ways.append((_start_of_word(field, plan.word), boost * LOOSE_MATCH_WEIGHT))
        if unknown:
            loose = [tantivy.Query.term_query(SCHEMA, field, stem) for stem in plan.fuzzy_synonym_stems]
            loose.append(
                tantivy.Query.fuzzy_term_query(SCHEMA, f"{field}_words", _led(plan.word), distance=plan.typos)
            )
            if plan.is_last:
                loose.append(_start_of_word(field, plan.word, plan.typos))
            ways.extend((way, boost * LOOSE_MATCH_WEIGHT) for way in loose)
    return tantivy.Query.boolean_query(
        [(tantivy.Occur.Should, tantivy.Query.boost_query(way, boost)) for way, boost in ways]
    )
