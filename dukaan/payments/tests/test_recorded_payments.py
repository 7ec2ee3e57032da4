"""Payments recorded by hand: marking an order paid or partly paid, and every refusal changing nothing."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from dukaan.accounts.models import User
from dukaan.accounts.services import create_api_token, token_actor
from dukaan.conftest import change_store, race
from dukaan.orders.models import Order
from dukaan.orders.services import change_order_status
from dukaan.orders.tests.conftest import concurrent_db, event_counts, events, line, make_product, order  # noqa: F401
from dukaan.payments.models import STATEMENT, RecordedPayment
from dukaan.payments.services import record_payment

pytestmark = pytest.mark.django_db

SHOP = "+919812345601"


@pytest.fixture
def placed(store):
    return order(store, [line(make_product(store, "Brass lamp", "549.00"))])


def pay(store, placed, amount: str, method: str = "cash", **more):
    return record_payment(store=store, order=placed, amount=Decimal(amount), method=method, by=SHOP, **more)


def state(placed) -> tuple[str, Decimal, int]:
    placed = Order.objects.get(pk=placed.pk)
    return placed.payment_status, placed.amount_paid, RecordedPayment.objects.filter(order=placed).count()


def test_marking_an_order_paid_records_who_how_and_the_reference(store, placed):
    payment = pay(store, placed, "549.00", "upi", reference="412345678901", note="GPay screenshot checked")
    assert (payment.amount, payment.method, payment.reference, payment.note, payment.recorded_by) == (
        Decimal("549.00"),
        "upi",
        "412345678901",
        "GPay screenshot checked",
        SHOP,
    )
    assert state(placed) == ("paid", Decimal("549.00"), 1)
    (event,) = events(store, "payment.recorded")
    assert event.aggregatetype == "order"
    assert event.payload["data"] == {
        "order_id": placed.pk,
        "number": 1,
        "token": placed.public_token,
        "amount": "549.00",
        "method": "upi",
        "reference": "412345678901",
        "amount_paid": "549.00",
        "payment_status": "paid",
    }


def test_a_part_payment_leaves_the_order_partly_paid_until_the_rest_comes(store, placed):
    pay(store, placed, "100")
    assert state(placed) == ("partly_paid", Decimal("100.00"), 1)
    pay(store, placed, "449.00", "card_on_delivery")
    assert state(placed) == ("paid", Decimal("549.00"), 2)
    assert event_counts(store)["payment.recorded"] == 2


def test_a_payment_on_a_cancelled_order_is_refused_and_nothing_changes(store, placed):
    change_order_status(order=placed, status="cancelled")
    with pytest.raises(ValidationError, match="a payment on a cancelled order"):
        pay(store, placed, "549.00")
    assert state(placed) == ("pending", Decimal("0.00"), 0)
    assert not events(store, "payment.recorded")


def test_more_than_is_due_is_refused_saying_how_much_is_due(store, placed):
    pay(store, placed, "500")
    with pytest.raises(ValidationError) as refused:
        pay(store, placed, "50")
    assert refused.value.message_dict["amount"] == [
        "Only ₹49 is still due on order #1 (total ₹549, paid ₹500). Record ₹49 or less."
    ]
    assert state(placed) == ("partly_paid", Decimal("500.00"), 1)


def test_a_fully_paid_order_takes_no_more_payments(store, placed):
    pay(store, placed, "549")
    with pytest.raises(ValidationError, match=r"already paid in full \(₹549\)"):
        pay(store, placed, "1")
    assert state(placed) == ("paid", Decimal("549.00"), 1)


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("0", "more than zero"),
        ("-10", "more than zero"),
        ("10.005", "at most two digits after the point"),
        ("NaN", "more than zero"),
        ("3.7e185", "more than any order comes to"),
    ],
)
def test_a_bad_amount_is_refused(store, placed, amount, message):
    with pytest.raises(ValidationError, match=message):
        pay(store, placed, amount)
    assert state(placed) == ("pending", Decimal("0.00"), 0)


def test_an_unknown_method_or_an_overlong_reference_is_refused(store, placed):
    with pytest.raises(ValidationError, match="Choose how it was paid: Cash, UPI, Bank transfer"):
        pay(store, placed, "549", "cheque")
    with pytest.raises(ValidationError, match="at most 64 characters"):
        pay(store, placed, "549", reference="x" * 65)
    assert state(placed) == ("pending", Decimal("0.00"), 0)


def test_the_upi_amount_the_buyer_was_asked_for_is_taken_with_its_extra_paise(store):
    change_store(store, upi_id="asha@okaxis")
    lamp = make_product(store, "Brass lamp", "549.00")
    order(store, [line(lamp)], key="first", payment_method="upi")
    second = order(store, [line(lamp)], key="second", payment_method="upi")
    assert second.upi_amount == Decimal("549.01")
    record_payment(store=store, order=second, amount=Decimal("549.01"), method="upi", by=STATEMENT)
    assert state(second) == ("paid", Decimal("549.01"), 1)


def test_another_stores_order_cannot_be_paid_through_this_store(store, other_store, placed):
    with pytest.raises(Order.DoesNotExist):
        pay(other_store, placed, "549")
    assert state(placed) == ("pending", Decimal("0.00"), 0)


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("concurrent_db")
def test_two_people_marking_the_same_order_paid_at_once_pay_it_once(store):
    placed = order(store, [line(make_product(store, "Brass lamp", "549.00"))])
    results = race(2, lambda index: pay(store, placed, "549.00"))
    paid = [result for result in results if isinstance(result, RecordedPayment)]
    refused = [result for result in results if isinstance(result, ValidationError)]
    assert len(paid) == 1 and len(refused) == 1, results
    assert "already paid in full" in refused[0].messages[0]
    assert state(placed) == ("paid", Decimal("549.00"), 1)
    assert event_counts(store)["payment.recorded"] == 1


def test_the_order_page_says_who_recorded_each_payment_in_the_readers_language(client, store, placed):
    token, _ = create_api_token(store=store, name="stock sync", created_by=store.owner)
    record_payment(store=store, order=placed, amount=Decimal("49.00"), method="upi", by=STATEMENT)
    record_payment(store=store, order=placed, amount=Decimal("100.00"), method="cash", by=token_actor(token))
    client.force_login(store.owner)
    page = reverse("dashboard:order_detail", args=[placed.number])

    english = client.get(page).content.decode()
    User.objects.filter(pk=store.owner.pk).update(language="hi")
    hindi = client.get(page).content.decode()

    assert "a bank statement" in english and f"the API token ‘stock sync’ ({token.prefix}…)" in english
    assert "बैंक स्टेटमेंट" in hindi and f"API टोकन ‘stock sync’ ({token.prefix}…)" in hindi
    assert "the API token" not in hindi and "statement" not in hindi.split("<main", 1)[1]
