"""Reads of invoices for the pages and the API."""

from .models import CreditNote


def credit_notes_by_refund(*, store_id: int, order_id: int) -> dict[int, CreditNote]:
    """The order's credit notes, by the refund each records."""
    notes = CreditNote.objects.filter(store_id=store_id, invoice__order_id=order_id)
    return {note.refund_id: note for note in notes}
