"""The payments' events. They go to the order's aggregate type (topic dukaan.order), so each store's
payment events stay in order with its order events."""

from decimal import Decimal
from typing import TypedDict

from dukaan.events.contract import declare
from dukaan.orders.events import ORDER, RefundRecorded


class PaymentCreated(TypedDict):
    order_id: int
    number: int
    provider: str
    provider_order_id: str
    amount: Decimal
    currency: str


class PaymentSettled(PaymentCreated):
    token: str
    provider_payment_id: str


# Payments are for integrators (no consumer group of ours reads them yet).
PAYMENT_CREATED = declare("payment.created", aggregatetype=ORDER, payload=PaymentCreated, external=True)
PAYMENT_CAPTURED = declare("payment.captured", aggregatetype=ORDER, payload=PaymentSettled, external=True)
PAYMENT_FAILED = declare("payment.failed", aggregatetype=ORDER, payload=PaymentSettled, external=True)
# A gateway refund the provider failed (or refused): its amount is no longer counted as refunded.
REFUND_FAILED = declare("refund.failed", aggregatetype=ORDER, payload=RefundRecorded, external=True)
