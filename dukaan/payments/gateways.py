"""Online payment providers behind one small interface.

A provider adapter does what Razorpay-like providers do: it creates an order at the provider (an id
and a page where the buyer pays), checks the signature the buyer's browser brings back from paying,
checks a webhook the provider sends (an HMAC of the raw body) and reads it into a WebhookEvent, and
refunds a payment. Applying events is the services' job. "razorpay" (razorpay.py) is the real one;
"fake" is the local stand-in: no network, the same shapes.
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
from dukaan.infra.money import to_paise

if TYPE_CHECKING:
    from dukaan.orders.models import Order

MINOR_UNITS = 100  # every store currency has two decimals; providers count in paise, cents…
EVENT_ID_MAX = 128  # characters, as ProcessedWebhook stores them


def paise(amount: Decimal) -> int:
    """`amount` in the currency's smallest unit, as providers count: 549.50 → 54950."""
    return int(to_paise(amount) * MINOR_UNITS)


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
    """A refund the provider accepted: "pending" until a refund.processed (or .failed) webhook, or
    already "processed"."""

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


CAPTURE_EVENTS = ("payment.captured", "order.paid")  # Razorpay sends both when a payment is captured
PAYMENT_EVENTS = (*CAPTURE_EVENTS, "payment.failed")
REFUND_EVENTS = ("refund.processed", "refund.failed")


class ProviderUnavailable(Exception):
    """The provider did not answer in PAYMENT_TIMEOUT_SECONDS, refused the connection or failed (5xx).
    An adapter raises this, never its HTTP library's own errors, so the checkout can explain it."""


class ProviderRefused(Exception):
    """The provider answered and said no (a 4xx): wrong keys, or more refunded than is left, etc.
    `message` carries the provider's own description."""

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
    event_id_header = ""  # the HTTP header naming each webhook event, when the body does not

    @abstractmethod
    def create_order(self, order: Order) -> ProviderOrder:
        """Open an order for `order.total` at the provider. May call the network (within
        PAYMENT_TIMEOUT_SECONDS): not in a transaction. Raises ProviderUnavailable when it cannot,
        ProviderRefused when the provider says no."""

    @abstractmethod
    def verify_payment(self, *, provider_order_id: str, provider_payment_id: str, signature: str) -> None:
        """Check the signature the buyer's browser brought back from paying the provider's order;
        raise InvalidSignature when it does not match."""

    @abstractmethod
    def verify_webhook(self, body: bytes, signature: str, event_id: str = "") -> WebhookEvent:
        """Check the signature of the raw body and read it (`event_id`: the event_id_header's value);
        raise InvalidSignature or MalformedWebhook."""

    @abstractmethod
    def refund(self, *, provider_payment_id: str, amount: Decimal, notes: dict[str, str]) -> ProviderRefund:
        """Pay `amount` of a captured payment back. May call the network (within PAYMENT_TIMEOUT_SECONDS):
        not in a transaction. Raises ProviderUnavailable or ProviderRefused."""


class FakeGateway(PaymentGateway):
    """A provider that lives in this process: the order and webhook shapes of a Razorpay-like one.

    Webhooks are signed with HMAC-SHA256 of the raw body under PAYMENT_WEBHOOK_SECRET, hex, in
    X-Dukaan-Signature; a payment's signature is the HMAC of "order id|payment id" (Razorpay's scheme).
    `capture_webhook()` writes the body a real provider would send after the buyer paid, for tests
    and local runs. Refunds are processed at once.
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
                        "amount": paise(amount),
                        "currency": currency,
                        "status": event_type.removeprefix("payment."),
                    }
                }
            },
        }
        raw = json.dumps(body).encode()
        return raw, self.sign(raw)

    def payment_signature(self, provider_order_id: str, provider_payment_id: str) -> str:
        return self.sign(f"{provider_order_id}|{provider_payment_id}".encode())

    def verify_payment(self, *, provider_order_id: str, provider_payment_id: str, signature: str) -> None:
        expected = self.payment_signature(provider_order_id, provider_payment_id)
        if not hmac.compare_digest(expected.encode(), (signature or "").strip().lower().encode()):
            raise InvalidSignature("The payment's signature does not match its order and payment ids.")

    def verify_webhook(self, body: bytes, signature: str, event_id: str = "") -> WebhookEvent:
        signature = (signature or "").strip().lower()
        if not signature:
            raise InvalidSignature(
                f"The webhook has no signature: send it in the {self.signature_header} header."
            )
        if not hmac.compare_digest(self.sign(body).encode(), signature.encode()):  # bytes: any text compares
            raise InvalidSignature(
                f"The {self.signature_header} signature does not match the body. "
                "Check that PAYMENT_WEBHOOK_SECRET is the secret set at the provider."
            )
        data = load_webhook(body)
        named = data.get("id")  # the fake names its events in the body
        if not isinstance(named, str) or not named or len(named) > EVENT_ID_MAX:
            raise MalformedWebhook(
                f'The webhook has no event id (the "id" field, at most {EVENT_ID_MAX} characters).'
            )
        return read_webhook(data, event_id=named)

    def refund(self, *, provider_payment_id: str, amount: Decimal, notes: dict[str, str]) -> ProviderRefund:
        return ProviderRefund(refund_id=f"rfnd_{secrets.token_hex(8)}", status="processed")


def load_webhook(body: bytes) -> dict:
    try:
        data = json.loads(body)
    except ValueError as error:  # also bytes that are not UTF-8
        raise MalformedWebhook(f"The webhook body is not valid JSON: {error}.") from error
    if not isinstance(data, dict):
        raise MalformedWebhook("The webhook body must be a JSON object.")
    return data


def read_webhook(data: dict, *, event_id: str) -> WebhookEvent:
    """A webhook body in Razorpay's documented shape (payload.payment.entity, payload.refund.entity).

    Without an `event_id` the event is named by its type and its payment's (or refund's) id, which a
    redelivery repeats.
    """
    event_type = data.get("event")
    if not isinstance(event_type, str) or not event_type:
        raise MalformedWebhook('The webhook has no event type (the "event" field).')
    if event_type in REFUND_EVENTS:
        refund = _entity(data, "refund", event_type, ("id", "payment_id", "amount", "currency"))
        payment = data["payload"].get("payment")  # documented alongside; the order id is only there
        entity = payment.get("entity") if isinstance(payment, dict) else None
        order_id = entity.get("order_id") if isinstance(entity, dict) else None
        event = WebhookEvent(
            event_id=event_id or f"{event_type}:{refund['id']}",
            type=event_type,
            provider_order_id=order_id[:64] if isinstance(order_id, str) else "",
            provider_payment_id=refund["payment_id"][:64],
            provider_refund_id=refund["id"][:64],
            amount=Decimal(refund["amount"]).scaleb(-2),
            currency=refund["currency"].upper()[:3],
        )
    elif event_type in PAYMENT_EVENTS:
        payment = _entity(data, "payment", event_type, ("id", "order_id", "amount", "currency"))
        event = WebhookEvent(
            event_id=event_id or f"{event_type}:{payment['id']}",
            type=event_type,
            provider_order_id=payment["order_id"][:64],
            provider_payment_id=payment["id"][:64],
            amount=Decimal(payment["amount"]).scaleb(-2),  # exact: 54900 → 549.00
            currency=payment["currency"].upper()[:3],
        )
    else:  # not one we act on: remembered, then ignored
        event = WebhookEvent(event_id=event_id or f"{event_type}:{data.get('created_at')}", type=event_type)
    if len(event.event_id) > EVENT_ID_MAX:
        raise MalformedWebhook(f"The webhook's event id is longer than {EVENT_ID_MAX} characters.")
    return event


def _entity(data: dict, name: str, event_type: str, fields: tuple[str, ...]) -> dict:
    """payload.<name>.entity with `fields`: ids and currency as text, the amount in whole paise."""
    try:
        entity = data["payload"][name]["entity"]
        values = {field: entity[field] for field in fields}
    except (KeyError, TypeError) as error:
        raise MalformedWebhook(f"The {event_type} webhook lacks payload.{name}.entity.{error}.") from error
    amount = values.pop("amount")
    if not all(isinstance(value, str) and value for value in values.values()):
        raise MalformedWebhook(
            f"The {event_type} webhook's {', '.join(values).replace('_', ' ')} must be text."
        )
    if type(amount) is not int or amount < 0:
        raise MalformedWebhook(
            f"The {event_type} webhook's amount must be a whole number of paise (or cents)."
        )
    return {**values, "amount": amount}


def get_gateway() -> PaymentGateway | None:
    """The online payment provider configured by PAYMENT_GATEWAY, or None when there is none."""
    name = settings.PAYMENT_GATEWAY
    if not name:
        return None
    if name == FakeGateway.name:
        return FakeGateway(secret=settings.PAYMENT_WEBHOOK_SECRET)
    if name == "razorpay":
        return _razorpay()
    raise ImproperlyConfigured(
        f"PAYMENT_GATEWAY={name!r} is not a payment provider dukaan has an adapter for. "
        'Use "razorpay" or "fake", or leave it empty for cash on delivery and UPI only.'
    )


def _razorpay() -> PaymentGateway | None:
    from .razorpay import RazorpayGateway  # here: razorpay.py builds on this module

    keys = {
        "RAZORPAY_KEY_ID": settings.RAZORPAY_KEY_ID,
        "RAZORPAY_KEY_SECRET": settings.RAZORPAY_KEY_SECRET,
        "RAZORPAY_WEBHOOK_SECRET": settings.RAZORPAY_WEBHOOK_SECRET,
    }
    if not any(keys.values()):
        return None  # no keys yet: the checkout does not offer online payment
    missing = [name for name, value in keys.items() if not value]
    if missing:
        raise ImproperlyConfigured(
            f"PAYMENT_GATEWAY=razorpay needs {', '.join(missing)} too "
            "(Razorpay's Dashboard: API keys, and the webhook's secret)."
        )
    return RazorpayGateway(
        key_id=keys["RAZORPAY_KEY_ID"],
        key_secret=keys["RAZORPAY_KEY_SECRET"],
        webhook_secret=keys["RAZORPAY_WEBHOOK_SECRET"],
        api_url=settings.RAZORPAY_API_URL,
    )
