"""Credit notes: a refund of an invoiced order, in their own number series, split by GST rate."""

from datetime import datetime
from decimal import Decimal

import pytest

from dukaan.events.local import run_pending
from dukaan.invoices.models import CreditNote
from dukaan.invoices.pdf import pdf_response, render_credit_note
from dukaan.invoices.rules import CreditRow, credit_rows
from dukaan.invoices.services import cancel_invoice, issue_credit_note, issue_invoice
from dukaan.payments.services import refund_order
from dukaan.payments.tests.helpers import pay

from .conftest import IST, make_order
from .test_pdf import pdf_text

pytestmark = pytest.mark.django_db

REFUNDED = datetime(2026, 12, 20, 10, 0, tzinfo=IST)
D = Decimal


def test_the_refund_is_shared_over_the_rates_in_proportion_and_the_tax_taken_out_as_charged():
    charged = [(D("5"), D("898.20")), (D("18"), D("40.00"))]
    assert credit_rows(D("469.10"), charged, taxed=True, inter_state=False) == [
        CreditRow(D("5"), D("449.10"), D("427.71"), D("10.70"), D("10.69"), D("0.00")),
        CreditRow(D("18"), D("20.00"), D("16.95"), D("1.53"), D("1.52"), D("0.00")),
    ]
    (row,) = credit_rows(D("100.00"), [(D("12"), D("500.00"))], taxed=True, inter_state=True)
    assert (row.taxable_value, row.igst, row.cgst) == (D("89.29"), D("10.71"), D("0.00"))
    (row,) = credit_rows(D("100.00"), [(D("0"), D("500.00"))], taxed=False, inter_state=False)
    assert (row.taxable_value, row.gross) == (D("100.00"), D("100.00"))


def test_credit_notes_are_numbered_in_their_own_series_once_per_refund(store):
    order = make_order(store)
    invoice = issue_invoice(order=order)
    first = issue_credit_note(order=order, refund_id=7, amount=D("100.00"), at=REFUNDED)
    again = issue_credit_note(order=order, refund_id=7, amount=D("100.00"), at=REFUNDED)
    second = issue_credit_note(order=order, refund_id=8, amount=D("50.00"), at=REFUNDED)
    assert (first.pk, first.number, second.number) == (again.pk, "CN/2026-27/0001", "CN/2026-27/0002")
    assert invoice.number == "INV/2026-27/0001" and issue_invoice(order=make_order(store)).number.endswith(
        "0002"
    )
    next_year = issue_credit_note(
        order=order, refund_id=9, amount=D("1.00"), at=datetime(2027, 4, 1, tzinfo=IST)
    )
    assert next_year.number == "CN/2027-28/0001"


def test_an_order_without_an_invoice_or_with_a_cancelled_one_gets_no_credit_note(store):
    placed = make_order(store, accepted_at=None)
    assert issue_credit_note(order=placed, refund_id=1, amount=D("10.00"), at=REFUNDED) is None
    cancelled = make_order(store)
    issue_invoice(order=cancelled)
    cancel_invoice(order=cancelled)
    assert issue_credit_note(order=cancelled, refund_id=2, amount=D("10.00"), at=REFUNDED) is None
    assert not CreditNote.objects.exists()


def test_the_credit_note_pdf_names_the_invoice_and_splits_the_refund_by_gst_rate(store):
    order = make_order(store)
    issue_invoice(order=order)
    note = issue_credit_note(order=order, refund_id=7, amount=D("469.10"), at=REFUNDED)
    text = pdf_text(render_credit_note(note))
    for expected in [
        "Credit note",
        "Credit note number: CN/2026-27/0001",
        "Date: 20 Dec 2026",
        "Against invoice: INV/2026-27/0001 of 6 Dec 2026",
        "Order: #1",
        "Ravi Kumar",
        "5% 427.71 10.70 10.69 449.10",
        "18% 16.95 1.53 1.52 20.00",
        "Total Rs. 469.10",
        "Rupees four hundred sixty-nine and ten paise only",
    ]:
        assert expected in text, expected
    response = pdf_response(note)
    assert response["Content-Disposition"] == 'attachment; filename="CN-2026-27-0001.pdf"'


def test_a_refund_of_an_invoiced_order_issues_its_credit_note_through_the_consumer(store):
    order = pay(make_order(store))
    issue_invoice(order=order)
    refund = refund_order(store=store, order=order, amount=D("200.00"), method="upi", by="shop")
    run_pending()
    note = CreditNote.objects.get()
    assert (note.refund_id, note.amount, note.invoice.order_id) == (refund.pk, D("200.00"), order.pk)
    run_pending()
    assert CreditNote.objects.count() == 1
