"""Razorpay behind the PaymentGateway interface, through Razorpay's official client (`razorpay` on PyPI).

The buyer pays on a page of ours that opens Razorpay's Checkout (payments/checkout.py) for the order
opened here; Checkout posts the payment's signature back to our callback, and Razorpay's webhooks
confirm captures and refunds. Every call to Razorpay waits at most PAYMENT_TIMEOUT_SECONDS and raises
ProviderUnavailable (outage, timeout, 5xx) or ProviderRefused (4xx, with Razorpay's description), never
the client's own errors. docs/payments.md says how to try it with test keys.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import razorpay
import requests
from django.conf import settings
from django.urls import reverse
from razorpay.errors import BadRequestError, GatewayError, ServerError, SignatureVerificationError

from .gateways import (
    InvalidSignature,
    MalformedWebhook,
    PaymentGateway,
    ProviderOrder,
    ProviderRefund,
    ProviderRefused,
    ProviderUnavailable,
    WebhookEvent,
    load_webhook,
    paise,
    read_webhook,
)

if TYPE_CHECKING:
    from dukaan.orders.models import Order

RECEIPT_MAX = 40  # characters, Razorpay's limit for an order's receipt


class RazorpayGateway(PaymentGateway):
    name = "razorpay"
    signature_header = "X-Razorpay-Signature"
    event_id_header = "X-Razorpay-Event-Id"

    def __init__(self, *, key_id: str, key_secret: str, webhook_secret: str, api_url: str) -> None:
        self.key_id = key_id
        self._client = razorpay.Client(auth=(key_id, key_secret), base_url=api_url.rstrip("/"))
        self._webhook_secret = webhook_secret

    def _call(self, doing: str, method: Callable[..., Any], *args: Any) -> dict:
        try:
            answer = method(*args, timeout=settings.PAYMENT_TIMEOUT_SECONDS)
        except BadRequestError as error:
            raise ProviderRefused(f"Razorpay refused to {doing}: {error}") from error
        except (GatewayError, ServerError, requests.RequestException) as error:
            raise ProviderUnavailable(
                f"Razorpay could not {doing}: {error or type(error).__name__}"
            ) from error
        if not isinstance(answer, dict) or not isinstance(answer.get("id"), str):
            raise ProviderUnavailable(
                f"Razorpay answered an attempt to {doing} without an id: {answer!r:.200}"
            )
        return answer

    def create_order(self, order: Order) -> ProviderOrder:
        number = f"-{order.number}"
        opened = self._call(
            f"open order #{order.number}",
            self._client.order.create,
            {
                "amount": paise(order.total),
                "currency": order.currency,
                "receipt": order.store.slug[: RECEIPT_MAX - len(number)] + number,
                "notes": {
                    "store": order.store.slug,
                    "order_number": str(order.number),
                    "pay_reference": order.pay_reference,
                },
            },
        )
        # Checkout runs on our page (Razorpay has no hosted page for an order): the buyer goes there.
        page = reverse("payments:razorpay_checkout", args=[order.public_token, opened["id"]])
        return ProviderOrder(provider_order_id=opened["id"], checkout_url=settings.SITE_URL + page)

    def verify_payment(self, *, provider_order_id: str, provider_payment_id: str, signature: str) -> None:
        parameters = {
            "razorpay_order_id": provider_order_id,
            "razorpay_payment_id": provider_payment_id,
            "razorpay_signature": signature,
        }
        # The client compares text with hmac.compare_digest, which only takes ASCII.
        if not signature.isascii() or not self._verified(
            self._client.utility.verify_payment_signature, parameters
        ):
            raise InvalidSignature(
                "The payment's signature does not match its order and payment ids: it did not come from "
                "Razorpay's Checkout for this order, or RAZORPAY_KEY_SECRET is not the key's secret."
            )

    def verify_webhook(self, body: bytes, signature: str, event_id: str = "") -> WebhookEvent:
        signature = (signature or "").strip()
        if not signature:
            raise InvalidSignature(
                f"The webhook has no signature: Razorpay sends it in {self.signature_header}."
            )
        try:
            text = body.decode()
        except UnicodeDecodeError as error:
            raise MalformedWebhook("The webhook body is not UTF-8 text, so not Razorpay's JSON.") from error
        verify = self._client.utility.verify_webhook_signature
        if not signature.isascii() or not self._verified(verify, text, signature, self._webhook_secret):
            raise InvalidSignature(
                f"The {self.signature_header} signature does not match the body. Check that "
                "RAZORPAY_WEBHOOK_SECRET is the secret of this webhook in Razorpay's Dashboard."
            )
        # Razorpay names each event in a header, not in the body (see read_webhook when it is missing).
        return read_webhook(load_webhook(body), event_id=event_id.strip())

    @staticmethod
    def _verified(verify: Callable[..., Any], *args: Any) -> bool:
        try:
            verify(*args)
        except SignatureVerificationError:
            return False
        return True

    def refund(self, *, provider_payment_id: str, amount: Decimal, notes: dict[str, str]) -> ProviderRefund:
        refunded = self._call(
            f"refund payment {provider_payment_id}",
            self._client.payment.refund,
            provider_payment_id,
            {"amount": paise(amount), "notes": notes},
        )
        return ProviderRefund(refund_id=refunded["id"], status=str(refunded.get("status", "pending")))
