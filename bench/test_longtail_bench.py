"""The long tail of stores through the cluster's entry: 2,000 stores, homes by a Zipf law, 10 % searches.

`make bench BENCH=longtail` (the first pass only: the cluster brings its own PostgreSQL). On the
session's cluster (tests/cluster/conftest.py) it loads a catalogue of its own, 2,000 stores of
Zipf-like sizes (`dukaan seed --stores 2000 --products-per-store 10 --seed 23`, then `dukaan
reindex`), and ranks them for the load: the store of rank r is asked for with weight 1 / r (ranks
shuffled with the same seed, so popularity has nothing to do with size). wrk -t2 -c64 through nginx
runs bench/longtail.lua, which picks a store by that law for each request and asks for its home page,
or 10 % of the time for a search on it for one of its own products' words.

Phases, each measured by its own wrk run (QUICK=1: 10 s phases and 5 s loads instead of 30 s and 10 s):
  ceiling            nginx serving a static copy of a store home (throwaway nginx)
  mix, first / next  homes + 10 % searches from cold (every store forgotten by the edge, the
                     storefront's memory and Redis), two consecutive phases
  hot page           the demo store's home through the entry
  homes, warm        homes only, once every store's home was asked for (8 connections, each once)
Each gets req/s, × the ceiling, p50, p99, the share of its requests that went past Varnish (its
backend requests / wrk's requests), the storefront's snapshot builds, and Varnish's evictions and
misses refused because its probe had the storefront sick, and the CPU each kind of process spent
per request (storefront, Varnish, nginx, wrk, PostgreSQL, Elasticsearch, the rest as "other").
Only failed requests outside the cold phases fail the bench (wrk's 2 s timeout counts as one; a cold
start on this machine has many).
What the figures mean: docs/benchmarks/longtail.md.
"""

from __future__ import annotations

import http.client
import json
import os
import random
import re
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest
import redis
from rich.table import Table

from bench.measure import CpuUse
from bench.report import QUICK, console, progress_bar
from bench.test_regions_bench import ON_THE_CLUSTER, storefront_stats
from bench.test_storefront_bench import (
    WrkResult,
    ended_on_error,
    exited,
    finish_wrk,
    get,
    start_throwaway,
    start_wrk,
    stop_throwaway,
    varnish_counters,
)
from dukaan.storefront.catalog_cache import INVALIDATION_CHANNEL
from tests.cluster.conftest import DUKAAN, cluster  # noqa: F401 (the session's cluster)

pytestmark = pytest.mark.bench

STORES = 2_000
PRODUCTS_PER_STORE = 10
SEED = 23
ZIPF_EXPONENT = 1.0
SEARCH_SHARE = 0.10
WORDS_PER_STORE = 3  # distinct searches a store is asked for
CONNECTIONS = 64
WARMERS = 8  # connections asking for every home once before the warm phase
MIX_SECONDS = 10 if QUICK else 30
LOAD_SECONDS = 5 if QUICK else 10
SCRIPT = Path(__file__).with_name("longtail.lua")
HOT_PAGE = "/s/demo/"
WARM_TARGET = 0.3  # × the ceiling, homes + searches once warm
P99_TARGET_MS = 50.0  # homes + searches, within 60 s of a cold start and after
# The table, measured before this bench existed (cluster --storefront-percent 100, same mix).
BEFORE_NOTE = "issue 23's table, 2026-12-06 at 2bd1d46 (same mix, by hand)"
BEFORE = {"mix_warm_x_ceiling": 0.15, "mix_warm_p99_ms": 336.0}


@dataclass
class Phase:
    name: str
    key: str
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    errors: int
    past_varnish: float  # share of the requests Varnish sent to the storefront
    snapshot_builds: int
    evicted: int  # pages Varnish dropped for room (its storage is full)
    refused: int  # misses Varnish answered 503 without asking: its probe had the storefront sick
    cpu: CpuUse  # each server's CPU (with its children), wrk's and the bench's in the phase
    requests: int
    x_ceiling: float = 0.0


# --- The catalogue and its popularity ---------------------------------------------------------------


def seed_catalogue(cluster) -> None:  # noqa: F811
    """Load the bench's stores into the cluster (once: a cluster that holds them already keeps them)."""
    with cluster.primary() as connection:
        stores = connection.execute("SELECT count(*) FROM catalog_store").fetchone()[0]
    if stores > STORES:
        return
    env = {**os.environ, **cluster.env}
    # COPY straight to the primary, not through PgBouncer; no events: the search index is built once.
    direct = {**env, "DATABASE_URL": cluster.state("postgres")["primary"]["url"]}
    for command, where in (
        (["seed", "--stores", str(STORES), "--products-per-store", str(PRODUCTS_PER_STORE),
          "--seed", str(SEED), "--no-events"], direct),
        (["reindex"], env),
    ):  # fmt: skip
        done = subprocess.run([str(DUKAAN), *command], capture_output=True, text=True, env=where, timeout=900)
        assert done.returncode == 0, f"dukaan {' '.join(command)} failed:\n{done.stderr[-3000:]}"


def ranked_stores(cluster) -> list[tuple[int, str, list[str]]]:  # noqa: F811
    """(id, slug, a few words of its products' names) of every store but the demo, most popular first."""
    with cluster.primary() as connection:
        rows = connection.execute(
            """
            SELECT s.id, s.slug, array_agg(p.name ORDER BY p.id)
            FROM catalog_store s JOIN catalog_product p ON p.store_id = s.id AND p.is_active
            WHERE s.slug <> 'demo' GROUP BY s.id ORDER BY s.id
            """
        ).fetchall()
    stores = []
    for store_id, slug, names in rows:
        words = dict.fromkeys(word.lower() for name in names for word in name.split() if word.isalpha())
        stores.append((store_id, slug, [quote(word) for word in list(words)[:WORDS_PER_STORE]]))
    random.Random(SEED).shuffle(stores)
    return stores


def write_paths(stores: list[tuple[int, str, list[str]]], folder: Path) -> Path:
    """bench/longtail.lua's file: the cumulative Zipf weight of each store, its slug and words."""
    weights = [1 / rank**ZIPF_EXPONENT for rank in range(1, len(stores) + 1)]
    total, running, lines = sum(weights), 0.0, []
    for weight, (_, slug, words) in zip(weights, stores, strict=True):
        running += weight
        lines.append(" ".join([f"{running / total:.9f}", slug, *words]))
    lines[-1] = " ".join(["1", *lines[-1].split()[1:]])
    path = folder / "longtail-paths.txt"
    path.write_text("\n".join(lines) + "\n")
    return path


def forget_catalogue(cluster, store_ids: list[int]) -> None:  # noqa: F811
    """A cold start: no store page at the edge, in the storefront's memory or in Redis."""
    cache = redis.Redis.from_url(cluster.state("redis")["url"])
    try:
        cache.flushdb()
        with cache.pipeline(transaction=False) as pipe:
            for store_id in store_ids:
                pipe.publish(INVALIDATION_CHANNEL, str(store_id))
            pipe.execute()
    finally:
        cache.close()
    edge = cluster.state("varnish")["url"]
    for start in range(0, len(store_ids), 200):
        tags = " ".join(f"store-{store_id}" for store_id in store_ids[start : start + 200])
        status, body = purge(edge, tags)
        assert status == 200, body


def purge(base: str, tags: str) -> tuple[int, bytes]:
    address = urlsplit(base)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=30)
    try:
        connection.request("PURGE", "/", headers={"xkey": tags})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def warm_homes(cluster, slugs: list[str]) -> None:  # noqa: F811
    """Every store's home asked for once through the entry, so "homes, warm" has no first visits."""

    def visit(slug: str) -> None:
        assert get(cluster.url, f"/s/{slug}/").status == 200, slug

    with ThreadPoolExecutor(WARMERS) as pool:
        list(pool.map(visit, slugs))


# --- Load -----------------------------------------------------------------------------------------


# The processes a phase's CPU figures name, each summed over its regions and children (PgBouncer and the
# replicas are "postgres"); the rest is "other": a phase's total and its top processes, not thirty figures.
CPU_KINDS = ("storefront", "varnish", "nginx", "wrk", "postgres", "elasticsearch")


def servers(cluster) -> dict[str, int]:  # noqa: F811
    """Every running process of the cluster by its `dukaan cluster status` name ("r1_storefront", "web_0",
    "postgres_primary"): CpuUse's groups."""
    status = cluster.run("status", "--json", timeout=120)
    rows = json.loads(status.stdout)["components"]
    return {re.sub(r"\W+", "_", row["component"]): row["pid"] for row in rows if row["pid"]}


def run_wrk(
    label: str, url: str, seconds: int, script: Path | None = None, groups: dict[str, int] | None = None
) -> tuple[WrkResult, CpuUse]:
    """One wrk run, and the CPU `groups`, wrk and the bench spent in it."""
    task_progress = progress_bar(transient=True)
    with task_progress as progress:
        task = progress.add_task(label, total=seconds)
        process = start_wrk(url, threads=2, connections=CONNECTIONS, seconds=seconds, script=script)
        use = CpuUse({**(groups or {}), "wrk": process.pid}, own="bench").start()
        started = time.monotonic()
        with ended_on_error([process]):
            while not exited(process):
                progress.update(task, completed=min(seconds, time.monotonic() - started))
                time.sleep(0.1)
        use.stop()
    return finish_wrk(process), use


def measured(
    cluster,  # noqa: F811
    name: str,
    key: str,
    url: str,
    seconds: int,
    script: Path | None = None,
    groups: dict[str, int] | None = None,
) -> Phase:
    edge, storefront = cluster.state("varnish"), cluster.config["ports"]["storefront"]
    before_edge, before_front = varnish_counters(edge), storefront_stats(storefront)
    result, use = run_wrk(name, url, seconds, script, groups)
    after_edge, after_front = varnish_counters(edge), storefront_stats(storefront)
    backend = after_edge["MAIN.backend_req"] - before_edge["MAIN.backend_req"]
    return Phase(
        name=name,
        key=key,
        requests_per_second=result.per_second,
        p50_ms=result.latency_ms[50],
        p99_ms=result.latency_ms[99],
        errors=result.errors,
        past_varnish=backend / max(1, result.requests),
        snapshot_builds=after_front["snapshot_builds"] - before_front["snapshot_builds"],
        evicted=after_edge["MAIN.n_lru_nuked"] - before_edge["MAIN.n_lru_nuked"],
        refused=after_edge["MAIN.backend_unhealthy"] - before_edge["MAIN.backend_unhealthy"],
        cpu=use,
        requests=result.requests,
    )


def ceiling(cluster, folder: Path) -> Phase:  # noqa: F811
    """nginx serving a static copy of the demo store's home: what this machine can do at most."""
    root = folder / "static"
    copy = root / HOT_PAGE.strip("/") / "index.html"
    copy.parent.mkdir(parents=True)
    copy.write_bytes(get(cluster.url, HOT_PAGE).body)
    nginx = start_throwaway("nginx", "--root", str(root))
    try:
        result, use = run_wrk(
            "nginx, static copy", nginx["url"] + HOT_PAGE, LOAD_SECONDS, groups={"nginx": nginx["pid"]}
        )
    finally:
        stop_throwaway("nginx", nginx)
    return Phase(
        "nginx, static copy (ceiling)", "ceiling", result.per_second, result.latency_ms[50],
        result.latency_ms[99], result.errors, 0.0, 0, 0, 0, use, result.requests,
    )  # fmt: skip


def print_phases(phases: list[Phase]) -> None:
    table = Table(
        title=f"The long tail: {STORES:,} stores by Zipf (s={ZIPF_EXPONENT:g}), "
        f"{SEARCH_SHARE:.0%} searches, wrk -t2 -c{CONNECTIONS} through nginx"
    )
    for column in (
        "",
        "req/s",
        "× ceiling",
        "p50 ms",
        "p99 ms",
        "past Varnish",
        "snapshot builds",
        "evicted",
        "refused as sick",
        "errors",
    ):
        table.add_column(column, justify="left" if not column else "right")
    for phase in phases:
        table.add_row(
            phase.name,
            f"{phase.requests_per_second:,.0f}",
            f"{phase.x_ceiling:.2f}",
            f"{phase.p50_ms:.1f}",
            f"{phase.p99_ms:.1f}",
            f"{phase.past_varnish:.2%}",
            f"{phase.snapshot_builds:,}",
            f"{phase.evicted:,}",
            f"{phase.refused:,}",
            str(phase.errors),
        )
    console.print(table)


def run_phases(cluster, folder: Path) -> list[Phase]:  # noqa: F811
    """Every phase, in order, on a cluster that holds the catalogue; LONGTAIL_* set in os.environ."""
    stores = ranked_stores(cluster)
    os.environ["LONGTAIL_PATHS"] = str(write_paths(stores, folder))
    phases = [ceiling(cluster, folder)]
    groups = servers(cluster)
    forget_catalogue(cluster, [store_id for store_id, _, _ in stores])
    os.environ["LONGTAIL_SEARCH_SHARE"] = str(SEARCH_SHARE)
    for name, key in (("first", "mix_first"), ("next", "mix_next")):
        label = f"homes + searches, {name} {MIX_SECONDS} s from cold"
        phases.append(measured(cluster, label, key, cluster.url, MIX_SECONDS, SCRIPT, groups))
    phases.append(
        measured(cluster, "one hot page", "hot", cluster.url + HOT_PAGE, LOAD_SECONDS, groups=groups)
    )
    warm_homes(cluster, [slug for _, slug, _ in stores])
    os.environ["LONGTAIL_SEARCH_SHARE"] = "0"
    phases.append(
        measured(cluster, "store homes only, warm", "homes", cluster.url, LOAD_SECONDS, SCRIPT, groups)
    )
    for phase in phases:
        phase.x_ceiling = phase.requests_per_second / phases[0].requests_per_second
    return phases


@ON_THE_CLUSTER
def test_long_tail_of_stores_through_the_entry(cluster, record, tmp_path, monkeypatch):  # noqa: F811
    began = time.monotonic()
    seed_catalogue(cluster)
    console.print(f"catalogue: {STORES:,} stores ready in {time.monotonic() - began:.0f} s")
    for name in ("LONGTAIL_PATHS", "LONGTAIL_SEARCH_SHARE"):
        monkeypatch.setenv(name, "")  # restored after the test
    phases = run_phases(cluster, tmp_path)
    print_phases(phases)

    note = f"{STORES:,} stores, Zipf s={ZIPF_EXPONENT:g}, wrk -c{CONNECTIONS} through the cluster's nginx"
    for phase in phases:
        record(f"{phase.key}_rps", phase.requests_per_second, unit="req/s", note=phase.name)
        record(f"{phase.key}_p50_ms", phase.p50_ms, unit="ms")
        record(f"{phase.key}_p99_ms", phase.p99_ms, unit="ms")
        record(f"{phase.key}_errors", phase.errors, unit="requests")
        if phase.key != "ceiling":
            record(
                f"{phase.key}_past_varnish", phase.past_varnish, unit="share", note="Varnish backend requests"
            )
            record(f"{phase.key}_snapshot_builds", phase.snapshot_builds, unit="builds")
            record.ratio(f"{phase.key}_x_ceiling", f"{phase.key}_rps", "ceiling_rps", note=note)
        # The measured reason a phase is where it is: each process's CPU per request, what the cores allow.
        phase.cpu.by_kind(CPU_KINDS).record(record, prefix=phase.key, per=phase.requests, unit="request")
    mix = next(phase for phase in phases if phase.key == "mix_next")
    for name, value, target, higher in (
        ("mix_warm_x_ceiling", mix.x_ceiling, WARM_TARGET, True),
        ("mix_warm_p99_ms", mix.p99_ms, P99_TARGET_MS, False),
    ):
        record.target(
            name, value, unit="×" if higher else "ms", target=target, higher_is_better=higher,
            before=BEFORE[name], before_note=BEFORE_NOTE, note="homes + searches, 30–60 s from cold",
        )  # fmt: skip
    warm = [phase for phase in phases if not phase.key.startswith("mix")]
    assert all(phase.errors == 0 for phase in warm), [asdict(phase) for phase in warm]
