"""The primary database goes down under a running `dukaan web` with a streaming replica.

Store pages keep answering from the replica (also for a client that just wrote), checkout answers
503 with Retry-After and says nothing was saved, /readyz stays 200 but says degraded; once the
primary is back nothing was half-written and checkout works again. A real primary + replica
(deploy/local/postgres.py); without PostgreSQL the test is skipped, except under CI=true.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
import requests

from tests.local_servers.pair import running_pair
from tests.processes import find_free_port
from tests.waiting import wait_until

DUKAAN = Path(sys.executable).with_name("dukaan")
MESSAGE = "We could not save that just now. Nothing was saved or charged. Please try again in a minute."

SETUP = """
import json
from decimal import Decimal
from dukaan.accounts.models import User
from dukaan.catalog import services
owner = User.objects.create_user("+919812345601")
store = services.create_store(owner=owner, name="Asha", slug="asha-store", whatsapp="+919812345601")
product = services.create_product(store=store, name="Steel tiffin", price=Decimal("250.00"), stock=3)
print(json.dumps({"slug": store.slug, "product": product.pk}))
"""


NOT_YET = (requests.RequestException, psycopg.Error)  # a server that does not answer yet


@pytest.fixture(scope="module")
def pair():
    with running_pair("the primary-down test") as started:
        yield started


@pytest.fixture(scope="module")
def web(pair, tmp_path_factory):
    var = tmp_path_factory.mktemp("var")
    port = find_free_port()
    env = {
        **os.environ,
        "DATABASE_URL": pair.primary,
        "DATABASE_REPLICA_URLS": pair.replica,
        "DB_REPLICA_CHECK_SECONDS": "0.2",
        "DB_UNAVAILABLE_RETRY_AFTER_SECONDS": "30",
        "CACHE_URL": "dummy://",  # every page reads the database, so the test sees which one
        "DUKAAN_VAR_DIR": str(var),
        "DUKAAN_DEBUG": "false",
        "SEARCH_URL": f"tantivy://{var / 'search'}",
    }
    for command in (["migrate", "--noinput"], ["collectstatic", "--noinput"], ["shell", "-c", SETUP]):
        done = subprocess.run([str(DUKAAN), *command], env=env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr[-3000:]
    created = json.loads(done.stdout.strip().splitlines()[-1])
    log = (var / "web.log").open("wb")
    process = subprocess.Popen(
        [str(DUKAAN), "web", "--port", str(port), "--threads", "4"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    wait_until(
        lambda: requests.get(f"{url}/healthz", timeout=2).ok, what="dukaan web", timeout=60, ignoring=NOT_YET
    )
    yield {"url": url, "pair": pair, **created}
    process.terminate()
    process.wait(timeout=15)
    log.close()


def form_fields(html: str) -> dict:
    return dict(re.findall(r'name="(csrfmiddlewaretoken|idempotency_key)" value="([^"]+)"', html))


def orders_and_stock(primary: str, product: int) -> tuple[int, int]:
    with psycopg.connect(primary, autocommit=True) as connection:
        orders = connection.execute("SELECT count(*) FROM orders_order").fetchone()[0]
        stock = connection.execute("SELECT stock FROM catalog_product WHERE id = %s", [product]).fetchone()[0]
    return orders, stock


def test_with_the_primary_down_pages_read_the_replica_checkout_answers_503_and_nothing_is_half_written(web):
    url, slug, pair = web["url"], web["slug"], web["pair"]
    primary = pair.primary
    store_page = f"{url}/s/{slug}/"
    buyer = requests.Session()
    product_page = buyer.get(f"{url}/s/{slug}/p/{web['product']}/", timeout=5)
    assert product_page.status_code == 200
    added = buyer.post(
        f"{url}/s/{slug}/cart/add/",
        data={"product": web["product"], "quantity": 1, **form_fields(product_page.text)},
        headers={"Referer": product_page.url},
        timeout=5,
    )
    assert added.status_code == 200 and "dukaan_wrote" in buyer.cookies, added.status_code
    # The PIN code first: the checkout shows the rest of its form once the shop delivers there.
    pin_step = buyer.get(f"{url}/s/{slug}/checkout/", timeout=5)
    checkout_page = buyer.post(
        f"{url}/s/{slug}/cart/pin/",
        data={"pin_code": "560038", "next": "checkout", **form_fields(pin_step.text)},
        headers={"Referer": pin_step.url},
        timeout=5,
    )
    checkout_form = {
        "name": "Meera Iyer",
        "phone": "98123 45699",
        "address": "12, 3rd Cross, Indiranagar, Bengaluru",
        "pin_code": "560038",
        "payment_method": "cod",
        **form_fields(checkout_page.text),
    }
    assert set(checkout_form) >= {"csrfmiddlewaretoken", "idempotency_key"}

    # The primary goes away at once, as in a crash (SIGQUIT is pg_ctl's "immediate" stop).
    os.kill(pair.state["primary"]["pid"], signal.SIGQUIT)
    ready = wait_until(
        lambda: (r := requests.get(f"{url}/readyz", timeout=5)).json().get("status") == "degraded" and r,
        what="readyz to say degraded",
        timeout=20,
        ignoring=NOT_YET,
    )
    assert ready.status_code == 200 and ready.json()["reads_from"] == ["replica_0"]
    # readyz found the primary gone itself; the replica monitor (every 0.5 s) decides the routing.
    wait_until(
        lambda: "dukaan_primary_up 0.0" in requests.get(f"{url}/metrics", timeout=5).text,
        what="the replica monitor to see the primary down",
        timeout=20,
        ignoring=NOT_YET,
    )

    anonymous = requests.get(store_page, timeout=5)
    assert anonymous.status_code == 200
    assert anonymous.headers["X-Dukaan-Reads"] == "replica_0"
    just_wrote = buyer.get(store_page, timeout=5)
    assert just_wrote.status_code == 200
    assert just_wrote.headers["X-Dukaan-Reads"] == "replica_0"

    refused = buyer.post(
        f"{url}/s/{slug}/checkout/", data=checkout_form, headers={"Referer": checkout_page.url}, timeout=10
    )
    assert refused.status_code == 503
    assert refused.headers["Retry-After"] == "30"
    assert MESSAGE in refused.text

    pair.start()
    wait_until(
        lambda: (
            requests.get(f"{url}/readyz", timeout=5).status_code == 200
            and requests.get(f"{url}/readyz", timeout=5).json()["status"] == "ready"
        ),
        what="readyz to say ready",
        timeout=20,
        ignoring=NOT_YET,
    )
    assert orders_and_stock(primary, web["product"]) == (0, 3)

    placed = buyer.post(
        f"{url}/s/{slug}/checkout/",
        data=checkout_form,
        headers={"Referer": checkout_page.url},
        timeout=10,
        allow_redirects=False,
    )
    assert placed.status_code == 302, placed.text[-2000:]
    assert "/o/" in placed.headers["Location"]
    assert orders_and_stock(primary, web["product"]) == (1, 2)
