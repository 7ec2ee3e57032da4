"""Refunds: paid back by hand or through the gateway, never more than was paid, chosen lines restocked."""

import json
from decimal import Decimal

import pytest
from django.db import connection
from django.urls import reverse

from dukaan.catalog.models import Product
from dukaan.events.models import OutboxEvent
from dukaan.orders.models import Order
from dukaan.orders.tests.conftest import event_counts, line, make_product, order
from dukaan.payments.gateways import FakeGateway, ProviderRefund, ProviderUnavailable
from dukaan.payments.models import Refund
from dukaan.payments.services import RefundRefused, refund_order

from .helpers import paid_order, pay
from .test_payments import URL, captured, online, payment, post  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db


def refund(placed, amount: str, method: str = "upi", **fields) -> Refund:
    return refund_order(
        store=placed.store, order=placed, amount=Decimal(amount), method=method, by="shop", **fields
    )


def stock_of(placed) -> list[int | None]:
    names = [line.name for line in placed.lines.order_by("pk")]
    return [Product.objects.get(store=placed.store, name=name).stock for name in names]


def test_a_full_refund_by_hand_marks_the_order_refunded_and_says_so_in_one_event(store):
    placed = paid_order(store)
    made = refund(placed, str(placed.total), reference="UPI 4711")
    assert (made.status, made.method, made.reference, made.processed_at is not None) == (
        "processed",
        "upi",
        "UPI 4711",
        True,
    )
    placed.refresh_from_db()
    assert (placed.amount_refunded, placed.payment_status) == (placed.total, "refunded")
    (event,) = OutboxEvent.objects.filter(type="refund.recorded")
    data = event.payload["data"]
    assert event.aggregatetype == "order"
    assert (data["status"], data["amount"], data["payment_status"], data["refund_id"]) == (
        "processed",
        f"{placed.total}",
        "refunded",
        made.pk,
    )


def test_partial_refunds_add_up_and_the_order_stays_paid_until_all_is_back(store):
    placed = paid_order(store)
    refund(placed, "100.00", method="cash")
    refund(placed, "50.50", method="bank_transfer")
    placed.refresh_from_db()
    assert (placed.amount_refunded, placed.payment_status) == (Decimal("150.50"), "paid")
    assert event_counts(store)["refund.recorded"] == 2


def test_a_refund_above_what_is_left_is_refused_with_the_sums_and_nothing_changes(store):
    placed = paid_order(store)
    refund(placed, "1000.00", restock={placed.lines.order_by("pk")[0].pk: 1})
    stock_before, events_before = stock_of(placed), OutboxEvent.objects.count()
    with pytest.raises(RefundRefused) as refused:
        refund(placed, "300.00", restock={placed.lines.order_by("pk")[0].pk: 1})
    left = placed.total - Decimal("1000.00")
    assert refused.value.message == (
        f"You can refund at most ₹{left:,.0f}: ₹{placed.total:,.0f} was paid and ₹1,000 already refunded."
    )
    placed.refresh_from_db()
    assert placed.amount_refunded == Decimal("1000.00") and Refund.objects.count() == 1
    assert stock_of(placed) == stock_before and OutboxEvent.objects.count() == events_before


@pytest.mark.parametrize(
    "amount, message",
    [("0", "more than zero"), ("-5", "more than zero"), ("10.001", "two digits"), ("NaN", "two digits")],
)
def test_an_amount_that_is_not_a_refund_is_refused(store, amount, message):
    placed = paid_order(store)
    with pytest.raises(RefundRefused, match=message):
        refund(placed, amount)
    assert not Refund.objects.exists()


def test_an_unpaid_order_has_nothing_to_refund(store):
    lamp = make_product(store, "Brass lamp", "500.00", stock=3)
    placed = order(store, [line(lamp)])
    with pytest.raises(RefundRefused, match="no payment recorded"):
        refund(placed, "10.00")


def test_an_unknown_method_is_refused_with_the_choices(store):
    with pytest.raises(RefundRefused, match="gateway, upi, cash, bank_transfer"):
        refund(paid_order(store), "10.00", method="cheque")


def test_a_refund_puts_back_only_the_chosen_lines_and_units(store):
    placed = paid_order(store)
    lamps, mats = placed.lines.order_by("pk")
    assert stock_of(placed) == [3, 4]
    made = refund(placed, "500.00", restock={lamps.pk: 1})
    assert made.restocked == {str(lamps.pk): 1}
    assert stock_of(placed) == [4, 4]
    lamps.refresh_from_db()
    assert lamps.restocked == 1 and event_counts(store)["stock.changed"] == 1 + 2  # one back, two placed


def test_restocking_more_than_the_order_has_left_is_refused_and_nothing_changes(store):
    placed = paid_order(store)
    lamps, _ = placed.lines.order_by("pk")
    refund(placed, "500.00", restock={lamps.pk: 2})
    with pytest.raises(RefundRefused, match="Only 0 of “Brass lamp paid-1” can go back"):
        refund(placed, "100.00", restock={lamps.pk: 1})
    placed.refresh_from_db()
    assert placed.amount_refunded == Decimal("500.00") and stock_of(placed)[0] == 5


def test_a_refund_of_another_orders_line_is_refused(store):
    placed = paid_order(store)
    other = paid_order(store, key="paid-2")
    with pytest.raises(RefundRefused, match="has no line"):
        refund(placed, "10.00", restock={other.lines.first().pk: 1})


def test_a_cod_order_paid_in_part_can_be_refunded_what_was_paid(store):
    lamp = make_product(store, "Brass lamp", "500.00", stock=3)
    placed = pay(order(store, [line(lamp)]), Decimal("100.00"))
    with pytest.raises(RefundRefused, match="at most ₹100"):
        refund(placed, "100.01")
    refund(placed, "100.00", method="cash")
    placed.refresh_from_db()
    assert placed.payment_status == "refunded"


# --- Through the gateway -----------------------------------------------------------------------------


@pytest.fixture
def paid_online(client, online, payment):  # noqa: F811 (fixtures)
    post(client, *captured(online, payment))
    return Order.objects.get(pk=payment.order_id)


def test_a_gateway_refund_is_asked_after_the_commit_and_processed_when_the_provider_says_so(
    paid_online, monkeypatch
):
    asked, provider_refund = [], FakeGateway.refund
    outside = len(connection.atomic_blocks)  # the test's own transaction

    def refund_at_provider(gateway, **call):
        asked.append((call, len(connection.atomic_blocks), Refund.objects.get().status))
        return provider_refund(gateway, **call)

    monkeypatch.setattr(FakeGateway, "refund", refund_at_provider)
    made = refund(paid_online, "200.00", method="gateway")
    ((call, blocks, status_then),) = asked
    assert blocks == outside and status_then == "pending"
    assert call["provider_payment_id"].startswith("pay_") and call["amount"] == Decimal("200.00")
    assert call["notes"] == {"order": str(paid_online.number), "refund": str(made.pk)}
    assert made.status == "processed" and made.provider_refund_id.startswith("rfnd_")
    assert event_counts(paid_online.store)["refund.recorded"] == 1
    assert event_counts(paid_online.store)["refund.processed"] == 1


def refund_webhook(gateway, made, event: str, event_id: str = "evt_r1") -> tuple[bytes, str]:
    """The body Razorpay documents for refund.processed / refund.failed, signed as the fake signs."""
    body = {
        "id": event_id,
        "entity": "event",
        "event": event,
        "payload": {
            "refund": {
                "entity": {
                    "id": made.provider_refund_id,
                    "entity": "refund",
                    "amount": int(made.amount * 100),
                    "currency": "INR",
                    "payment_id": made.payment.provider_payment_id,
                    "status": event.removeprefix("refund."),
                }
            }
        },
    }
    raw = json.dumps(body).encode()
    return raw, gateway.sign(raw)


def test_a_pending_gateway_refund_counts_at_once_and_its_webhook_processes_it_once(
    client,
    online,  # noqa: F811
    paid_online,
    monkeypatch,
):
    monkeypatch.setattr(FakeGateway, "refund", lambda gateway, **asked: ProviderRefund("rfnd_1", "pending"))
    made = refund(paid_online, str(paid_online.total), method="gateway")
    paid_online.refresh_from_db()
    assert made.status == "pending" and paid_online.payment_status == "refunded"
    body, signature = refund_webhook(online, made, "refund.processed")
    assert post(client, body, signature).json() == {"status": "applied"}
    assert post(client, body, signature).json() == {"status": "duplicate"}
    again = refund_webhook(online, made, "refund.processed", event_id="evt_r2")
    assert post(client, *again).json() == {"status": "ignored"}
    made.refresh_from_db()
    assert made.status == "processed"
    (event,) = OutboxEvent.objects.filter(type="refund.processed")
    assert event.payload["data"]["status"] == "processed"


def test_a_failed_gateway_refund_gives_its_amount_back_to_refund_again(
    client,
    online,  # noqa: F811
    paid_online,
    monkeypatch,
):
    monkeypatch.setattr(FakeGateway, "refund", lambda gateway, **asked: ProviderRefund("rfnd_2", "pending"))
    made = refund(paid_online, "300.00", method="gateway")
    assert post(client, *refund_webhook(online, made, "refund.failed")).json() == {"status": "applied"}
    made.refresh_from_db()
    paid_online.refresh_from_db()
    assert made.status == "failed" and paid_online.amount_refunded == 0
    assert paid_online.payment_status == "paid"
    assert event_counts(paid_online.store)["refund.failed"] == 1
    assert post(client, *refund_webhook(online, made, "refund.processed", "evt_r3")).json() == {
        "status": "ignored"
    }


def test_a_webhook_that_comes_before_the_providers_answer_still_settles_the_refund(
    client,
    online,  # noqa: F811
    paid_online,
    monkeypatch,
):
    def answer_after_the_webhook(gateway, **asked):
        raw, _ = refund_webhook(online, Refund.objects.get(), "refund.processed")
        raw = raw.replace(b'"id": ""', b'"id": "rfnd_early"')  # the provider's id, not stored yet
        assert post(client, raw, online.sign(raw)).json() == {"status": "applied"}
        return ProviderRefund("rfnd_early", "pending")

    monkeypatch.setattr(FakeGateway, "refund", answer_after_the_webhook)
    made = refund(paid_online, "100.00", method="gateway")
    made.refresh_from_db()
    assert (made.status, made.provider_refund_id) == ("processed", "rfnd_early")
    assert event_counts(paid_online.store)["refund.processed"] == 1


def test_a_provider_that_does_not_answer_refunds_nothing_and_says_so(paid_online, monkeypatch):
    def down(gateway, **asked):
        raise ProviderUnavailable("timed out")

    monkeypatch.setattr(FakeGateway, "refund", down)
    with pytest.raises(RefundRefused, match="Nothing was refunded"):
        refund(paid_online, "100.00", method="gateway")
    paid_online.refresh_from_db()
    assert paid_online.amount_refunded == 0 and Refund.objects.get().status == "failed"


def test_an_order_paid_by_hand_cannot_be_refunded_through_the_gateway(store, online):  # noqa: F811
    with pytest.raises(RefundRefused, match="not paid through the payment gateway"):
        refund(paid_order(store), "100.00", method="gateway")


def test_staff_can_look_at_refunds_in_the_admin_but_not_change_them(staff, store):
    made = refund(paid_order(store), "10.00")
    assert staff.get(reverse("admin:payments_refund_changelist")).status_code == 200
    assert staff.get(reverse("admin:payments_refund_change", args=[made.pk])).status_code == 200
    assert staff.get(reverse("admin:payments_refund_add")).status_code == 403
