"""Issuing invoices: numbered per store and financial year, once per order, never changed afterwards."""

from datetime import datetime

import pytest

from dukaan.conftest import change_store
from dukaan.events.local import run_pending
from dukaan.events.models import OutboxEvent
from dukaan.invoices.models import Invoice
from dukaan.invoices.services import NoInvoiceYet, cancel_invoice, issue_invoice
from dukaan.orders.models import Order
from dukaan.orders.services import change_order_status

from .conftest import GSTIN, IST, make_order

pytestmark = pytest.mark.django_db


def invoice_events(store, kind: str) -> int:
    return OutboxEvent.objects.filter(aggregateid=str(store.pk), type=kind).count()


def test_invoices_are_numbered_one_after_another_within_a_store(store, other_store):
    numbers = [issue_invoice(order=make_order(store)).number for _ in range(3)]
    assert numbers == ["INV/2026-27/0001", "INV/2026-27/0002", "INV/2026-27/0003"]
    assert issue_invoice(order=make_order(other_store)).number == "INV/2026-27/0001"


def test_an_order_accepted_on_31_march_is_in_the_old_year_and_1_april_starts_again_at_one(store):
    march = issue_invoice(order=make_order(store, accepted_at=datetime(2026, 3, 31, 23, 59, 59, tzinfo=IST)))
    april = issue_invoice(order=make_order(store, accepted_at=datetime(2026, 4, 1, 0, 0, tzinfo=IST)))
    late_march = issue_invoice(order=make_order(store, accepted_at=datetime(2026, 3, 30, 10, 0, tzinfo=IST)))
    assert [march.number, late_march.number] == ["INV/2025-26/0001", "INV/2025-26/0002"]
    assert (april.number, april.financial_year, april.sequence) == ("INV/2026-27/0001", "2026-27", 1)


def test_the_invoice_is_dated_when_the_order_was_accepted(store):
    order = make_order(store)
    assert issue_invoice(order=order).issued_at == order.accepted_at


def test_issuing_again_gives_the_same_invoice_and_writes_one_event(store):
    order = make_order(store)
    first = issue_invoice(order=order)
    again = issue_invoice(order=order)
    assert again.pk == first.pk and again.number == first.number
    assert Invoice.objects.filter(store=store).count() == 1
    assert invoice_events(store, "invoice.issued") == 1


def test_an_order_not_yet_accepted_has_no_invoice(store):
    order = make_order(store, accepted_at=None)
    with pytest.raises(
        NoInvoiceYet, match=rf"Order #{order.number} has no invoice yet: it gets one when you accept it."
    ):
        issue_invoice(order=order)
    assert not Invoice.objects.exists()


def test_a_registered_seller_issues_a_tax_invoice_and_an_unregistered_one_a_bill_of_supply(store):
    taxed = issue_invoice(order=make_order(store))
    assert (taxed.kind, taxed.seller_gstin, taxed.seller_state) == ("tax_invoice", GSTIN, "29")
    untaxed = issue_invoice(order=make_order(store, gstin=""))
    assert (untaxed.kind, untaxed.seller_gstin) == ("bill_of_supply", "")


def test_the_seller_and_buyer_are_copied_so_later_changes_do_not_alter_the_invoice(store):
    order = make_order(store)
    issued = issue_invoice(order=order)
    change_store(store, name="Asha Fashions")
    Order.objects.filter(pk=order.pk).update(buyer_name="Someone else")
    invoice = Invoice.objects.get(pk=issued.pk)
    assert (invoice.seller_name, invoice.seller_legal_name) == ("Store asha-store", "Store asha-store")
    assert (invoice.buyer_name, invoice.buyer_pin_code, invoice.buyer_state) == ("Ravi Kumar", "560038", "29")


def test_a_cancelled_order_keeps_its_invoice_number_with_a_note_and_the_number_is_not_reused(store):
    order = make_order(store)
    invoice = issue_invoice(order=order)
    change_order_status(order=order, status="cancelled")
    cancelled = cancel_invoice(order=order)
    assert cancelled.number == invoice.number == "INV/2026-27/0001"
    assert cancelled.cancelled_at is not None
    assert cancelled.cancellation_note.startswith(f"Order #{order.number} was cancelled on ")
    assert "its number is not used again" in cancelled.cancellation_note
    assert cancel_invoice(order=order).cancelled_at == cancelled.cancelled_at
    assert invoice_events(store, "invoice.cancelled") == 1
    assert issue_invoice(order=make_order(store)).number == "INV/2026-27/0002"


def test_an_order_cancelled_before_acceptance_has_no_invoice_to_cancel(store):
    order = make_order(store, accepted_at=None)
    change_order_status(order=order, status="cancelled")
    assert cancel_invoice(order=order) is None


def test_an_invoice_issued_after_its_order_was_cancelled_is_cancelled_at_once(store):
    order = make_order(store, status=Order.Status.CANCELLED)
    assert issue_invoice(order=order).cancellation_note


def test_the_consumer_issues_on_acceptance_and_notes_the_cancellation(store):
    order = make_order(store, accepted_at=None)
    change_order_status(order=order, status="accepted")
    run_pending()
    invoice = Invoice.objects.get(order=order)
    number = invoice.number
    assert invoice.sequence == 1 and invoice.cancelled_at is None
    change_order_status(order=order, status="cancelled")
    run_pending()
    invoice.refresh_from_db()
    assert invoice.number == number and invoice.cancelled_at is not None
