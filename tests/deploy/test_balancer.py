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
