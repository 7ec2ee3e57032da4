"""Cash-on-delivery confirmation: a COD order awaits the buyer's confirmation (or advance) and is cancelled
by a scheduled job when its time runs out, giving back its stock and coupon use. The clock is handed in."""

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest

from dukaan.conftest import change_store, race
from dukaan.events.jobs import run_due_jobs
from dukaan.events.models import ScheduledJob
from dukaan.orders.models import Order
from dukaan.orders.services import (
    EXPIRE_UNCONFIRMED,
    REMIND_UNCONFIRMED,
    IllegalTransition,
    confirm_order,
    lock_order,
    place_order,
    record_money,
)
from dukaan.promotions.models import Coupon
from dukaan.promotions.tests.helpers import make_coupon
from dukaan.shipping.rules import DEFAULT_SETUP
from dukaan.shipping.services import save_delivery_settings

from .conftest import BUYER, events, line, make_product, order

pytestmark = pytest.mark.django_db


def ask_for_confirmation(store, hours: int = 24, advance: str = "0"):
    save_delivery_settings(
        store=store, setup=replace(DEFAULT_SETUP, cod_confirm_hours=hours, cod_advance=Decimal(advance))
    )


@pytest.fixture
def lamp(store):
    return make_product(store, "Brass lamp", "500", stock=5)


def test_a_cod_order_awaits_confirmation_with_its_expiry_and_reminder_scheduled(store, lamp):
    ask_for_confirmation(store, hours=24)

    placed = order(store, [line(lamp, quantity=2)])

    assert placed.status == "unconfirmed"
    assert abs(placed.confirm_by - (placed.created_at + timedelta(hours=24))) < timedelta(seconds=5)
    assert (placed.cod_advance, placed.upi_amount) == (Decimal("0"), None)
    jobs = dict(ScheduledJob.objects.filter(key=str(placed.pk)).values_list("name", "due_at"))
    assert jobs == {
        EXPIRE_UNCONFIRMED: placed.confirm_by,
        REMIND_UNCONFIRMED: placed.confirm_by - timedelta(hours=12),
    }
    [placed_event] = events(store, "order.placed")
    assert placed_event.payload["data"]["status"] == "unconfirmed"
    lamp.refresh_from_db()
    assert lamp.stock == 3  # taken at once: the stock is held for the buyer while they confirm


def test_other_orders_are_placed_as_before(store, lamp, other_store):
    change_store(store, upi_id="asha@okaxis")
    ask_for_confirmation(store)
    by_upi = order(store, [line(lamp)], key="upi", payment_method="upi")
    elsewhere = order(other_store, [line(make_product(other_store, "Lamp", "100"))], key="cod")

    assert (by_upi.status, by_upi.confirm_by) == ("placed", None)
    assert (elsewhere.status, elsewhere.confirm_by) == ("placed", None)
    assert not ScheduledJob.objects.exists()


def test_the_buyer_confirms_in_time_and_the_expiry_then_does_nothing(store, lamp):
    ask_for_confirmation(store)
    placed = order(store, [line(lamp, quantity=2)])

    confirmed = confirm_order(order=placed)

    assert confirmed.status == "placed" and confirmed.confirmed_at is not None
    [event] = events(store, "order.confirmed")
    assert (event.payload["data"]["previous_status"], event.payload["data"]["by"]) == ("unconfirmed", "buyer")
    assert run_due_jobs(now=placed.confirm_by + timedelta(minutes=1)) == 2
    placed.refresh_from_db()
    lamp.refresh_from_db()
    assert (placed.status, lamp.stock) == ("placed", 3)
    assert not events(store, "order.confirmation_reminder") and not events(store, "order.cancelled")


def test_an_order_not_confirmed_in_time_is_cancelled_by_the_job_giving_back_stock_and_coupon(store, lamp):
    ask_for_confirmation(store, hours=6)
    coupon = make_coupon(store, code="SAVE10")
    placed = place_order(
        store=store,
        lines=[line(lamp, quantity=2)],
        buyer=BUYER,
        payment_method="cod",
        idempotency_key="k",
        coupon_code="SAVE10",
    )
    assert Coupon.objects.get(pk=coupon.pk).used_count == 1

    assert run_due_jobs(now=placed.created_at + timedelta(hours=3)) == 1  # half time: the reminder only
    [reminder] = events(store, "order.confirmation_reminder")
    assert reminder.payload["data"]["token"] == placed.public_token
    placed.refresh_from_db()
    assert placed.status == "unconfirmed"

    assert run_due_jobs(now=placed.confirm_by) == 1
    placed.refresh_from_db()
    lamp.refresh_from_db()
    assert (placed.status, lamp.stock, Coupon.objects.get(pk=coupon.pk).used_count) == ("cancelled", 5, 0)
    [cancelled] = events(store, "order.cancelled")
    assert cancelled.payload["data"]["by"] == "system"
    assert not ScheduledJob.objects.exists()


@pytest.mark.parametrize(
    ("before", "said"),
    [
        ("late", "The time to confirm order #1 ran out, so the shop is cancelling it."),
        ("expired", "Order #1 was cancelled, so it can no longer be confirmed."),
        ("confirmed", "Order #1 is already confirmed. Thank you!"),
    ],
)
def test_confirming_late_or_twice_is_refused_saying_why(store, lamp, before, said):
    ask_for_confirmation(store)
    placed = order(store, [line(lamp)])
    now = None
    if before == "late":
        now = placed.confirm_by
    elif before == "expired":
        run_due_jobs(now=placed.confirm_by)
    else:
        confirm_order(order=placed)

    with pytest.raises(IllegalTransition, match=said):
        confirm_order(order=placed, now=now)


def test_paying_the_advance_confirms_a_part_prepaid_order(store, lamp):
    change_store(store, upi_id="asha@okaxis")
    ask_for_confirmation(store, advance="100")
    placed = order(store, [line(lamp)])
    assert (placed.status, placed.cod_advance, placed.upi_amount) == ("unconfirmed", 100, Decimal("100.00"))
    second = order(store, [line(lamp)], key="k2")
    assert second.upi_amount == Decimal("100.01")  # told apart on a statement by its amount

    with pytest.raises(IllegalTransition, match="Pay the advance of ₹100 by UPI to confirm order #1"):
        confirm_order(order=placed)

    record_money(order=lock_order(store_id=store.pk, order_id=placed.pk), paid=Decimal("60"))
    placed.refresh_from_db()
    assert (placed.status, placed.payment_status) == ("unconfirmed", "partly_paid")

    paid = record_money(order=lock_order(store_id=store.pk, order_id=placed.pk), paid=Decimal("40"))

    assert (paid.status, paid.payment_status, paid.upi_amount) == ("placed", "partly_paid", None)
    placed.refresh_from_db()
    assert (placed.status, placed.amount_paid, placed.upi_amount) == ("placed", Decimal("100"), None)
    [event] = events(store, "order.confirmed")
    assert event.payload["data"]["by"] == "buyer"


def test_the_advance_is_never_more_than_the_total_and_needs_a_upi_id_still(store, lamp):
    change_store(store, upi_id="asha@okaxis")
    ask_for_confirmation(store, advance="800")
    assert order(store, [line(lamp)]).cod_advance == Decimal("500")

    change_store(store, upi_id="")  # removed since: nothing can be paid by UPI, the buyer confirms instead
    store.refresh_from_db()
    without = order(store, [line(lamp)], key="k2")
    assert (without.status, without.cod_advance, without.upi_amount) == ("unconfirmed", 0, None)
    assert confirm_order(order=without).status == "placed"


def test_the_shop_confirms_for_the_buyer_through_the_status_change(store, lamp):
    from dukaan.orders.services import change_order_status

    ask_for_confirmation(store)
    placed = order(store, [line(lamp)])

    assert change_order_status(order=placed, status="placed", by="shop").status == "placed"
    with pytest.raises(IllegalTransition, match="cannot be accepted yet: the buyer has not confirmed it"):
        change_order_status(order=order(store, [line(lamp)], key="k2"), status="accepted")


@pytest.mark.django_db(transaction=True)
def test_a_confirmation_racing_the_expiry_leaves_one_outcome(store, lamp):
    ask_for_confirmation(store)
    placed = order(store, [line(lamp, quantity=2)])
    just_in_time = placed.confirm_by - timedelta(seconds=1)

    outcomes = race(
        2,
        lambda index: (
            confirm_order(order=placed, now=just_in_time)
            if index == 0
            else run_due_jobs(now=placed.confirm_by)
        ),
    )

    placed.refresh_from_db()
    lamp.refresh_from_db()
    if placed.status == "placed":  # the buyer was first: the job found nothing to do
        assert isinstance(outcomes[0], Order) and lamp.stock == 3
    else:  # the job was first: the buyer is told the order was cancelled
        assert placed.status == "cancelled" and lamp.stock == 5
        assert isinstance(outcomes[0], IllegalTransition)
    assert len(events(store, "order.confirmed")) + len(events(store, "order.cancelled")) == 1
