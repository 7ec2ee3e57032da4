"""{% order_refunds order as refunds %}: the refunds card on the order page."""

from django import template

from dukaan.invoices.selectors import credit_notes_by_refund
from dukaan.payments.selectors import order_refunds as refunds_of
from dukaan.payments.selectors import refund_methods

register = template.Library()


@register.simple_tag
def order_refunds(order) -> dict:
    where = {"store_id": order.store_id, "order_id": order.pk}
    notes = credit_notes_by_refund(**where)
    return {
        "made": [(refund, notes.get(refund.pk)) for refund in refunds_of(**where)],
        "left": order.amount_paid - order.amount_refunded,
        "methods": refund_methods(**where),
        "lines": [(line, line.quantity - line.restocked) for line in order.lines.all()],
    }
