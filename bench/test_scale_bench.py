"""What a growing number of other stores costs one store: pages, dashboard, search, disk and memory.

Run with `make bench BENCH=scale` (the PostgreSQL pass; SQLite skips it). Levels by
SCALE_STORES=1000,100000,1000000 (the default; 1000,10000 with BENCH_QUICK=1), each with
SCALE_PRODUCTS_PER_STORE products per store on average (10; skewed: dukaan.catalog.seed.store_sizes)
and SCALE_SAMPLES requests per figure (200). For each level the same database grows to that many
stores (the difference is seeded with COPY, without events), then fresh processes on it, with
Redis as the cache, are measured one request at a time on loopback:

- storefront cold build: GET /s/<slug>/ of random stores never asked for before (no page in the
  worker, no snapshot in Redis: built from the database); p50 and p99.
- storefront cache hit: the same pages again (each worker's memory); p99.
- dashboard product list: `dukaan web` (granian), GET /dashboard/products/ logged in as the owner of
  a random store, and as the owner of the biggest store; p99 of each.
- search: GET /s/<slug>/search?q=<a word of one of its products> on the storefront for random stores,
  answered by the database fallback (SEARCH_URL names an engine that is not there, and its circuit
  stays open): what a store gets when the engine is down, and the path that reads PostgreSQL.
- database size (pg_database_size) and the memory (PSS, so shared pages are not counted twice) of
  each process tree: PostgreSQL, Redis, the storefront, `dukaan web`.

Figures go to the bench record (results.json), docs/benchmarks/scale.json (every level) and
docs/benchmarks/scale.png (each figure against the store count). What they mean: scale.md.
"""

from __future__ import annotations

import http.client
import json
import os
import random
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection
from django.db.models import Count
from django.test import Client
from matplotlib.figure import Figure
from rich.progress import Progress
from rich.table import Table

from bench.measure import percentile, postgres_pid, process_tree
from bench.report import QUICK, console, output, progress_bar
from dukaan.catalog.bulk import copy_stores
from dukaan.catalog.models import Product, Store
from tests.processes import (
    StorefrontProcess,
    database_url,
    find_free_port,
    healthy,
    start_redis,
    start_storefront,
    stop_process,
    wait_while_running,
)

pytestmark = [pytest.mark.bench, pytest.mark.django_db(transaction=True)]

DEFAULT_LEVELS = "1000,10000" if QUICK else "1000,100000,1000000"  # BENCH_QUICK=1: minutes, not an hour
LEVELS = [int(level) for level in os.environ.get("SCALE_STORES", DEFAULT_LEVELS).split(",")]
PRODUCTS_PER_STORE = int(os.environ.get("SCALE_PRODUCTS_PER_STORE", "10"))
SAMPLES = int(os.environ.get("SCALE_SAMPLES", "200"))
BIGGEST_STORE_REQUESTS = 50
WEB_READY_SECONDS = 60
DUKAAN = Path(sys.executable).with_name("dukaan")

LATENCIES = {  # figure -> label in the table and the plot
    "cold_p50_ms": "storefront cold build p50",
    "cold_p99_ms": "storefront cold build p99",
    "hit_p99_ms": "storefront cache hit p99",
    "dashboard_p99_ms": "dashboard products p99 (random store)",
    "dashboard_biggest_p99_ms": "dashboard products p99 (biggest store)",
    "search_p99_ms": "search p99 (database fallback)",
}


def level_name(stores: int) -> str:
    for size, suffix in ((1_000_000, "M"), (1_000, "k")):
        if stores >= size and stores % size == 0:
            return f"{stores // size}{suffix}"
    return str(stores)


# --- Processes and their memory -------------------------------------------------------------------


def memory_mb(pid: int) -> float:
    """Proportional set size of the process tree: each shared page divided among its sharers."""
    total_kb = 0
    for member in process_tree(pid):
        try:
            rollup = Path(f"/proc/{member}/smaps_rollup").read_text()
        except OSError:
            continue
        total_kb += next(int(line.split()[1]) for line in rollup.splitlines() if line.startswith("Pss:"))
    return total_kb / 1024


def start_web(log_dir: Path, cache_url: str) -> tuple[subprocess.Popen, str]:
    port = find_free_port()
    log = (log_dir / "web.log").open("wb")
    # As deployed: with debug on, Django keeps every query's text and a page costs more; without it,
    # pages name the content-hashed copies of the static files that collectstatic writes.
    env = {**os.environ, "DATABASE_URL": database_url(), "CACHE_URL": cache_url, "DUKAAN_DEBUG": "false"}
    subprocess.run(
        [str(DUKAAN), "collectstatic", "--noinput"], env=env, stdout=log, stderr=subprocess.STDOUT, check=True
    )
    process = subprocess.Popen(
        [str(DUKAAN), "web", "--port", str(port), "--threads", "4"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    wait_while_running(
        process, log_dir / "web.log", lambda: healthy(port), what="dukaan web", timeout=WEB_READY_SECONDS
    )
    return process, url


# --- Requests -------------------------------------------------------------------------------------


def timed_gets(progress: Progress, label: str, base: str, paths: list[str], cookies: list[str] | None = None):
    """GET each path in turn on one kept-alive connection; milliseconds of each. Any answer but 200 fails."""
    host, port = base.removeprefix("http://").split(":")
    session = http.client.HTTPConnection(host, int(port), timeout=60)
    task = progress.add_task(label, total=len(paths))
    times = []
    for index, path in enumerate(paths):
        headers = {"Cookie": cookies[index]} if cookies else {}
        started = time.perf_counter()
        session.request("GET", path, headers=headers)
        response = session.getresponse()
        body = response.read()
        times.append((time.perf_counter() - started) * 1000)
        if response.status != 200:
            pytest.fail(f"GET {path} answered {response.status}:\n{body[:2000].decode(errors='replace')}")
        progress.advance(task)
    session.close()
    return times


def merchant_cookie(store: Store) -> str:
    """A logged-in session of the store's owner (a session row, as an OTP login would write)."""
    client = Client()
    client.force_login(store.owner)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


def random_stores(count: int, rng: random.Random, exclude: set[int]) -> list[Store]:
    """`count` stores drawn uniformly by id, none of `exclude` (pages already built and kept)."""
    last = Store.objects.order_by("-pk").values_list("pk", flat=True).first()
    picked: list[int] = []
    while len(picked) < count:
        candidates = {rng.randint(1, last) for _ in range(count * 2)} - exclude - set(picked)
        picked.extend(
            Store.objects.filter(pk__in=candidates).values_list("pk", flat=True)[: count - len(picked)]
        )
    exclude.update(picked)
    return list(Store.objects.filter(pk__in=picked).select_related("owner"))


def search_word(store: Store) -> str:
    name = (
        Product.objects.filter(store=store, is_active=True).values_list("name", flat=True).first() or "masala"
    )
    return max(name.split(), key=len).strip("()").lower()


# --- Grow and measure -----------------------------------------------------------------------------


def grow(stores: int) -> dict:
    """Seed the database up to `stores` stores; the seconds it took and the rows per second."""
    missing = stores - Store.objects.count()
    if missing <= 0:
        return {"seeded": 0, "seed_seconds": 0.0}
    with progress_bar() as progress:
        task = progress.add_task(f"seeding {missing:,} stores (COPY)", total=missing)
        result = copy_stores(
            stores=missing,
            products=PRODUCTS_PER_STORE,
            seed=stores,
            events=False,
            on_progress=lambda done, _rows: progress.advance(task, done),
        )
    return {"seeded": missing, "seed_seconds": round(result.seconds, 1)}


def biggest_store() -> Store:
    row = Product.objects.values("store_id").annotate(products=Count("id")).order_by("-products").first()
    return Store.objects.select_related("owner").get(pk=row["store_id"])


def measure(level: int, cache_url: str, tmp_path: Path, asked: set[int], rng: random.Random) -> dict:
    """Every figure at this level, against processes started for it."""
    figures: dict = {"stores": level, **grow(level)}
    figures["products"] = Product.objects.count()
    log_dir = tmp_path / level_name(level)
    log_dir.mkdir()
    storefront = start_storefront(
        log_dir,
        cache_url=cache_url,
        env={
            # An engine that is not there, and a circuit that stays open: searches read the database.
            "SEARCH_URL": f"http://127.0.0.1:{find_free_port()}",
            "SEARCH_BREAKER_FAILURES": "1",
            "SEARCH_BREAKER_RESET_SECONDS": "86400",
        },
    )
    web, web_url = start_web(log_dir, cache_url)
    try:
        figures |= storefront_figures(storefront, asked, rng)
        figures |= dashboard_figures(web_url, asked, rng)
        figures["memory_mb"] = {
            "postgresql": round(memory_mb(postgres_pid()), 1),
            "storefront": round(memory_mb(storefront.process.pid), 1),
            "web": round(memory_mb(web.pid), 1),
        }
    finally:
        storefront.stop()
        stop_process(web)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_database_size(current_database())")
        figures["database_mb"] = round(cursor.fetchone()[0] / 2**20, 1)
    return figures


def storefront_figures(storefront: StorefrontProcess, asked: set[int], rng: random.Random) -> dict:
    stores = random_stores(SAMPLES, rng, asked)
    pages = [f"/s/{store.slug}/" for store in stores]
    searched = random_stores(SAMPLES, rng, asked)
    searches = [f"/s/{store.slug}/search?q={quote(search_word(store))}" for store in searched]
    with progress_bar() as progress:
        timed_gets(progress, "search engine circuit opening", storefront.url, searches[:1])
        before = storefront.stats()
        cold = timed_gets(progress, "storefront cold builds", storefront.url, pages)
        after_cold = storefront.stats()
        hit = timed_gets(progress, "storefront cache hits", storefront.url, pages)
        after_hits = storefront.stats()
        # Their snapshots first, so the search figure is the search's own and not also a cold build.
        timed_gets(
            progress, "searched stores' pages", storefront.url, [f"/s/{store.slug}/" for store in searched]
        )
        search = timed_gets(progress, "searches (database)", storefront.url, searches[1:])
    # The figures are only what they say if each cold GET built its snapshot and each second GET hit.
    assert after_cold["snapshot_builds"] - before["snapshot_builds"] == len(pages), (before, after_cold)
    assert after_hits["page_hits"] - after_cold["page_hits"] == len(pages), (after_cold, after_hits)
    return {
        "cold_p50_ms": round(percentile(cold, 0.5), 2),
        "cold_p99_ms": round(percentile(cold, 0.99), 2),
        "hit_p99_ms": round(percentile(hit, 0.99), 2),
        "search_p99_ms": round(percentile(search, 0.99), 2),
    }


def dashboard_figures(web_url: str, asked: set[int], rng: random.Random) -> dict:
    merchants = random_stores(SAMPLES // 2, rng, asked)
    biggest = biggest_store()
    cookies = [merchant_cookie(store) for store in merchants]
    biggest_cookie = merchant_cookie(biggest)
    with progress_bar() as progress:
        dashboard = timed_gets(
            progress, "dashboard products", web_url, ["/dashboard/products/"] * len(cookies), cookies
        )
        heavy = timed_gets(
            progress,
            f"dashboard products of the biggest store ({biggest.products.count():,})",
            web_url,
            ["/dashboard/products/"] * BIGGEST_STORE_REQUESTS,
            [biggest_cookie] * BIGGEST_STORE_REQUESTS,
        )
    return {
        "dashboard_p99_ms": round(percentile(dashboard, 0.99), 2),
        "dashboard_biggest_p99_ms": round(percentile(heavy, 0.99), 2),
        "biggest_store_products": biggest.products.count(),
    }


# --- Report ---------------------------------------------------------------------------------------


def print_table(levels: list[dict]) -> None:
    table = Table(title=f"Scale: one store among many ({PRODUCTS_PER_STORE} products per store on average)")
    table.add_column("")
    for figures in levels:
        table.add_column(f"{level_name(figures['stores'])} stores", justify="right")
    rows = [
        ("products", lambda f: f"{f['products']:,}"),
        ("seeded now, seconds", lambda f: f"{f['seeded']:,} in {f['seed_seconds']:,.0f}"),
        *((label, lambda f, key=key: f"{f[key]:.1f} ms") for key, label in LATENCIES.items()),
        ("biggest store, products", lambda f: f"{f['biggest_store_products']:,}"),
        ("database size", lambda f: f"{f['database_mb']:,.0f} MB"),
        *(
            (f"memory: {name}", lambda f, name=name: f"{f['memory_mb'][name]:,.0f} MB")
            for name in ("postgresql", "redis", "storefront", "web")
        ),
    ]
    for label, cell in rows:
        table.add_row(label, *(cell(figures) for figures in levels))
    console.print(table)


def plot(levels: list[dict], path: Path) -> None:
    figure = Figure(figsize=(14, 4.5), layout="constrained")
    latency, disk, memory = figure.subplots(1, 3, width_ratios=(2, 1, 1))
    stores = [figures["stores"] for figures in levels]
    for key, label in LATENCIES.items():
        latency.plot(stores, [figures[key] for figures in levels], marker="o", label=label)
    latency.set(
        xscale="log", yscale="log", xlabel="stores", ylabel="ms", title="Latency, one request at a time"
    )
    latency.legend(fontsize=8)
    disk.plot(stores, [figures["database_mb"] for figures in levels], marker="o")
    disk.set(xscale="log", yscale="log", xlabel="stores", ylabel="MB", title="PostgreSQL database size")
    for name in ("postgresql", "redis", "storefront", "web"):
        memory.plot(stores, [figures["memory_mb"][name] for figures in levels], marker="o", label=name)
    memory.set(xscale="log", xlabel="stores", ylabel="MB (PSS)", title="Memory of each process")
    memory.legend(fontsize=8)
    for axes in (latency, disk, memory):
        axes.grid(True, which="both", alpha=0.3)
        axes.set_xticks(stores, [level_name(level) for level in stores])
        axes.minorticks_off()
    figure.savefig(path, dpi=110)


def test_one_store_costs_the_same_among_a_thousand_or_a_million(tmp_path, record):
    if connection.vendor != "postgresql":
        pytest.skip("the scale bench seeds with COPY and measures PostgreSQL: it runs in the PostgreSQL pass")
    redis = start_redis()
    cache_url = redis.url
    rng = random.Random(11)
    asked: set[int] = set()
    levels = []
    try:
        for level in sorted(LEVELS):
            console.rule(f"{level:,} stores")
            figures = measure(level, cache_url, tmp_path, asked, rng)
            figures["memory_mb"]["redis"] = round(memory_mb(redis.pid), 1)
            levels.append(figures)
            print_table(levels)
    finally:
        redis.stop()

    for figures in levels:
        name = level_name(figures["stores"])
        for key in LATENCIES:
            record(f"{key}_{name}", figures[key], unit="ms")
        record(f"database_mb_{name}", figures["database_mb"], unit="MB")
        record(
            f"seed_seconds_{name}", figures["seed_seconds"], unit="s", note=f"{figures['seeded']:,} stores"
        )
        for process, value in figures["memory_mb"].items():
            record(f"memory_{process}_mb_{name}", value, unit="MB", note="PSS of the process tree")
    results = output("scale.json")
    results.write_text(
        json.dumps(
            {
                "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "products_per_store": PRODUCTS_PER_STORE,
                "samples": SAMPLES,
                "levels": levels,
            },
            indent=1,
        )
        + "\n"
    )
    plot(levels, output("scale.png"))
    record.attach("scale.json")
