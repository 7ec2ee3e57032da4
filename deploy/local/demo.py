"""`dukaan demo failover`: lose a region under load, live, through the cluster's global entry.

    dukaan demo failover [--regions 3] [--kill r2] [--rate 300] [--before 8] [--down 8] [--after 8]
                         [--edits 200] [--plot PATH] [--data DIR]

It brings the cluster up with the regions (`dukaan cluster up --regions N`, a no-op when it runs), then
drives a steady, bounded load of store pages through nginx: --clients simulated buyers spread over the
regions (each sends its region in X-Client-Region, standing in for anycast), --rate requests a second
in all, loopback only. It prints a line a second (requests, errors, p50/p99, the share each region
served), kills every process of one region (`dukaan cluster kill-region`) after --before seconds, keeps
going, restores it (`dukaan cluster up`) after --down seconds, and goes on until the region has served
again for --after seconds. Then it measures each region's freshness: --edits price edits through the
API on the primary, and for each, how long until that region's storefront shows the new price. It ends
with a summary, a PNG plot of latency and share per region over time, and the summary as JSON on the
last line of stdout.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from deploy.local import throwaway
from deploy.local.throwaway import Refused, read_json

REPO = Path(__file__).resolve().parents[2]
DUKAAN = Path(sys.executable).parent / "dukaan"
DEFAULT_DATA = REPO / "var" / "cluster"
FRESHNESS_TIMEOUT_S = 15.0

console = Console(stderr=True)


@dataclass
class Sample:
    at: float  # seconds since the load began
    latency_ms: float
    ok: bool
    served_by: str  # X-Dukaan-Region of the answer ("" when it failed)


@dataclass
class Timeline:
    killed_at: float | None = None
    restore_started_at: float | None = None
    restored_at: float | None = None
    returned_at: float | None = None  # the killed region's first answer after the restore
    samples: list[Sample] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, sample: Sample) -> None:
        with self.lock:
            self.samples.append(sample)


def cluster(data: Path, *args: str, timeout: float = 900) -> str:
    result = subprocess.run(
        [str(DUKAAN), "cluster", "--data", str(data), *args], capture_output=True, text=True, timeout=timeout
    )
    if result.returncode != 0:
        raise Refused(f"`dukaan cluster {' '.join(args)}` failed:\n{result.stderr[-3000:]}")
    return result.stdout


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


class Buyer(threading.Thread):
    """One simulated buyer in `region`: keep-alive requests at its share of the rate until told to stop."""

    def __init__(
        self, port: int, region: str, paths: list[str], interval: float, began: float, timeline, stop
    ):
        super().__init__(daemon=True)
        self.port, self.region, self.paths, self.interval = port, region, paths, interval
        self.began, self.timeline, self.stop = began, timeline, stop

    def run(self) -> None:
        connection = None
        sent = 0
        while not self.stop.is_set():
            due = self.began + sent * self.interval
            time.sleep(max(0.0, due - time.monotonic()))
            path = self.paths[sent % len(self.paths)]
            sent += 1
            start = time.monotonic()
            ok, served_by = False, ""
            for _attempt in range(2):
                reused = connection is not None
                connection = connection or http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
                try:
                    connection.request("GET", path, headers={"X-Client-Region": self.region})
                    response = connection.getresponse()
                    response.read()
                    ok, served_by = response.status == 200, response.getheader("X-Dukaan-Region", "")
                    break
                except (OSError, http.client.HTTPException):
                    connection.close()
                    connection = None
                    if not reused:
                        break  # a new connection that fails is a failure
                    # A kept-alive connection the server had just closed (nginx reloading): like a
                    # browser, send the GET again on a new one.
            done = time.monotonic()
            self.timeline.add(Sample(start - self.began, (done - start) * 1000, ok, served_by))


def second_line(second: int, samples: list[Sample], regions: list[str], event: str) -> str:
    latencies = [sample.latency_ms for sample in samples if sample.ok]
    errors = sum(not sample.ok for sample in samples)
    shares = " ".join(
        f"{region} {100 * sum(s.served_by == region for s in samples) / max(1, len(samples)):3.0f}%"
        for region in regions
    )
    return (
        f"t={second:3d}s  {len(samples):4d} req  {errors:3d} err  p50 {percentile(latencies, 0.5):6.1f} ms  "
        f"p99 {percentile(latencies, 0.99):6.1f} ms  {shares}  {event}"
    )


def drive_load(options, port: int, regions: list[str], paths: list[str]) -> Timeline:
    timeline = Timeline()
    stop = threading.Event()
    began = time.monotonic()
    interval = options.clients / options.rate
    stagger = interval / options.clients  # the buyers' requests interleave instead of coming in bursts
    buyers = [
        Buyer(port, regions[n % len(regions)], paths, interval, began + n * stagger, timeline, stop)
        for n in range(options.clients)
    ]
    for buyer in buyers:
        buyer.start()
    restore: threading.Thread | None = None
    printed = 0
    events: dict[int, str] = {}
    try:
        while True:
            time.sleep(max(0.0, began + printed + 1 - time.monotonic()))
            now = time.monotonic() - began
            if timeline.killed_at is None and now >= options.before:
                cluster(options.data, "kill-region", options.kill)
                timeline.killed_at = time.monotonic() - began
                events[int(timeline.killed_at)] = f"[red]{options.kill} killed[/red]"
            if (
                restore is None
                and timeline.killed_at is not None
                and now >= timeline.killed_at + options.down
            ):

                def bring_back() -> None:
                    cluster(options.data, "up")
                    timeline.restored_at = time.monotonic() - began

                timeline.restore_started_at = now
                events[int(now)] = f"[yellow]restoring {options.kill}[/yellow]"
                restore = threading.Thread(target=bring_back, daemon=True)
                restore.start()
            with timeline.lock:
                window = [s for s in timeline.samples if printed <= s.at < printed + 1]
                if timeline.restore_started_at is not None and timeline.returned_at is None:
                    back = [
                        s.at
                        for s in timeline.samples
                        if s.served_by == options.kill and s.at > timeline.restore_started_at
                    ]
                    if back:
                        timeline.returned_at = min(back)
                        events[int(timeline.returned_at)] = f"[green]{options.kill} serving again[/green]"
            console.print(second_line(printed, window, regions, events.get(printed, "")), highlight=False)
            printed += 1
            if timeline.returned_at is not None and now >= timeline.returned_at + options.after:
                break
            if restore is not None and not restore.is_alive() and timeline.restored_at is None:
                raise Refused(f"{options.kill} could not be restored; see `dukaan cluster status`")
            if now > options.before + options.down + 180:
                raise Refused(f"{options.kill} did not serve again within 180 s of its restore")
    finally:
        stop.set()
        for buyer in buyers:
            buyer.join()
    return timeline


def api_token(data: Path) -> str:
    """A token of the demo store, made in the cluster's database (its settings are in var/cluster/env)."""
    lines = (data / "env").read_text().splitlines()
    env = {**os.environ, **dict(line.split("=", 1) for line in lines if "=" in line)}
    code = (
        "from dukaan.accounts.services import create_api_token; from dukaan.catalog.models import Store; "
        "print(create_api_token(store=Store.objects.get(slug='demo'), name='failover demo')[1])"
    )
    result = subprocess.run([str(DUKAAN), "shell", "-c", code], env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise Refused(f"could not make an API token for the demo store:\n{result.stderr[-2000:]}")
    return result.stdout.strip().splitlines()[-1]


def request(
    port: int, method: str, path: str, headers: dict, body: dict | None = None
) -> tuple[int, str, http.client.HTTPMessage]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        payload = json.dumps(body) if body is not None else None
        connection.request(
            method, path, body=payload, headers={"Content-Type": "application/json", **headers}
        )
        response = connection.getresponse()
        return response.status, response.read().decode(errors="replace"), response.headers  # any case
    finally:
        connection.close()


def measure_freshness(options, port: int, regions: list[str], product_id: int) -> dict[str, list[float]]:
    """For each of --edits price edits (API, primary): the seconds until each region's page shows it."""
    token = api_token(options.data)
    delays: dict[str, list[float]] = {region: [] for region in regions}

    def wait_for(region: str, shown: str, since: float) -> float:
        deadline = since + FRESHNESS_TIMEOUT_S
        while time.monotonic() < deadline:
            status, body, headers = request(
                port, "GET", f"/s/demo/p/{product_id}/", {"X-Client-Region": region}
            )
            if status == 200 and shown in body and headers.get("X-Dukaan-Region") == region:
                return time.monotonic() - since
            time.sleep(0.01)
        raise Refused(f"{region} did not show the price {shown} within {FRESHNESS_TIMEOUT_S:.0f} s")

    with ThreadPoolExecutor(max_workers=len(regions)) as pool, Progress(console=console) as progress:
        task = progress.add_task("price edits → every region", total=options.edits)
        for edit in range(options.edits):
            price = 2001 + edit
            status, body, _ = request(
                port, "PATCH", f"/api/v1/products/{product_id}", {"Authorization": f"Bearer {token}"},
                {"price": f"{price}.00"},
            )  # fmt: skip
            if status != 200:
                raise Refused(f"the price edit was refused (HTTP {status}): {body[:300]}")
            saved = time.monotonic()
            shown = f"₹{price:,}"
            waits = [pool.submit(wait_for, region, shown, saved) for region in regions]
            for region, waited in zip(regions, waits, strict=True):
                delays[region].append(waited.result())
            progress.advance(task)
    return delays


def summarise(options, timeline: Timeline, regions: list[str], delays: dict[str, list[float]]) -> dict:
    def phase(samples: list[Sample]) -> dict:
        latencies = [s.latency_ms for s in samples if s.ok]
        return {
            "requests": len(samples),
            "errors": sum(not s.ok for s in samples),
            "p50_ms": round(percentile(latencies, 0.5), 2),
            "p99_ms": round(percentile(latencies, 0.99), 2),
        }

    everything = timeline.samples
    killed, returned = timeline.killed_at, timeline.returned_at
    return {
        "regions": regions,
        "killed": options.kill,
        "all": phase(everything),
        "before": phase([s for s in everything if s.at < killed]),
        "failover": phase([s for s in everything if killed <= s.at < returned]),
        "after": phase([s for s in everything if s.at >= returned]),
        "killed_at_s": round(killed, 2),
        "restore_took_s": round(timeline.restored_at - timeline.restore_started_at, 2),
        "region_back_after_restore_s": round(returned - timeline.restore_started_at, 2),
        "freshness": {
            region: {
                "edits": len(values),
                "p50_ms": round(1000 * statistics.median(values), 1),
                "p99_ms": round(1000 * percentile(values, 0.99), 1),
            }
            for region, values in delays.items()
            if values
        },
        "plot": str(options.plot),
    }


def print_summary(summary: dict) -> None:
    table = Table(title=f"Failover of {summary['killed']}: requests through the global entry")
    for column in ("phase", "requests", "errors", "p50", "p99"):
        table.add_column(column, justify="right")
    for name in ("before", "failover", "after", "all"):
        row = summary[name]
        table.add_row(
            name, f"{row['requests']:,}", str(row["errors"]), f"{row['p50_ms']} ms", f"{row['p99_ms']} ms"
        )
    console.print(table)
    console.print(
        f"restore (`dukaan cluster up`) took {summary['restore_took_s']} s; {summary['killed']} served again "
        f"{summary['region_back_after_restore_s']} s after it began"
    )
    if summary["freshness"]:
        fresh = Table(title="Price edit on the primary → new price on each region's storefront")
        for column in ("region", "edits", "p50", "p99"):
            fresh.add_column(column, justify="right")
        for region, row in summary["freshness"].items():
            fresh.add_row(region, str(row["edits"]), f"{row['p50_ms']} ms", f"{row['p99_ms']} ms")
        console.print(fresh)
    console.print(f"plot: {summary['plot']}")


def plot(timeline: Timeline, regions: list[str], path: Path, killed: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    seconds = range(int(max(s.at for s in timeline.samples)) + 1)
    by_second = [[s for s in timeline.samples if int(s.at) == second] for second in seconds]
    figure, (latency, share) = plt.subplots(2, 1, figsize=(10, 7), sharex=True)
    for fraction, label in ((0.5, "p50"), (0.99, "p99")):
        latency.plot(
            seconds, [percentile([s.latency_ms for s in b if s.ok], fraction) for b in by_second], label=label
        )
    errors = [sum(not s.ok for s in b) for b in by_second]
    latency.bar(seconds, errors, color="red", alpha=0.4, label="errors")
    latency.set_ylabel("latency, ms (errors: count)")
    latency.legend(loc="upper left")
    shares = [
        [100 * sum(s.served_by == region for s in b) / max(1, len(b)) for b in by_second]
        for region in regions
    ]
    share.stackplot(seconds, shares, labels=regions)
    share.set_ylabel("share of answers, %")
    share.set_xlabel("seconds")
    share.legend(loc="upper left")
    for axis in (latency, share):
        for at, what, colour in (
            (timeline.killed_at, f"{killed} killed", "red"),
            (timeline.restore_started_at, "restore", "orange"),
            (timeline.returned_at, f"{killed} back", "green"),
        ):
            axis.axvline(at, color=colour, linestyle="--")
            axis.annotate(what, (at, axis.get_ylim()[1]), fontsize=8, color=colour, va="top")
    latency.set_title(f"Losing region {killed} under steady load, through the global entry")
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=100)


def failover(options: argparse.Namespace) -> int:
    console.print(f"dukaan demo failover: bringing up the cluster with {options.regions} regions…")
    cluster(options.data, "up", "--regions", str(options.regions))
    config = read_json(options.data / "cluster.json")
    regions = sorted(config["edges"])
    if options.kill not in regions or options.kill == "r1":
        raise Refused(f"--kill must name a region other than r1 among {', '.join(regions)}")
    port = config["ports"]["nginx"]
    status, body, _ = request(port, "GET", "/api/v1/stores/demo/products", {})
    if status != 200:
        raise Refused(f"the demo store's products did not load (HTTP {status})")
    products = [item["id"] for item in json.loads(body)["items"] if not item["variants"]]
    paths = ["/s/demo/", *(f"/s/demo/p/{product_id}/" for product_id in products[1:6])]
    console.print(
        f"load: {options.clients} buyers over {', '.join(regions)}, {options.rate} requests/s through "
        f"http://127.0.0.1:{port}; {options.kill} dies at {options.before} s"
    )
    timeline = drive_load(options, port, regions, paths)
    delays = measure_freshness(options, port, regions, products[0]) if options.edits else {}
    plot(timeline, regions, options.plot, options.kill)
    summary = summarise(options, timeline, regions, delays)
    print_summary(summary)
    print(json.dumps(summary))
    return 0 if summary["all"]["errors"] == 0 else 1


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="dukaan demo", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("failover", help="lose a region under load, live")
    run.add_argument("--data", type=Path, default=DEFAULT_DATA, help=f"the cluster (default {DEFAULT_DATA})")
    run.add_argument("--regions", type=int, default=3, help="regions to bring up (default 3)")
    run.add_argument("--kill", default="r2", help="the region to lose (default r2)")
    run.add_argument("--clients", type=int, default=24, help="simulated buyers (default 24)")
    run.add_argument("--rate", type=float, default=300, help="requests a second, in all (default 300)")
    run.add_argument("--before", type=float, default=8, help="seconds of load before the kill (default 8)")
    run.add_argument("--down", type=float, default=8, help="seconds the region stays dead (default 8)")
    run.add_argument("--after", type=float, default=8, help="seconds after it serves again (default 8)")
    run.add_argument(
        "--edits", type=int, default=200, help="price edits for the freshness figures (default 200)"
    )
    run.add_argument("--plot", type=Path, default=DEFAULT_DATA / "failover.png", help="where the PNG goes")
    options = parser.parse_args(argv)
    if options.regions < 2:
        parser.error("--regions must be at least 2: one to lose and one to take its buyers")
    if options.clients < 1 or options.rate <= 0 or options.edits < 0:
        parser.error("--clients and --rate must be positive, --edits 0 or more")
    options.data = options.data.resolve()
    return throwaway.exit_code(
        lambda: failover(options), lambda message: console.print(f"[red]dukaan demo: {message}[/red]")
    )
