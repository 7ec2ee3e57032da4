"""The cluster's nginx when one web process is dead and the other stumbles.

nginx answers 502 ("no live upstreams") without trying any server while every server of a group is
marked failed. With two web processes, one dead and three stray failures of the survivor within
fail_timeout (5 s) would give every buyer 5 s of 502s; the configuration lists each web process again
as a backup that is never marked failed, so nginx tries them instead. Here the survivor is a small
HTTP server that drops its first requests unanswered (as a process does whose connection nginx reused
just as it closed it), then answers 200.
"""

from __future__ import annotations

import threading
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.conf import settings

from tests.processes import cluster_nginx, find_free_port

pytestmark = pytest.mark.skipif(
    settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3",
    reason="no database in it: one pass (SQLite's) is enough",
)

STUMBLES = 4  # the survivor's first requests are dropped unanswered: more than max_fails (3)


class Stumbling(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    answered = 0

    def do_GET(self) -> None:
        type(self).answered += 1
        if type(self).answered <= STUMBLES:
            self.close_connection = True  # closed without an answer: nginx counts it a failure
            return
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


def status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:
            return answer.status
    except urllib.error.HTTPError as error:
        return error.code


def test_buyers_are_answered_while_every_web_process_is_marked_failed(tmp_path):
    survivor = ThreadingHTTPServer(("127.0.0.1", 0), Stumbling)
    threading.Thread(target=survivor.serve_forever, daemon=True).start()
    dead = find_free_port()  # nothing listens there: refused, as a killed process is
    try:
        with cluster_nginx(tmp_path, [dead, survivor.server_address[1]]) as port:
            statuses = [status(f"http://127.0.0.1:{port}/s/demo/") for _ in range(10)]
    finally:
        survivor.shutdown()
    # The first buyers fail: every server they were sent to refused or dropped them. Both are marked
    # failed by then, for 5 s; still nginx tries the backups, and the survivor, well again, answers.
    assert Stumbling.answered > STUMBLES, f"the survivor was never asked again: {statuses}"
    assert statuses[-5:] == [200] * 5, statuses


def named_server(name: str) -> ThreadingHTTPServer:
    """A stand-in process that answers every request with its own name."""

    class Answer(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def answer(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            body = f"{name} {self.headers['Host']}".encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = answer

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Answer)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def test_a_stores_own_domain_goes_where_store_pages_go_and_the_platform_keeps_its_routes(tmp_path):
    web, storefront = named_server("web"), named_server("storefront")
    try:
        with cluster_nginx(
            tmp_path, [web.server_address[1]], storefront_port=storefront.server_address[1]
        ) as port:

            def answer(path: str, host: str, method: str = "GET", cookie: str = "") -> tuple[str, str]:
                request = urllib.request.Request(
                    f"http://127.0.0.1:{port}{path}",
                    method=method,
                    data=b"x=1" if method == "POST" else None,
                    headers={"Host": host, **({"Cookie": cookie} if cookie else {})},
                )
                with urllib.request.urlopen(request, timeout=10) as response:
                    return response.read().decode(), response.headers["X-Dukaan-Upstream"]

            # The platform: store pages to the storefront service (the region's edge), the rest to web.
            assert answer("/s/demo/", "localhost") == ("storefront localhost", "region_r1")
            assert answer("/dashboard/", "localhost") == ("web localhost", "web")
            assert answer("/", "127.0.0.1:8080") == ("web 127.0.0.1:8080", "web")
            # A store's own domain: every page is a store page, with the Host it was asked for.
            assert answer("/", "shop.asha.in") == ("storefront shop.asha.in", "region_r1")
            assert answer("/p/3/?utm=x", "Shop.Asha.in") == ("storefront Shop.Asha.in", "region_r1")
            # …and the same exceptions as /s/: forms, and buyers who chose the monolith or just wrote.
            assert answer("/cart/add/", "shop.asha.in", method="POST") == ("web shop.asha.in", "web")
            assert answer("/", "shop.asha.in", cookie="dukaan_storefront=monolith")[1] == "web"
            assert answer("/", "shop.asha.in", cookie="dukaan_wrote=1")[1] == "web"
    finally:
        web.shutdown()
        storefront.shutdown()
