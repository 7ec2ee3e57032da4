"""Checkout under stock contention: 50 buyers at once on 20 hot products, through PgBouncer, no oversell.

A PostgreSQL primary with PgBouncer in transaction pooling in front (deploy/local/postgres.py, no
replica), a real `dukaan web` (granian) on it through PgBouncer, and one store of 20 products, each
with STOCK units. Then BUYERS threads, each its own keep-alive HTTP session, place orders through the
buyer API (`POST /api/v1/stores/<slug>/orders`, the web checkout's own `place_order`) as fast as they
are answered for SECONDS: one line, a random hot product, 1 to 3 units. Stock runs out during the run,
so later orders are refused (422 checkout-refused, nothing saved). Reported: orders a second while
stock lasted, refusals a second over the run, checkout latency p50/p99 of the placed orders, when the
last stock went. After the run the database is read directly: for every product, initial stock −
units on order lines = stock now ≥ 0, and the units on order lines = the units of the orders the
buyers were told were placed. Any oversell, or any answer other than 201 or 422, fails the bench.

Runs in the PostgreSQL pass of `make bench` (on SQLite it is skipped: there is no PgBouncer to go
through and one writer at a time). The load generator shares the machine's cores with the server.
"""

from __future__ import annotations

import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import pytest
import requests
from django.db import connection
from matplotlib.figure import Figure
from rich.table import Table

from bench.measure import percentile
from bench.report import QUICK, console, output
from deploy.local import postgres as script
from tests.processes import deploy_local, find_free_port

pytestmark = pytest.mark.bench

REPO = Path(__file__).resolve().parents[1]
DUKAAN = Path(sys.executable).with_name("dukaan")
BUYERS = 50
PRODUCTS = 20
STOCK = 15 if QUICK else 60  # units of each product: at ~30 orders/s here it runs out two thirds in
SECONDS = 8 if QUICK else 30
MAX_UNITS = 3
PRICE = "120.00"

SETUP = """
import json
from decimal import Decimal
from dukaan.accounts.models import User
from dukaan.catalog import services
owner = User.objects.create_user("+919812340050")
store = services.create_store(owner=owner, name="Rush Hour", slug="rush-hour", whatsapp="+919812340050")
products = [
    services.create_product(store=store, name=f"Hot item {{number}}", price=Decimal("{price}"), stock={stock})
    for number in range({products})
]
print(json.dumps({{"slug": store.slug, "products": [product.pk for product in products]}}))
"""


def postgres(*args: str) -> dict:
    done = deploy_local("postgres", *args, timeout=180)
    if done.returncode != 0:
        pytest.fail(f"python -m deploy.local postgres {args[0]} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout) if "--json" in args else {}


@pytest.fixture(scope="module")
def bouncer():
    """A primary and PgBouncer in a folder of their own; stopped and deleted afterwards."""
    if connection.vendor != "postgresql":
        pytest.skip("checkout throughput is measured on PostgreSQL through PgBouncer: the PostgreSQL pass")
    try:
        script.find_bindir()
        script.find_pgbouncer()
    except script.Refused as error:
        pytest.fail(str(error))
    folder = Path(tempfile.mkdtemp(prefix="dukaan-checkout-bench-"))
    folder.chmod(0o755)  # the servers run as `postgres` when we are root
    try:
        yield postgres("start", "--dir", str(folder), "--replicas", "0", "--json")
    finally:
        postgres("stop", "--dir", str(folder), "--delete")


@pytest.fixture(scope="module")
def web(bouncer, tmp_path_factory):
    """`dukaan web` on PgBouncer, migrated and set up through the primary; its url and the store."""
    var = tmp_path_factory.mktemp("checkout-var")
    env = {
        **os.environ,
        "DATABASE_URL": bouncer["primary"]["url"],
        "CACHE_URL": "locmem://",
        "DUKAAN_VAR_DIR": str(var),
        "DUKAAN_DEBUG": "false",
        "SEARCH_URL": f"tantivy://{var / 'search'}",
        # Every buyer here comes from 127.0.0.1: the per-IP limit would stop the load, not the checkout.
        "API_RATE_LIMIT_PER_IP": "100000000",
        # The same goes for the hourly order limits, and each buyer keeps ordering with one phone number.
        "ORDER_MAX_PER_ADDRESS_PER_HOUR": "0",
        "ORDER_MAX_PER_PHONE_PER_STORE_PER_HOUR": "0",
    }
    setup = SETUP.format(price=PRICE, stock=STOCK, products=PRODUCTS)
    for command in (["migrate", "--noinput"], ["collectstatic", "--noinput"], ["shell", "-c", setup]):
        done = subprocess.run([str(DUKAAN), *command], env=env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr[-3000:]
    store = json.loads(done.stdout.strip().splitlines()[-1])
    port = find_free_port()
    log = var / "web.log"
    with log.open("wb") as written:
        process = subprocess.Popen(
            [str(DUKAAN), "web", "--port", str(port)],
            env={**env, "DATABASE_URL": bouncer["pgbouncer"]["url"]},
            stdin=subprocess.DEVNULL,
            stdout=written,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while not answers(url):
            assert process.poll() is None, f"dukaan web exited:\n{log.read_text()[-3000:]}"
            assert time.monotonic() < deadline, (
                f"dukaan web did not answer in 60 s:\n{log.read_text()[-3000:]}"
            )
            time.sleep(0.1)
        yield {"url": url, "primary": bouncer["primary"]["url"], **store}
    finally:
        process.terminate()
        process.wait(timeout=15)


def answers(url: str) -> bool:
    try:
        return requests.get(f"{url}/healthz", timeout=2).ok
    except requests.RequestException:
        return False


@dataclass
class Outcomes:
    """What the buyers were told: placed orders (at, ms, product, units), refusals (at), anything else."""

    placed: list[tuple[float, float, int, int]] = field(default_factory=list)
    refused: list[float] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def buyer(web: dict, started: float, outcomes: Outcomes, seed: int) -> None:
    """One buyer's session: order after order until SECONDS after `started`."""
    chance = random.Random(seed)
    orders = f"{web['url']}/api/v1/stores/{web['slug']}/orders"
    with requests.Session() as session:
        while (sent := time.perf_counter()) - started < SECONDS:
            product, units = chance.choice(web["products"]), chance.randint(1, MAX_UNITS)
            body = {
                "lines": [{"product_id": product, "quantity": units, "seen_price": PRICE}],
                "buyer": {
                    "name": f"Buyer {seed}",
                    "phone": f"+9198123{seed:05d}",
                    "address": "12 MG Road, Bengaluru",
                    "pin_code": "560001",
                },
                "payment_method": "cod",
            }
            try:
                answer = session.post(
                    orders, json=body, headers={"Idempotency-Key": str(uuid.uuid4())}, timeout=30
                )
            except requests.RequestException as error:
                with outcomes.lock:
                    outcomes.unexpected.append(f"{type(error).__name__}: {error}")
                continue
            took_ms = (time.perf_counter() - sent) * 1000
            at = time.perf_counter() - started
            with outcomes.lock:
                if answer.status_code == 201:
                    outcomes.placed.append((at, took_ms, product, units))
                elif answer.status_code == 422 and answer.json().get("type", "").endswith("checkout-refused"):
                    outcomes.refused.append(at)
                else:
                    outcomes.unexpected.append(f"HTTP {answer.status_code}: {answer.text[:300]}")


def stock_and_lines(primary: str, products: list[int]) -> tuple[dict[int, int], dict[int, int], int]:
    """Stock now and units on order lines, per product, and the number of orders, from the primary."""
    with psycopg.connect(primary, autocommit=True) as database:
        stock = dict(database.execute("SELECT id, stock FROM catalog_product WHERE id = ANY(%s)", [products]))
        lines = dict(
            database.execute(
                "SELECT product_id, sum(quantity) FROM orders_orderline WHERE product_id = ANY(%s) "
                "GROUP BY product_id",
                [products],
            )
        )
        orders = database.execute("SELECT count(*) FROM orders_order").fetchone()[0]
    return stock, {product: int(lines.get(product, 0)) for product in products}, orders


def plot(outcomes: Outcomes, path: Path) -> None:
    seconds = range(SECONDS)
    figure = Figure(figsize=(11, 4.5), layout="constrained")
    rate, latency = figure.subplots(1, 2)
    rate.plot(
        seconds, [sum(int(at) == s for at, *_ in outcomes.placed) for s in seconds], label="orders placed"
    )
    rate.plot(
        seconds,
        [sum(int(at) == s for at in outcomes.refused) for s in seconds],
        label="refused: out of stock",
    )
    rate.set_xlabel("second of the run")
    rate.set_ylabel("per second")
    rate.set_title(f"{BUYERS} buyers, {PRODUCTS} products × {STOCK} units")
    rate.legend()
    latency.ecdf([took for _, took, *_ in outcomes.placed])
    latency.set_xlabel("ms from request to 201 (placed orders)")
    latency.set_ylabel("fraction of orders")
    latency.set_title("Checkout latency")
    figure.suptitle("Checkout through PgBouncer under stock contention")
    figure.savefig(path, dpi=100)


def test_fifty_buyers_on_twenty_hot_products_never_oversell(web, record):
    outcomes = Outcomes()
    started = time.perf_counter()
    buyers = [
        threading.Thread(target=buyer, args=(web, started, outcomes, number), daemon=True)
        for number in range(BUYERS)
    ]
    for thread in buyers:
        thread.start()
    for thread in buyers:
        thread.join(SECONDS + 60)
    wall = time.perf_counter() - started
    stock, on_lines, orders = stock_and_lines(web["primary"], web["products"])
    sold = {product: 0 for product in web["products"]}
    for _, _, product, units in outcomes.placed:
        sold[product] += units
    oversold = {
        product: {"initial": STOCK, "on_order_lines": on_lines[product], "stock_now": stock[product]}
        for product in web["products"]
        if STOCK - on_lines[product] != stock[product] or stock[product] < 0
    }
    latencies = [took for _, took, *_ in outcomes.placed]
    sold_out = (
        max(at for at, *_ in outcomes.placed)
        if outcomes.placed and all(s == 0 for s in stock.values())
        else None
    )

    # Orders a second while there was stock to sell: after the last unit went, only refusals are left.
    selling = sold_out if sold_out is not None else wall
    record(
        "orders_per_second",
        len(outcomes.placed) / selling,
        unit="orders/s",
        note=f"{BUYERS} buyers over {selling:.1f} s of selling; own PostgreSQL via PgBouncer",
    )
    record("refusals_per_second", len(outcomes.refused) / wall, unit="refusals/s", note="out of stock, 422")
    record("checkout_p50_ms", statistics.median(latencies) if latencies else 0.0, unit="ms")
    record("checkout_p99_ms", percentile(latencies, 0.99) if latencies else 0.0, unit="ms")
    record("units_sold", sum(on_lines.values()), unit="units", note=f"of {PRODUCTS * STOCK}")
    if sold_out is not None:
        record("sold_out_after_s", sold_out, unit="s", note="the last unit of the last product")
    record("oversold_products", len(oversold), unit="products", note="must be 0")
    record("unexpected_answers", len(outcomes.unexpected), unit="answers", note="neither 201 nor 422")

    table = Table(
        title=f"Checkout: {BUYERS} buyers, {PRODUCTS} hot products × {STOCK} units, {SECONDS} s, PgBouncer"
    )
    table.add_column("measure")
    table.add_column("value", justify="right")
    for name, value in (
        (
            "orders placed",
            f"{len(outcomes.placed):,} ({len(outcomes.placed) / selling:,.1f}/s while stock lasted)",
        ),
        ("refused, out of stock", f"{len(outcomes.refused):,} ({len(outcomes.refused) / wall:,.1f}/s)"),
        ("checkout p50 / p99", f"{statistics.median(latencies):.1f} / {percentile(latencies, 0.99):.1f} ms"),
        ("units sold (order lines) / told placed", f"{sum(on_lines.values()):,} / {sum(sold.values()):,}"),
        ("all stock gone after", f"{sold_out:.1f} s" if sold_out is not None else "not in this run"),
        ("products oversold", str(len(oversold))),
        ("other answers", str(len(outcomes.unexpected))),
    ):
        table.add_row(name, value)
    console.print(table)
    plot(outcomes, output("checkout.png"))

    assert not outcomes.unexpected, outcomes.unexpected[:5]
    assert not oversold, oversold
    assert orders == len(outcomes.placed), (
        f"{orders} orders in the database, {len(outcomes.placed)} told placed"
    )
    assert on_lines == sold, {"on order lines": on_lines, "told placed": sold}
    assert latencies, "no order was placed"
