"""Sending text messages: one small interface, a console backend for laptops and an HTTP provider adapter.

Pick the backend with settings.SMS_BACKEND ("console" or "http"); callers only ever see
`SmsBackend.send(to=..., text=...)` and the `SmsNotSent` error.

The HTTP adapter tries again, with backoff, when the provider could not be reached or answered 5xx
(SMS_RETRY_ATTEMPTS tries, never past SMS_HTTP_TIMEOUT_SECONDS of waiting between them), but not
after a timeout (the message may have gone out; a second wait would double the person's). Sends that
still fail open a circuit breaker: for SMS_BREAKER_RESET_SECONDS logins are told at once to come back
instead of each waiting on a provider that is down.

`over_hourly_cap` holds one number to SMS_MAX_PER_PHONE_PER_HOUR messages an hour across the platform
(texts and WhatsApp messages alike), for numbers nobody verified (a buyer's phone as typed at checkout).
"""

import json
import logging
import math
import threading
import urllib.error
import urllib.request
from datetime import UTC, datetime
from http.client import HTTPException
from pathlib import Path
from urllib.parse import urlparse

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from dukaan.infra.circuit import CircuitBreaker
from dukaan.infra.clients import count_request
from dukaan.infra.logs import masked_phone
from dukaan.infra.metrics import SMS_OVER_CAP
from dukaan.infra.retry import RetryPolicy, call_with_retries

logger = logging.getLogger(__name__)


class SmsNotSent(Exception):
    """The message did not reach the provider; `message` says why, in words an operator can act on."""

    def __init__(self, message: str, *, retry_after_seconds: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.retry_after_seconds = retry_after_seconds  # when trying again may work; None = unknown


class SmsBackend:
    """Sends one text message. Raises SmsNotSent when it could not."""

    def send(self, *, to: str, text: str) -> None:
        raise NotImplementedError


def _one_line(text: str) -> str:
    # The console log is read line by line, so a message must never span two lines.
    return " ".join(text.split())


class ConsoleSmsBackend(SmsBackend):
    """For a laptop: prints the message and appends it to a log file a person or a browser test can read."""

    def __init__(self, *, log_path: Path) -> None:
        self.log_path = Path(log_path)

    def send(self, *, to: str, text: str) -> None:
        line = f"{datetime.now(UTC).isoformat()} to={to} {_one_line(text)}"
        print(f"[sms] {line}", flush=True)
        try:
            self.log_path.parent.mkdir(parents=True, exist_ok=True)
            with self.log_path.open("a", encoding="utf-8") as log:
                log.write(line + "\n")
                log.flush()
        except OSError as error:
            raise SmsNotSent(f"Could not write the SMS log {self.log_path}: {error}.") from error


def latest_console_message(phone: str, *, log_path: Path | None = None) -> str | None:
    """The text of the last message the console backend sent to `phone` (E.164), or None if there is none."""
    path = Path(log_path or settings.SMS_CONSOLE_LOG)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return None
    recipient = f"to={phone}"
    for line in reversed(lines):
        parts = line.split(" ", 2)
        if len(parts) == 3 and parts[1] == recipient:
            return parts[2]
    return None


class _RefuseRedirects(urllib.request.HTTPRedirectHandler):
    # A redirected POST would be replayed as a GET without the message; treat it as a failure instead.
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


class HttpSmsBackend(SmsBackend):
    """Adapter for an SMS provider that takes a JSON POST {"to", "text"} with a bearer token."""

    def __init__(self, *, url: str, token: str, timeout_seconds: float) -> None:
        if urlparse(url).scheme not in {"http", "https"}:
            raise ImproperlyConfigured(
                f"SMS_HTTP_URL must be an http:// or https:// address, got {url!r}. "
                "Set SMS_HTTP_URL to your SMS provider's endpoint, or use SMS_BACKEND=console."
            )
        self.url = url
        self.token = token
        self.timeout_seconds = timeout_seconds
        self._opener = urllib.request.build_opener(_RefuseRedirects)

    def send(self, *, to: str, text: str) -> None:
        breaker = breaker_for(self.url)
        retry_after = math.ceil(breaker.reset_seconds)
        if not breaker.allow():
            raise SmsNotSent(
                f"The SMS provider failed several times in a row; not calling it for {retry_after} seconds.",
                retry_after_seconds=retry_after,
            )
        try:
            call_with_retries(
                lambda: self._post(to=to, text=text),
                policy=RetryPolicy(
                    attempts=settings.SMS_RETRY_ATTEMPTS, base_delay=0.2, deadline=self.timeout_seconds
                ),
                retryable=_worth_retrying,
            )
        except SmsNotSent as error:
            breaker.record_failure(error.message)
            raise SmsNotSent(error.message, retry_after_seconds=retry_after) from error
        breaker.record_success()

    def _post(self, *, to: str, text: str) -> None:
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        request = urllib.request.Request(
            self.url,
            data=json.dumps({"to": to, "text": text}).encode(),
            headers=headers,
            method="POST",
        )
        try:
            with self._opener.open(request, timeout=self.timeout_seconds) as response:
                response.read()
        except urllib.error.HTTPError as error:
            detail = error.read(200).decode("utf-8", "replace").strip()
            error.close()
            raise _ProviderRefused(
                f"The SMS provider refused the message with HTTP {error.code} {error.reason}"
                + (f": {detail}" if detail else "."),
                status=error.code,
            ) from error
        except urllib.error.URLError as error:
            if isinstance(error.reason, TimeoutError):
                raise self._timed_out() from error
            raise _Unreachable(f"Could not reach the SMS provider at {self.url}: {error.reason}.") from error
        except TimeoutError as error:
            raise self._timed_out() from error
        except (OSError, HTTPException) as error:
            raise SmsNotSent(f"The connection to the SMS provider failed: {error!r}.") from error

    def _timed_out(self) -> SmsNotSent:
        return SmsNotSent(f"The SMS provider did not answer within {self.timeout_seconds:g} seconds.")


class _ProviderRefused(SmsNotSent):
    def __init__(self, message: str, *, status: int) -> None:
        super().__init__(message)
        self.status = status


class _Unreachable(SmsNotSent):
    """The request never reached the provider (refused, no route, DNS): safe to send again."""


def _worth_retrying(error: Exception) -> bool:
    # A 5xx is the provider's own trouble and usually passes; a 4xx will be refused again.
    return isinstance(error, _Unreachable) or (isinstance(error, _ProviderRefused) and error.status >= 500)


_breakers: dict[str, CircuitBreaker] = {}
_breakers_lock = threading.Lock()


def breaker_for(url: str) -> CircuitBreaker:
    """The one breaker of the provider at `url` in this process."""
    with _breakers_lock:
        if url not in _breakers:
            _breakers[url] = CircuitBreaker(
                f"sms provider {urlparse(url).netloc}",
                failure_threshold=settings.SMS_BREAKER_FAILURES,
                reset_seconds=settings.SMS_BREAKER_RESET_SECONDS,
            )
        return _breakers[url]


def get_sms_backend() -> SmsBackend:
    """The backend settings.SMS_BACKEND names, built from the current settings."""
    name = settings.SMS_BACKEND
    if name == "console":
        return ConsoleSmsBackend(log_path=settings.SMS_CONSOLE_LOG)
    if name == "http":
        return HttpSmsBackend(
            url=settings.SMS_HTTP_URL,
            token=settings.SMS_HTTP_TOKEN,
            timeout_seconds=settings.SMS_HTTP_TIMEOUT_SECONDS,
        )
    raise ImproperlyConfigured(f"Unknown SMS_BACKEND {name!r}: use 'console' or 'http'.")


def over_hourly_cap(to: str) -> bool:
    """Whether `to` already had SMS_MAX_PER_PHONE_PER_HOUR capped messages this hour; counts one more
    when it had not.

    A number typed by a stranger then gets a few messages an hour at most, however many orders name
    it; a message over the cap is logged and counted, not retried.
    """
    limit = settings.SMS_MAX_PER_PHONE_PER_HOUR
    if count_request("sms-phone", to, limit, window=3600) is None:
        return False
    logger.warning("SMS to %s not sent: it had %d messages this hour already", masked_phone(to), limit)
    SMS_OVER_CAP.inc()
    return True
