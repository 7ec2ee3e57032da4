"""Matching UPI payments: a statement's credits pay the orders they name by reference and exact amount,
once, in the store that uploaded them; everything else is listed for the shopkeeper."""

from decimal import Decimal

import pytest
from django.urls import reverse

from dukaan.conftest import make_store, race
from dukaan.orders.models import Order
from dukaan.orders.services import change_order_status
from dukaan.orders.tests.conftest import concurrent_db, event_counts, events  # noqa: F401 (a fixture)
from dukaan.payments.models import StatementLineApplied
from dukaan.payments.services import match_statement
from dukaan.payments.statements import StatementRefused

from .statement_helpers import credit, takes_upi, upi_order

pytestmark = pytest.mark.django_db

BY = "+91 98123 45601 in the dashboard"


@pytest.fixture
def shop(store):
    return takes_upi(store)


def refreshed(placed: Order) -> Order:
    return Order.objects.get(pk=placed.pk)


def test_a_line_with_the_reference_and_exact_amount_pays_the_order(shop):
    placed = upi_order(shop, "a")
    asked = placed.upi_amount

    report = match_statement(store=shop, text=credit(placed), by=BY)

    (paid,) = report.paid
    assert (paid.order_numbers, paid.amount, paid.note) == (
        (placed.number,),
        asked,
        "Reference and amount match.",
    )
    placed = refreshed(placed)
    assert (placed.payment_status, placed.amount_paid, placed.upi_amount) == ("paid", asked, None)
    applied = StatementLineApplied.objects.get()
    assert (applied.store, applied.order, applied.amount, applied.utr, applied.by) == (
        shop,
        placed,
        asked,
        "623456789012",
        BY,
    )
    (recorded,) = events(shop, "payment.recorded")
    assert recorded.payload["data"]["payment_status"] == "paid"
    assert recorded.payload["data"]["amount"] == str(asked)


def test_a_line_with_no_reference_is_matched_by_its_exact_amount_and_says_so(shop):
    placed, other = upi_order(shop, "a"), upi_order(shop, "b", price="120.00")

    report = match_statement(store=shop, text=credit(placed, ref=False), by=BY)

    (paid,) = report.paid
    assert paid.order_numbers == (placed.number,)
    assert "matched by its exact amount" in paid.note
    assert refreshed(placed).payment_status == "paid"
    assert refreshed(other).payment_status == "pending"


def test_the_reference_with_another_amount_is_left_to_check_by_hand(shop):
    placed = upi_order(shop, "a")

    report = match_statement(store=shop, text=credit(placed, amount=Decimal("500.00")), by=BY)

    (check,) = report.check
    assert check.order_numbers == (placed.number,)
    assert f"asks for {placed.upi_amount}; this line has 500.00" in check.note
    assert refreshed(placed).payment_status == "pending"
    assert not StatementLineApplied.objects.exists()
    assert event_counts(shop)["payment.recorded"] == 0


def test_an_amount_several_open_orders_ask_for_is_ambiguous_and_pays_none(shop):
    first, second = upi_order(shop, "a"), upi_order(shop, "b")
    # Placing keeps open UPI amounts apart while it can: the 101st open order asking for the same rupees
    # shares an amount (orders.services.unique_upi_amount).
    Order.objects.filter(pk=second.pk).update(upi_amount=first.upi_amount)

    report = match_statement(store=shop, text=credit(first, ref=False), by=BY)

    (ambiguous,) = report.ambiguous
    assert sorted(ambiguous.order_numbers) == [first.number, second.number]
    assert {refreshed(first).payment_status, refreshed(second).payment_status} == {"pending"}


def test_a_line_that_matches_nothing_is_listed_as_not_matched(shop):
    upi_order(shop, "a")

    report = match_statement(
        store=shop, text="05-12-2026 UPI/CR/623456789555/SOMEONE/gift 1,000.00 Cr\n", by=BY
    )

    (unmatched,) = report.unmatched
    assert (unmatched.line_no, unmatched.amount, unmatched.order_numbers) == (1, Decimal("1000.00"), ())
    assert not report.paid


def test_the_same_line_twice_in_one_statement_pays_once(shop):
    placed = upi_order(shop, "a")

    report = match_statement(store=shop, text=credit(placed) * 2, by=BY)

    assert [line.line_no for line in report.paid] == [1]
    assert [line.line_no for line in report.duplicates] == [2]
    assert refreshed(placed).amount_paid == placed.upi_amount
    assert event_counts(shop)["payment.recorded"] == 1


def test_the_same_statement_uploaded_again_pays_nothing_more(shop):
    placed, later = upi_order(shop, "a"), upi_order(shop, "b", price="120.00")
    match_statement(store=shop, text=credit(placed), by=BY)

    # The second download of the statement has the first line again, and a new one.
    report = match_statement(store=shop, text=credit(placed) + credit(later, utr="623456789013"), by=BY)

    assert [line.order_numbers for line in report.paid] == [(later.number,)]
    (duplicate,) = report.duplicates
    assert duplicate.note == "Paid an order before."
    assert refreshed(placed).amount_paid == placed.upi_amount
    assert StatementLineApplied.objects.count() == 2


def test_a_line_without_a_utr_is_known_again_by_its_date_amount_and_text(shop):
    placed = upi_order(shop, "a")
    text = f"06/12/2026 Received from RAVI note {placed.pay_reference} ₹{placed.upi_amount}\n"

    first = match_statement(store=shop, text=text, by=BY)
    again = match_statement(store=shop, text=text, by=BY)

    assert (len(first.paid), len(again.paid), len(again.duplicates)) == (1, 0, 1)


def test_a_cancelled_orders_payment_is_not_applied(shop):
    placed = upi_order(shop, "a")
    change_order_status(order=placed, status="cancelled")

    report = match_statement(store=shop, text=credit(placed), by=BY)

    (check,) = report.check
    assert "is cancelled" in check.note
    assert refreshed(placed).payment_status == "pending"
    assert not StatementLineApplied.objects.exists()


def test_a_cancelled_orders_amount_alone_matches_no_one(shop):
    placed = upi_order(shop, "a")
    change_order_status(order=placed, status="cancelled")

    report = match_statement(store=shop, text=credit(placed, ref=False), by=BY)

    assert len(report.unmatched) == 1 and not report.paid


def test_another_stores_order_is_never_matched(shop):
    other = takes_upi(make_store("+919812345602", "bala-store"))
    theirs = upi_order(other, "b")

    by_reference = match_statement(store=shop, text=credit(theirs), by=BY)
    by_amount = match_statement(store=shop, text=credit(theirs, ref=False, utr="623456789013"), by=BY)

    assert len(by_reference.unmatched) == len(by_amount.unmatched) == 1
    assert refreshed(theirs).payment_status == "pending"
    assert not StatementLineApplied.objects.exists()


def test_the_same_utr_in_another_store_is_that_stores_own(shop):
    other = takes_upi(make_store("+919812345602", "bala-store"))
    mine, theirs = upi_order(shop, "a"), upi_order(other, "b")
    match_statement(store=shop, text=credit(mine), by=BY)

    report = match_statement(store=other, text=credit(theirs), by=BY)

    assert len(report.paid) == 1


def test_a_statement_that_cannot_be_read_changes_nothing(shop):
    placed = upi_order(shop, "a")

    with pytest.raises(StatementRefused, match="Line 2"):
        match_statement(store=shop, text=credit(placed) + "06-12-2026 no amount here\n", by=BY)

    assert refreshed(placed).payment_status == "pending"
    assert not StatementLineApplied.objects.exists()


@pytest.mark.usefixtures("concurrent_db")
def test_two_uploads_of_the_same_line_at_once_pay_once():
    shop = takes_upi(make_store("+919812345601", "asha-store"))
    placed = upi_order(shop, "a")

    reports = race(2, lambda _: match_statement(store=shop, text=credit(placed), by=BY))

    assert sorted(len(report.paid) for report in reports) == [0, 1]
    assert refreshed(placed).amount_paid == placed.upi_amount
    assert StatementLineApplied.objects.count() == 1


# Reading the applied keys, the orders named and the open UPI orders: one query each per 2,000 values.
MATCH_QUERIES_BUDGET = 3


def test_the_queries_do_not_grow_with_the_lines_that_pay_nothing(shop, django_assert_num_queries):
    upi_order(shop, "a")
    statement = "".join(
        f"05-12-2026 UPI/CR/{623456700000 + n}/SOMEONE/SBIN/okaxis/gift {n}.50 Cr\n" for n in range(1, 400)
    )

    with django_assert_num_queries(MATCH_QUERIES_BUDGET):
        report = match_statement(store=shop, text=statement, by=BY)

    assert len(report.unmatched) == 399


def test_a_statement_near_2_mb_is_matched_in_one_go(shop):
    placed = upi_order(shop, "a")
    filler = "".join(
        f"05-12-2026 UPI/CR/{623400000000 + n}/BUYER NAME {n}/HDFC/ybl/UPI PAYMENT NOTE {n}.25 Cr\n"
        for n in range(1, 22_000)
    )

    report = match_statement(store=shop, text=filler + credit(placed), by=BY)

    assert [line.order_numbers for line in report.paid] == [(placed.number,)]
    assert len(report.unmatched) == 21_999


def test_staff_see_applied_lines_in_the_admin_but_cannot_add_them(shop, staff):
    placed = upi_order(shop, "a")
    match_statement(store=shop, text=credit(placed), by=BY)

    listing = staff.get(reverse("admin:payments_statementlineapplied_changelist"))

    assert listing.status_code == 200 and "623456789012" in listing.content.decode()
    assert staff.get(reverse("admin:payments_statementlineapplied_add")).status_code == 403
