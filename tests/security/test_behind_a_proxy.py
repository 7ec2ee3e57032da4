"""Per-client limits behind the real nginx: each client is counted by its own address, not the proxy's.

A real nginx with the cluster's configuration (deploy/nginx/cluster.conf.template, filled as `dukaan
cluster up` fills it) in front of a real `dukaan web` that trusts 127.0.0.1, the address nginx
connects from. Clients connect to nginx from other loopback addresses (127.0.0.2, 127.0.0.3, …), so
nginx sees each as a different client, as it would see buyers and merchants on the internet. The web
process has its own SQLite database, so this runs in the SQLite pass only. Without nginx the tests
are skipped, except under CI=true, where that is a failure.
"""

from __future__ import annotations

import http.client
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import pytest
from django.conf import settings

from tests.processes import cluster_nginx, find_free_port, healthy, stop_process, wait_while_running
from tests.waiting import wait_until

DUKAAN = Path(sys.executable).with_name("dukaan")
READY_SECONDS = 60
CODES_PER_ADDRESS = 3  # OTP_MAX_PER_IP_PER_HOUR
API_CALLS_PER_ADDRESS = 5  # API_RATE_LIMIT_PER_IP
NETWORK_LIMIT = "Too many codes have been asked for from your network."

pytestmark = pytest.mark.skipif(
    settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3",
    reason="the web process runs on its own SQLite database, so this runs in the SQLite pass only",
)

SETUP = """
from dukaan.accounts.models import User
from dukaan.catalog.services import create_store
owner = User.objects.create_user("+919812345601")
create_store(owner=owner, name="Asha", slug="asha", whatsapp="+919812345601")
"""


@dataclass
class Reply:
    status: int
    headers: http.client.HTTPMessage
    text: str


class Client:
    """A browser at one loopback address, talking to nginx: keeps its cookies, follows no redirect."""

    def __init__(self, port: int, address: str) -> None:
        self.port, self.address = port, address
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, *, form: dict | None = None, headers: dict | None = None):
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection = http.client.HTTPConnection(
            "127.0.0.1", self.port, timeout=10, source_address=(self.address, 0)
        )
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            reply = Reply(response.status, response.headers, response.read().decode(errors="replace"))
        finally:
            connection.close()
        for cookie in reply.headers.get_all("Set-Cookie") or []:
            name, value = cookie.split(";", 1)[0].split("=", 1)
            self.cookies[name] = value
        return reply

    def ask_for_code(self, phone: str, headers: dict | None = None) -> Reply:
        page = self.request("GET", "/login/", headers=headers)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
        return self.request(
            "POST", "/login/", form={"phone": phone, "csrfmiddlewaretoken": token}, headers=headers
        )

    def store_api(self, headers: dict | None = None) -> Reply:
        return self.request("GET", "/api/v1/stores/asha", headers=headers)


def phones():
    """A new mobile number each time, so only the per-address limit can refuse a code."""
    for number in range(10_000, 100_000):
        yield f"+9198765{number}"


PHONES = phones()


@pytest.fixture(scope="module")
def web(tmp_path_factory):
    """`dukaan web` on its own SQLite database with one store, trusting the proxy on 127.0.0.1."""
    var = tmp_path_factory.mktemp("web-var")
    env = {
        **os.environ,
        "DUKAAN_VAR_DIR": str(var),
        "SEARCH_URL": f"tantivy://{var / 'search'}",
        "DUKAAN_TRUSTED_PROXIES": "127.0.0.1",
        "OTP_MAX_PER_IP_PER_HOUR": str(CODES_PER_ADDRESS),
        "API_RATE_LIMIT_PER_IP": str(API_CALLS_PER_ADDRESS),
        # One window for the whole run (the next starts in 2033): no count is reset mid-test.
        "API_RATE_LIMIT_WINDOW_SECONDS": str(10**9),
    }
    env.pop("DATABASE_URL", None)
    for command in (["migrate", "--noinput"], ["shell", "-c", SETUP]):
        done = subprocess.run([str(DUKAAN), *command], env=env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr[-3000:]
    port = find_free_port()
    log = var / "web.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [str(DUKAAN), "web", "--port", str(port), "--threads", "4"],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_while_running(process, log, lambda: healthy(port), what="dukaan web", timeout=READY_SECONDS)
        yield port
    finally:
        stop_process(process)


@pytest.fixture(scope="module")
def nginx(web, tmp_path_factory):
    """The cluster's nginx on 127.0.0.1 with `web` as its only web server; yields its port."""
    with cluster_nginx(tmp_path_factory.mktemp("nginx"), [web]) as port:
        wait_until(lambda: healthy(port), what="dukaan web through nginx")
        yield port


def test_one_client_using_up_its_login_codes_does_not_refuse_another_clients_first_code(nginx):
    noisy, other = Client(nginx, "127.0.0.2"), Client(nginx, "127.0.0.3")

    for _ in range(CODES_PER_ADDRESS):
        assert noisy.ask_for_code(next(PHONES)).status == 302  # on to "enter the code"

    first = other.ask_for_code(next(PHONES))
    assert first.status == 302, first.text[:500]
    # The noisy client itself is refused, and naming another address in its own header changes nothing.
    for headers in ({}, {"X-Forwarded-For": "127.0.0.30"}):
        refused = noisy.ask_for_code(next(PHONES), headers)
        assert refused.status == 429
        assert NETWORK_LIMIT in refused.text
        assert int(refused.headers["Retry-After"]) >= 1


def test_one_client_over_the_public_api_limit_does_not_limit_another_client(nginx):
    busy, other = Client(nginx, "127.0.0.4"), Client(nginx, "127.0.0.5")

    for _ in range(API_CALLS_PER_ADDRESS):
        assert busy.store_api().status == 200

    limited = busy.store_api()
    assert limited.status == 429
    assert limited.headers["Content-Type"].startswith("application/problem+json")
    assert int(limited.headers["Retry-After"]) >= 1
    assert other.store_api().status == 200


def test_a_client_naming_another_address_in_x_forwarded_for_is_still_counted_as_itself(nginx):
    spoofer, victim = Client(nginx, "127.0.0.6"), Client(nginx, "127.0.0.7")
    # Each request claims to come from the victim, or from someone new.
    claims = [{"X-Forwarded-For": "127.0.0.7"}, {"X-Forwarded-For": "203.0.113.50, 127.0.0.7"}]

    answers = [spoofer.store_api(claims[number % 2]).status for number in range(API_CALLS_PER_ADDRESS)]
    assert answers == [200] * API_CALLS_PER_ADDRESS

    # The spoofer used up its own limit, not the victim's...
    assert victim.store_api().status == 200
    # ...and cannot escape it by naming a fresh address either.
    assert spoofer.store_api({"X-Forwarded-For": "198.51.100.99"}).status == 429


def test_metrics_are_not_found_through_nginx_but_prometheus_still_scrapes_the_process(nginx, web):
    client = Client(nginx, "127.0.0.8")

    assert client.request("GET", "/metrics").status == 404
    assert client.request("GET", "/metrics", headers={"X-Forwarded-For": "127.0.0.1"}).status == 404
    scrape = http.client.HTTPConnection("127.0.0.1", web, timeout=10)
    try:
        scrape.request("GET", "/metrics")
        answer = scrape.getresponse()
        assert answer.status == 200
        assert b"dukaan_http_requests_total" in answer.read()
    finally:
        scrape.close()
