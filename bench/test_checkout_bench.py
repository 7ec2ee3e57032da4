"""Checkout under stock and coupon contention: 50 buyers at once on 20 hot products, through PgBouncer.

A PostgreSQL primary with PgBouncer in transaction pooling in front (deploy/local/postgres.py, no
replica), a real `dukaan web` (granian) on it through PgBouncer, and one store set up as a shopkeeper
would, through the services: 20 products with STOCK units each, a delivery zone over the buyers' PIN
codes with its fee, GST registration (prices include 5 %), and the coupon RUSH10 (10 % off) with fewer
uses than the orders the stock allows and a limit per buyer phone. Then BUYERS threads, each its own
keep-alive HTTP session, phone and PIN code in the zone, place orders through the buyer API
(`POST /api/v1/stores/<slug>/orders`, the web checkout's own `place_order`) as fast as they are
answered for SECONDS: one line, a random hot product, 1 to 3 units, the coupon code and the total the
API quoted for that cart (`expected_total`).

When the code cannot be used any more the order is refused with nothing saved, and the buyer does what
the answer says: a 409 (the code was used up before the order was priced: the total changed) gives the
new total to send with the same code; a 422 (the last uses went to racing orders, or this phone used
its share) says to remove the code. Stock runs out during the run, so later orders are refused (422,
nothing saved). Reported: orders a second while stock lasted, next to the figure before delivery fees,
coupons and GST; refusals; checkout latency p50/p99 of the requests that placed an order; when the
last stock went. After the run the database is read directly: for every product, initial stock −
units on order lines = stock now ≥ 0, and the units on order lines = the units of the orders the
buyers were told were placed; the coupon's used_count ≤ its limit and equals its CouponUse rows,
which are exactly the orders carrying the code (the ones the buyers were told), no phone over its
limit; every order has the zone's fee. Any oversell, over-used coupon, or answer other than 201, 409
or 422, fails the bench.

Runs in the PostgreSQL pass of `make bench` (on SQLite it is skipped: there is no PgBouncer to go
through and one writer at a time). The load generator shares the machine's cores with the server.
"""

from __future__ import annotations

import json
import math
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
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
ZONE, ZONE_PINS, ZONE_FEE, FLAT_FEE = "Bengaluru", "560001-560099", "40.00", "80.00"
COUPON = "RUSH10"
# About half the orders the stock allows (2 units an order on average) get the code; a phone may use
# it a little more than its even share, so the fastest buyers meet the per-phone limit first.
COUPON_USES = PRODUCTS * STOCK // 4
PER_PHONE = COUPON_USES // BUYERS + 1
# `make bench` of 2026-11-24 (commit cca8132, docs/benchmarks/results.json then): the same load before
# orders had delivery fees, coupons and GST.
BEFORE_ORDERS_PER_SECOND = 44.8375

SETUP = """
import json
from decimal import Decimal
from dukaan.accounts.models import User
from dukaan.catalog import services
from dukaan.promotions.services import CouponInput, create_coupon
from dukaan.shipping.rules import DeliverySetup, ZoneSetup
from dukaan.shipping.services import save_delivery_settings
from dukaan.taxes.services import save_tax_settings
owner = User.objects.create_user("+919812340050")
store = services.create_store(owner=owner, name="Rush Hour", slug="rush-hour", whatsapp="+919812340050")
products = [
    services.create_product(store=store, name=f"Hot item {{number}}", price=Decimal("{price}"), stock={stock})
    for number in range({products})
]
zone = ZoneSetup(name="{zone}", pins="{zone_pins}", fee=Decimal("{zone_fee}"))
delivery = DeliverySetup(
    flat_fee=Decimal("{flat_fee}"), free_above=None, cod_enabled=True, cod_fee=Decimal("0"),
    cod_max_order=None, blocked="", zones=(zone,),
)
save_delivery_settings(store=store, setup=delivery)
save_tax_settings(
    store=store, gstin="29ABCDE1234F1ZW", state_code="29", prices_include_tax=True,
    legal_name="Rush Hour Traders", address="12 MG Road, Bengaluru 560001",
    default_hsn="6109", default_rate=Decimal("5"),
)
coupon = CouponInput(
    code="{coupon}", kind="percent", value=Decimal("10"), max_uses={uses}, per_phone_limit={per_phone}
)
create_coupon(store=store, data=coupon)
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
    """`dukaan web` on PgBouncer, migrated and set up through the primary; its url, the store and the
    totals it quotes for 1 to MAX_UNITS units, with the coupon and without."""
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
    setup = SETUP.format(
        price=PRICE,
        stock=STOCK,
        products=PRODUCTS,
        zone=ZONE,
        zone_pins=ZONE_PINS,
        zone_fee=ZONE_FEE,
        flat_fee=FLAT_FEE,
        coupon=COUPON,
        uses=COUPON_USES,
        per_phone=PER_PHONE,
    )
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
        quotes = {
            (units, code): quoted(url, store, units, code)
            for units in range(1, MAX_UNITS + 1)
            for code in (COUPON, None)
        }
        yield {"url": url, "primary": bouncer["primary"]["url"], "totals": quotes, **store}
    finally:
        process.terminate()
        process.wait(timeout=15)


def answers(url: str) -> bool:
    try:
        return requests.get(f"{url}/healthz", timeout=2).ok
    except requests.RequestException:
        return False


def quoted(url: str, store: dict, units: int, code: str | None) -> str:
    """The total the API quotes a buyer in the zone for `units` of a hot product, paying on delivery."""
    body = {
        "lines": [{"product_id": store["products"][0], "quantity": units, "seen_price": PRICE}],
        "pin_code": "560001",
        "coupon_code": code,
        "payment_method": "cod",
    }
    answer = requests.post(f"{url}/api/v1/stores/{store['slug']}/cart/quote", json=body, timeout=30)
    assert answer.status_code == 200, answer.text
    quote = answer.json()
    assert quote["ok"], quote
    assert quote["delivery"]["zone"] == ZONE and quote["delivery"]["fee"] == ZONE_FEE, quote["delivery"]
    assert quote["coupon_code"] == (code or ""), quote
    assert Decimal(quote["cgst"]) > 0, "the store is registered for GST: the quote charges CGST + SGST"
    return quote["total"]


@dataclass
class Outcomes:
    """What the buyers were told: placed orders (at, ms, product, units, total, with the coupon),
    refusals for stock (at), refusals for the code (at, why), anything else."""

    placed: list[tuple[float, float, int, int, Decimal, bool]] = field(default_factory=list)
    refused: list[float] = field(default_factory=list)
    code_refused: list[tuple[float, str]] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def code_refusal(answer: requests.Response) -> str:
    """Why an order with the code was refused for the code, or "" when it was not."""
    problem = answer.json() if answer.status_code in (409, 422) else {}
    kind, detail = problem.get("type", ""), problem.get("detail", "")
    if kind.endswith("prices-changed") and not problem["quote"]["coupon_code"]:
        return "used up before pricing (409, new total)"
    if kind.endswith("checkout-refused") and "Remove the code" in detail:
        return "last uses raced (422)" if "maximum number" in detail else "phone's limit (422)"
    return ""


def order_body(seed: int, product: int, units: int, code: str | None, total: str) -> dict:
    """Buyer `seed`'s order: its own phone, a PIN code in the zone, cash on delivery."""
    return {
        "lines": [{"product_id": product, "quantity": units, "seen_price": PRICE}],
        "buyer": {
            "name": f"Buyer {seed}",
            "phone": f"+9198123{seed:05d}",
            "address": "12 MG Road, Bengaluru",
            "pin_code": f"{560001 + seed}",
        },
        "payment_method": "cod",
        "coupon_code": code,
        "expected_total": total,
    }


def buyer(web: dict, started: float, outcomes: Outcomes, seed: int) -> None:
    """One buyer's session: order after order until SECONDS after `started`. Each order sends the
    coupon code and its quoted total; refused for the code, the buyer orders again as the answer says."""
    chance = random.Random(seed)
    orders = f"{web['url']}/api/v1/stores/{web['slug']}/orders"
    with requests.Session() as session:
        while time.perf_counter() - started < SECONDS:
            product, units = chance.choice(web["products"]), chance.randint(1, MAX_UNITS)
            code, total = COUPON, web["totals"][units, COUPON]
            for _ in range(3):  # the order, and at most two tries as the answers say
                body = order_body(seed, product, units, code, total)
                sent = time.perf_counter()
                try:
                    answer = session.post(
                        orders, json=body, headers={"Idempotency-Key": str(uuid.uuid4())}, timeout=30
                    )
                except requests.RequestException as error:
                    with outcomes.lock:
                        outcomes.unexpected.append(f"{type(error).__name__}: {error}")
                    break
                took_ms = (time.perf_counter() - sent) * 1000
                at = time.perf_counter() - started
                why = code_refusal(answer) if code else ""
                with outcomes.lock:
                    if answer.status_code == 201:
                        placed = answer.json()
                        outcomes.placed.append(
                            (
                                at,
                                took_ms,
                                product,
                                units,
                                Decimal(placed["total"]),
                                placed["coupon_code"] == COUPON,
                            )
                        )
                    elif why:
                        outcomes.code_refused.append((at, why))
                    elif answer.status_code == 422 and answer.json().get("type", "").endswith(
                        "checkout-refused"
                    ):
                        outcomes.refused.append(at)
                    else:
                        outcomes.unexpected.append(f"HTTP {answer.status_code}: {answer.text[:300]}")
                if not why:
                    break
                if answer.status_code == 409:  # the code no longer applies: the same order at its new total
                    total = answer.json()["quote"]["total"]
                else:  # "Remove the code to place the order without it."
                    code, total = None, web["totals"][units, None]


@dataclass
class Database:
    """After the run, read from the primary: per product, stock now and units on order lines; the
    orders; and the coupon's counters and uses."""

    stock: dict[int, int]
    on_lines: dict[int, int]
    orders: int
    totals: Decimal
    off_zone: int  # orders without the zone's delivery fee
    used_count: int
    uses: dict[int, str]  # order id → phone, of the CouponUse rows not given back
    phone_counts: dict[str, int]  # CouponPhoneUses
    with_code: dict[int, str]  # order id → phone, of the orders carrying the code


def read_database(primary: str, products: list[int]) -> Database:
    with psycopg.connect(primary, autocommit=True) as database:
        stock = dict(database.execute("SELECT id, stock FROM catalog_product WHERE id = ANY(%s)", [products]))
        lines = dict(
            database.execute(
                "SELECT product_id, sum(quantity) FROM orders_orderline WHERE product_id = ANY(%s) "
                "GROUP BY product_id",
                [products],
            )
        )
        orders, totals, off_zone = database.execute(
            "SELECT count(*), coalesce(sum(total), 0), "
            "count(*) FILTER (WHERE delivery_fee <> %s OR delivery_zone <> %s) FROM orders_order",
            [Decimal(ZONE_FEE), ZONE],
        ).fetchone()
        coupon, used_count = database.execute(
            "SELECT id, used_count FROM promotions_coupon WHERE code = %s", [COUPON]
        ).fetchone()
        uses = dict(
            database.execute(
                "SELECT order_id, phone FROM promotions_couponuse "
                "WHERE coupon_id = %s AND released_at IS NULL",
                [coupon],
            )
        )
        phone_counts = dict(
            database.execute(
                "SELECT phone, count FROM promotions_couponphoneuses WHERE coupon_id = %s", [coupon]
            )
        )
        with_code = dict(
            database.execute("SELECT id, buyer_phone FROM orders_order WHERE coupon_code = %s", [COUPON])
        )
    return Database(
        stock=stock,
        on_lines={product: int(lines.get(product, 0)) for product in products},
        orders=orders,
        totals=totals,
        off_zone=off_zone,
        used_count=used_count,
        uses=uses,
        phone_counts=phone_counts,
        with_code=with_code,
    )


def plot(outcomes: Outcomes, wall: float, path: Path) -> None:
    seconds = range(math.ceil(wall))  # the orders in flight at SECONDS, and their second tries, finish after
    figure = Figure(figsize=(11, 4.5), layout="constrained")
    rate, latency = figure.subplots(1, 2)
    for label, times in (
        (f"placed with {COUPON}", [at for at, *_, coupon in outcomes.placed if coupon]),
        ("placed without the code", [at for at, *_, coupon in outcomes.placed if not coupon]),
        ("refused: out of stock", outcomes.refused),
        ("refused: the code ran out", [at for at, _ in outcomes.code_refused]),
    ):
        rate.plot(seconds, [sum(int(at) == s for at in times) for s in seconds], label=label)
    rate.set_xlabel("second of the run")
    rate.set_ylabel("per second")
    rate.set_title(f"{BUYERS} buyers, {PRODUCTS} products × {STOCK} units, {COUPON} × {COUPON_USES}")
    rate.legend()
    latency.ecdf([took for _, took, *_ in outcomes.placed])
    latency.set_xlabel("ms from request to 201 (placed orders)")
    latency.set_ylabel("fraction of orders")
    latency.set_title("Checkout latency")
    figure.suptitle(
        "Checkout through PgBouncer with a delivery zone, GST and a coupon, under stock contention"
    )
    figure.savefig(path, dpi=100)


def test_fifty_buyers_on_twenty_hot_products_with_a_coupon_never_oversell(web, record):
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
    found = read_database(web["primary"], web["products"])
    stock, on_lines = found.stock, found.on_lines
    sold = {product: 0 for product in web["products"]}
    for _, _, product, units, *_ in outcomes.placed:
        sold[product] += units
    oversold = {
        product: {"initial": STOCK, "on_order_lines": on_lines[product], "stock_now": stock[product]}
        for product in web["products"]
        if STOCK - on_lines[product] != stock[product] or stock[product] < 0
    }
    with_coupon = sum(coupon for *_, coupon in outcomes.placed)
    phones = Counter(found.uses.values())
    over_used = max(0, found.used_count - COUPON_USES) + sum(
        max(0, count - PER_PHONE) for count in [*phones.values(), *found.phone_counts.values()]
    )
    why_refused = Counter(why for _, why in outcomes.code_refused)
    latencies = [took for _, took, *_ in outcomes.placed]
    sold_out = (
        max(at for at, *_ in outcomes.placed)
        if outcomes.placed and all(s == 0 for s in stock.values())
        else None
    )

    # Orders a second while there was stock to sell: after the last unit went, only refusals are left.
    selling = sold_out if sold_out is not None else wall
    rate = len(outcomes.placed) / selling
    record(
        "orders_per_second",
        rate,
        unit="orders/s",
        note=f"{BUYERS} buyers over {selling:.1f} s of selling; own PostgreSQL via PgBouncer; "
        "a delivery zone, GST and a coupon on every order",
    )
    record(
        "orders_per_second_before",
        BEFORE_ORDERS_PER_SECOND,
        unit="orders/s",
        note="make bench of 2026-11-24 (cca8132): the same load before delivery fees, coupons and GST",
    )
    record.ratio("orders_vs_before", "orders_per_second", "orders_per_second_before")
    record("refusals_per_second", len(outcomes.refused) / wall, unit="refusals/s", note="out of stock, 422")
    record("checkout_p50_ms", statistics.median(latencies) if latencies else 0.0, unit="ms")
    record("checkout_p99_ms", percentile(latencies, 0.99) if latencies else 0.0, unit="ms")
    record("units_sold", sum(on_lines.values()), unit="units", note=f"of {PRODUCTS * STOCK}")
    if sold_out is not None:
        record("sold_out_after_s", sold_out, unit="s", note="the last unit of the last product")
    record("oversold_products", len(oversold), unit="products", note="must be 0")
    record(
        "coupon_uses", found.used_count, unit="uses", note=f"of {COUPON_USES}, at most {PER_PHONE} a phone"
    )
    record(
        "coupon_uses_over_limits", over_used, unit="uses", note="past the total or a phone's limit; must be 0"
    )
    record(
        "coupon_refusals",
        len(outcomes.code_refused),
        unit="orders",
        note="refused for the code, nothing saved: "
        + ", ".join(f"{n} {why}" for why, n in why_refused.items()),
    )
    record("unexpected_answers", len(outcomes.unexpected), unit="answers", note="neither 201, 409 nor 422")

    table = Table(
        title=f"Checkout: {BUYERS} buyers, {PRODUCTS} hot products × {STOCK} units, {SECONDS} s, PgBouncer; "
        f"zone fee ₹{ZONE_FEE}, GST 5 % included, {COUPON} 10 % off × {COUPON_USES} uses, {PER_PHONE} a phone"
    )
    table.add_column("measure")
    table.add_column("value", justify="right")
    for name, value in (
        (
            "orders placed",
            f"{len(outcomes.placed):,} ({rate:,.1f}/s while stock lasted, "
            f"{rate / BEFORE_ORDERS_PER_SECOND:.2f}× the {BEFORE_ORDERS_PER_SECOND:.1f}/s before)",
        ),
        (f"  with {COUPON} / without", f"{with_coupon:,} / {len(outcomes.placed) - with_coupon:,}"),
        ("refused, out of stock", f"{len(outcomes.refused):,} ({len(outcomes.refused) / wall:,.1f}/s)"),
        ("refused for the code, nothing saved", f"{len(outcomes.code_refused):,}"),
        *((f"  {why}", f"{n:,}") for why, n in sorted(why_refused.items())),
        ("checkout p50 / p99", f"{statistics.median(latencies):.1f} / {percentile(latencies, 0.99):.1f} ms"),
        ("units sold (order lines) / told placed", f"{sum(on_lines.values()):,} / {sum(sold.values()):,}"),
        ("all stock gone after", f"{sold_out:.1f} s" if sold_out is not None else "not in this run"),
        ("products oversold", str(len(oversold))),
        (
            f"{COUPON} used_count / CouponUse rows / orders with it / limit",
            f"{found.used_count} / {len(found.uses)} / {len(found.with_code)} / {COUPON_USES}",
        ),
        ("most uses by one phone / limit", f"{max(phones.values(), default=0)} / {PER_PHONE}"),
        ("coupon uses over a limit", str(over_used)),
        ("orders without the zone's fee", str(found.off_zone)),
        ("other answers", str(len(outcomes.unexpected))),
    ):
        table.add_row(name, value)
    console.print(table)
    plot(outcomes, wall, output("checkout.png"))

    assert not outcomes.unexpected, outcomes.unexpected[:5]
    assert not oversold, oversold
    assert found.orders == len(outcomes.placed), (
        f"{found.orders} orders in the database, {len(outcomes.placed)} told placed"
    )
    assert on_lines == sold, {"on order lines": on_lines, "told placed": sold}
    assert found.totals == sum(total for *_, total, _ in outcomes.placed), (
        "order totals differ from those told"
    )
    assert over_used == 0, {"used_count": found.used_count, "per phone": phones}
    assert found.used_count == len(found.uses) == with_coupon, (
        found.used_count,
        len(found.uses),
        with_coupon,
    )
    assert found.uses == found.with_code, "the coupon's uses are not exactly the orders carrying it"
    assert dict(phones) == {phone: n for phone, n in found.phone_counts.items() if n}, "per-phone counters"
    assert found.off_zone == 0, f"{found.off_zone} orders without the {ZONE} fee of {ZONE_FEE}"
    assert latencies, "no order was placed"
