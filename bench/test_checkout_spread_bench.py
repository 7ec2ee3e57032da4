"""Checkout spread over 100 stores: the checkout bench's buyers, each order in a store chosen at random.

The same server, load and checks as bench/test_checkout_bench.py (`make bench BENCH=checkout_spread`):
50 buyers through PgBouncer, every order with the zone's fee, GST and the coupon RUSH10, which each store
has with its own limits; afterwards the database is read directly and any oversell, coupon use past a
store's or a phone's limit, or answer other than 201, 409 or 422, fails the bench. Stores do not share
an order counter, a coupon or products, so what one store's orders queue on (its counter row, its
coupon row, its hot products) no longer sets the rate: the machine does.
"""

from __future__ import annotations

import pytest

from bench.test_checkout_bench import BUYERS, COUPON, SECONDS, STOCK, bouncer, checkout_server, run_checkout

pytestmark = pytest.mark.bench

__all__ = ["bouncer"]  # the PostgreSQL + PgBouncer fixture, shared with the hot-store bench

STORES = 100
PRODUCTS = 5  # a store: with 100 of them, the buyers seldom meet on a product
# This bench is new with issue 23: its figures before the work, this bench run against the code of
# a8c47c2 on 2026-12-06 in a window shared with other benches (docs/benchmarks/checkout.md): a
# depressed figure, to be replaced by one from a quiet machine.
BEFORE = "this bench on the code before issue 23 (a8c47c2), QUICK, loaded machine, 2026-12-06"
SPREAD_BEFORE = {"orders_per_second": 13.45, "checkout_p99_ms": 4663.0}


@pytest.fixture(scope="module")
def web(bouncer, tmp_path_factory):
    """`dukaan web` on PgBouncer with STORES stores."""
    with checkout_server(
        bouncer, tmp_path_factory.mktemp("checkout-spread-var"), stores=STORES, products=PRODUCTS
    ) as served:
        yield served


def test_fifty_buyers_over_a_hundred_stores_never_oversell(web, record):
    run_checkout(
        web,
        record,
        title=f"Checkout spread: {BUYERS} buyers over {STORES} stores × {PRODUCTS} products × {STOCK} "
        f"units, {SECONDS} s, PgBouncer; zone fee, GST, {COUPON} in every store",
        targets={"orders_per_second": 500, "checkout_p99_ms": 250},
        before=SPREAD_BEFORE,
        before_note=BEFORE,
    )
