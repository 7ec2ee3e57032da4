"""Every write of invoices: issuing one for an accepted order, marking it cancelled with its order, and
issuing a credit note for each refund of an invoiced order."""

from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from dukaan.events.outbox import emit
from dukaan.orders.models import Order
from dukaan.taxes.selectors import tax_terms

from . import rules
from .events import CREDIT_NOTE_ISSUED, INVOICE_CANCELLED, INVOICE_ISSUED, CreditNoteData, InvoiceData
from .models import CreditNote, Invoice, InvoiceCounter


class NoInvoiceYet(Exception):
    """The order was never accepted, so it has no invoice."""

    def __init__(self, order: Order):
        self.message = f"Order #{order.number} has no invoice yet: it gets one when you accept it."
        super().__init__(self.message)


def _data(invoice: Invoice) -> InvoiceData:
    return InvoiceData(
        id=invoice.pk,
        order_id=invoice.order.pk,
        order_number=invoice.order.number,
        number=invoice.number,
        kind=invoice.kind,
        issued_at=invoice.issued_at,
        total=invoice.order.total,
        cancelled_at=invoice.cancelled_at,
    )


def _next_sequence(store_id: int, year: str, series: str = InvoiceCounter.Series.INVOICE) -> int:
    """The store's next number in `series` and `year`. The update locks the counter row until the
    document commits, so concurrent issues queue and a rolled-back issue gives its number back: no
    gaps, no repeats."""
    InvoiceCounter.objects.get_or_create(store_id=store_id, series=series, financial_year=year)
    counter = InvoiceCounter.objects.filter(store_id=store_id, series=series, financial_year=year)
    counter.update(last=F("last") + 1)
    return counter.values_list("last", flat=True).get()


def _local(at: datetime) -> datetime:
    """`at` in settings.TIME_ZONE, where the financial year and the invoice's date are reckoned."""
    return timezone.localtime(at, timezone.get_default_timezone())


def _local_date(at: datetime) -> str:
    day = _local(at)
    return f"{day.day} {day:%b %Y}"


def _cancel(invoice: Invoice, order: Order) -> None:
    invoice.cancelled_at = order.cancelled_at or timezone.now()
    invoice.cancellation_note = (
        f"Order #{order.number} was cancelled on {_local_date(invoice.cancelled_at)}. "
        "This invoice is cancelled; its number is not used again."
    )
    invoice.save(update_fields=["cancelled_at", "cancellation_note"])
    emit(INVOICE_CANCELLED, store_id=invoice.store_id, data=_data(invoice))


@transaction.atomic
def issue_invoice(*, order: Order) -> Invoice:
    """The order's invoice, issued now if it has none yet (idempotent: the consumer of order.accepted
    calls it, and so does a download that comes first). Dated when the order was accepted, numbered
    in that day's financial year; an order cancelled since gets it marked cancelled."""
    order = Order.objects.select_for_update(of=("self",)).select_related("store").get(pk=order.pk)
    invoice = Invoice.objects.filter(order=order).first()
    if invoice is not None:
        invoice.order = order
        return invoice
    if order.accepted_at is None:
        raise NoInvoiceYet(order)
    year = rules.financial_year(_local(order.accepted_at).date())
    sequence = _next_sequence(order.store_id, year)
    # The legal name and address as the store has them now; the GSTIN and state stay the order's own,
    # the registration its tax was charged under.
    terms = tax_terms(order.store_id)
    seller = rules.seller(
        store_name=order.store.name,
        legal_name=terms.legal_name,
        address=terms.address,
        gstin=order.gstin,
        state_code=order.seller_state,
    )
    invoice = Invoice.objects.create(
        store=order.store,
        order=order,
        kind=Invoice.Kind.TAX_INVOICE if order.gstin else Invoice.Kind.BILL_OF_SUPPLY,
        financial_year=year,
        sequence=sequence,
        number=rules.invoice_number(year, sequence),
        issued_at=order.accepted_at,
        seller_name=seller.name,
        seller_legal_name=seller.legal_name,
        seller_address=seller.address,
        seller_gstin=seller.gstin,
        seller_state=seller.state_code,
        buyer_name=order.buyer_name,
        buyer_phone=order.buyer_phone,
        buyer_address=order.address,
        buyer_pin_code=order.pin_code,
        buyer_state=order.delivery_state,
    )
    emit(INVOICE_ISSUED, store_id=order.store_id, data=_data(invoice))
    if order.status == Order.Status.CANCELLED:
        _cancel(invoice, order)
    return invoice


@transaction.atomic
def cancel_invoice(*, order: Order) -> Invoice | None:
    """Mark the order's invoice cancelled, once; the number stays taken. None when it has no invoice
    (an order cancelled before it was accepted never had one)."""
    invoice = Invoice.objects.select_for_update().filter(order_id=order.pk).first()
    if invoice is None or invoice.cancelled_at is not None:
        return invoice
    invoice.order = Order.objects.get(pk=order.pk)
    _cancel(invoice, invoice.order)
    return invoice


@transaction.atomic
def issue_credit_note(*, order: Order, refund_id: int, amount: Decimal, at: datetime) -> CreditNote | None:
    """The credit note of a refund made `at`, issued once per refund (idempotent). None when the order
    has no invoice or its invoice is cancelled: a cancelled invoice already takes back all of it."""
    invoice = Invoice.objects.select_for_update().filter(store_id=order.store_id, order_id=order.pk).first()
    if invoice is None or invoice.cancelled_at is not None:
        return None
    found = CreditNote.objects.filter(store_id=order.store_id, refund_id=refund_id).first()
    if found is not None:
        return found
    year = rules.financial_year(_local(at).date())
    sequence = _next_sequence(order.store_id, year, InvoiceCounter.Series.CREDIT_NOTE)
    note = CreditNote.objects.create(
        store_id=order.store_id,
        invoice=invoice,
        refund_id=refund_id,
        financial_year=year,
        sequence=sequence,
        number=rules.credit_note_number(year, sequence),
        issued_at=at,
        amount=amount,
    )
    emit(
        CREDIT_NOTE_ISSUED,
        store_id=order.store_id,
        data=CreditNoteData(
            id=note.pk,
            invoice_id=invoice.pk,
            invoice_number=invoice.number,
            order_id=order.pk,
            refund_id=refund_id,
            number=note.number,
            issued_at=at,
            amount=amount,
        ),
    )
    return note
