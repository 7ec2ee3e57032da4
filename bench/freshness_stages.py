"""Where a price edit's time goes on its way to every region's page: timestamps per stage.

    .venv/bin/python -m bench.freshness_stages [--data var/cluster] [--edits 100] [--poll-ms 5]

Runs against a cluster that is up (`dukaan cluster up --regions 3`). For each price edit through the
API (the primary), it records, as milliseconds after the API answered (the commit):
- topic: the event's Kafka timestamp (Debezium's produce time), read by a consumer of the topic;
- replica rN: when rN's replica first returns the new price (polled);
- published rN: when rN's projector published the store's invalidation on rN's Redis (it does so
  when it starts rebuilding the snapshot, after it waited for its replica);
- storefront rN: when rN's storefront, asked directly (past Varnish), first shows the new price;
- page rN: when the page through the global entry and rN's Varnish first shows it (what `dukaan demo
  failover` measures), and whether that answer was a Varnish HIT (a stale copy fetched again after
  the purge would show as a late page with an early storefront).
It prints each stage's p50/p99/max and the slowest edits stage by stage, and writes every edit's
timestamps as JSON lines to --out.
"""

from __future__ import annotations

import argparse
import http.client
import json
import statistics
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg
import redis
from confluent_kafka import Consumer

from deploy.local.demo import api_token, percentile, request
from deploy.local.throwaway import read_json

REPO = Path(__file__).resolve().parents[1]
INVALIDATION_CHANNEL = "dukaan:catalog-invalidated"  # dukaan.storefront.catalog_cache
TOPIC = "dukaan.catalog"
TIMEOUT_S = 15.0


class Region:
    """What the script watches in one region: its replica, its Redis, its storefront."""

    def __init__(self, name: str, replica_url: str, redis_url: str, storefront_port: int) -> None:
        self.name, self.storefront_port = name, storefront_port
        self.replica = psycopg.connect(replica_url, autocommit=True)
        self.published: list[float] = []  # monotonic times of this region's invalidations
        self.pubsub = redis.Redis.from_url(redis_url).pubsub(ignore_subscribe_messages=True)
        self.pubsub.subscribe(INVALIDATION_CHANNEL)
        threading.Thread(target=self._follow, daemon=True).start()

    def _follow(self) -> None:
        for message in self.pubsub.listen():
            if message["type"] == "message":
                self.published.append(time.monotonic())


def wait_until(check, poll_s: float) -> float:
    deadline = time.monotonic() + TIMEOUT_S
    while time.monotonic() < deadline:
        if check():
            return time.monotonic()
        time.sleep(poll_s)
    return float("nan")


def get(port: int, path: str, headers: dict) -> tuple[int, str, http.client.HTTPMessage]:
    return request(port, "GET", path, headers)


def watch(stage: str, region: Region, product: int, price: int, nginx: int, poll: float, hits: dict) -> float:
    """When `stage` of `region` first shows `price` for the product (monotonic seconds; NaN: never)."""
    path, shown = f"/s/demo/p/{product}/", f"₹{price:,}"

    def seen() -> bool:
        if stage == "replica":
            row = region.replica.execute("SELECT price FROM catalog_product WHERE id = %s", [product])
            return int(row.fetchone()[0]) == price
        if stage == "storefront":
            return shown in get(region.storefront_port, path, {})[1]
        status, body, headers = get(nginx, path, {"X-Client-Region": region.name})
        fresh = status == 200 and shown in body and headers.get("X-Dukaan-Region") == region.name
        if fresh:
            hits[region.name] = headers.get("X-Cache", "")
        return fresh

    return wait_until(seen, poll)


def regions_of(data: Path) -> tuple[dict, list[Region]]:
    config = read_json(data / "cluster.json")
    pg = read_json(data / "postgres" / "state.json")
    regions = []
    for name in sorted(config["edges"]):
        number = int(name[1:])
        base = "" if number == 1 else f"regions/{name}/"
        redis_url = read_json(data / f"{base}redis" / "state.json")["url"]
        port = config["ports"]["storefront" if number == 1 else f"regions/{name}/storefront"]
        regions.append(Region(name, pg["replicas"][number - 1]["url"], redis_url, port))
    return config, regions


def follow_topic(data: Path, arrivals: dict[str, float]) -> None:
    """Record each catalog event's Kafka timestamp (wall-clock ms) by the price it carries."""
    kafka = read_json(data / "kafka" / "state.json")
    consumer = Consumer(
        {
            "bootstrap.servers": kafka["bootstrap_servers"],
            "group.id": f"freshness-stages-{time.time_ns()}",
            "auto.offset.reset": "latest",
            "enable.auto.commit": False,
        }
    )
    consumer.subscribe([TOPIC])

    def run() -> None:
        while True:
            message = consumer.poll(0.1)
            if message is None or message.error():
                continue
            text = (message.value() or b"").decode(errors="replace")
            arrivals[text] = message.timestamp()[1] / 1000  # wall-clock seconds

    threading.Thread(target=run, daemon=True).start()


def measure(options) -> list[dict]:
    config, regions = regions_of(options.data)
    nginx = config["ports"]["nginx"]
    token = api_token(options.data)
    status, body, _ = get(nginx, "/api/v1/stores/demo/products", {})
    product = next(item["id"] for item in json.loads(body)["items"] if not item["variants"])
    kafka_messages: dict[str, float] = {}
    follow_topic(options.data, kafka_messages)
    time.sleep(3)  # the consumer joins its group
    poll = options.poll_ms / 1000
    records = []
    with ThreadPoolExecutor(max_workers=3 * len(regions)) as pool:
        for edit in range(options.edits):
            price = 3001 + edit + int(time.time()) % 50 * 1000  # below a lakh: "₹53,001" in any grouping
            for region in regions:
                region.published.clear()
            began_wall = time.time()
            status, body, _ = request(
                nginx, "PATCH", f"/api/v1/products/{product}", {"Authorization": f"Bearer {token}"},
                {"price": f"{price}.00"},
            )  # fmt: skip
            if status != 200:
                sys.exit(f"the price edit was refused (HTTP {status}): {body[:300]}")
            committed, committed_wall = time.monotonic(), time.time()
            hits: dict[str, str] = {}
            futures = {
                (stage, region.name): pool.submit(watch, stage, region, product, price, nginx, poll, hits)
                for region in regions
                for stage in ("replica", "storefront", "page")
            }
            record = {"edit": edit, "api_ms": round(1000 * (committed_wall - began_wall), 1)}
            for (stage, name), future in futures.items():
                record[f"{stage} {name}"] = round(1000 * (future.result() - committed), 1)
            time.sleep(0.05)  # the last invalidation messages and the Kafka record arrive
            for region in regions:
                first = region.published[0] if region.published else float("nan")
                record[f"published {region.name}"] = round(1000 * (first - committed), 1)
                record[f"page {region.name} x-cache"] = hits.get(region.name, "")
            topic = next((at for text, at in kafka_messages.items() if f"{price}.00" in text), float("nan"))
            record["topic"] = round(1000 * (topic - committed_wall), 1)
            records.append(record)
            print(json.dumps(record), file=options.out, flush=True)
    return records


def report(records: list[dict]) -> None:
    stages = [key for key in records[0] if key not in ("edit",) and not key.endswith("x-cache")]
    print(
        f"{'stage':<18} {'p50':>8} {'p99':>8} {'max':>8}   ms after the API answered ({len(records)} edits)"
    )
    for stage in stages:
        values = [r[stage] for r in records if r[stage] == r[stage]]  # not NaN
        if values:
            print(
                f"{stage:<18} {statistics.median(values):>8.1f} {percentile(values, 0.99):>8.1f} "
                f"{max(values):>8.1f}"
            )
    pages = [key for key in stages if key.startswith("page ")]
    slow = sorted(records, key=lambda r: max(r[key] for key in pages), reverse=True)[:5]
    print("slowest edits:")
    for record in slow:
        print("  " + ", ".join(f"{key} {value}" for key, value in record.items()))


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=REPO / "var" / "cluster")
    parser.add_argument("--edits", type=int, default=100)
    parser.add_argument("--poll-ms", type=float, default=5.0)
    parser.add_argument("--out", type=argparse.FileType("w"), default=sys.stderr)
    options = parser.parse_args(argv)
    report(measure(options))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
