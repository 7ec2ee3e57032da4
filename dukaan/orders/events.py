"""The orders' events: every type placing an order, moving it along, paying, refunding and shipping it writes.

All go to one aggregate type, `order` (topic dukaan.order), so each store's order events stay in
one order. Taking and giving back stock is the catalog's `stock.changed` (catalog/events.py).

The money and shipment events are emitted by `payments` and `fulfilment` but declared here: their
readers (notifications, analytics, invoices) are those apps' siblings and may not import them, and
everything about an order's life is one stream anyway.
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
    by: str  # who moved it: "shop", "buyer", "system" ("" when not said)


class PaymentRecorded(TypedDict):
    """Money in for an order: recorded by hand, matched from a bank statement, or captured online."""

    order_id: int
    number: int
    token: str
    amount: Decimal
    method: str
    reference: str
    amount_paid: Decimal  # the order's sum after this payment
    payment_status: str


class RefundRecorded(TypedDict):
    order_id: int
    number: int
    token: str
    refund_id: int
    amount: Decimal
    method: str
    amount_refunded: Decimal  # the order's sum after this refund
    payment_status: str
    status: str  # "processed", or "pending" while a gateway has yet to confirm it


class ShipmentCreated(TypedDict):
    order_id: int
    number: int
    token: str
    courier: str
    tracking_number: str
    tracking_url: str


ORDER_PLACED = declare("order.placed", aggregatetype=ORDER, payload=OrderPlaced)
ORDER_CONFIRMED = declare("order.confirmed", aggregatetype=ORDER, payload=OrderStatusChanged, external=True)
ORDER_ACCEPTED = declare("order.accepted", aggregatetype=ORDER, payload=OrderStatusChanged)
ORDER_SHIPPED = declare("order.shipped", aggregatetype=ORDER, payload=OrderStatusChanged)
ORDER_DELIVERED = declare("order.delivered", aggregatetype=ORDER, payload=OrderStatusChanged)
ORDER_RETURNED = declare("order.returned", aggregatetype=ORDER, payload=OrderStatusChanged)
ORDER_CANCELLED = declare("order.cancelled", aggregatetype=ORDER, payload=OrderStatusChanged)
# Emitted by payments and fulfilment (see the module's docstring).
PAYMENT_RECORDED = declare("payment.recorded", aggregatetype=ORDER, payload=PaymentRecorded, external=True)
REFUND_RECORDED = declare("refund.recorded", aggregatetype=ORDER, payload=RefundRecorded, external=True)
REFUND_PROCESSED = declare("refund.processed", aggregatetype=ORDER, payload=RefundRecorded, external=True)
SHIPMENT_CREATED = declare("shipment.created", aggregatetype=ORDER, payload=ShipmentCreated, external=True)
