"""Online payment providers behind one small interface.

A provider adapter does two things, the way Razorpay-like providers work: it creates an order at
the provider (an id and a page where the buyer pays), and it checks a webhook the provider sends
back (an HMAC of the raw body) and reads it into a WebhookEvent. Applying the event is the
services' job. The "fake" adapter is the local stand-in: no network, the same shapes.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from abc import ABC, abstractmethod
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse

from dukaan.infra.circuit import CircuitBreaker

if TYPE_CHECKING:
    from dukaan.orders.models import Order

MINOR_UNITS = 100  # every store currency has two decimals; providers count in paise, cents…


@dataclass(frozen=True)
class ProviderOrder:
    """The provider's order for one payment, and the page where the buyer pays it."""

    provider_order_id: str
    checkout_url: str


@dataclass(frozen=True)
class WebhookEvent:
    """A verified webhook: `type` is e.g. "payment.captured"; money in the currency's main unit."""

    event_id: str
    type: str
    provider_order_id: str = ""
    provider_payment_id: str = ""
    amount: Decimal = Decimal("0.00")  # of the payment; of the refund for refund events
    currency: str = ""
    provider_refund_id: str = ""  # refund events only


@dataclass(frozen=True)
class ProviderRefund:
    """A refund the provider accepted: "pending" until its webhook settles it, or "processed"."""

    refund_id: str
    status: str


class WebhookRefused(Exception):
    """A webhook that cannot be accepted; `message` says why (the response body)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidSignature(WebhookRefused):
    """The signature does not match the body: not from the provider, or altered on the way."""


class MalformedWebhook(WebhookRefused):
    """Correctly signed but not the JSON shape the provider documents."""


PAYMENT_EVENTS = ("payment.captured", "payment.failed")
REFUND_EVENTS = ("refund.processed", "refund.failed")


class ProviderUnavailable(Exception):
    """The provider did not answer in PAYMENT_TIMEOUT_SECONDS, refused the connection or failed (5xx).
    An adapter raises this, never its HTTP library's own errors, so the checkout can explain it."""


class ProviderRefused(Exception):
    """The provider answered and said no (e.g. more refunded than is left); `message` is its reason."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# A provider that keeps failing is skipped for a while: buyers are told at once instead of each waiting
# out the timeout. Opening an order is never retried automatically (a retry could open it twice).
breaker = CircuitBreaker(
    "payment provider",
    failure_threshold=settings.PAYMENT_BREAKER_FAILURES,
    reset_seconds=settings.PAYMENT_BREAKER_RESET_SECONDS,
)


class PaymentGateway(ABC):
    name: str
    signature_header: str  # the HTTP header carrying the webhook's signature

    @abstractmethod
    def create_order(self, order: Order) -> ProviderOrder:
        """Open an order for `order.total` at the provider. May call the network (within
        PAYMENT_TIMEOUT_SECONDS): not in a transaction. Raises ProviderUnavailable when it cannot."""

    @abstractmethod
    def verify_webhook(self, body: bytes, signature: str) -> WebhookEvent:
        """Check the signature of the raw body and read it; raise InvalidSignature or MalformedWebhook."""

    @abstractmethod
    def refund(self, *, provider_payment_id: str, amount: Decimal, notes: dict[str, str]) -> ProviderRefund:
        """Pay `amount` of a captured payment back. May call the network: not in a transaction.
        Raises ProviderUnavailable or ProviderRefused."""


class FakeGateway(PaymentGateway):
    """A provider that lives in this process: the order and webhook shapes of a Razorpay-like one.

    Webhooks are signed with HMAC-SHA256 of the raw body under PAYMENT_WEBHOOK_SECRET, hex, in
    X-Dukaan-Signature. `capture_webhook()` writes the body a real provider would send after the
    buyer paid, for tests and local runs.
    """

    name = "fake"
    signature_header = "X-Dukaan-Signature"

    def __init__(self, secret: str) -> None:
        if not secret:
            raise ImproperlyConfigured("Set PAYMENT_WEBHOOK_SECRET to check payment webhooks.")
        self._secret = secret.encode()

    def sign(self, body: bytes) -> str:
        return hmac.new(self._secret, body, hashlib.sha256).hexdigest()

    def create_order(self, order: Order) -> ProviderOrder:
        # There is no page to pay on locally: the buyer lands on their order's status page.
        status_path = reverse("storefront:order", args=[order.store.slug, order.public_token])
        return ProviderOrder(
            provider_order_id=f"order_{secrets.token_hex(8)}", checkout_url=settings.SITE_URL + status_path
        )

    def capture_webhook(
        self,
        *,
        provider_order_id: str,
        amount: Decimal,
        currency: str,
        event_id: str | None = None,
        event_type: str = "payment.captured",
    ) -> tuple[bytes, str]:
        """The body and signature of the webhook the provider sends when a payment is captured."""
        body = {
            "id": event_id or f"evt_{secrets.token_hex(8)}",
            "entity": "event",
            "event": event_type,
            "payload": {
                "payment": {
                    "entity": {
                        "id": f"pay_{secrets.token_hex(8)}",
                        "order_id": provider_order_id,
                        "amount": int(amount * MINOR_UNITS),
                        "currency": currency,
                        "status": event_type.removeprefix("payment."),
                    }
                }
            },
        }
        raw = json.dumps(body).encode()
        return raw, self.sign(raw)

    def verify_webhook(self, body: bytes, signature: str) -> WebhookEvent:
        signature = (signature or "").strip().lower()
        if not signature:
            raise InvalidSignature(
                f"The webhook has no signature: send it in the {self.signature_header} header."
            )
        if not hmac.compare_digest(self.sign(body), signature):
            raise InvalidSignature(
                f"The {self.signature_header} signature does not match the body. "
                "Check that PAYMENT_WEBHOOK_SECRET is the secret set at the provider."
            )
        return _read_event(body)

    def refund(self, *, provider_payment_id: str, amount: Decimal, notes: dict[str, str]) -> ProviderRefund:
        return ProviderRefund(refund_id=f"rfnd_{secrets.token_hex(8)}", status="processed")


def _read_event(body: bytes) -> WebhookEvent:
    try:
        data = json.loads(body)
    except ValueError as error:  # also bytes that are not UTF-8
        raise MalformedWebhook(f"The webhook body is not valid JSON: {error}.") from error
    if not isinstance(data, dict):
        raise MalformedWebhook("The webhook body must be a JSON object.")
    event_id, event_type = data.get("id"), data.get("event")
    if not isinstance(event_id, str) or not event_id or len(event_id) > 128:
        raise MalformedWebhook('The webhook has no event id (the "id" field, at most 128 characters).')
    if not isinstance(event_type, str) or not event_type:
        raise MalformedWebhook('The webhook has no event type (the "event" field).')
    if event_type in REFUND_EVENTS:
        return _read_refund(data, event_id, event_type)
    if event_type not in PAYMENT_EVENTS:
        return WebhookEvent(event_id=event_id, type=event_type)
    try:
        payment = data["payload"]["payment"]["entity"]
        order_id, payment_id = payment["order_id"], payment["id"]
        amount, currency = payment["amount"], payment["currency"]
    except (KeyError, TypeError) as error:
        raise MalformedWebhook(f"The {event_type} webhook lacks payload.payment.entity.{error}.") from error
    if not (
        isinstance(order_id, str) and order_id and isinstance(payment_id, str) and isinstance(currency, str)
    ):
        raise MalformedWebhook(f"The {event_type} webhook's order id, payment id or currency is not text.")
    if type(amount) is not int or amount < 0:
        raise MalformedWebhook(
            f"The {event_type} webhook's amount must be a whole number of paise (or cents)."
        )
    return WebhookEvent(
        event_id=event_id,
        type=event_type,
        provider_order_id=order_id[:64],
        provider_payment_id=payment_id[:64],
        amount=Decimal(amount).scaleb(-2),  # exact: 54900 → 549.00
        currency=currency.upper()[:3],
    )


def _read_refund(data: dict, event_id: str, event_type: str) -> WebhookEvent:
    try:
        refund = data["payload"]["refund"]["entity"]
        refund_id, payment_id, amount = refund["id"], refund["payment_id"], refund["amount"]
    except (KeyError, TypeError) as error:
        raise MalformedWebhook(f"The {event_type} webhook lacks payload.refund.entity.{error}.") from error
    if not (isinstance(refund_id, str) and refund_id and isinstance(payment_id, str)):
        raise MalformedWebhook(f"The {event_type} webhook's refund id or payment id is not text.")
    if type(amount) is not int or amount < 0:
        raise MalformedWebhook(f"The {event_type} webhook's amount must be a whole number of paise.")
    return WebhookEvent(
        event_id=event_id,
        type=event_type,
        provider_payment_id=payment_id[:64],
        provider_refund_id=refund_id[:64],
        amount=Decimal(amount).scaleb(-2),
        currency=str(refund.get("currency", "")).upper()[:3],
    )


def get_gateway() -> PaymentGateway | None:
    """The online payment provider configured by PAYMENT_GATEWAY, or None when there is none."""
    name = settings.PAYMENT_GATEWAY
    if not name:
        return None
    if name == FakeGateway.name:
        return FakeGateway(secret=settings.PAYMENT_WEBHOOK_SECRET)
    raise ImproperlyConfigured(
        f"PAYMENT_GATEWAY={name!r} is not a payment provider dukaan has an adapter for. "
        'Use "fake", or leave it empty for cash on delivery and UPI only.'
    )
