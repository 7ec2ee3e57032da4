"""The orders' events: every type placing an order, moving it along, paying, refunding and shipping it writes.

All go to one aggregate type, `order` (topic dukaan.order), so each store's order events stay in
one order. Taking and giving back stock is the catalog's `stock.changed` (catalog/events.py).

The money and shipment events are emitted by `payments` and `fulfilment` but declared here: their
readers (notifications, analytics, invoices) are those apps' siblings and may not import them, and
everything about an order's life is one stream anyway.
"""

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, TypedDict

from dukaan.events.contract import declare

if TYPE_CHECKING:
    from .models import Order

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


class ConfirmationReminder(TypedDict):
    """A COD order still awaits its buyer's confirmation at half its time (orders/jobs.py)."""

    id: int
    number: int
    token: str
    confirm_by: datetime  # cancelled then if still not confirmed
    total: Decimal
    cod_advance: Decimal  # to pay by UPI to confirm; 0 = none


class DraftChanged(TypedDict):
    """An unfinished checkout saved or dismissed; no personal data (the buyer's phone stays in its row)."""

    id: int
    lines: int  # how many different items its cart holds


class OrderRef(TypedDict):
    """Which order an event of payments or fulfilment is about (`order_ref()` makes it)."""

    order_id: int
    number: int
    token: str  # the buyer's order page


def order_ref(order: "Order") -> OrderRef:
    return OrderRef(order_id=order.pk, number=order.number, token=order.public_token)


class PaymentRecorded(OrderRef):
    """Money in for an order: recorded by hand, matched from a bank statement, or captured online."""

    amount: Decimal
    method: str
    reference: str
    amount_paid: Decimal  # the order's sum after this payment
    payment_status: str


class RefundRecorded(OrderRef):
    refund_id: int
    amount: Decimal
    method: str
    amount_refunded: Decimal  # the order's sum after this refund
    payment_status: str
    status: str  # "processed", or "pending" while a gateway has yet to confirm it


class ShipmentCreated(OrderRef):
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
# The notifier texts the buyer again.
ORDER_CONFIRMATION_REMINDER = declare(
    "order.confirmation_reminder", aggregatetype=ORDER, payload=ConfirmationReminder
)
# Emitted by payments and fulfilment (see the module's docstring).
PAYMENT_RECORDED = declare("payment.recorded", aggregatetype=ORDER, payload=PaymentRecorded, external=True)
REFUND_RECORDED = declare("refund.recorded", aggregatetype=ORDER, payload=RefundRecorded, external=True)
REFUND_PROCESSED = declare("refund.processed", aggregatetype=ORDER, payload=RefundRecorded, external=True)
SHIPMENT_CREATED = declare("shipment.created", aggregatetype=ORDER, payload=ShipmentCreated, external=True)
# Unfinished checkouts (a buyer typed their phone, then may not order) are for integrators too.
DRAFT_SAVED = declare("checkout_draft.saved", aggregatetype=ORDER, payload=DraftChanged, external=True)
DRAFT_DISMISSED = declare(
    "checkout_draft.dismissed", aggregatetype=ORDER, payload=DraftChanged, external=True
)
