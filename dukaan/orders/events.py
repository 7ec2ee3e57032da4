"""The orders' events: every type placing an order, moving it along and paying for it writes.

All go to one aggregate type, `order` (topic dukaan.order), so each store's order events stay in
one order. Taking and giving back stock is the catalog's `stock.changed` (catalog/events.py).
"""

from datetime import datetime
from decimal import Decimal
from typing import TypedDict

from dukaan.events.contract import declare

ORDER = "order"


class PlacedLine(TypedDict):
    product_id: int
    variant_id: int | None
    name: str
    variant_label: str
    sku: str
    unit_price: Decimal
    quantity: int
    line_total: Decimal


class OrderPlaced(TypedDict):
    id: int
    number: int
    token: str  # the buyer's order page
    status: str
    # The order's stored money (orders.pricing): total = subtotal - discount_total + fees (+ tax when
    # prices exclude it).
    subtotal: Decimal
    discount_total: Decimal
    delivery_fee: Decimal
    cod_fee: Decimal
    tax: Decimal  # CGST + SGST + IGST, included in the total
    total: Decimal
    currency: str
    coupon_code: str
    payment_method: str
    buyer_name: str
    lines: list[PlacedLine]


class OrderStatusChanged(TypedDict):
    id: int
    number: int
    token: str
    status: str
    previous_status: str
    at: datetime  # when the status changed
    total: Decimal
    placed_at: datetime  # analytics takes a cancelled order off this day


class DraftChanged(TypedDict):
    """An unfinished checkout saved or dismissed; no personal data (the buyer's phone stays in its row)."""

    id: int
    lines: int  # how many different items its cart holds


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


ORDER_PLACED = declare("order.placed", aggregatetype=ORDER, payload=OrderPlaced)
ORDER_ACCEPTED = declare("order.accepted", aggregatetype=ORDER, payload=OrderStatusChanged)
ORDER_SHIPPED = declare("order.shipped", aggregatetype=ORDER, payload=OrderStatusChanged)
ORDER_DELIVERED = declare("order.delivered", aggregatetype=ORDER, payload=OrderStatusChanged)
ORDER_CANCELLED = declare("order.cancelled", aggregatetype=ORDER, payload=OrderStatusChanged)
# Payments are for integrators (no consumer group of ours reads them yet).
PAYMENT_CREATED = declare("payment.created", aggregatetype=ORDER, payload=PaymentCreated, external=True)
PAYMENT_CAPTURED = declare("payment.captured", aggregatetype=ORDER, payload=PaymentSettled, external=True)
PAYMENT_FAILED = declare("payment.failed", aggregatetype=ORDER, payload=PaymentSettled, external=True)
# Unfinished checkouts (a buyer typed their phone, then may not order) are for integrators too.
DRAFT_SAVED = declare("checkout_draft.saved", aggregatetype=ORDER, payload=DraftChanged, external=True)
DRAFT_DISMISSED = declare(
    "checkout_draft.dismissed", aggregatetype=ORDER, payload=DraftChanged, external=True
)
