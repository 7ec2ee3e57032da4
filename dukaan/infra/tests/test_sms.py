"""The SMS backends: the console log a browser test reads, and the HTTP adapter against a local server."""

import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from dukaan.infra.sms import (
    ConsoleSmsBackend,
    HttpSmsBackend,
    SmsNotSent,
    get_sms_backend,
    latest_console_message,
)


@dataclass
class FakeProvider:
    """A tiny SMS provider on 127.0.0.1: records what it receives and answers with `status`."""

    url: str
    status: int = 202
    requests: list[dict] = field(default_factory=list)
    # While set to hang, the provider holds each request until the test releases it.
    hang: bool = False
    release: threading.Event = field(default_factory=threading.Event)


@pytest.fixture
def provider() -> Iterator[FakeProvider]:
    fake = FakeProvider(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            fake.requests.append(
                {
                    "path": self.path,
                    "authorization": self.headers.get("Authorization"),
                    "content_type": self.headers.get("Content-Type"),
                    "json": json.loads(body),
                }
            )
            if fake.hang:
                fake.release.wait(timeout=5)
            self.send_response(fake.status)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b'{"ok": %s}' % (b"true" if fake.status < 300 else b"false"))

        def log_message(self, format, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    fake.url = f"http://127.0.0.1:{server.server_address[1]}/v1/messages"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        fake.release.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_http_backend_posts_json_with_the_bearer_token(provider):
    backend = HttpSmsBackend(url=provider.url, token="s3cret", timeout_seconds=2)

    backend.send(to="+919812345678", text="Your Dukaan login code is 123456.")

    assert provider.requests == [
        {
            "path": "/v1/messages",
            "authorization": "Bearer s3cret",
            "content_type": "application/json",
            "json": {"to": "+919812345678", "text": "Your Dukaan login code is 123456."},
        }
    ]


def test_http_backend_reports_a_provider_error_as_sms_not_sent(provider):
    provider.status = 500
    backend = HttpSmsBackend(url=provider.url, token="s3cret", timeout_seconds=2)

    with pytest.raises(SmsNotSent, match="HTTP 500"):
        backend.send(to="+919812345678", text="hello")


def test_http_backend_reports_a_redirect_as_sms_not_sent(provider):
    provider.status = 302
    backend = HttpSmsBackend(url=provider.url, token="s3cret", timeout_seconds=2)

    with pytest.raises(SmsNotSent, match="HTTP 302"):
        backend.send(to="+919812345678", text="hello")


def test_http_backend_gives_up_after_the_timeout(provider):
    provider.hang = True
    backend = HttpSmsBackend(url=provider.url, token="s3cret", timeout_seconds=0.3)

    with pytest.raises(SmsNotSent, match=r"did not answer within 0\.3 seconds"):
        backend.send(to="+919812345678", text="hello")


def test_http_backend_reports_an_unreachable_provider_as_sms_not_sent():
    backend = HttpSmsBackend(url=f"http://127.0.0.1:{closed_port()}/send", token="", timeout_seconds=2)

    with pytest.raises(SmsNotSent, match="Could not reach the SMS provider"):
        backend.send(to="+919812345678", text="hello")


def test_console_backend_prints_and_appends_one_line_per_message(tmp_path, capsys):
    log_path = tmp_path / "not-yet-created" / "sms.log"
    backend = ConsoleSmsBackend(log_path=log_path)

    backend.send(to="+919812345678", text="first\nmessage")
    backend.send(to="+447911123456", text="second")

    lines = log_path.read_text().splitlines()
    assert len(lines) == 2
    assert lines[0].endswith(" to=+919812345678 first message")
    assert "to=+919812345678 first message" in capsys.readouterr().out


def test_latest_console_message_finds_the_newest_message_for_that_phone(tmp_path):
    log_path = tmp_path / "sms.log"
    backend = ConsoleSmsBackend(log_path=log_path)
    backend.send(to="+919812345678", text="code 111111")
    backend.send(to="+919812345678", text="code 222222")
    backend.send(to="+447911123456", text="code 333333")

    assert latest_console_message("+919812345678", log_path=log_path) == "code 222222"
    assert latest_console_message("+15551234567", log_path=log_path) is None
    assert latest_console_message("+919812345678", log_path=tmp_path / "missing.log") is None


def test_get_sms_backend_follows_the_settings(tmp_path):
    with override_settings(SMS_BACKEND="console", SMS_CONSOLE_LOG=tmp_path / "sms.log"):
        backend = get_sms_backend()
        assert isinstance(backend, ConsoleSmsBackend)
        backend.send(to="+919812345678", text="hi")
        assert latest_console_message("+919812345678") == "hi"

    with override_settings(SMS_BACKEND="http", SMS_HTTP_URL="https://sms.example/send", SMS_HTTP_TOKEN="t"):
        assert isinstance(get_sms_backend(), HttpSmsBackend)

    with override_settings(SMS_BACKEND="http", SMS_HTTP_URL=""), pytest.raises(ImproperlyConfigured):
        get_sms_backend()

    with override_settings(SMS_BACKEND="carrier-pigeon"), pytest.raises(ImproperlyConfigured):
        get_sms_backend()
