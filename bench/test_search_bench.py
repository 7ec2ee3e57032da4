"""Search relevance of the naive LIKE search, a plain BM25 engine, the tantivy adapter and Elasticsearch,
and their speed.

Run with `make bench BENCH=search` (`QUICK=1` for the 10k catalog only). The
catalog and the graded queries are generated (bench/search_catalog.py): 10 stores of 1,000
products for relevance, 100 stores for the 100k speed pass. Every query and its typo variant is
asked in its store; nDCG@10 (gains 1 / 0.5 / 0 for Exact / Partial / Irrelevant), MRR@10, recall@10
and the share of queries with no result are printed per engine, nDCG@10 and no-result counts per
query kind, then bulk indexing throughput and query latency p50/p99 at each size. Figures go to
test-artifacts/bench/search.json and search.png beside docs/benchmarks/results.json (bench/report.py,
which keeps a quick pass's apart), and the headline ones into results.json; nothing is asserted but
that every engine indexed every document and answered every query.
What they mean: docs/benchmarks/search.md.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import os
import random
import re
import statistics
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from unittest import mock

import pytest
import tantivy
from django.db import connection
from matplotlib.figure import Figure
from rich.progress import Progress
from rich.table import Table

from bench.measure import CpuUse, percentile
from bench.report import QUICK, console, output, progress_bar
from bench.search_catalog import (
    EXACT,
    LABELLED_STORES,
    PRODUCTS_PER_STORE,
    QUERY_KINDS,
    Query,
    Store,
    labelled_queries,
    stores,
    with_typos,
)
from dukaan.catalog.snapshot import CatalogProduct, StoreCatalog
from dukaan.search.analysis import GLOBAL_SYNONYMS
from dukaan.search.backend import SearchQuery
from dukaan.search.elastic_backend import ElasticBackend
from dukaan.search.tantivy_backend import TantivyBackend
from dukaan.search.tests.elastic import start_node

pytestmark = [pytest.mark.bench]

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "test-artifacts" / "bench" / "search.json"
PLOT = output("search.png")
SIZES = (10_000,) if QUICK else (10_000, 100_000)
TOP = 10
LATENCY_SEARCHES = 2_000  # per engine and size, after WARM_UP searches that are not timed
WARM_UP = 500
# After the rebuild, before any search: products written again as the search consumer writes them, a
# refreshed batch at a time, so the engines are measured as a live index is, with the rebuild's
# segments and the small ones that writes keep adding (Elasticsearch: one merged segment and a few).
CHURN_WRITES = 1_000
CHURN_BATCH = 10
QUERY_SYNTAX = re.compile(r"[+\-&|!(){}\[\]^\"~*?:\\/'.,]")
# Latency is measured, not judged: a slow search must be timed, not turned into SearchUnavailable.
ELASTIC_TIMEOUT = 30.0


# --- The engines ----------------------------------------------------------------------------------


class LikeSearch:
    """The old storefront's search (every word a substring of the name or description, name matches
    first) over the same documents: `StoreCatalog.search` itself, on catalogs made from them."""

    name = "like"

    def __init__(self) -> None:
        self.catalogs: dict[int, StoreCatalog] = {}

    def rebuild(self, documents_by_store: Iterable[list]) -> int:
        self.catalogs = {}
        count = 0
        for documents in documents_by_store:
            newest_first = sorted(documents, key=lambda document: -document.created_at)
            store_id = documents[0].store_id
            products = tuple(
                CatalogProduct(
                    id=document.id,
                    name=document.name,
                    description=document.description,
                    price=document.price,
                    compare_at_price=None,
                    category_id=document.category_id,
                    stock=None,
                )
                for document in newest_first
            )
            self.catalogs[store_id] = StoreCatalog(
                store_id=store_id,
                name="",
                slug="",
                whatsapp="",
                currency="INR",
                upi_id="",
                logo_url="",
                categories=(),
                products=products,
                product_count=len(products),
                cover=None,
            )
            count += len(documents)
        return count

    def top(self, store_id: int, text: str) -> list[int]:
        return [product.id for product in self.catalogs[store_id].search(text)[:TOP]]


class AdapterSearch:
    """A SearchBackend adapter, asked the way the storefront asks it (relevance, first page).
    `servers` names the processes it asks (name: root pid), whose CPU the speed phase measures."""

    def __init__(self, name: str, backend, servers: dict[str, int] | None = None) -> None:
        self.name = name
        self.backend = backend
        self.servers = servers or {}

    def rebuild(self, documents_by_store: Iterable[list]) -> int:
        return self.backend.rebuild(documents_by_store)

    def churn(self, documents: list) -> None:
        for start in range(0, len(documents), CHURN_BATCH):
            self.backend.index(documents[start : start + CHURN_BATCH])

    def top(self, store_id: int, text: str) -> list[int]:
        results = self.backend.search(SearchQuery(store_id=store_id, text=text, limit=TOP))
        return [hit.product_id for hit in results.hits]


class ElasticTook(ElasticBackend):
    """ElasticBackend adding up Elasticsearch's own `took` of each round trip, the server's share of
    a search, and reading the node's garbage collections. The searches of one `_msearch` run side by
    side on the node, so a round trip's `took` is its longest."""

    took_ms = 0.0

    def _msearch(self, requests: list[dict], deadline: float) -> list[dict]:
        answers = super()._msearch(requests, deadline)
        self.took_ms += max(answer["took"] for answer in answers)
        return answers

    def segments(self) -> int:
        return len(self._client.cat.segments(index=self.alias, format="json"))

    def collections(self) -> tuple[int, float]:
        """Garbage collections of the node's JVM since it started, young and old: (count, ms)."""
        (node,) = self._client.nodes.stats(metric="jvm")["nodes"].values()
        collectors = node["jvm"]["gc"]["collectors"].values()
        return (
            sum(found["collection_count"] for found in collectors),
            sum(found["collection_time_in_millis"] for found in collectors),
        )


class Bm25Search:
    """A plain BM25 engine with fuzzy matching, the baseline: its own tantivy index (name, category
    and description with tantivy's English stemmer; the store id), asked with tantivy's query parser
    as it comes: any word in any field (OR), scored by BM25, or-ed with the same words matched one
    edit away and as a prefix (the parser's fuzzy_fields). No synonyms, no analysis of ours; filtered
    to the store. tantivy scores a fuzzy match as a constant, with no term statistics, so the fuzzy
    query alone would rank by how many words match, not by BM25: it is or-ed with the plain one."""

    name = "bm25"
    FIELDS = ("name", "category", "description")

    def __init__(self, path: Path) -> None:
        builder = tantivy.SchemaBuilder()
        builder.add_integer_field("id", stored=True)
        builder.add_integer_field("store_id", indexed=True)
        for name in self.FIELDS:
            builder.add_text_field(name, tokenizer_name="en_stem")
        self.schema = builder.build()
        path.mkdir(parents=True, exist_ok=True)
        self.index = tantivy.Index(self.schema, path=str(path))
        self.searcher = self.index.searcher()

    def rebuild(self, documents_by_store: Iterable[list]) -> int:
        writer = self.index.writer(heap_size=200_000_000, num_threads=1)
        writer.delete_all_documents()
        count = 0
        for documents in documents_by_store:
            for document in documents:
                writer.add_document(
                    tantivy.Document(
                        id=document.id,
                        store_id=document.store_id,
                        name=document.name,
                        category=document.category_name,
                        description=document.description,
                    )
                )
            count += len(documents)
        writer.commit()
        writer.wait_merging_threads()
        self.index.reload()
        self.searcher = self.index.searcher()
        return count

    def top(self, store_id: int, text: str) -> list[int]:
        words = QUERY_SYNTAX.sub(" ", text).split()  # the words, not the query language's operators
        if not words:
            return []
        text, fields = " ".join(words), list(self.FIELDS)
        fuzzy = {name: (True, 1, True) for name in self.FIELDS}
        matching = tantivy.Query.boolean_query(
            [
                (tantivy.Occur.Should, self.index.parse_query(text, fields)),
                (tantivy.Occur.Should, self.index.parse_query(text, fields, fuzzy_fields=fuzzy)),
            ]
        )
        in_store = tantivy.Query.term_query(self.schema, "store_id", store_id)
        query = tantivy.Query.boolean_query([(tantivy.Occur.Must, matching), (tantivy.Occur.Must, in_store)])
        hits = self.searcher.search(query, TOP).hits
        return [self.searcher.doc(address)["id"][0] for _, address in hits]


# --- Relevance ------------------------------------------------------------------------------------


def ndcg_at_10(ranked: list[int], grades: dict[int, float]) -> float:
    """Normalised discounted cumulative gain over the top 10, gains 1 / 0.5 / 0 (Exact / Partial /
    Irrelevant), against the ideal order of the store's own graded products."""

    def dcg(gains: Iterable[float]) -> float:
        return sum(gain / math.log2(rank + 2) for rank, gain in enumerate(gains))

    ideal = dcg(sorted(grades.values(), reverse=True)[:TOP])
    return dcg(grades.get(product_id, 0.0) for product_id in ranked[:TOP]) / ideal


def exact_products(grades: dict[int, float]) -> set[int]:
    return {product_id for product_id, gain in grades.items() if gain == EXACT}


def recall_at_10(ranked: list[int], grades: dict[int, float]) -> float:
    """Of the Exact products, the share in the top 10; a query with more than 10 of them needs only
    10 (else recall@10 of "kurti" could never pass 10/60)."""
    wanted = exact_products(grades)
    return len(wanted & set(ranked[:TOP])) / min(TOP, len(wanted))


def mrr_at_10(ranked: list[int], grades: dict[int, float]) -> float:
    """1 / the rank of the first Exact product in the top 10; 0 when none is there."""
    wanted = exact_products(grades)
    return next((1 / rank for rank, product_id in enumerate(ranked[:TOP], 1) if product_id in wanted), 0.0)


@dataclass
class Judged:
    text: str
    kind: str
    typo: bool
    ndcg: float
    recall: float | None  # None: the store has no Exact product for the query
    mrr: float | None
    found: int  # how many products the first page shows


def judge(engine, queries: list[Query], progress: Progress, label: str) -> list[Judged]:
    task = progress.add_task(label, total=len(queries))
    judged = []
    for query in queries:
        ranked = engine.top(query.store_id, query.text)
        has_exact = EXACT in query.grades.values()
        judged.append(
            Judged(
                query.text,
                query.kind,
                bool(query.typo_of),
                ndcg_at_10(ranked, query.grades),
                recall_at_10(ranked, query.grades) if has_exact else None,
                mrr_at_10(ranked, query.grades) if has_exact else None,
                len(ranked),
            )
        )
        progress.advance(task)
    return judged


def means(judged: list[Judged]) -> dict[str, float]:
    """nDCG@10 and the no-result share over every query; recall@10 and MRR@10 over the queries whose
    store has an Exact product (for the others both are 0 whatever an engine does)."""
    with_exact = [entry for entry in judged if entry.mrr is not None]
    return {
        "ndcg": statistics.fmean(entry.ndcg for entry in judged),
        "mrr": statistics.fmean(entry.mrr for entry in with_exact) if with_exact else 0.0,
        "recall": statistics.fmean(entry.recall for entry in with_exact) if with_exact else 0.0,
        "no_result": sum(entry.found == 0 for entry in judged) / len(judged),
        "queries": len(judged),
    }


def summary(judged: list[Judged]) -> dict:
    clean = [entry for entry in judged if not entry.typo]
    typos = [entry for entry in judged if entry.typo]
    kinds = [kind for kind in QUERY_KINDS if any(entry.kind == kind for entry in judged)]
    return {
        "clean": means(clean),
        "typo": means(typos),
        "by_kind": {
            kind: {
                "clean": means([entry for entry in clean if entry.kind == kind]),
                "typo": means([entry for entry in typos if entry.kind == kind]),
            }
            for kind in kinds
        },
    }


# --- Speed ----------------------------------------------------------------------------------------


def counted(stores_: list[Store], progress: Progress, label: str) -> Iterator[list]:
    """Each store's documents in turn, moving a progress bar as the engine takes them."""
    task = progress.add_task(label, total=sum(len(store.products) for store in stores_))
    for store in stores_:
        yield store.documents()
        progress.advance(task, len(store.products))


def rewritten(stores_: list[Store]) -> list:
    """CHURN_WRITES documents from all over the catalog, to be written again as they are."""
    documents = [document for store in stores_ for document in store.documents()]
    return random.Random(7).sample(documents, CHURN_WRITES)


def query_mix(queries: list[Query], stores_: list[Store], count: int) -> list[tuple[int, str]]:
    """`count` (store id, text) pairs: the labelled queries, clean and typo, each in a random store
    of the kind it was made for, so the big catalog is searched all over, not only its first stores."""
    rng = random.Random(11)
    profile_of = {store.id: store.profile for store in stores_}
    by_profile: dict[str, list[int]] = {}
    for store in stores_:
        by_profile.setdefault(store.profile, []).append(store.id)
    return [
        (rng.choice(by_profile[profile_of[query.store_id]]), query.text)
        for query in (rng.choice(queries) for _ in range(count))
    ]


@dataclass
class Timed:
    """The timed searches of one engine at one size."""

    wall_ms: list[float]  # as the storefront's process waits for each
    took_ms: list[float]  # Elasticsearch's own share of each (its `took`); empty for the others
    cpu: CpuUse  # the engine's servers and the bench's own process, over the timed searches
    collections: tuple[int, float] = (0, 0.0)  # Elasticsearch's GCs over them: count, ms


def latencies_ms(engine, mix: list[tuple[int, str]], progress: Progress, label: str) -> Timed:
    task = progress.add_task(label, total=len(mix))
    backend = getattr(engine, "backend", None)
    elastic = backend if isinstance(backend, ElasticTook) else None
    timed = Timed([], [], CpuUse(getattr(engine, "servers", {}), own="bench"))
    for number, (store_id, text) in enumerate(mix):
        if number == WARM_UP:
            timed.cpu.start()
            collected = elastic.collections() if elastic else (0, 0.0)
        took = elastic.took_ms if elastic else 0.0
        started = time.perf_counter()
        engine.top(store_id, text)
        if number >= WARM_UP:
            timed.wall_ms.append((time.perf_counter() - started) * 1000)
            if elastic:
                timed.took_ms.append(elastic.took_ms - took)
        progress.advance(task)
    timed.cpu.stop()
    if elastic:
        count, ms = elastic.collections()
        timed.collections = (count - collected[0], ms - collected[1])
    return timed


# --- The run --------------------------------------------------------------------------------------


@dataclass
class Results:
    queries: int
    kinds: dict[str, int]
    # The machine's 1-minute load average before and after: other work on it spreads the latencies.
    load: list[float] = field(default_factory=list)
    relevance: dict[str, dict] = field(default_factory=dict)  # engine -> summary at 10k
    relevance_at_100k: dict[str, dict] = field(default_factory=dict)  # engine -> clean/typo means
    speed: dict[str, dict] = field(default_factory=dict)  # engine -> size -> figures
    cpu: dict[tuple[str, str], CpuUse] = field(default_factory=dict)  # (engine, size) -> its CPU
    # engine -> [text, kind, typo, ndcg, recall, mrr, products found]; recall and mrr null without an Exact
    per_query: dict[str, list] = field(default_factory=dict)
    without_exact: int = 0  # clean queries whose store has Partial products only


def measure(engine, catalog: list[Store], queries: list[Query], results: Results) -> None:
    """Rebuild the engine at each size; relevance at 10k (and its means at 100k), then speed."""
    for size in SIZES:
        at_size = catalog[: size // PRODUCTS_PER_STORE]
        with progress_bar(transient=True) as progress:
            started = time.perf_counter()
            indexed = engine.rebuild(counted(at_size, progress, f"{engine.name}: indexing {size:,}"))
            seconds = time.perf_counter() - started
            assert indexed == size, f"{engine.name} indexed {indexed} of {size} documents"
            if hasattr(engine, "churn"):
                engine.churn(rewritten(at_size))
            judged = judge(engine, queries, progress, f"{engine.name}: relevance at {size:,}")
            mix = query_mix(queries, at_size, WARM_UP + LATENCY_SEARCHES)
            timed = latencies_ms(engine, mix, progress, f"{engine.name}: latency at {size:,}")
        timings = timed.wall_ms
        if size == SIZES[0]:
            results.relevance[engine.name] = summary(judged)
            results.per_query[engine.name] = [
                [
                    entry.text,
                    entry.kind,
                    entry.typo,
                    round(entry.ndcg, 4),
                    None if entry.recall is None else round(entry.recall, 4),
                    None if entry.mrr is None else round(entry.mrr, 4),
                    entry.found,
                ]
                for entry in judged
            ]
        else:
            found = summary(judged)
            results.relevance_at_100k[engine.name] = {"clean": found["clean"], "typo": found["typo"]}
        results.speed.setdefault(engine.name, {})[str(size)] = {
            "index_seconds": seconds,
            "documents_per_second": size / seconds,
            "searches": len(timings),
            "p50_ms": statistics.median(timings),
            "p99_ms": percentile(timings, 0.99),
            "max_ms": max(timings),
            "cpu_seconds": timed.cpu.seconds,
            "cpu_busy_share": timed.cpu.busy_share,
        }
        results.cpu[engine.name, str(size)] = timed.cpu
        if timed.took_ms:
            # Per search: the server's own time, and the rest (HTTP, JSON, the adapter's Python).
            rest = [wall - took for wall, took in zip(timings, timed.took_ms, strict=True)]
            count, ms = timed.collections
            segments = engine.backend.segments()
            results.speed[engine.name][str(size)] |= {
                "took_p50_ms": statistics.median(timed.took_ms),
                "took_p99_ms": percentile(timed.took_ms, 0.99),
                "client_p50_ms": statistics.median(rest),
                "client_p99_ms": percentile(rest, 0.99),
                "gc_count": count,
                "gc_ms": ms,
                "segments": segments,
            }
            split = results.speed[engine.name][str(size)]
            console.print(
                f"{engine.name} at {size:,}: took p50 {split['took_p50_ms']:.2f} ms, "
                f"p99 {split['took_p99_ms']:.2f} ms; the rest p50 {split['client_p50_ms']:.2f} ms, "
                f"p99 {split['client_p99_ms']:.2f} ms; "
                f"{count} GCs, {ms:.0f} ms; {segments} segments"
            )
        console.print(
            f"{engine.name} at {size:,}: indexed in {seconds:.1f} s ({size / seconds:,.0f} documents/s); "
            f"p50 {statistics.median(timings):.2f} ms, p99 {percentile(timings, 0.99):.2f} ms"
        )


def engines(running: contextlib.ExitStack, tmp_path: Path) -> list:
    """Each engine under test, with an empty index; the Elasticsearch node is started first, so a
    node that cannot start skips the bench before anything is measured. The node compiles with C2, as
    a deployed node does (the test nodes stop at the quick compiler for a faster start): Elasticsearch's
    own time per search was 0.6-0.8x at p50 and p99 (docs/benchmarks/search.md)."""
    with mock.patch.dict(os.environ, {"ES_JAVA_OPTS": "-XX:TieredStopAtLevel=4"}):  # after jvm.options
        node = start_node()
    running.callback(node.stop)
    return [
        LikeSearch(),
        Bm25Search(tmp_path / "bm25"),
        AdapterSearch("tantivy", TantivyBackend(tmp_path / "tantivy")),
        AdapterSearch(
            "elasticsearch",
            ElasticTook(node.url, "bench-products", timeout=ELASTIC_TIMEOUT),
            servers={"elasticsearch": node.pid},
        ),
    ]


def test_search_relevance_and_speed(tmp_path, caplog, record):
    if connection.vendor != "sqlite":
        pytest.skip("the search bench reads nothing from the database: its SQLite pass is the whole of it")
    caplog.set_level(logging.WARNING, logger="elastic_transport")  # not a log line per search
    catalog = list(stores(max(SIZES) // PRODUCTS_PER_STORE))
    clean = labelled_queries(catalog[:LABELLED_STORES], GLOBAL_SYNONYMS)
    queries = clean + with_typos(clean)
    kinds = {kind: sum(query.kind == kind for query in clean) for kind in QUERY_KINDS}
    without_exact = sum(EXACT not in query.grades.values() for query in clean)
    results = Results(queries=len(clean), kinds=kinds, load=[os.getloadavg()[0]], without_exact=without_exact)
    sizes = ", ".join(f"{size:,}" for size in SIZES)
    console.print(
        f"\n[bold]Search bench[/]: {len(clean)} labelled queries and their typo variants over "
        f"{LABELLED_STORES} stores of {PRODUCTS_PER_STORE:,} products ({without_exact} queries with Partial "
        f"products only); catalog sizes {sizes}; "
        f"load average {results.load[0]:.2f} on {os.cpu_count()} cores"
    )
    with contextlib.ExitStack() as running:
        for engine in engines(running, tmp_path):
            measure(engine, catalog, queries, results)
    results.load.append(os.getloadavg()[0])
    print_relevance(results)
    print_kinds(results)
    print_speed(results)
    record_figures(results, record)
    plot(save(results))
    console.print(f"figures: {RESULTS.relative_to(REPO)}, plot: {PLOT.relative_to(REPO)}")


# --- Figures --------------------------------------------------------------------------------------


def record_figures(results: Results, record) -> None:
    """Relevance at 10k and speed at each size per engine, and the ratios between engines."""
    for name, found in results.relevance.items():
        for variant in ("clean", "typo"):
            record(f"{name}_ndcg_{variant}", found[variant]["ndcg"], unit="nDCG@10", note="10k products")
            record(f"{name}_mrr_{variant}", found[variant]["mrr"], unit="MRR@10")
            record(f"{name}_recall_{variant}", found[variant]["recall"], unit="recall@10")
            record(f"{name}_no_result_{variant}", found[variant]["no_result"], unit="share of queries")
        record.ratio(f"{name}_typo_vs_clean", f"{name}_ndcg_typo", f"{name}_ndcg_clean")
    for name in results.relevance:
        if name not in ("like", "bm25"):
            record.ratio(f"{name}_vs_like_ndcg", f"{name}_ndcg_clean", "like_ndcg_clean")
            record.ratio(f"{name}_vs_bm25_ndcg", f"{name}_ndcg_clean", "bm25_ndcg_clean")
    for name, by_size in results.speed.items():
        for size, found in by_size.items():
            at = f"{int(size) // 1000}k"
            record(
                f"{name}_p50_ms_{at}",
                found["p50_ms"],
                unit="ms",
                note=f"one search at a time, {size} products",
            )
            record(f"{name}_p99_ms_{at}", found["p99_ms"], unit="ms")
            if name != "like":  # it has no index to build
                record(f"{name}_documents_per_second_{at}", found["documents_per_second"], unit="documents/s")
            for part in ("took", "client"):
                for share in ("p50", "p99"):
                    if f"{part}_{share}_ms" in found:
                        record(
                            f"{name}_{part}_{share}_ms_{at}",
                            found[f"{part}_{share}_ms"],
                            unit="ms",
                            note=SPLIT_NOTES[part],
                        )
            if "gc_ms" in found:
                searches = found["searches"]
                record(f"{name}_gc_ms_per_search_{at}", found["gc_ms"] / searches, unit="ms", note="JVM GC")
            results.cpu[name, size].record(
                record, prefix=f"{name}_{at}", per=found["searches"], unit="search"
            )
    record_elastic_targets(results, record)
    for size in results.speed.get("tantivy", {}):
        at = f"{int(size) // 1000}k"
        if size in results.speed.get("elasticsearch", {}):
            record.ratio(
                f"elasticsearch_vs_tantivy_p99_{at}", f"elasticsearch_p99_ms_{at}", f"tantivy_p99_ms_{at}"
            )


SPLIT_NOTES = {
    "took": "Elasticsearch's own time per search (its took, over the round trips)",
    "client": "the rest of each search: HTTP, JSON and the adapter's Python",
}


# Issue 23's Elasticsearch figures: p99 at 100k, its relevance not lower than issue 22 left it.
ELASTIC_P99_TARGET_MS = 20.0
ELASTIC_P99_BEFORE_MS = 30.3
ELASTIC_NDCG_BEFORE = {"clean": 0.952, "typo": 0.885}


def record_elastic_targets(results: Results, record) -> None:
    """The search p99 at 100k products (a full run only) and nDCG@10 at 10k against their targets."""
    speed = results.speed.get("elasticsearch", {}).get("100000")
    if speed:
        record.target(
            "elasticsearch_search_p99_ms_100k",
            speed["p99_ms"],
            unit="ms",
            target=ELASTIC_P99_TARGET_MS,
            higher_is_better=False,
            before=ELASTIC_P99_BEFORE_MS,
            before_note="issue 23's table, measured before issue 22 on a quieter machine",
        )
    else:
        console.print("elasticsearch p99 at 100k: measured by the full run only (QUICK=1 stops at 10k)")
    for variant, before in ELASTIC_NDCG_BEFORE.items():
        if "elasticsearch" in results.relevance:
            record.target(
                f"elasticsearch_relevance_{variant}",
                # to the third decimal, as issue 22's figures were written down
                round(results.relevance["elasticsearch"][variant]["ndcg"], 3),
                unit="nDCG@10",
                target=before,
                higher_is_better=True,
                before=before,
                before_note="issue 22's figure, docs/benchmarks/search.md (1fab305, 2026-12-06)",
            )


def print_relevance(results: Results) -> None:
    table = Table(
        title=f"Relevance, {results.queries} queries at 10k products, clean | with a typo (mean over queries)"
    )
    table.add_column("engine")
    for variant in ("", " typo"):
        for measure in ("nDCG@10", "MRR@10", "recall@10", "no result"):
            table.add_column(measure + variant, justify="right")
    for name, found in results.relevance.items():
        cells = [
            f"{found[variant][measure]:.1%}" if measure == "no_result" else f"{found[variant][measure]:.3f}"
            for variant in ("clean", "typo")
            for measure in ("ndcg", "mrr", "recall", "no_result")
        ]
        table.add_row(name, *cells)
    table.caption = (
        f"MRR@10 and recall@10 over the {results.queries - results.without_exact} queries with an Exact "
        f"product in their store; nDCG@10 and no result over all {results.queries}."
    )
    if results.relevance_at_100k:
        table.caption += " At 100k: " + "; ".join(
            f"{name} nDCG@10 {found['clean']['ndcg']:.3f} (typo {found['typo']['ndcg']:.3f})"
            for name, found in results.relevance_at_100k.items()
        )
    console.print(table)


def print_kinds(results: Results) -> None:
    """Per query kind: nDCG@10, and how many queries found nothing, clean / typo."""
    for title, cell in (
        ("nDCG@10", lambda found: f"{found['clean']['ndcg']:.2f} / {found['typo']['ndcg']:.2f}"),
        (
            "Queries with no result",
            lambda found: " / ".join(
                str(round(found[variant]["no_result"] * found[variant]["queries"]))
                for variant in ("clean", "typo")
            ),
        ),
    ):
        table = Table(title=f"{title} per query kind at 10k: clean / typo")
        table.add_column("kind")
        table.add_column("queries", justify="right")
        for name in results.relevance:
            table.add_column(name, justify="right")
        for kind, count in results.kinds.items():
            cells = [cell(found["by_kind"][kind]) for found in results.relevance.values()]
            table.add_row(kind, str(count), *cells)
        console.print(table)


def print_speed(results: Results) -> None:
    table = Table(title=f"Speed: bulk rebuild, then {LATENCY_SEARCHES:,} searches one at a time")
    for column in ("engine", "products", "index s", "documents/s", "p50 ms", "p99 ms", "p99 × tantivy"):
        table.add_column(column, justify="left" if column == "engine" else "right")
    for name, by_size in results.speed.items():
        for size, found in by_size.items():
            tantivy = results.speed.get("tantivy", {}).get(size)
            table.add_row(
                name,
                f"{int(size):,}",
                f"{found['index_seconds']:.1f}",
                f"{found['documents_per_second']:,.0f}",
                f"{found['p50_ms']:.2f}",
                f"{found['p99_ms']:.2f}",
                f"{found['p99_ms'] / tantivy['p99_ms']:.1f}" if tantivy else "",
            )
    table.caption = (
        "like: no index; its 'indexing' is building the in-memory catalogs it scans. "
        f"Load average {results.load[0]:.2f} before, {results.load[-1]:.2f} after."
    )
    console.print(table)


def save(results: Results) -> dict:
    entry = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "cores": os.cpu_count(),
        "load_average": results.load,
        "quick": QUICK,
        "products_per_store": PRODUCTS_PER_STORE,
        "sizes": list(SIZES),
        "queries": results.queries,
        "queries_without_exact": results.without_exact,
        "query_kinds": results.kinds,
        "relevance": results.relevance,
        "relevance_at_100k": results.relevance_at_100k,
        "speed": results.speed,
        "per_query": results.per_query,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(entry, indent=1))
    return entry


ENGINE_COLOURS = {
    "like": "tab:gray",
    "bm25": "tab:green",
    "tantivy": "tab:orange",
    "elasticsearch": "tab:blue",
}


def plot(entry: dict) -> None:
    engines_ = list(entry["speed"])
    kinds = list(entry["query_kinds"])
    width = 0.8 / len(engines_)

    def positions(count: int, number: int) -> list[float]:
        return [index + number * width for index in range(count)]

    def centres(count: int) -> list[float]:
        return [index + width * (len(engines_) - 1) / 2 for index in range(count)]

    figure = Figure(figsize=(13, 10), layout="constrained")
    relevance_part, speed_part = figure.subfigures(2, 1, height_ratios=(3, 2))
    kind_axes = relevance_part.subplots(1, 2, sharey=True)
    latency_axes, throughput_axes = speed_part.subplots(1, 2)
    kind_axes[0].invert_yaxis()  # the first kind on top; the axes share y, so once for both
    for axes, variant in zip(kind_axes, ("clean", "typo"), strict=True):
        for number, name in enumerate(engines_):
            by_kind = entry["relevance"][name]["by_kind"]
            scores = [by_kind[kind][variant]["ndcg"] for kind in kinds]
            axes.barh(positions(len(kinds), number), scores, height=width, color=ENGINE_COLOURS[name])
        axes.set_yticks(centres(len(kinds)), kinds)
        axes.set_xlim(0, 1)
        axes.set_xlabel("nDCG@10")
        overall = ", ".join(f"{name} {entry['relevance'][name][variant]['ndcg']:.2f}" for name in engines_)
        title = "Clean queries" if variant == "clean" else "Their typo variants"
        axes.set_title(f"{title}, per kind\nall: {overall}", fontsize="medium")
    sizes = [str(size) for size in entry["sizes"]]
    for number, name in enumerate(engines_):
        found = [entry["speed"][name][size] for size in sizes]
        colour = ENGINE_COLOURS[name]
        at = positions(len(sizes), number)
        latency_axes.bar(at, [f["p99_ms"] for f in found], width=width, color=colour, alpha=0.4)
        latency_axes.bar(at, [f["p50_ms"] for f in found], width=width, color=colour, label=name)
        if name != "like":  # it has no index to build
            throughput_axes.bar(at, [f["documents_per_second"] for f in found], width=width, color=colour)
    for axes in (latency_axes, throughput_axes):
        axes.set_xticks(centres(len(sizes)), [f"{int(size):,} products" for size in sizes])
    latency_axes.set_ylabel("ms")
    latency_axes.set_title("Query latency, one search at a time: p50 (solid), p99 (pale)", fontsize="medium")
    throughput_axes.set_ylabel("documents / s")
    throughput_axes.set_title("Bulk rebuild throughput", fontsize="medium")
    figure.legend(*latency_axes.get_legend_handles_labels(), loc="outside lower center", ncols=len(engines_))
    figure.suptitle(
        f"Search: {entry['queries']} graded queries and their typo variants; "
        f"{entry['cores']} cores (load average {entry['load_average'][0]:.1f}), {entry['when'][:10]}"
    )
    PLOT.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(PLOT, dpi=110)
