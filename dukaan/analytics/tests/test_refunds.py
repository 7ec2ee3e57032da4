"""Revenue net of refunds: placed − cancelled or returned − refunds of the orders still standing."""

from decimal import Decimal

import pytest

from dukaan.analytics.selectors import recent_days
from dukaan.events.local import run_pending
from dukaan.orders.services import change_order_status
from dukaan.payments.gateways import FakeGateway, ProviderRefund
from dukaan.payments.services import refund_order
from dukaan.payments.tests.helpers import paid_order
from dukaan.payments.tests.test_payments import post
from dukaan.payments.tests.test_refunds import online, paid_online, payment, refund_webhook  # noqa: F401

pytestmark = pytest.mark.django_db


def revenue(store) -> Decimal:
    run_pending()
    return recent_days(store=store)[0].revenue


def refund(placed, amount: str):
    return refund_order(store=placed.store, order=placed, amount=Decimal(amount), method="cash", by="shop")


def test_a_refund_takes_its_amount_off_the_day_the_order_was_placed(store):
    placed = paid_order(store)
    assert revenue(store) == placed.total
    refund(placed, "300.00")
    assert revenue(store) == placed.total - 300


def test_a_refund_and_then_a_cancellation_take_the_order_off_once(store):
    placed = paid_order(store)
    other = paid_order(store, key="paid-2")
    refund(placed, "300.00")
    run_pending()
    change_order_status(order=placed, status="cancelled")
    assert revenue(store) == other.total
    assert recent_days(store=store)[0].orders == 1


def test_a_refund_after_a_cancellation_changes_nothing_more(store):
    placed = paid_order(store)
    change_order_status(order=placed, status="cancelled")
    refund(placed, str(placed.total))
    assert revenue(store) == 0


def test_a_gateway_refund_counts_only_when_the_gateway_confirms_it(
    client,
    online,  # noqa: F811
    paid_online,  # noqa: F811
    monkeypatch,
):
    monkeypatch.setattr(FakeGateway, "refund", lambda gateway, **asked: ProviderRefund("rfnd_1", "pending"))
    made = refund_order(
        store=paid_online.store, order=paid_online, amount=Decimal("100.00"), method="gateway", by="shop"
    )
    assert revenue(paid_online.store) == paid_online.total
    post(client, *refund_webhook(online, made, "refund.processed"))
    assert revenue(paid_online.store) == paid_online.total - 100
