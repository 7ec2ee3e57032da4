"""HTTPS for a custom domain, end to end on loopback: the app (Django's live server), our DNS server
(deploy/local/dns_server.py), Pebble (Let's Encrypt's ACME test server) and Caddy with on-demand TLS
(deploy/local/caddy.py, deploy/caddy/Caddyfile).

A domain the shopkeeper just verified gets a certificate from Pebble at the first TLS handshake (Pebble
resolves the name on our DNS server to 127.0.0.1 and validates the challenge against Caddy) and serves
the store over HTTPS; a domain that is not verified gets no certificate: Caddy asked the app, the app
said no, and Pebble was never asked. Without caddy, pebble or openssl the test is skipped, except under
CI=true, where that is a failure."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import re
import shutil
import socket
import ssl
import subprocess
import urllib.request
from decimal import Decimal
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest
from django.conf import settings

from deploy.local import caddy
from deploy.local.dns_server import DnsServer
from dukaan.catalog import domains
from dukaan.catalog.services import create_product
from dukaan.conftest import make_store
from tests.processes import cluster_nginx, find_free_port, in_ci, stop_process
from tests.waiting import wait_until

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3",
        reason="the database is not what it tests: one pass (SQLite's) is enough",
    ),
]

VERIFIED, UNVERIFIED = "shop.asha.in", "shop.bala.in"


@pytest.fixture
def programs() -> None:
    missing = [name for name in ("caddy", "pebble", "openssl") if not shutil.which(name)]
    if missing:
        message = f"{', '.join(missing)} not installed (apt-get install -y caddy pebble openssl)"
        if in_ci():
            pytest.fail(message + "; under CI=true the TLS test must run")
        pytest.skip(message)


def start(command: list[str], log: Path, env: dict[str, str]) -> subprocess.Popen:
    with open(log, "wb") as out:
        return subprocess.Popen(
            command, stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True
        )


def listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def pebble_listener_certificate(folder: Path) -> tuple[Path, Path]:
    """Pebble serves ACME over HTTPS only: a throwaway certificate for 127.0.0.1, which Caddy trusts."""
    cert, key = folder / "pebble-listener.pem", folder / "pebble-listener.key"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
         "-keyout", str(key), "-out", str(cert), "-days", "1", "-subj", "/CN=pebble listener",
         "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


class DomainConnection(http.client.HTTPSConnection):
    """HTTPS to 127.0.0.1:`port` as a browser reaches `name` there: SNI and Host are the name."""

    def __init__(self, port: int, name: str, cafile: Path):
        super().__init__(
            "127.0.0.1", port, timeout=60, context=ssl.create_default_context(cafile=str(cafile))
        )
        self.name = name

    def connect(self) -> None:
        http.client.HTTPConnection.connect(self)
        self.sock = self._context.wrap_socket(self.sock, server_hostname=self.name)


def https_request(
    port: int, name: str, cafile: Path, method: str = "GET", path: str = "/", **fields: str
) -> tuple[dict, http.client.HTTPResponse, str]:
    """One request to `name`: the peer certificate, the answer and its text. `fields`: headers, and a
    form's fields under `form_…`."""
    connection = DomainConnection(port, name, cafile)
    form = {key.removeprefix("form_"): value for key, value in fields.items() if key.startswith("form_")}
    headers = {key.replace("_", "-"): value for key, value in fields.items() if not key.startswith("form_")}
    headers["Host"] = name
    body = None
    if method == "POST":
        body = urlencode(form)
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    try:
        connection.request(method, path, body=body, headers=headers)
        certificate = connection.sock.getpeercert()
        answer = connection.getresponse()
        return certificate, answer, answer.read().decode("utf-8", "replace")
    finally:
        connection.close()


def cookies(answer: http.client.HTTPResponse) -> dict[str, str]:
    jar = SimpleCookie()
    for header in answer.headers.get_all("Set-Cookie") or []:
        jar.load(header)
    return {name: morsel.value for name, morsel in jar.items()}


def test_a_verified_domain_gets_a_certificate_and_the_store_and_an_unverified_one_none(
    programs, live_server, settings, tmp_path
):
    # The shopkeeper adds the domain and verifies it against our DNS server, which also tells Pebble
    # that both names are at 127.0.0.1.
    dns = DnsServer().__enter__()
    processes: list[subprocess.Popen] = []
    nginx = contextlib.ExitStack()
    try:
        settings.DNS_RESOLVER = dns.address
        # As deployed (DUKAAN_ENV=staging or production): the proxy in front says which were https.
        settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
        store = make_store("+919812345601", "asha-store")
        create_product(store=store, name="Steel tiffin", price=Decimal("250.00"), stock=3)
        added = domains.add_domain(store=store, domain=VERIFIED)
        dns.txt[domains.record_name(VERIFIED)] = [domains.record_value(added)]
        domains.verify_domain(store=store)
        domains.add_domain(store=make_store("+919812345602", "bala-store"), domain=UNVERIFIED)
        dns.a.update({VERIFIED: "127.0.0.1", UNVERIFIED: "127.0.0.1"})

        acme, management = find_free_port(), find_free_port()
        http_port, https_port = find_free_port(), find_free_port()
        cert, key = pebble_listener_certificate(tmp_path)
        pebble_config = tmp_path / "pebble.json"
        pebble_config.write_text(
            json.dumps(
                {
                    "pebble": {
                        "listenAddress": f"127.0.0.1:{acme}",
                        "managementListenAddress": f"127.0.0.1:{management}",
                        "certificate": str(cert),
                        "privateKey": str(key),
                        # Where Pebble validates challenges: Caddy's ports, as Let's Encrypt uses 80 and 443.
                        "httpPort": http_port,
                        "tlsPort": https_port,
                        "ocspResponderURL": "",
                        "externalAccountBindingRequired": False,
                    }
                }
            )
        )
        # No random waits before validating, and no nonce rejected on purpose: the test stays short.
        pebble_env = {**os.environ, "PEBBLE_VA_NOSLEEP": "1", "PEBBLE_WFE_NONCEREJECT": "0"}
        pebble_command = ["pebble", "-config", str(pebble_config), "-dnsserver", dns.address]
        processes.append(start(pebble_command, tmp_path / "pebble.log", pebble_env))
        wait_until(lambda: listening(acme) and listening(management), what="Pebble listening", timeout=30)

        # Caddy → the cluster's nginx → the app, as `dukaan cluster up --tls` runs them.
        app_port = urlsplit(live_server.url).port
        nginx_port = nginx.enter_context(cluster_nginx(tmp_path / "nginx", [app_port]))
        caddy_dir = tmp_path / "caddy"
        config = caddy.write_caddyfile(
            caddy_dir,
            upstream=f"127.0.0.1:{nginx_port}",
            http_port=http_port,
            https_port=https_port,
            acme_ca=f"https://127.0.0.1:{acme}/dir",
            acme_ca_root=cert,
        )
        caddy_log = tmp_path / "caddy.log"
        processes.append(
            start(caddy.command(config), caddy_log, caddy.environment(caddy_dir, dict(os.environ)))
        )
        wait_until(lambda: listening(https_port), what="Caddy listening", timeout=30)

        # Pebble's root and intermediate are made anew at each start: the buyer's browser trusts them here.
        listener = ssl.create_default_context(cafile=str(cert))
        chain = b"".join(
            urllib.request.urlopen(f"https://127.0.0.1:{management}/{which}/0", context=listener).read()
            + b"\n"
            for which in ("roots", "intermediates")
        )
        trusted = tmp_path / "pebble-chain.pem"
        trusted.write_bytes(chain)

        try:
            certificate, answer, page = https_request(https_port, VERIFIED, trusted)
        except ssl.SSLError as error:
            pebble_log = (tmp_path / "pebble.log").read_text()[-3000:]
            pytest.fail(f"{error}\nCaddy:\n{caddy_log.read_text()[-4000:]}\nPebble:\n{pebble_log}")

        assert certificate["subjectAltName"] == (("DNS", VERIFIED),)
        assert answer.status == 200, page[:500]
        assert "Store asha-store" in page and "Steel tiffin" in page
        assert f'<link rel="canonical" href="https://{VERIFIED}/">' in page

        # A buyer's forms work over HTTPS: Django checks a form's Origin (https://shop.asha.in) against
        # the address it was asked for, which it knows is https only from the proxies' X-Forwarded-Proto.
        origin = {"Origin": f"https://{VERIFIED}", "Referer": f"https://{VERIFIED}/cart/"}
        product = re.search(
            r'name="product" value="(\d+)"',
            https_request(https_port, VERIFIED, trusted, path=f"/p/{store.products.get().pk}/")[2],
        )
        _, added, _ = https_request(
            https_port,
            VERIFIED,
            trusted,
            "POST",
            "/cart/add/",
            **origin,
            form_product=product[1],
            form_quantity="1",
        )
        session = cookies(added)
        assert added.status == 302 and "sessionid" in session, added.status
        _, cart, cart_page = https_request(
            https_port, VERIFIED, trusted, path="/cart/", Cookie=f"sessionid={session['sessionid']}"
        )
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', cart_page)[1]
        jar = f"sessionid={session['sessionid']}; csrftoken={cookies(cart)['csrftoken']}"
        _, updated, refusal = https_request(
            https_port,
            VERIFIED,
            trusted,
            "POST",
            "/cart/update/",
            **origin,
            Cookie=jar,
            form_csrfmiddlewaretoken=token,
        )
        assert (updated.status, updated.getheader("Location")) == (302, "/cart/"), refusal[:800]

        with pytest.raises(ssl.SSLError):
            https_request(https_port, UNVERIFIED, trusted)
        pebble_log = (tmp_path / "pebble.log").read_text()
        assert VERIFIED in pebble_log and UNVERIFIED not in pebble_log  # never asked for a certificate
        assert not list((caddy_dir / "storage").rglob(f"*{UNVERIFIED}*"))
    finally:
        for process in reversed(processes):
            stop_process(process)
        nginx.close()
        dns.__exit__()
