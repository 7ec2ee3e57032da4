"""UPI deep links: the buyer's UPI app opens with the store's UPI ID, the amount and the order's reference."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING
from urllib.parse import quote, urlencode

if TYPE_CHECKING:
    from .models import Order


def upi_link(order: Order, amount: Decimal | None = None) -> str:
    """A upi:// link any UPI app opens with the store's UPI ID, the amount asked and the order's reference.

    The amount is `order.upi_amount` (the total plus a few paise no other open UPI order of the store
    asks for) unless `amount` is given; the note carries `order.pay_reference`. Both come back on the
    shopkeeper's bank statement, which is what payments.matching pairs to the order.
    """
    store = order.store
    if not store.upi_id:
        raise ValueError(f"{store.name} has no UPI ID, so there is no UPI link to pay order #{order.number}.")
    asked = amount if amount is not None else order.amount_asked
    params = {
        "pa": store.upi_id,
        "pn": store.name,
        "am": format(asked, ".2f"),
        "cu": order.currency,
        "tn": upi_note(order),
    }
    # %20 rather than "+" for spaces: UPI apps do not all read "+" as a space.
    return "upi://pay?" + urlencode(params, quote_via=quote, safe="@")


def upi_note(order: Order) -> str:
    """The note a UPI payment for `order` carries (UPI apps keep about 50 characters of it)."""
    return f"Order {order.number} ref {order.pay_reference}"
