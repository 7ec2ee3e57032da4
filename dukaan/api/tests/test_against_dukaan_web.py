"""The API as an integrator meets it: a real `dukaan web` (granian), and a client generated from the
checked-in docs/openapi.json by openapi-python-client.

The web process has its own SQLite database with one store, a product and a token, so this runs in
the SQLite pass only.
"""

from __future__ import annotations

import http.client
import importlib
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.conf import settings

from dukaan.api.openapi import CHECKED_IN
from tests.processes import find_free_port, healthy, stop_process, wait_while_running

DUKAAN = Path(sys.executable).with_name("dukaan")
READY_SECONDS = 60
TRIES = 30  # a connection dropped after a 413 failed the next request 10 times in 30

pytestmark = pytest.mark.skipif(
    settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3",
    reason="the web process runs on its own SQLite database, so this runs in the SQLite pass only",
)

SETUP = """
import json
from decimal import Decimal
from dukaan.accounts.models import User
from dukaan.accounts.scopes import Scope
from dukaan.accounts.services import create_api_token
from dukaan.catalog import services
owner = User.objects.create_user("+919812345601")
store = services.create_store(owner=owner, name="Asha", slug="asha", whatsapp="+919812345601")
product = services.create_product(store=store, name="Steel tiffin", price=Decimal("250.00"), stock=5)
print(json.dumps({"token": create_api_token(store=store, name="POS", scopes=Scope)[1]}))
"""


@pytest.fixture(scope="module")
def web(tmp_path_factory):
    """`dukaan web` on a free port; yields its port and the store's API token."""
    var = tmp_path_factory.mktemp("web-var")
    env = {**os.environ, "DUKAAN_VAR_DIR": str(var), "SEARCH_URL": f"tantivy://{var / 'search'}"}
    env.pop("DATABASE_URL", None)
    for command in (["migrate", "--noinput"], ["shell", "-c", SETUP]):
        done = subprocess.run([str(DUKAAN), *command], env=env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr[-3000:]
    token = json.loads(done.stdout.strip().splitlines()[-1])["token"]
    port = find_free_port()
    log = var / "web.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [str(DUKAAN), "web", "--port", str(port), "--threads", "2"],
            env={**env, "DUKAAN_MAX_REQUEST_BYTES": str(256 * 1024)},
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_while_running(process, log, lambda: healthy(port), what="dukaan web", timeout=READY_SECONDS)
        yield {"port": port, "token": token}
    finally:
        stop_process(process)


# --- A keep-alive connection after a 413 --------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "size"),
    [
        ("/api/v1/stores/asha/cart/quote", 100 * 1024),  # over API_MAX_BODY_BYTES (64 KB)
        ("/s/asha/cart/add/", 300 * 1024),  # over DUKAAN_MAX_REQUEST_BYTES, set to 256 KB above
    ],
)
def test_after_a_413_the_next_request_on_a_keep_alive_connection_is_answered(web, path, size):
    for _ in range(TRIES):
        connection = http.client.HTTPConnection("127.0.0.1", web["port"], timeout=10)
        try:
            connection.request(
                "POST", path, body=b"{" + b" " * size + b"}", headers={"Content-Type": "application/json"}
            )
            refused = connection.getresponse()
            refused.read()
            assert refused.status == 413
            # The rest of the body is never read, so the server says it closes; the client then
            # sends its next request on a new connection instead of on a dropped one.
            assert refused.getheader("Connection") == "close"
            connection.request("GET", "/api/v1/stores/asha")
            following = connection.getresponse()
            following.read()
            assert following.status == 200
        finally:
            connection.close()


# --- A client generated from docs/openapi.json ------------------------------------------------------


@pytest.fixture(scope="session")
def generated(tmp_path_factory):
    """The client package openapi-python-client makes of the checked-in document, imported."""
    folder = tmp_path_factory.mktemp("generated")
    made = subprocess.run(
        [
            str(Path(sys.executable).with_name("openapi-python-client")),
            "generate",
            "--path",
            str(CHECKED_IN),
            "--output-path",
            str(folder / "dukaan_client"),
            "--meta",
            "none",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert made.returncode == 0, made.stdout[-3000:] + made.stderr[-3000:]
    sys.path.insert(0, str(folder))
    try:
        yield importlib.import_module("dukaan_client")
    finally:
        sys.path.remove(str(folder))


def test_a_generated_client_walks_from_the_catalog_to_an_accepted_order(web, generated):
    from dukaan_client import AuthenticatedClient, Client
    from dukaan_client.api.merchant import get_order, get_product, list_orders, me, set_order_status
    from dukaan_client.api.store_public import create_order, order_status, quote, store_products
    from dukaan_client.models import (
        BuyerIn,
        LineIn,
        OrderStatus,
        OrderStatusIn,
        PaymentMethod,
        PlaceOrderIn,
        Problem,
        QuoteIn,
    )

    base_url = f"http://127.0.0.1:{web['port']}"
    merchant = AuthenticatedClient(base_url=base_url, token=web["token"])
    buyer = Client(base_url=base_url)

    slug = me.sync(client=merchant).store.slug
    (product,) = store_products.sync(slug, client=buyer).items
    assert product.name == "Steel tiffin"

    line = LineIn(product_id=product.id, quantity=2, seen_price=product.price)
    priced = quote.sync(slug, client=buyer, body=QuoteIn(lines=[line]))
    assert (priced.ok, priced.total) == (True, "500.00")

    details = BuyerIn(name="Ravi Kumar", phone="+91 98123 00001", address="14 MG Road", pin_code="560038")
    order = create_order.sync(
        slug,
        client=buyer,
        body=PlaceOrderIn(lines=[line], buyer=details, payment_method=PaymentMethod.COD),
        idempotency_key=str(uuid.uuid4()),
    )
    assert order.status == OrderStatus.PLACED
    assert order_status.sync(slug, order.token, client=buyer).total == "500.00"

    (listed,) = list_orders.sync(client=merchant, status=OrderStatus.PLACED).items
    accepted = set_order_status.sync(
        listed.id, client=merchant, body=OrderStatusIn(status=OrderStatus.ACCEPTED)
    )
    assert accepted.status == OrderStatus.ACCEPTED
    assert get_order.sync(listed.id, client=merchant).buyer.name == "Ravi Kumar"

    # Errors arrive as the declared Problem.
    missing = get_product.sync(product.id + 1000, client=merchant)
    assert isinstance(missing, Problem) and missing.status == 404
    too_many = quote.sync(
        slug, client=buyer, body=QuoteIn(lines=[LineIn(product_id=product.id, quantity=101)])
    )
    assert isinstance(too_many, Problem) and too_many.status == 422
    assert [error.field for error in too_many.errors] == ["lines[0].quantity"]
