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
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.core.cache import caches

from deploy.local import throwaway, varnish
from dukaan.storefront import catalog_cache, consumers
from tests.processes import (  # noqa: F401 (fixtures)
    in_ci,
    own_redis,
    redis_cache,
    redis_server,
    start_storefront,
)


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
