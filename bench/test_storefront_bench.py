"""Serving a store's home page: throughput against the machine's ceiling, edit-to-buyer delay, a flash crowd.

Run with `make bench BENCH=storefront` (`QUICK=1` for a quick pass: 3 s a load instead of 10, 50
edits instead of 200). One store of 200 products; its home page is the page under test. wrk (Debian's) on
loopback against: nginx serving a static copy of that page (the ceiling), Varnish in front of the
storefront service, the service on a page-cache hit, and a cold build; then 200 cold builds one at a
time, 200 price edits timed until Varnish shows them, and a crowd ramping to 5,000 connections.
Figures are printed, recorded for docs/benchmarks/results.json (bench/report.py), written to
test-artifacts/bench/storefront.json (one entry per database) and plotted to storefront.png beside
results.json; only a failed request in the crowd or an edit never seen
fails the bench. What the figures mean and the targets: docs/benchmarks/storefront.md.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import re
import resource
import statistics
import subprocess
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.core.cache import caches
from django.db import connection
from django.db.models import Count
from matplotlib.figure import Figure
from rich.progress import Progress
from rich.table import Table

from bench.measure import CpuUse, percentile, postgres_pid
from bench.report import QUICK, console, output, progress_bar
from bench.test_scale_bench import start_web
from dukaan.catalog import services
from dukaan.catalog.models import Category, Product, Store
from dukaan.catalog.seed import seed_stores
from dukaan.catalog.templatetags.money import money
from dukaan.events.local import EmbeddedWorkers, run_pending
from tests.processes import (
    StorefrontProcess,
    deploy_local,
    redis_caches,
    start_redis,
    start_storefront,
    stop_process,
)

pytestmark = [pytest.mark.bench, pytest.mark.django_db(transaction=True)]

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "test-artifacts" / "bench" / "storefront.json"
PLOT = output("storefront.png")

SECONDS = 3 if QUICK else 10  # each wrk load, and the crowd's hold at its peak
PRODUCTS = 200
CONNECTIONS = 64
COLD_WORKERS = 2
COLD_REQUESTS = 200
EDITS = 50 if QUICK else 200
POLL_SECONDS = 0.002
EDIT_TIMEOUT_SECONDS = 5.0
CROWD_WAVES = 10  # one wrk process per wave, started a second apart: 5,000 connections within 10 s
CROWD_WAVE_CONNECTIONS = 500
CROWD_TIMEOUT = "5s"  # wrk counts an answer slower than this as a timeout error
VARNISH_TARGET = 0.6
HIT_TARGET = 0.3
HIT_P99_TARGET_MS = 10.0
COLD_P99_TARGET_MS = 30.0


# --- Load: wrk ------------------------------------------------------------------------------------

_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}
_PERCENTILE = re.compile(r"^\s+(\d+)%\s+([\d.]+)(us|ms|s|m|h)\s*$", re.MULTILINE)
_SOCKET_ERRORS = re.compile(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")


@dataclass
class WrkResult:
    requests: int
    per_second: float
    latency_ms: dict[int, float]  # percentile -> ms: 50, 75, 90, 99
    socket_errors: dict[str, int]
    not_2xx_3xx: int

    @property
    def errors(self) -> int:
        return sum(self.socket_errors.values()) + self.not_2xx_3xx

    @classmethod
    def parse(cls, output: str) -> WrkResult:
        requests = re.search(r"(\d+) requests in", output)
        per_second = re.search(r"Requests/sec:\s+([\d.]+)", output)
        if not (requests and per_second):
            raise AssertionError(f"wrk printed no result:\n{output}")
        socket_errors = _SOCKET_ERRORS.search(output)  # wrk prints both lines only when they are not 0
        not_2xx_3xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
        error_counts = map(int, socket_errors.groups()) if socket_errors else (0, 0, 0, 0)
        return cls(
            requests=int(requests[1]),
            per_second=float(per_second[1]),
            latency_ms={
                int(p): float(value) * _UNITS_MS[unit] for p, value, unit in _PERCENTILE.findall(output)
            },
            socket_errors=dict(zip(("connect", "read", "write", "timeout"), error_counts, strict=True)),
            not_2xx_3xx=int(not_2xx_3xx[1]) if not_2xx_3xx else 0,
        )


def start_wrk(
    url: str,
    *,
    threads: int,
    connections: int,
    seconds: int,
    timeout: str = "2s",
    headers: dict | None = None,
    script: Path | None = None,
):
    return subprocess.Popen(
        [
            "wrk",
            f"-t{threads}",
            f"-c{connections}",
            f"-d{seconds}s",
            f"--timeout={timeout}",
            "--latency",
            *(part for name, value in (headers or {}).items() for part in ("-H", f"{name}: {value}")),
            *(["-s", str(script)] if script else []),
            url,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def exited(process: subprocess.Popen) -> bool:
    """Whether the process has exited, leaving it unreaped: its /proc entry keeps its CPU time for CpuUse
    until finish_wrk reaps it."""
    return os.waitid(os.P_PID, process.pid, os.WEXITED | os.WNOWAIT | os.WNOHANG) is not None


def finish_wrk(process: subprocess.Popen) -> WrkResult:
    output, _ = process.communicate(timeout=120)
    return WrkResult.parse(output)


def load(progress: Progress, label: str, url: str) -> WrkResult:
    """wrk -t2 -c64 for SECONDS against url, with a progress bar."""
    task = progress.add_task(label, total=SECONDS)
    process = start_wrk(url, threads=2, connections=CONNECTIONS, seconds=SECONDS)
    started = time.monotonic()
    with ended_on_error([process]):
        while process.poll() is None:
            progress.update(task, completed=min(SECONDS, time.monotonic() - started))
            time.sleep(0.1)
    progress.update(task, completed=SECONDS)
    return finish_wrk(process)


@contextlib.contextmanager
def ended_on_error(processes: list[subprocess.Popen]):
    """Stop the wrk processes still running if the bench stops early (an error, Ctrl-C)."""
    try:
        yield
    except BaseException:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait()
        raise


# --- Servers --------------------------------------------------------------------------------------


def start_throwaway(command: str, *arguments: str) -> dict:
    """`python -m deploy.local <command> start --json …`: the started server's state (pid, url, dir)."""
    result = deploy_local(command, "start", "--json", *arguments, timeout=60)
    if result.returncode != 0:
        pytest.fail(f"python -m deploy.local {command} start failed:\n{result.stderr}")
    return json.loads(result.stdout)


def stop_throwaway(command: str, state: dict) -> None:
    deploy_local(command, "stop", "--dir", state["dir"], timeout=60)


def varnish_counters(state: dict) -> dict[str, int]:
    result = subprocess.run(
        ["varnishstat", "-n", f"{state['dir']}/work", "-j"], capture_output=True, text=True, timeout=30
    )
    data = json.loads(result.stdout)
    counters = data.get("counters", data)  # varnishstat 7 nests them; 6 did not
    return {name: entry["value"] for name, entry in counters.items() if isinstance(entry, dict)}


@dataclass
class Reply:
    status: int
    body: bytes
    headers: http.client.HTTPMessage


def get(base: str, path: str, session: http.client.HTTPConnection | None = None) -> Reply:
    """GET on `session` (kept open by the caller) or on a connection of its own."""
    address = urlsplit(base)
    own = session is None
    session = session or http.client.HTTPConnection(address.hostname, address.port, timeout=10)
    try:
        session.request("GET", path)
        response = session.getresponse()
        return Reply(response.status, response.read(), response.headers)
    finally:
        if own:
            session.close()


def keep_alive(base: str) -> http.client.HTTPConnection:
    address = urlsplit(base)
    return http.client.HTTPConnection(address.hostname, address.port, timeout=10)


def allow_open_files(needed: int) -> tuple[int, int]:
    """Raise this process's soft limit (wrk and varnishd inherit it); returns the old limits."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < needed:
        pytest.fail(
            f"the flash crowd needs {needed} open files per process, but the hard limit is {hard}: "
            f"raise it (ulimit -Hn {needed}, or LimitNOFILE) and run again"
        )
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, needed), hard))
    return soft, hard


# --- Figures --------------------------------------------------------------------------------------


@dataclass
class Row:
    name: str
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    errors: int
    ratio: float = 0.0
    target: str = ""
    met: bool | None = None

    @classmethod
    def of(cls, name: str, result: WrkResult) -> Row:
        return cls(name, result.per_second, result.latency_ms[50], result.latency_ms[99], result.errors)


@dataclass
class Results:
    database: str
    seconds: int
    page_kb: float
    rows: list[Row] = field(default_factory=list)
    cold: dict = field(default_factory=dict)
    invalidation: dict = field(default_factory=dict)
    crowd: dict = field(default_factory=dict)


def ms(value: float) -> str:
    return f"{value:.2f}" if value < 10 else f"{value:.1f}"


def verdict(met: bool | None) -> str:
    return {True: "[green]yes[/]", False: "[red]no[/]", None: ""}[met]


def print_throughput(results: Results) -> None:
    table = Table(title=f"Home page, wrk -t2 -c{CONNECTIONS} -d{SECONDS}s on loopback ({results.database})")
    for column in ("", "req/s", "p50 ms", "p99 ms", "errors", "× nginx", "target", "met?"):
        table.add_column(column, justify="left" if column in ("", "target") else "right")
    for row in results.rows:
        table.add_row(
            row.name,
            f"{row.requests_per_second:,.0f}",
            ms(row.p50_ms),
            ms(row.p99_ms),
            str(row.errors),
            f"{row.ratio:.2f}",
            row.target,
            verdict(row.met),
        )
    table.caption = (
        f"Cold build: {results.cold['wrk_builds_per_request']:.2f} snapshot builds a request, as "
        "concurrent requests for the same page share one render."
    )
    console.print(table)


def print_cold(results: Results) -> None:
    cold = results.cold
    table = Table(
        title=f"Cold build at 1 connection: {COLD_REQUESTS} GETs one after another ({results.database})"
    )
    for column in ("p50 ms", "p99 ms", "max ms", "snapshot builds / request", "target", "met?"):
        table.add_column(column, justify="right")
    table.add_row(
        ms(cold["p50_ms"]),
        ms(cold["p99_ms"]),
        ms(cold["max_ms"]),
        f"{cold['builds_per_request']:.2f}",
        cold["target"],
        verdict(cold["met"]),
    )
    console.print(table)


def print_invalidation(results: Results) -> None:
    found = results.invalidation
    table = Table(title=f"Price edit → new price through Varnish, {EDITS} edits ({results.database})")
    for column in ("edits seen", "p50 ms", "p99 ms", "max ms"):
        table.add_column(column, justify="right")
    table.add_row(f"{found['seen']}/{EDITS}", ms(found["p50_ms"]), ms(found["p99_ms"]), ms(found["max_ms"]))
    console.print(table)
    for line in found["never_seen"]:
        console.print(f"[red]never seen: {line}[/]")


def print_crowd(results: Results) -> None:
    crowd = results.crowd
    table = Table(
        title=f"Flash crowd through Varnish: {crowd['connections']:,} connections "
        f"({CROWD_WAVES} waves a second apart), {crowd['seconds']} s ({results.database})"
    )
    table.add_column("")
    table.add_column("", justify="right")
    socket_errors = ", ".join(f"{kind} {count}" for kind, count in crowd["socket_errors"].items())
    for name, value in (
        ("requests", f"{crowd['requests']:,} ({crowd['requests_per_second']:,.0f}/s)"),
        ("socket errors", socket_errors),
        ("non-2xx/3xx answers", str(crowd["not_2xx_3xx"])),
        ("p99 ms (worst wave; the crowd's own p99 is at most this)", ms(crowd["worst_wave_p99_ms"])),
        ("p50 ms (worst wave)", ms(crowd["worst_wave_p50_ms"])),
        ("Varnish: backend requests", str(crowd["varnish_backend_requests"])),
        ("Varnish: sessions dropped", str(crowd["varnish_sessions_dropped"])),
        ("Varnish: sessions queued for a thread", str(crowd["varnish_sessions_queued"])),
        ("Varnish: threads started", str(crowd["varnish_threads_created"])),
        ("storefront: requests reaching it", str(crowd["storefront_requests"])),
        ("storefront: rendered through Django", str(crowd["storefront_rendered"])),
        ("storefront: snapshot builds", str(crowd["snapshot_builds"])),
        ("storefront: database queries", str(crowd["db_queries"])),
    ):
        table.add_row(name, value)
    table.caption = (
        "The storefront's requests and renders include Varnish's /healthz probe (one a second); "
        "its queries, the page-view counts it writes."
    )
    console.print(table)


def save(results: Results) -> dict:
    """Add this database's figures to the results file (the other database's stay); returns them all."""
    everything = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    everything[results.database] = {"measured_at": datetime.now(UTC).isoformat(timespec="seconds")} | asdict(
        results
    )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(everything, indent=2) + "\n")
    return everything


def plot(everything: dict) -> None:
    figure = Figure(figsize=(12, 5), layout="constrained")
    throughput, delays = figure.subplots(1, 2, width_ratios=(3, 2))
    databases = sorted(everything)
    names = [row["name"] for row in everything[databases[0]]["rows"]]
    width = 0.8 / len(databases)
    targets = {1: VARNISH_TARGET, 2: HIT_TARGET}  # row index -> × the ceiling
    for index, database in enumerate(databases):
        figures, colour = everything[database], f"C{index}"
        rows = figures["rows"]
        ceiling = rows[0]["requests_per_second"]
        offsets = [position + (index - (len(databases) - 1) / 2) * width for position in range(len(rows))]
        bars = throughput.bar(offsets, [row["requests_per_second"] for row in rows], width, color=colour)
        throughput.bar_label(bars, labels=[f"{row['ratio']:.2f}×" for row in rows], fontsize=8)
        throughput.axhline(ceiling, color=colour, linestyle="--", linewidth=1)
        for row, target in targets.items():
            left = offsets[row] - width / 2
            throughput.hlines(target * ceiling, left, left + width, colors="black", linewidth=2)
        throughput.plot([], [], color=colour, linewidth=6, label=f"{database}; dashed: its nginx ceiling")
        found = figures["invalidation"]
        delays.ecdf(
            found["delays_ms"],
            color=colour,
            label=f"{database}: p50 {found['p50_ms']:.0f} ms, p99 {found['p99_ms']:.0f} ms",
        )
    throughput.plot([], [], color="black", linewidth=2, label="target (× the ceiling)")
    throughput.set_xticks(range(len(names)), [name.replace(", ", "\n") for name in names], fontsize=9)
    throughput.set_ylabel("requests/s")
    throughput.set_title(f"Home page, wrk -t2 -c{CONNECTIONS} on loopback; labels: × the nginx ceiling")
    throughput.legend(fontsize=8, loc="upper right")
    delays.set_xlabel("ms from the commit to the new price through Varnish")
    delays.set_ylabel(f"fraction of {EDITS} edits")
    delays.set_title("Invalidation delay")
    delays.legend(fontsize=8, loc="lower right")
    PLOT.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(PLOT, dpi=110)


# --- The bench ------------------------------------------------------------------------------------


def seed_store() -> Store:
    """One store of PRODUCTS products, every one on show (the seed hides a few)."""
    seed_stores(stores=1, products=PRODUCTS, seed=7)
    store = Store.objects.get()
    Product.objects.filter(store=store).update(is_active=True)
    run_pending()  # the seed's events, before any page is kept anywhere
    return store


def throughput_rows(
    results: Results, storefront: StorefrontProcess, edge: dict, page: str, tmp_path: Path
) -> None:
    root = tmp_path / "static"
    copy = root / page.strip("/") / "index.html"
    copy.parent.mkdir(parents=True)
    copy.write_bytes(get(storefront.url, page).body)
    get(edge["url"], page)  # Varnish keeps it from now on
    nginx = start_throwaway("nginx", "--root", str(root))
    servers = [
        ("nginx, static copy", nginx["url"]),
        ("Varnish in front", edge["url"]),
        ("storefront, page hit", storefront.url),
    ]
    try:
        with progress_bar(transient=True) as progress:
            results.rows += [Row.of(name, load(progress, name, base + page)) for name, base in servers]
    finally:
        stop_throwaway("nginx", nginx)


def builds_of_every_worker(server: StorefrontProcess, workers: int) -> int:
    """Snapshot builds summed over the service's workers (each counts its own)."""
    return sum(stats["snapshot_builds"] for stats in server.stats_of_every_worker(workers).values())


def cold_rows(results: Results, cold: StorefrontProcess, page: str) -> None:
    builds_before = builds_of_every_worker(cold, COLD_WORKERS)
    with progress_bar(transient=True) as progress:
        result = load(progress, "storefront, cold build", cold.url + page)
    wrk_builds_per_request = (builds_of_every_worker(cold, COLD_WORKERS) - builds_before) / result.requests
    results.rows.append(Row.of("storefront, cold build", result))
    session = keep_alive(cold.url)  # one connection, so one worker: its counters are exact
    before = json.loads(get(cold.url, "/-/storefront", session).body)
    timings = []
    for _ in range(COLD_REQUESTS):
        started = time.perf_counter()
        reply = get(cold.url, page, session)
        timings.append((time.perf_counter() - started) * 1000)
        assert reply.status == 200
    after = json.loads(get(cold.url, "/-/storefront", session).body)
    session.close()
    p99 = percentile(timings, 0.99)
    on_postgres = results.database == "postgresql"
    results.cold = {
        "requests": COLD_REQUESTS,
        "p50_ms": statistics.median(timings),
        "p99_ms": p99,
        "max_ms": max(timings),
        "builds_per_request": (after["snapshot_builds"] - before["snapshot_builds"]) / COLD_REQUESTS,
        "wrk_builds_per_request": wrk_builds_per_request,
        "target": f"p99 < {COLD_P99_TARGET_MS:.0f} ms" + ("" if on_postgres else " (on PostgreSQL)"),
        "met": p99 < COLD_P99_TARGET_MS if on_postgres else None,
    }


def judge(results: Results) -> None:
    ceiling = results.rows[0].requests_per_second
    for row in results.rows:
        row.ratio = row.requests_per_second / ceiling
    nginx, varnish, hit, _cold = results.rows
    nginx.target = "ceiling"
    varnish.target, varnish.met = f"≥ {VARNISH_TARGET}×", varnish.ratio >= VARNISH_TARGET
    hit.target = f"≥ {HIT_TARGET}×, p99 < {HIT_P99_TARGET_MS:.0f} ms"
    hit.met = hit.ratio >= HIT_TARGET and hit.p99_ms < HIT_P99_TARGET_MS


def invalidation_delays(
    results: Results, store: Store, storefront: StorefrontProcess, edge: dict, page: str, monkeypatch
) -> None:
    html = get(edge["url"], page).body.decode()
    on_page = [int(found) for found in re.findall(rf"/s/{store.slug}/p/(\d+)/", html)]
    product = Product.objects.filter(pk__in=on_page, variants__isnull=True).order_by("pk").first()
    assert product is not None, "no product without variants on the home page to edit"
    workers = EmbeddedWorkers()  # the `cache` group: drop the snapshot, publish, PURGE Varnish
    monkeypatch.setattr("dukaan.events.local._workers", workers)
    workers.start()
    session = keep_alive(edge["url"])
    delays: list[float] = []
    never_seen: list[str] = []
    try:
        with progress_bar(transient=True) as progress:
            task = progress.add_task("price edits", total=EDITS)
            for edit in range(EDITS):
                price = Decimal(f"{20_000 + edit}.50")  # paise: no other price on the page looks like it
                shown = money(price, store)
                services.update_product(product=product, price=price, compare_at_price=None)
                committed = time.perf_counter()
                while time.perf_counter() - committed < EDIT_TIMEOUT_SECONDS:
                    reply = get(edge["url"], page, session)
                    if shown in reply.body.decode():
                        delays.append((time.perf_counter() - committed) * 1000)
                        break
                    time.sleep(POLL_SECONDS)
                else:
                    never_seen.append(why_not_seen(edit, shown, reply, storefront, page))
                progress.advance(task)
    finally:
        session.close()
        workers.stop()
    results.invalidation = {
        "edits": EDITS,
        "seen": len(delays),
        "p50_ms": statistics.median(delays) if delays else 0.0,
        "p99_ms": percentile(delays, 0.99) if delays else 0.0,
        "max_ms": max(delays, default=0.0),
        "delays_ms": delays,
        "never_seen": never_seen,
    }


def why_not_seen(edit: int, shown: str, reply: Reply, storefront: StorefrontProcess, page: str) -> str:
    """What Varnish and the storefront's workers answered for an edit that never showed."""
    workers_showing = sum(shown in get(storefront.url, page).body.decode() for _ in range(4))
    return (
        f"edit {edit} ({shown}): Varnish still answered X-Cache {reply.headers.get('X-Cache')}, "
        f"Age {reply.headers.get('Age')}; {workers_showing} of 4 direct requests to the storefront "
        "showed the new price"
    )


def crowd_waves(
    url: str, *, waves: int, connections: int, headers=lambda wave: None, script: Path | None = None
) -> tuple[list[WrkResult], float]:
    """`waves` wrk processes of `connections` each, started a second apart, all ending SECONDS after the
    last one started; their results and the wall time. `headers(wave)` gives a wave's extra headers."""
    seconds = waves + SECONDS
    started = time.monotonic()
    processes: list[subprocess.Popen] = []
    with progress_bar(transient=True) as progress, ended_on_error(processes):
        task = progress.add_task("flash crowd", total=seconds)
        while any(process.poll() is None for process in processes) or len(processes) < waves:
            elapsed = time.monotonic() - started
            if len(processes) < waves and elapsed >= len(processes):
                processes.append(
                    start_wrk(
                        url,
                        threads=1,
                        connections=connections,
                        seconds=seconds - len(processes),  # every wave ends at the same time
                        timeout=CROWD_TIMEOUT,
                        headers=headers(len(processes)),
                        script=script,
                    )
                )
            description = f"flash crowd: {len(processes) * connections:,} connections"
            progress.update(task, completed=min(seconds, elapsed), description=description)
            time.sleep(0.05)
    wall = time.monotonic() - started
    return [finish_wrk(process) for process in processes], wall


def flash_crowd(results: Results, crowd_front: StorefrontProcess, edge: dict, page: str) -> None:
    seconds = CROWD_WAVES + SECONDS  # the ramp, then the whole crowd for SECONDS
    storefront_before, varnish_before = crowd_front.stats(), varnish_counters(edge)
    measured, wall = crowd_waves(edge["url"] + page, waves=CROWD_WAVES, connections=CROWD_WAVE_CONNECTIONS)
    storefront_after, varnish_after = crowd_front.stats(), varnish_counters(edge)
    requests = sum(wave.requests for wave in measured)
    results.crowd = {
        "connections": CROWD_WAVES * CROWD_WAVE_CONNECTIONS,
        "seconds": seconds,
        "requests": requests,
        "requests_per_second": requests / wall,
        "socket_errors": {
            kind: sum(wave.socket_errors[kind] for wave in measured) for kind in measured[0].socket_errors
        },
        "not_2xx_3xx": sum(wave.not_2xx_3xx for wave in measured),
        "errors": sum(wave.errors for wave in measured),
        "worst_wave_p99_ms": max(wave.latency_ms[99] for wave in measured),
        "worst_wave_p50_ms": max(wave.latency_ms[50] for wave in measured),
        "wave_p99_ms": [wave.latency_ms[99] for wave in measured],
        "varnish_backend_requests": varnish_after["MAIN.backend_req"] - varnish_before["MAIN.backend_req"],
        "varnish_sessions_dropped": varnish_after["MAIN.sess_dropped"] - varnish_before["MAIN.sess_dropped"],
        "varnish_sessions_queued": varnish_after["MAIN.sess_queued"] - varnish_before["MAIN.sess_queued"],
        "varnish_threads_created": varnish_after["MAIN.threads_created"]
        - varnish_before["MAIN.threads_created"],
        # Less the one counters request of ours.
        "storefront_requests": storefront_after["requests"] - storefront_before["requests"] - 1,
        "storefront_rendered": storefront_after["rendered"] - storefront_before["rendered"],
        "snapshot_builds": storefront_after["snapshot_builds"] - storefront_before["snapshot_builds"],
        "db_queries": storefront_after["db_queries"] - storefront_before["db_queries"],
    }


def record_figures(results: Results, record) -> None:
    """The headline figures and the ratios to the nginx ceiling, for docs/benchmarks/results.json."""
    for row, key in zip(results.rows, ("nginx", "varnish", "hit", "cold"), strict=True):
        record(f"{key}_rps", row.requests_per_second, unit="req/s", note=row.name)
        record(f"{key}_p99_ms", row.p99_ms, unit="ms", note=f"wrk -c{CONNECTIONS}")
    for key in ("varnish", "hit", "cold"):
        record.ratio(f"{key}_vs_nginx", f"{key}_rps", "nginx_rps")
    record("cold_one_at_a_time_p99_ms", results.cold["p99_ms"], unit="ms", note="1 connection, no cache")
    record("cold_builds_per_request", results.cold["builds_per_request"], unit="builds")
    found = results.invalidation
    record("invalidation_p50_ms", found["p50_ms"], unit="ms", note="commit to new price through Varnish")
    record("invalidation_p99_ms", found["p99_ms"], unit="ms")
    record("invalidation_never_seen", len(found["never_seen"]), unit="edits", note=f"of {found['edits']}")
    crowd = results.crowd
    record(
        "crowd_rps", crowd["requests_per_second"], unit="req/s", note=f"{crowd['connections']:,} connections"
    )
    record("crowd_errors", crowd["errors"], unit="requests")
    record("crowd_worst_wave_p99_ms", crowd["worst_wave_p99_ms"], unit="ms")
    record("crowd_backend_requests", crowd["varnish_backend_requests"], unit="requests", note="past Varnish")
    record("crowd_snapshot_builds", crowd["snapshot_builds"], unit="builds")


def test_storefront_throughput_invalidation_and_flash_crowd(settings, monkeypatch, tmp_path, record):
    redis = start_redis()
    with contextlib.ExitStack() as running:
        running.callback(redis.stop)
        settings.CACHES = redis_caches(settings, redis.url)
        old_limits = allow_open_files(CROWD_WAVES * CROWD_WAVE_CONNECTIONS + 1024)
        running.callback(resource.setrlimit, resource.RLIMIT_NOFILE, old_limits)

        def storefront(*, workers: int, cache_url: str, env: dict | None = None) -> StorefrontProcess:
            server = start_storefront(tmp_path, cache_url=cache_url, workers=workers, env=env)
            running.callback(server.stop)
            return server

        def varnish(backend: StorefrontProcess) -> dict:
            state = start_throwaway("varnish", "--backend", urlsplit(backend.url).netloc)
            running.callback(stop_throwaway, "varnish", state)
            settings.EDGE_PURGE_URL = state["url"]
            return state

        store = seed_store()
        caches[settings.CATALOG_CACHE_ALIAS].clear()
        page = f"/s/{store.slug}/"
        warm = storefront(workers=2, cache_url=redis.url)
        edge = varnish(warm)
        first = get(warm.url, page)
        assert first.status == 200, first.body[:500]
        results = Results(connection.vendor, SECONDS, len(first.body) / 1024)
        console.print(
            f"\n[bold]{store.name}[/]: {PRODUCTS} products; {page} is {results.page_kb:.1f} KB "
            f"on {connection.vendor}"
        )

        throughput_rows(results, warm, edge, page, tmp_path)
        cold = storefront(
            workers=COLD_WORKERS, cache_url="dummy://", env={"STOREFRONT_PAGE_CACHE_PAGES": "0"}
        )
        cold_rows(results, cold, page)
        cold.stop()
        judge(results)
        print_throughput(results)
        print_cold(results)

        invalidation_delays(results, store, warm, edge, page, monkeypatch)
        print_invalidation(results)

        crowd_front = storefront(workers=1, cache_url=redis.url)
        # The crowd arrives at a cold store: no page and no snapshot kept anywhere.
        caches[settings.CATALOG_CACHE_ALIAS].clear()
        flash_crowd(results, crowd_front, varnish(crowd_front), page)
        print_crowd(results)

    record_figures(results, record)
    plot(save(results))
    console.print(f"figures: {RESULTS.relative_to(REPO)}, plot: {PLOT.relative_to(REPO)}")
    assert not results.invalidation["never_seen"], results.invalidation["never_seen"]
    assert results.crowd["errors"] == 0, f"the flash crowd had failed requests: {results.crowd}"


# --- The cold path: what a page costs against what the store holds (storefront.md, "Cold path") ---

COLD_PATH_SIZES = (10, 10_000)
COLD_PATH_ROUNDS = 15 if QUICK else 60  # each round: every page of both stores once, alternating
COLD_PATH_P99_TARGET_MS = 15.0
COLD_PATH_RATIO_TARGET = 1.5
WEB_PROCESSES = 2  # as the cluster runs `dukaan web`
LISTING_CONNECTIONS = 32  # as issue 23 measured Saleor: 16 on each process
SALEOR_RPS = 20.9  # Saleor 3.23's GraphQL products(first: 24), issue 23, on this machine
BEFORE = "issue 23 (2026-12-06, 2bd1d46): `dukaan web`, no cache, a store of 1,024 products"


def cold_path_pages(size: int) -> dict[str, str]:
    """The store of `size` products: its home, its largest category, its newest product."""
    store = Store.objects.annotate(n=Count("products")).get(n=size)
    category = Category.objects.filter(store=store).annotate(n=Count("products")).order_by("-n").first()
    newest = Product.objects.filter(store=store).first()
    return {
        "home": f"/s/{store.slug}/",
        "category": f"/s/{store.slug}/c/{category.pk}/",
        "product": f"/s/{store.slug}/p/{newest.pk}/",
    }


def cold_pages_one_at_a_time(
    base: str, pages: dict[int, dict[str, str]]
) -> dict[tuple[int, str], list[float]]:
    """Every page of every store once a round, the stores alternating, on one kept-alive connection."""
    session = keep_alive(base)
    timings: dict[tuple[int, str], list[float]] = {}
    with progress_bar(transient=True) as progress:
        task = progress.add_task("cold pages, one at a time", total=COLD_PATH_ROUNDS)
        for _ in range(COLD_PATH_ROUNDS):
            for kind in ("home", "category", "product"):
                for size, paths in pages.items():
                    started = time.perf_counter()
                    reply = get(base, paths[kind], session)
                    timings.setdefault((size, kind), []).append((time.perf_counter() - started) * 1000)
                    assert reply.status == 200, (paths[kind], reply.status)
            progress.advance(task)
    session.close()
    return timings


def uncached_listing(progress: Progress, urls: list[str], groups: dict[str, int]) -> tuple[WrkResult, CpuUse]:
    """wrk on every web process at once (the connections split between them); their sum, and the CPU
    `groups` and each wrk spent meanwhile."""
    per_process = LISTING_CONNECTIONS // len(urls)
    task = progress.add_task(f"uncached listing, {len(urls)} processes", total=SECONDS)
    processes = [start_wrk(url, threads=1, connections=per_process, seconds=SECONDS) for url in urls]
    wrks = {f"wrk_{number}": process.pid for number, process in enumerate(processes)}
    use = CpuUse({**groups, **wrks}, own="bench").start()
    with ended_on_error(processes):
        while not all(map(exited, processes)):
            time.sleep(0.05)
    use.stop()
    progress.update(task, completed=SECONDS)
    results = [finish_wrk(process) for process in processes]
    return WrkResult(
        requests=sum(result.requests for result in results),
        per_second=sum(result.per_second for result in results),
        latency_ms={p: max(result.latency_ms[p] for result in results) for p in results[0].latency_ms},
        socket_errors={
            kind: sum(result.socket_errors[kind] for result in results) for kind in results[0].socket_errors
        },
        not_2xx_3xx=sum(result.not_2xx_3xx for result in results),
    ), use


def test_a_cold_page_costs_what_the_page_shows_not_what_the_store_holds(tmp_path, record):
    for size in COLD_PATH_SIZES:
        seed_stores(stores=1, products=size, seed=size, events=False)
    Product.objects.filter(is_active=False).update(is_active=True)
    if connection.vendor == "postgresql":
        # The stores at rest, as autovacuum leaves a table within its first pass (a minute) after a bulk
        # load: statistics for the planner, and the visibility map the counts' index-only scans need.
        # Seconds after the load, every count reads the heap too (storefront.md, "what still grows").
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE catalog_product, catalog_productimage, catalog_productvariant")
    pages = {size: cold_path_pages(size) for size in COLD_PATH_SIZES}
    # `dukaan web` with no cache at all: every page builds its catalog from the database.
    webs = []
    try:
        for number in range(WEB_PROCESSES):
            (tmp_path / f"web-{number}").mkdir()
            webs.append(start_web(tmp_path / f"web-{number}", "dummy://"))
        urls = [url for _, url in webs]
        for paths in pages.values():
            for path in paths.values():
                assert get(urls[0], path).status == 200  # each process warmed (imports, templates)
                assert get(urls[-1], path).status == 200
        groups = {f"web_{number}": process.pid for number, (process, _) in enumerate(webs)}
        if connection.vendor == "postgresql":
            groups["postgresql"] = postgres_pid()
        use = CpuUse(groups, own="bench").start()
        timings = cold_pages_one_at_a_time(urls[0], pages)
        use.stop()
        with progress_bar(transient=True) as progress:
            listing, listing_use = uncached_listing(
                progress, [url + pages[max(COLD_PATH_SIZES)]["home"] for url in urls], groups
            )
    finally:
        for process, _ in webs:
            stop_process(process)

    small, big = COLD_PATH_SIZES
    table = Table(title=f"A cold page, one at a time (`dukaan web`, no cache; {connection.vendor})")
    table.add_column("page")
    for size in COLD_PATH_SIZES:
        table.add_column(f"{size:,} products: p50 / p99")
    table.add_column(f"{big:,} / {small:,} (p50)")
    for kind in ("home", "category", "product"):
        figures = {size: timings[(size, kind)] for size in COLD_PATH_SIZES}
        table.add_row(
            kind,
            *(f"{ms(statistics.median(t))} / {ms(percentile(t, 0.99))}" for t in figures.values()),
            f"{statistics.median(figures[big]) / statistics.median(figures[small]):.2f}×",
        )
        for size, values in figures.items():
            record(f"cold_{kind}_{size}_p50_ms", statistics.median(values), unit="ms", note="1 connection")
            record(f"cold_{kind}_{size}_p99_ms", percentile(values, 0.99), unit="ms", note="1 connection")
    console.print(table)
    home = {size: timings[(size, "home")] for size in COLD_PATH_SIZES}
    record.target(
        "cold_page_p99_ms",
        max(percentile(values, 0.99) for values in timings.values()),
        unit="ms",
        target=COLD_PATH_P99_TARGET_MS,
        higher_is_better=False,
        before=52.0,
        before_note=BEFORE + " (52 ms a request, one at a time)",
        note=f"the worst p99 of a home, category and product page of a {small:,}- and {big:,}-product store",
    )
    record.target(
        "cold_home_big_vs_small",
        statistics.median(home[big]) / statistics.median(home[small]),
        unit="×",
        target=COLD_PATH_RATIO_TARGET,
        higher_is_better=False,
        before=20.0,
        before_note="a8c47c2 (the whole store's snapshot), this bench, 2026-12-06 (storefront.md, Cold path)",
        note=f"home p50, {big:,} products / {small:,}",
    )
    console.print(
        f"uncached listing ({big:,} products, 24 shown), wrk -c{LISTING_CONNECTIONS} over {WEB_PROCESSES} "
        f"`dukaan web` processes: {listing.per_second:,.0f} req/s, p99 {ms(listing.latency_ms[99])}, "
        f"{listing.errors} errors"
    )
    # The measured reason when a target is not met: CPU per request of each process, and the rate the
    # machine's cores allow at that cost.
    one_at_a_time = use.record(
        record, prefix="cold_pages", per=sum(map(len, timings.values())), unit="request"
    )
    ceiling = listing_use.record(record, prefix="uncached_listing", per=listing.requests, unit="request")
    record.target(
        "uncached_listing_rps",
        listing.per_second,
        unit="req/s",
        target=30 * SALEOR_RPS,
        higher_is_better=True,
        before=130.0,
        before_note=BEFORE + " (130 req/s over the cluster's two web processes)",
        note=f"{big:,}-product store's home, wrk -c{LISTING_CONNECTIONS} over {WEB_PROCESSES} `dukaan web`",
        cpu_ceiling=ceiling,
    )
    record("uncached_listing_errors", listing.errors, unit="requests", note="wrk: timeouts (2 s) and others")
    console.print(
        f"CPU: cold pages one at a time allow {one_at_a_time:,.0f} req/s on {os.cpu_count()} cores, "
        f"the uncached listing {ceiling:,.0f} req/s ({listing_use.busy_share:.0%} of the cores busy)"
    )
