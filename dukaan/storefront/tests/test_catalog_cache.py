"""The catalog cache: read-through, built once under a stampede, forgotten on every catalog event, and
never a reason for a page to fail. Tests marked with a Redis fixture run against a real redis-server."""

import json
import os
import subprocess
import sys
import threading
import time
from decimal import Decimal

import pytest
import redis
from django.core.cache import caches
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dukaan.catalog import services
from dukaan.catalog.selectors import StoreFound
from dukaan.catalog.snapshot import (
    SNAPSHOT_VERSION,
    ListingPage,
    ProductsById,
    build_store_catalog,
    store_catalog,
)
from dukaan.conftest import make_store
from dukaan.events.consumers import Event
from dukaan.events.local import run_pending
from dukaan.storefront import catalog_cache, consumers, found, view_counts

from .conftest import bulk_catalog, make_product, redis_caches
from .test_pages import PAGE_QUERY_BUDGET, product_names

pytestmark = pytest.mark.django_db

SNAPSHOT_TABLES = ("catalog_product", "catalog_productvariant", "catalog_productimage", "catalog_category")
HIT_PAGE_QUERY_BUDGET = 1  # the slug; the snapshot comes from the cache
CONCURRENT_REQUESTS = 200
STAMPEDE_PROCESS = "dukaan.storefront.tests.stampede_process"


def cached_entry(settings, store_id: int):
    cache = caches[settings.CATALOG_CACHE_ALIAS]
    return cache.get(catalog_cache.fresh_key(store_id), version=SNAPSHOT_VERSION)


def snapshot_queries(queries) -> list[str]:
    return [q["sql"] for q in queries if any(f'"{table}"' in q["sql"] for table in SNAPSHOT_TABLES)]


def timed(call, repeat: int) -> float:
    """Mean milliseconds of `call` over `repeat` runs."""
    began = time.perf_counter()
    for _ in range(repeat):
        call()
    return (time.perf_counter() - began) * 1000 / repeat


# --- Read-through ---------------------------------------------------------------------------------


def test_the_first_page_builds_the_snapshot_and_the_next_reads_it_from_the_cache(
    any_cache, client, store, capsys
):
    # given
    bulk_catalog(store, 200, category=services.create_category(store=store, name="Kurtas"))
    url = f"/s/{store.slug}/"
    builds = catalog_cache.build_count()

    # when
    with CaptureQueriesContext(connection) as miss:
        first = client.get(url)
    with CaptureQueriesContext(connection) as hit:
        second = client.get(url)

    # then
    assert catalog_cache.build_count() - builds == 1
    assert first.status_code == second.status_code == 200
    assert product_names(second.content.decode()) == product_names(first.content.decode())
    # the page's catalog: its products, variants, images, the categories and the store's row (its count)
    assert len(snapshot_queries(miss)) == 5 and len(miss) == PAGE_QUERY_BUDGET
    assert snapshot_queries(hit) == [] and len(hit) == HIT_PAGE_QUERY_BUDGET
    with CaptureQueriesContext(connection) as selector:
        assert store_catalog(store.pk, ListingPage(None, 1, catalog_cache.PER_PAGE)).name == store.name
    assert len(selector) == 0
    assert catalog_cache.build_count() - builds == 1

    timings = {
        "build (ms)": timed(lambda: build_store_catalog(store.pk), 10),
        "cache hit (ms)": timed(lambda: store_catalog(store.pk), 50),
        "page on a hit (ms)": timed(lambda: client.get(url), 20),
    }
    catalog_cache.invalidate(store.pk)
    timings["page on a miss (ms)"] = timed(lambda: (catalog_cache.invalidate(store.pk), client.get(url)), 10)
    with capsys.disabled():
        shown = ", ".join(f"{name} {ms:.1f}" for name, ms in timings.items())
        print(f"\ncatalog cache on {any_cache}, 180 visible products: {shown}")


def test_a_miss_with_another_builder_at_work_gets_the_previous_copy_kept_by_no_shared_cache(
    settings, client, store, product
):
    shown = ProductsById((product.pk,))  # what the product's page shows
    old = store_catalog(store.pk, shown)
    services.update_product(product=product, price=Decimal("450.00"))
    catalog_cache.invalidate(store.pk)
    cache = caches[settings.CATALOG_CACHE_ALIAS]
    cache.add(catalog_cache.lock_key(store.pk, shown.key), 1, version=SNAPSHOT_VERSION)  # someone else builds
    builds = catalog_cache.build_count()

    served = store_catalog(store.pk, shown)
    page = client.get(reverse("storefront:product", args=[store.slug, product.pk]))

    assert served.products == old.products and served.is_previous_copy and not old.is_previous_copy
    assert catalog_cache.build_count() == builds
    # The old price may be shown this once, but neither the edge nor the storefront service keeps it.
    assert page.status_code == 200 and "₹499" in page.content.decode()
    control = {part.strip() for part in page["Cache-Control"].split(",")}
    assert "no-cache" in control and "public" not in control and "xkey" not in page


def test_a_miss_with_no_previous_copy_waits_for_the_builder(settings, store, product):
    settings.CATALOG_CACHE_WAIT_SECONDS = 5
    cache = caches[settings.CATALOG_CACHE_ALIAS]
    cache.add(catalog_cache.lock_key(store.pk), 1, version=SNAPSHOT_VERSION)
    built_elsewhere = build_store_catalog(store.pk)

    def other_builder_finishes():
        time.sleep(0.1)
        cache.set(
            catalog_cache.fresh_key(store.pk), (None, time.time(), built_elsewhere), version=SNAPSHOT_VERSION
        )
        cache.delete(catalog_cache.lock_key(store.pk), version=SNAPSHOT_VERSION)

    builds = catalog_cache.build_count()
    began = time.monotonic()
    finisher = threading.Thread(target=other_builder_finishes)
    finisher.start()
    served = store_catalog(store.pk)
    finisher.join()

    assert served == built_elsewhere and catalog_cache.build_count() == builds
    # Answered once the builder finished, not when its own wait ran out.
    assert 0.1 <= time.monotonic() - began < settings.CATALOG_CACHE_WAIT_SECONDS


def test_a_miss_waits_at_most_the_wait_setting_then_builds_for_itself(settings, store, product):
    settings.CATALOG_CACHE_WAIT_SECONDS = 0.2
    caches[settings.CATALOG_CACHE_ALIAS].add(catalog_cache.lock_key(store.pk), 1, version=SNAPSHOT_VERSION)
    builds = catalog_cache.build_count()

    began = time.monotonic()
    served = store_catalog(store.pk)

    assert served.product(product.pk).name == "Cotton kurta"
    assert catalog_cache.build_count() == builds + 1
    # Not until the other builder's lock expires.
    assert 0.2 <= time.monotonic() - began < settings.CATALOG_CACHE_LOCK_SECONDS


def test_a_snapshot_built_before_a_change_is_not_kept_after_its_invalidation(store, product):
    # A build reads the old price; the change commits and its event is applied before the build stores.
    def slow_build(store_id):
        snapshot = build_store_catalog(store_id)
        services.update_product(product=product, price=Decimal("450.00"))
        consumers.invalidate_catalog(event_for(store_id, "product.updated", product.pk))
        return snapshot

    assert catalog_cache.read_through(store.pk, slow_build).product(product.pk).price == Decimal("499.00")

    assert store_catalog(store.pk).product(product.pk).price == Decimal("450.00")


def event_for(store_id: int, event_type: str, product_id: int | None = None) -> Event:
    return Event(
        id="00000000-0000-0000-0000-000000000001",
        type=event_type,
        version=1,
        store_id=store_id,
        occurred_at="2026-01-01T00:00:00+00:00",
        data={"id": product_id} if product_id else {},
        aggregatetype="catalog",
    )


# --- A stampede -----------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_200_concurrent_requests_for_a_cold_store_build_its_snapshot_once(
    redis_cache, settings, monkeypatch, capsys
):
    # given: a cold store on Redis
    # 200 threads of one process on a 2-core machine can push a round trip past the 50 ms timeout,
    # which (rightly) opens the circuit and makes this a test of the fallback; it is about single flight.
    settings.CACHE_SOCKET_TIMEOUT_SECONDS = settings.CACHE_CONNECT_TIMEOUT_SECONDS = 2.0
    settings.CACHES = redis_caches(settings, redis_cache.url)
    store = make_store("+919812345660", "cold-store")
    bulk_catalog(store, 100, category=services.create_category(store=store, name="Kurtas"))
    expected = [product.name for product in build_store_catalog(store.pk).products[:24]]
    # Each thread would open a database connection of its own just for the slug (the throwaway
    # PostgreSQL allows 50); the snapshot is what is under test, so the slug is known here.
    monkeypatch.setattr(found, "store_for_slug", {store.slug: StoreFound(store.pk, store.language, "")}.get)
    builds = catalog_cache.build_count()
    start = threading.Barrier(CONCURRENT_REQUESTS)
    results: list[tuple[int, list[str]] | None] = [None] * CONCURRENT_REQUESTS
    errors: list[BaseException] = []

    def buyer(index: int) -> None:
        try:
            start.wait(timeout=60)
            response = Client().get(f"/s/{store.slug}/")
            results[index] = (response.status_code, product_names(response.content.decode()))
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    # when
    threads = [threading.Thread(target=buyer, args=(i,)) for i in range(CONCURRENT_REQUESTS)]
    began = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    elapsed = time.monotonic() - began

    # then
    assert errors == []
    assert catalog_cache.build_count() - builds == 1
    assert all(result == (200, expected) for result in results), {r and r[0] for r in results}
    with capsys.disabled():
        print(f"\n{CONCURRENT_REQUESTS} concurrent cold requests on Redis: 1 build, {elapsed:.2f} s in all")


# --- Event-driven invalidation --------------------------------------------------------------------


def test_a_price_change_shows_on_the_next_page_once_the_invalidator_ran(any_cache, settings, client, store):
    # given
    item = make_product(store, name="Steel tiffin", price="250.00")
    url = f"/s/{store.slug}/p/{item.pk}/"
    assert "₹250" in client.get(url).content.decode()

    # when
    services.update_product(product=item, price=Decimal("275.00"))
    before_delivery = client.get(url).content.decode()
    run_pending()

    # then
    assert "₹250" in before_delivery  # the snapshot is cached until the event is delivered
    assert cached_entry(settings, store.pk) is None
    page = client.get(url).content.decode()
    assert "₹275" in page and "₹250" not in page


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(
            lambda store, product: services.create_category(store=store, name="Sarees"), id="category"
        ),
        pytest.param(lambda store, product: make_product(store, name="Brass diya"), id="new-product"),
        pytest.param(lambda store, product: services.delete_product(product=product), id="deleted-product"),
        pytest.param(
            lambda store, product: services.adjust_stock(product=product, delta=-1), id="stock-changed"
        ),
        pytest.param(
            lambda store, product: services.update_store(
                store=store, name="Asha's Kurtas", slug=store.slug, whatsapp=store.whatsapp, currency="INR"
            ),
            id="store",
        ),
    ],
)
def test_every_catalog_event_forgets_that_stores_snapshot_only(settings, store, other_store, change):
    product = make_product(store, name="Steel tiffin", stock=5)
    run_pending()
    store_catalog(store.pk), store_catalog(other_store.pk)

    change(store, product)
    run_pending()

    assert cached_entry(settings, store.pk) is None
    assert cached_entry(settings, other_store.pk) is not None


def test_events_that_do_not_change_the_catalog_leave_the_snapshot(settings, store, product):
    run_pending()
    store_catalog(store.pk)

    view_counts.count_view(store.pk)
    assert view_counts.flush_views() == 1  # a storefront.viewed event
    run_pending()

    assert cached_entry(settings, store.pk) is not None


def test_the_edge_purge_does_nothing_without_an_edge_and_raises_when_it_fails(
    settings, store, product, caplog, monkeypatch
):
    settings.EDGE_PURGE_URL = ""
    consumers.invalidate_catalog(event_for(store.pk, "product.updated", product.pk))
    assert caplog.records == []

    # An edge that does not answer: the event fails, so the `cache` group retries it
    # (tests/edge runs a real Varnish).
    settings.EDGE_PURGE_URL = "http://127.0.0.1:9"
    monkeypatch.setattr(
        consumers, "edge_breaker", consumers.CircuitBreaker("edge purge", failure_threshold=3)
    )
    with pytest.raises(consumers.EdgePurgeFailed):
        consumers.invalidate_catalog(event_for(store.pk, "product.updated", product.pk))
    warnings = [r for r in caplog.records if r.levelname == "WARNING"]
    assert len(warnings) == 1 and f"store-{store.pk} product-{product.pk}" in warnings[0].getMessage()
    assert consumers.edge_tags(store.pk, [product.pk]) == [f"store-{store.pk}", f"product-{product.pk}"]


# --- When Redis is down ---------------------------------------------------------------------------


def test_pages_still_answer_from_the_database_when_redis_is_stopped(own_redis, client, store, product):
    url = f"/s/{store.slug}/p/{product.pk}/"
    assert client.get(url).status_code == 200
    builds = catalog_cache.build_count()
    assert client.get(url).status_code == 200 and catalog_cache.build_count() == builds  # a hit

    own_redis.stop()
    pages = [client.get(url) for _ in range(10)]

    assert all(page.status_code == 200 for page in pages)
    assert all("Cotton kurta" in page.content.decode() and "₹499" in page.content.decode() for page in pages)
    assert catalog_cache.breaker.state == "open"
    assert catalog_cache.build_count() - builds == 10  # from the database, every time


def test_an_open_circuit_spares_each_request_the_timeout_of_a_hung_redis(
    own_redis, settings, client, store, product, monkeypatch, capsys, caplog
):
    # given: a warm cache, then a Redis that accepts connections and never answers
    url = f"/s/{store.slug}/p/{product.pk}/"
    client.get(url)
    timeout = settings.CACHE_SOCKET_TIMEOUT_SECONDS
    requests = 30
    received = connections_received(own_redis.url)
    own_redis.pause()

    # when
    began = time.monotonic()
    pages = [client.get(url) for _ in range(requests)]
    elapsed = time.monotonic() - began

    # then
    assert all(page.status_code == 200 and "Cotton kurta" in page.content.decode() for page in pages)
    assert catalog_cache.breaker.state == "open"
    opened = [r for r in caplog.records if "circuit open" in r.getMessage()]
    assert len(opened) == 1  # logged once, not once a request

    # and when Redis answers again: only the calls that opened the circuit waited for it (each timed-out
    # connection is dropped, so every later call would have connected anew; this check connects once)
    own_redis.resume()
    reached = connections_received(own_redis.url) - received - 1
    assert reached <= catalog_cache.breaker.failure_threshold, f"{reached} connections reached the hung Redis"
    # one request after the cool-down (none here) closes the circuit
    monkeypatch.setattr(catalog_cache.breaker, "reset_seconds", 0)
    builds = catalog_cache.build_count()
    recovered = time.monotonic()
    assert client.get(url).status_code == 200
    recovered = time.monotonic() - recovered
    assert catalog_cache.breaker.state == "closed"
    assert catalog_cache.build_count() == builds  # the snapshot cached before the outage
    with capsys.disabled():
        print(
            f"\nhung Redis, socket timeout {timeout * 1000:.0f} ms: {requests} pages in "
            f"{elapsed * 1000:.0f} ms (without the circuit at least {requests * timeout * 1000:.0f} ms); "
            f"first page after recovery {recovered * 1000:.1f} ms"
        )


def connections_received(url: str) -> int:
    with redis.Redis.from_url(url) as server:
        return server.info("stats")["total_connections_received"]


def test_the_invalidator_fails_while_redis_is_down_so_the_event_is_retried(own_redis, store):
    own_redis.stop()

    with pytest.raises(catalog_cache.CacheUnavailable):
        consumers.invalidate_catalog(event_for(store.pk, "product.updated", 1))


def test_misses_in_several_processes_build_the_snapshot_once_between_them(redis_cache):
    # given: 4 processes × 50 threads, all missing one store's snapshot at the same instant
    processes, threads, build_seconds = 4, 50, 0.3
    start_at = time.time() + 4  # time for every process to import Django
    # Roomy timeouts, as in the test above: a timeout would (rightly) make a process build for itself.
    env = {
        **os.environ,
        "CACHE_URL": redis_cache.url,
        "CACHE_SOCKET_TIMEOUT_SECONDS": "2",
        "CACHE_CONNECT_TIMEOUT_SECONDS": "2",
    }

    # when
    children = [
        subprocess.Popen(
            [sys.executable, "-m", STAMPEDE_PROCESS, "424242", *map(str, (threads, start_at, build_seconds))],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(processes)
    ]
    outputs = [child.communicate(timeout=60) for child in children]

    # then
    assert all(child.returncode == 0 for child in children), [err for _, err in outputs]
    reports = [json.loads(out) for out, _ in outputs]
    assert sum(report["builds"] for report in reports) == 1, reports
    snapshots = [snapshot for report in reports for snapshot in report["got"]]
    assert len(snapshots) == processes * threads and all(s == snapshots[0] for s in snapshots)
    assert snapshots[0]["store"] == 424242


def test_while_redis_is_down_a_process_builds_once_for_all_its_concurrent_requests(own_redis):
    own_redis.stop()
    start = threading.Barrier(20)
    got = []

    def slow_build(store_id):
        # Long enough that all 20 are certainly concurrent with it, even on a loaded CI machine
        # (0.3 s once let a late thread start a second build).
        time.sleep(1.0)
        return {"store": store_id}

    def buyer():
        start.wait(timeout=10)
        got.append(catalog_cache.read_through(31337, slow_build))

    builds = catalog_cache.build_count()
    threads = [threading.Thread(target=buyer) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert got == [{"store": 31337}] * 20
    assert catalog_cache.build_count() - builds == 1


def test_with_prewarm_a_change_leaves_the_home_page_built_at_the_new_price_after_the_purge(
    settings, store, product, monkeypatch
):
    settings.CATALOG_PREWARM = True
    run_pending()
    purged = []
    monkeypatch.setattr(
        "dukaan.storefront.consumers.purge_edge",
        lambda store_id, product_ids: purged.append((store_id, catalog_cache.build_count())),
    )
    builds = catalog_cache.build_count()

    services.update_product(product=product, price=Decimal("450.00"))
    run_pending()

    assert purged == [(store.pk, builds)]  # the pages were purged before the prewarm built anything
    assert catalog_cache.build_count() == builds + 1  # the home's first page, not the whole store
    assert Client().get(f"/s/{store.slug}/").status_code == 200
    assert catalog_cache.build_count() == builds + 1  # the buyer's first visit read it from the cache
    assert store_catalog(store.pk, consumers.HOME_PAGE).product(product.pk).price == Decimal("450.00")
