"""{% buyer_refunds order as refunds %}: what the buyer's order page says about money paid back."""

from django import template

from dukaan.invoices.selectors import credit_notes_by_refund
from dukaan.payments.models import Refund
from dukaan.payments.selectors import order_refunds

register = template.Library()


@register.simple_tag
def buyer_refunds(order) -> list[tuple[Refund, object]]:
    """The refunds made or on their way (not failed ones), each with its credit note or None."""
    where = {"store_id": order.store_id, "order_id": order.pk}
    notes = credit_notes_by_refund(**where)
    return [
        (refund, notes.get(refund.pk))
        for refund in order_refunds(**where)
        if refund.status != Refund.Status.FAILED
    ]
