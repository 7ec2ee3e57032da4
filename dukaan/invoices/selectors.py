"""Reads of invoices for the pages and the API."""

from .models import CreditNote, Invoice


def credit_notes_by_refund(*, store_id: int, order_id: int) -> dict[int, CreditNote]:
    """The order's credit notes, by the refund each records."""
    # The invoice first, then its notes: joined, the planner walks every store's credit notes.
    invoice_id = (
        Invoice.objects.filter(store_id=store_id, order_id=order_id).values_list("pk", flat=True).first()
    )
    if invoice_id is None:
        return {}
    notes = CreditNote.objects.filter(store_id=store_id, invoice_id=invoice_id)
    return {note.refund_id: note for note in notes}
