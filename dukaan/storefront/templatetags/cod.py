"""What the buyer's order page shows of a COD order awaiting confirmation: the advance to pay by UPI."""

import segno
from django import template

from dukaan.orders.models import Order
from dukaan.orders.payments import upi_link

register = template.Library()


@register.simple_tag
def advance_payment(order: Order) -> dict[str, str]:
    """The UPI link and its QR code for the advance still to pay; empty when none is asked."""
    if order.status != Order.Status.UNCONFIRMED or order.upi_amount is None or not order.store.upi_id:
        return {}
    link = upi_link(order)
    return {"link": link, "qr": segno.make(link, error="m").svg_inline(scale=4, border=2, omitsize=True)}
