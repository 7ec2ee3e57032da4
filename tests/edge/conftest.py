"""A real Varnish (deploy/local/varnish.py, deploy/varnish/default.vcl) in front of a live storefront.

`edge_for(server)` starts a Varnish whose backend is `server` (pytest-django's `live_server`, or the
storefront service from `storefront_for(redis)`) and stops it when the test ends; each test gets its
own, so no page cached by one test answers another's. `EDGE_PURGE_URL` is pointed at the last
Varnish started, so the `cache` consumer group purges it. Without `varnishd` the tests are
skipped, except under CI=true, where that is a failure.
"""

from __future__ import annotations

import http.client
import os
import shutil
import time
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest
from django.core.cache import caches

from deploy.local import throwaway, varnish
from dukaan.accounts.models import User
from dukaan.catalog import services
from dukaan.events.local import run_pending
from dukaan.storefront import catalog_cache, consumers
from tests.processes import (  # noqa: F401 (fixtures)
    in_ci,
    own_redis,
    redis_cache,
    redis_server,
    start_storefront,
)
from tests.waiting import wait_until


@dataclass
class Reply:
    status: int
    headers: http.client.HTTPMessage
    text: str

    @property
    def cache(self) -> str:
        return self.headers.get("X-Cache", "")


def _fetch(
    base: str, path: str, *, method: str = "GET", headers: dict | None = None, body: str | None = None
):
    """One request, no redirects followed, no cookies kept: each call is whatever client `headers` say."""
    target = urlsplit(base)
    connection = http.client.HTTPConnection(target.hostname, target.port, timeout=10)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return Reply(response.status, response.headers, response.read().decode(errors="replace"))
    finally:
        connection.close()


@pytest.fixture
def fetch():
    """fetch(base, path, method=, headers=, body=) -> Reply(status, headers, text)."""
    return _fetch


@pytest.fixture
def shop():
    """A store with one product, a brass lamp at ₹250; the set-up's events are handled before any page
    is cached or kept."""
    owner = User.objects.create_user("+919812345671")
    store = services.create_store(owner=owner, name="Edge Store", slug="edge-store", whatsapp=owner.phone)
    product = services.create_product(store=store, name="Brass lamp", price=Decimal("250.00"), stock=10)
    run_pending()
    return store, product


def add_to_cart(base: str, store, product, quantity: int) -> tuple[Reply, str]:
    """Add `product` to a new buyer's cart through `base`: the reply and the buyer's session cookie."""
    body = urlencode({"product": product.pk, "quantity": quantity})
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    added = _fetch(base, f"/s/{store.slug}/cart/add/", method="POST", headers=form, body=body)
    cookies = added.headers.get_all("Set-Cookie") or []
    session = next((c.split(";")[0] for c in cookies if c.startswith("sessionid=")), "")
    return added, session


def until_shown(edge: str, path: str, text: str, *, since: float, what: str, capsys) -> tuple[Reply, float]:
    """Fetch `path` through `edge` until it answers 200 with `text`; print `what` with the milliseconds
    from `since` (a time.monotonic()), and return the reply and those milliseconds."""
    reply = wait_until(
        lambda: (page := _fetch(edge, path)).status == 200 and text in page.text and page,
        what=what,
        timeout=5,
        poll=0.01,
    )
    delay_ms = (time.monotonic() - since) * 1000
    with capsys.disabled():
        print(f"\n{what} in {delay_ms:.1f} ms")
    return reply, delay_ms


@pytest.fixture(autouse=True)
def cold_catalog_cache(settings):
    caches[settings.CATALOG_CACHE_ALIAS].clear()
    catalog_cache.breaker.reset()
    consumers.edge_breaker.reset()
    yield
    consumers.edge_breaker.reset()


@pytest.fixture
def edge_for(settings):
    if not (shutil.which("varnishd") or os.access("/usr/sbin/varnishd", os.X_OK)):
        message = "varnishd is not installed (apt-get install -y varnish varnish-modules)"
        if in_ci():
            pytest.fail(message + "; under CI=true the edge tests must run")
        pytest.skip(message)
    started: list[Path] = []

    def start(server, *, grace: int = 60) -> str:
        address = urlsplit(server.url)
        host = "127.0.0.1" if address.hostname == "localhost" else address.hostname
        # A new temporary directory (varnishd's workers, not root, must reach it; pytest's tmp_path is 0700).
        state = varnish.start(f"{host}:{address.port}", None, grace)
        started.append(Path(state["dir"]))
        settings.EDGE_PURGE_URL = state["url"]
        return state["url"]

    yield start
    for folder in started:
        throwaway.stop(varnish.VarnishDir(folder))


@pytest.fixture
def storefront_for(tmp_path):
    """storefront_for(redis, workers=1, env={}) -> a running `dukaan storefront` on that Redis and this
    test's database (transactional tests only: it is another process); stopped when the test ends."""
    started = []

    def start(redis, *, workers: int = 1, env: dict | None = None):
        server = start_storefront(tmp_path, cache_url=redis.url, workers=workers, env=env)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()
