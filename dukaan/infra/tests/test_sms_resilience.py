"""Logging in while the SMS provider fails: bounded retries, then a breaker and a clear "try again"."""

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.test import override_settings

from dukaan.accounts.models import LoginCode
from dukaan.accounts.services import LoginRefused, request_login_code
from dukaan.infra.sms import breaker_for

PHONE = "+919812345678"


class Provider:
    """A tiny SMS provider on 127.0.0.1 that answers each request with the next of `statuses`."""

    def __init__(self, statuses: list[int]) -> None:
        self.statuses = statuses
        self.received = 0
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers["Content-Length"]))
                provider.received += 1
                status = provider.statuses.pop(0) if provider.statuses else 202
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/send"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def provider():
    running = Provider([])
    with override_settings(
        SMS_BACKEND="http",
        SMS_HTTP_URL=running.url,
        SMS_HTTP_TIMEOUT_SECONDS=2,
        SMS_RETRY_ATTEMPTS=3,
        SMS_BREAKER_FAILURES=2,
        SMS_BREAKER_RESET_SECONDS=1,
        OTP_RESEND_SECONDS=30,
        OTP_MAX_PER_PHONE_PER_HOUR=2,
    ):
        yield running
    running.stop()


@pytest.mark.django_db
def test_a_provider_that_answers_503_twice_still_gets_the_code_out(provider):
    provider.statuses = [503, 503]

    request_login_code(phone=PHONE, ip="10.0.0.1")

    assert provider.received == 3
    assert LoginCode.objects.filter(phone=PHONE).count() == 1


@pytest.mark.django_db
def test_a_provider_that_refuses_with_4xx_is_not_asked_again(provider):
    provider.statuses = [400]

    with pytest.raises(LoginRefused, match="couldn't send the SMS"):
        request_login_code(phone=PHONE, ip="10.0.0.1")

    assert provider.received == 1


@pytest.mark.django_db
def test_while_the_provider_is_down_login_says_when_to_retry_and_the_quota_is_untouched(provider):
    provider.stop()

    # More failed asks than the hourly limit of 2: none of them counts against it.
    for _ in range(3):
        with pytest.raises(LoginRefused) as refused:
            request_login_code(phone=PHONE, ip="10.0.0.1")
        assert refused.value.message == "We couldn't send the SMS just now. Please try again in 1 second."
        assert refused.value.retry_after_seconds == 1
    assert LoginCode.objects.count() == 0


@pytest.mark.django_db
def test_the_breaker_stops_calling_a_failing_provider_and_tries_it_again_after_the_cool_down(
    provider, monkeypatch
):
    provider.statuses = [500] * 6  # two sends of three tries each open the breaker

    for _ in range(2):
        with pytest.raises(LoginRefused):
            request_login_code(phone=PHONE, ip="10.0.0.1")
    assert provider.received == 6

    with pytest.raises(LoginRefused, match="try again in 1 second"):
        request_login_code(phone=PHONE, ip="10.0.0.1")
    assert provider.received == 6  # refused at once, the provider was not called

    breaker = breaker_for(provider.url)
    cool_down_over = time.monotonic() + breaker.reset_seconds
    monkeypatch.setattr(breaker, "clock", lambda: cool_down_over)
    request_login_code(phone=PHONE, ip="10.0.0.1")
    assert provider.received == 7
    assert LoginCode.objects.count() == 1
