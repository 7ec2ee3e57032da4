"""The embedded search engine: a tantivy index in a folder (SEARCH_URL=tantivy:///path), no server.

Text is analysed by `analysis.py`, not by tantivy: each text field holds the words' Snowball stems
(for exact and synonym matches, scored by BM25) and a `*_words` twin holds the words as written (for
typos and search-as-you-type), so this engine, Elasticsearch and the database fallback agree on
what a word is. Field boosts follow the relevance rule: name, then category name, then the rest.

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
        query_words = analysis.words(query.text)
        # Without words there is nothing to rank by: the newest come first.
        order_by, order = _ORDERS["newest" if not query_words and query.sort == "relevance" else query.sort]
        with _engine_errors(self.path):
            index = self._open()
            index.reload()
            searcher = index.searcher()
            matching = _all_of(*_query_clauses(query_words, query.synonyms), *_filters(query))
            in_category = matching
            if query.category_id is not None:
                in_category = _all_of(matching, _filter("category_id", query.category_id))
            found = searcher.search(
                in_category,
                query.limit,
                count=True,
                order_by_field=order_by,
                offset=query.offset,
                order=order,
            )
            facets = searcher.aggregate(
                matching, {"categories": {"terms": {"field": "category_id", "size": MAX_CATEGORIES}}}
            )
            hits = []
            for score, address in found.hits:
                stored = searcher.doc(address)
                name = stored.get_first("display_name")
                hits.append(
                    SearchHit(
                        product_id=stored.get_first("id"),
                        score=float(score) if order_by is None else 0.0,
                        highlighted_name=analysis.highlight(name, query.text, query.synonyms),
                    )
                )
        buckets = facets["categories"]["buckets"]
        return SearchResults(
            hits=hits,
            total=found.count,
            categories=[
                CategoryFacet(category_id=int(bucket["key"]), count=bucket["doc_count"])
                for bucket in sorted(buckets, key=lambda bucket: (-bucket["doc_count"], bucket["key"]))
            ],
            engine=self.name,
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
        """The index's writer, under the file lock; commits at the end, visible on return."""
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
            index.reload()


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
    texts = {
        "name": document.name,
        "category": document.category_name,
        "body": f"{document.description}\n{document.variant_labels}",
    }
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
    for field, text in texts.items():
        field_words = analysis.words(text)
        stored.add_text(field, " ".join(analysis.stem(word) for word in field_words))
        stored.add_text(f"{field}_words", " ".join(field_words))
    return stored


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
    return tantivy.Query.const_score_query(tantivy.Query.term_query(SCHEMA, field, value), 0.0)


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
        filters.append(tantivy.Query.const_score_query(price_range, 0.0))
    if query.in_stock:
        filters.append(_filter("in_stock", True))
    return filters


def _query_clauses(query_words: list[str], store_synonyms) -> list[tantivy.Query]:
    """One clause per query word; a product must match every one (see `analysis`)."""
    if not query_words:
        return [tantivy.Query.all_query()]
    return [
        _word_clause(word, store_synonyms, is_last=position == len(query_words) - 1)
        for position, word in enumerate(query_words)
    ]


def _word_clause(word: str, store_synonyms, *, is_last: bool) -> tantivy.Query:
    word_stem = analysis.stem(word)
    synonym_stems = {analysis.stem(synonym) for synonym in analysis.alternatives(word, store_synonyms)}
    synonym_stems.discard(word_stem)
    typos = analysis.max_typos(word)
    ways = []
    for field, boost in FIELD_BOOSTS.items():
        words_field = f"{field}_words"
        ways.append((tantivy.Query.term_query(SCHEMA, field, word_stem), boost))
        for synonym_stem in synonym_stems:
            ways.append((tantivy.Query.term_query(SCHEMA, field, synonym_stem), boost * SYNONYM_WEIGHT))
        if typos:
            typo = tantivy.Query.fuzzy_term_query(SCHEMA, words_field, word, distance=typos)
            ways.append((typo, boost * LOOSE_MATCH_WEIGHT))
        if is_last:
            start = tantivy.Query.fuzzy_term_query(SCHEMA, words_field, word, distance=0, prefix=True)
            ways.append((start, boost * LOOSE_MATCH_WEIGHT))
    return tantivy.Query.boolean_query(
        [(tantivy.Occur.Should, tantivy.Query.boost_query(way, boost)) for way, boost in ways]
    )
