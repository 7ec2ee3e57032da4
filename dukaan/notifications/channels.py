"""The channels a message can go by: SMS (dukaan.infra.sms) and WhatsApp (the Cloud API), tried in
the order settings.NOTIFY_CHANNELS names them ("whatsapp,sms": WhatsApp, and SMS when it fails).

The WhatsApp channel sends the message's approved template (messages.TEMPLATES) by the Cloud API's
documented request: POST {WHATSAPP_API_URL}/{WHATSAPP_API_VERSION}/{WHATSAPP_PHONE_NUMBER_ID}/messages
with the bearer token; the answer names the message (`messages[0].id`), or an error
(`{"error": {"message", "code", "error_data": {"details"}, …}}`). Like the SMS adapter it tries
again when Meta could not be reached or answered 5xx, never after a timeout (the message may have
gone out), and a circuit breaker stops calling it for a while after several failures in a row, so
each message falls back to SMS at once instead of waiting.
"""

import json
import logging
import math
import threading
import urllib.error
import urllib.request
from http.client import HTTPException
from typing import Any, Protocol
from urllib.parse import urlparse

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from dukaan.infra.circuit import CircuitBreaker
from dukaan.infra.logs import masked_phone
from dukaan.infra.retry import RetryPolicy, call_with_retries
from dukaan.infra.sms import SmsNotSent, get_sms_backend

from .messages import Message

logger = logging.getLogger(__name__)


class Channel(Protocol):
    name: str

    def send(self, *, to: str, message: Message) -> None:
        """Send `message` to the phone `to` (E.164); raise when it did not go out."""


class SmsChannel:
    name = "sms"

    def send(self, *, to: str, message: Message) -> None:
        get_sms_backend().send(to=to, text=message.text)  # SmsNotSent when it could not


class WhatsAppNotSent(Exception):
    """Meta did not take the message; the text says why, in words an operator can act on."""


class _Refused(WhatsAppNotSent):
    def __init__(self, message: str, *, status: int) -> None:
        super().__init__(message)
        self.status = status


class _Unreachable(WhatsAppNotSent):
    """The request never reached Meta: safe to send again."""


class _RefuseRedirects(urllib.request.HTTPRedirectHandler):
    # A redirected POST would be replayed as a GET without the message; treat it as a failure instead.
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


class WhatsAppChannel:
    name = "whatsapp"

    def __init__(
        self, *, api_url: str, version: str, phone_number_id: str, token: str, timeout: float
    ) -> None:
        if urlparse(api_url).scheme not in {"http", "https"} or not phone_number_id or not token:
            raise ImproperlyConfigured(
                "NOTIFY_CHANNELS names whatsapp: set WHATSAPP_API_URL (https://graph.facebook.com), "
                "WHATSAPP_PHONE_NUMBER_ID and WHATSAPP_TOKEN from your Meta app's WhatsApp set-up, "
                "or take whatsapp out of NOTIFY_CHANNELS."
            )
        self.url = f"{api_url.rstrip('/')}/{version}/{phone_number_id}/messages"
        self.token = token
        self.timeout = timeout
        self._opener = urllib.request.build_opener(_RefuseRedirects)

    def send(self, *, to: str, message: Message) -> None:
        breaker = whatsapp_breaker()
        if not breaker.allow():
            raise WhatsAppNotSent(
                "WhatsApp failed several times in a row; not calling it for "
                f"{math.ceil(breaker.reset_seconds)} seconds."
            )
        try:
            call_with_retries(
                lambda: self._post(to=to, message=message),
                policy=RetryPolicy(
                    attempts=settings.WHATSAPP_RETRY_ATTEMPTS, base_delay=0.2, deadline=self.timeout
                ),
                retryable=lambda error: (
                    isinstance(error, _Unreachable) or (isinstance(error, _Refused) and error.status >= 500)
                ),
            )
        except WhatsAppNotSent as error:
            breaker.record_failure(error)
            raise
        breaker.record_success()

    def _post(self, *, to: str, message: Message) -> None:
        body = {
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": to,
            "type": "template",
            "template": {
                "name": message.kind,
                "language": {"code": message.language},
                "components": [
                    {
                        "type": "body",
                        "parameters": [{"type": "text", "text": value} for value in message.parameters],
                    }
                ],
            },
        }
        request = urllib.request.Request(
            self.url,
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {self.token}"},
            method="POST",
        )
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                answer = _json(response.read())
        except urllib.error.HTTPError as error:
            answer = _json(error.read(2000))
            error.close()
            raise _Refused(
                f"WhatsApp refused the {message.kind} message with HTTP {error.code}: {_error_text(answer)}",
                status=error.code,
            ) from error
        except urllib.error.URLError as error:
            if isinstance(error.reason, TimeoutError):
                raise self._timed_out() from error
            raise _Unreachable(f"Could not reach WhatsApp at {self.url}: {error.reason}.") from error
        except TimeoutError as error:
            raise self._timed_out() from error
        except (OSError, HTTPException) as error:
            raise WhatsAppNotSent(f"The connection to WhatsApp failed: {error!r}.") from error
        messages = answer.get("messages") if isinstance(answer, dict) else None
        if not (
            isinstance(messages, list)
            and messages
            and isinstance(messages[0], dict)
            and messages[0].get("id")
        ):
            raise WhatsAppNotSent(f"WhatsApp answered without a message id: {str(answer)[:200]}")
        logger.info("whatsapp %s to %s: %s", message.kind, masked_phone(to), messages[0]["id"])

    def _timed_out(self) -> WhatsAppNotSent:
        return WhatsAppNotSent(f"WhatsApp did not answer within {self.timeout:g} seconds.")


def _json(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return raw.decode("utf-8", "replace").strip()


def _error_text(answer: Any) -> str:
    """The documented error object in a few words: its message ("(#131026) Message undeliverable")
    and details."""
    error = answer.get("error") if isinstance(answer, dict) else None
    if not isinstance(error, dict):
        return str(answer)[:200] or "no details."
    details = (error.get("error_data") or {}).get("details", "")
    text = str(error.get("message") or f"(#{error.get('code')})")
    return text + (f": {details}" if details and details not in text else "")


_breaker: CircuitBreaker | None = None
_breaker_lock = threading.Lock()


def whatsapp_breaker() -> CircuitBreaker:
    """The one WhatsApp breaker of this process."""
    global _breaker
    with _breaker_lock:
        if _breaker is None:
            _breaker = CircuitBreaker(
                "whatsapp",
                failure_threshold=settings.WHATSAPP_BREAKER_FAILURES,
                reset_seconds=settings.WHATSAPP_BREAKER_RESET_SECONDS,
            )
        return _breaker


def get_channels() -> list[Channel]:
    """The channels settings.NOTIFY_CHANNELS names, in order."""
    names = [name.strip() for name in settings.NOTIFY_CHANNELS.split(",") if name.strip()]
    unknown = sorted(set(names) - {"sms", "whatsapp"})
    if unknown or not names:
        raise ImproperlyConfigured(
            f"NOTIFY_CHANNELS={settings.NOTIFY_CHANNELS!r}: name sms, whatsapp or both in the order to try "
            "them (whatsapp,sms: WhatsApp, and SMS when it fails)."
        )
    return [
        SmsChannel()
        if name == "sms"
        else WhatsAppChannel(
            api_url=settings.WHATSAPP_API_URL,
            version=settings.WHATSAPP_API_VERSION,
            phone_number_id=settings.WHATSAPP_PHONE_NUMBER_ID,
            token=settings.WHATSAPP_TOKEN,
            timeout=settings.WHATSAPP_TIMEOUT_SECONDS,
        )
        for name in names
    ]


def send(*, to: str, message: Message) -> str:
    """Send `message` by the first channel that takes it; returns that channel's name. When every
    channel failed, raises the last one's error (the earlier ones are logged)."""
    channels = get_channels()
    for channel in channels[:-1]:
        try:
            channel.send(to=to, message=message)
            return channel.name
        except (WhatsAppNotSent, SmsNotSent) as error:
            logger.warning(
                "%s %s to %s failed, trying the next channel: %s",
                channel.name,
                message.kind,
                masked_phone(to),
                error,
            )
    channels[-1].send(to=to, message=message)
    return channels[-1].name
