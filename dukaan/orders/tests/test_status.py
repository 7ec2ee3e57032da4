"""Moving an order along: each legal step once, with its event and time; nothing else, ever."""

import pytest
from django.db import transaction
from django.utils import translation

from dukaan.catalog import services as catalog
from dukaan.catalog.models import Product, ProductVariant
from dukaan.events.models import OutboxEvent
from dukaan.orders.models import Order
from dukaan.orders.services import (
    IllegalTransition,
    RestockRefused,
    change_order_status,
    lock_order,
    restock,
)

from .conftest import event_counts, events, line, make_product, order

pytestmark = pytest.mark.django_db


@pytest.fixture
def placed(product):
    return order(product.store, [line(product, product.variants.get(options={"Size": "M"}), quantity=2)])


def walk(placed, steps) -> Order:
    for status in steps:
        placed = change_order_status(order=placed, status=status)
    return placed


@pytest.mark.parametrize(
    "steps",
    [
        ["accepted"],
        ["accepted", "shipped"],
        ["accepted", "shipped", "delivered"],
        ["cancelled"],
        ["accepted", "cancelled"],
    ],
)
def test_each_legal_step_sets_its_time_and_emits_one_event(placed, steps):
    current = placed
    for status in steps:
        before = event_counts(placed.store)
        current = change_order_status(order=current, status=status)
        saved = Order.objects.get(pk=placed.pk)
        assert saved.status == status and getattr(saved, f"{status}_at") is not None
        after = event_counts(placed.store)
        assert after[f"order.{status}"] == before[f"order.{status}"] + 1 == 1
    event = events(placed.store, f"order.{steps[-1]}")[0]
    assert event.aggregatetype == "order"
    assert event.payload["data"]["number"] == placed.number and event.payload["data"]["status"] == steps[-1]


@pytest.mark.parametrize(
    "steps, status, message",
    [
        (["accepted", "shipped"], "cancelled", "ऑर्डर #1 भेजा जा चुका है, इसलिए अब इसे रद्द नहीं कर सकते।"),
        ([], "shipped", "ऑर्डर #1 को अभी “भेजा गया” मार्क नहीं कर सकते: पहले इसे “मंज़ूर” मार्क करें।"),
        (["cancelled"], "accepted", "ऑर्डर #1 “रद्द” है, इसलिए अब इसे “मंज़ूर” मार्क नहीं कर सकते।"),
        (["accepted"], "accepted", "ऑर्डर #1 पहले से “मंज़ूर” है।"),
    ],
)
def test_a_merchant_reading_hindi_is_told_in_hindi_why_a_step_is_refused(placed, steps, status, message):
    current = walk(placed, steps)
    with translation.override("hi"), pytest.raises(IllegalTransition) as refused:
        change_order_status(order=current, status=status)
    assert str(refused.value).startswith(message)
    assert Order.objects.get(pk=placed.pk).status == (steps[-1] if steps else "placed")


@pytest.mark.parametrize(
    "steps, status, message",
    [
        (
            ["accepted", "shipped"],
            "cancelled",
            "Order #1 is already shipped, so it can no longer be cancelled.",
        ),
        (
            ["accepted", "shipped", "delivered"],
            "cancelled",
            "is already delivered, so it can no longer be cancelled",
        ),
        (
            ["accepted", "shipped", "delivered"],
            "accepted",
            "is already delivered, so it can no longer be accepted",
        ),
        (
            ["accepted", "shipped", "delivered"],
            "shipped",
            "is already delivered, so it can no longer be shipped",
        ),
        (["accepted", "shipped"], "accepted", "is already shipped, so it can no longer be accepted"),
        ([], "delivered", "Order #1 cannot be delivered yet: mark it accepted first."),
        ([], "shipped", "cannot be shipped yet: mark it accepted first"),
        (["accepted"], "delivered", "cannot be delivered yet: mark it shipped first"),
        (["accepted"], "placed", "cannot go back to placed"),
        (["accepted"], "accepted", "Order #1 is already accepted."),
        ([], "placed", "is already placed"),
        (["cancelled"], "placed", "was cancelled, so it can no longer be placed"),
        (["cancelled"], "accepted", "Order #1 was cancelled, so it can no longer be accepted."),
        (["cancelled"], "shipped", "was cancelled, so it can no longer be shipped"),
        (["cancelled"], "delivered", "was cancelled, so it can no longer be delivered"),
        (["cancelled"], "cancelled", "is already cancelled"),
        ([], "lost", "“lost” is not an order status"),
        ([], "", "is not an order status"),
    ],
)
def test_an_illegal_step_is_refused_with_why_and_changes_nothing(placed, steps, status, message):
    current = walk(placed, steps)
    saved = Order.objects.get(pk=placed.pk)
    stock = dict(ProductVariant.objects.values_list("pk", "stock"))
    events_before = OutboxEvent.objects.count()
    with pytest.raises(IllegalTransition) as refused:
        change_order_status(order=current, status=status)
    assert message in refused.value.message and str(refused.value) == refused.value.message
    after = Order.objects.get(pk=placed.pk)
    assert (after.status, after.updated_at) == (saved.status, saved.updated_at)
    assert dict(ProductVariant.objects.values_list("pk", "stock")) == stock
    assert OutboxEvent.objects.count() == events_before


def test_a_stale_order_object_cannot_step_twice(placed):
    change_order_status(order=placed, status="accepted")
    with pytest.raises(IllegalTransition, match="already accepted"):
        change_order_status(order=placed, status="accepted")  # `placed` still says "placed"


def test_cancelling_gives_back_exactly_the_stock_taken(store, product):
    medium = product.variants.get(options={"Size": "M"})
    lamp = make_product(store, "Brass lamp", "250.00", stock=7)
    tea = make_product(store, "Masala chai", "120.00", stock=None)
    placed = order(store, [line(product, medium, quantity=2), line(lamp, quantity=3), line(tea, quantity=4)])
    assert (ProductVariant.objects.get(pk=medium.pk).stock, Product.objects.get(pk=lamp.pk).stock) == (3, 4)
    versions = dict(Product.objects.values_list("pk", "version"))
    change_order_status(order=placed, status="cancelled")
    assert ProductVariant.objects.get(pk=medium.pk).stock == 5
    assert Product.objects.get(pk=lamp.pk).stock == 7
    assert Product.objects.get(pk=tea.pk).stock is None
    assert Product.objects.get(pk=product.pk).stock == 10  # the variant's stock went back, not the product's
    restocked = [event.payload["data"] for event in events(store, "stock.changed")][-2:]
    assert {(data["id"], data["variant_id"], data["stock"]) for data in restocked} == {
        (product.pk, medium.pk, 5),
        (lamp.pk, None, 7),
    }
    for data in restocked:
        assert data["version"] == versions[data["id"]] + 1 == Product.objects.get(pk=data["id"]).version


def test_cancelling_after_the_stock_became_unlimited_leaves_it_unlimited(store):
    lamp = make_product(store, "Brass lamp", "250.00", stock=5)
    placed = order(store, [line(lamp, quantity=2)])
    catalog.update_product(product=lamp, stock=None)
    change_order_status(order=placed, status="cancelled")
    assert Product.objects.get(pk=lamp.pk).stock is None


def test_cancelling_an_order_whose_variant_or_product_was_deleted_still_works(store, product):
    lamp = make_product(store, "Brass lamp", "250.00", stock=5)
    placed = order(store, [line(product, product.variants.first()), line(lamp)])
    catalog.update_product(product=product, variants=[])
    catalog.delete_product(product=lamp)
    cancelled = change_order_status(order=placed, status="cancelled")
    assert cancelled.status == "cancelled"
    assert event_counts(store)["order.cancelled"] == 1


def test_a_stock_not_taken_is_not_given_back(store):
    tea = make_product(store, "Masala chai", "120.00", stock=None)
    placed = order(store, [line(tea, quantity=4)])
    catalog.update_product(product=tea, stock=10)  # tracked only after the order
    change_order_status(order=placed, status="cancelled")
    assert Product.objects.get(pk=tea.pk).stock == 10


def test_a_shipped_order_returned_to_origin_gives_its_stock_back_once(store):
    lamp = make_product(store, "Lamp", "100", stock=5)
    placed = order(store, [line(lamp, quantity=2)])
    for status in ("accepted", "shipped"):
        change_order_status(order=placed, status=status)
    with pytest.raises(IllegalTransition, match="already shipped, so it can no longer be cancelled"):
        change_order_status(order=placed, status="cancelled")
    returned = change_order_status(order=placed, status="returned", by="shop")
    assert returned.status == "returned" and returned.returned_at
    lamp.refresh_from_db()
    assert lamp.stock == 5
    assert [each.restocked for each in returned.lines.all()] == [2]
    with pytest.raises(IllegalTransition, match="was returned to origin"):
        change_order_status(order=placed, status="delivered")


def test_an_order_awaiting_confirmation_is_confirmed_before_it_is_accepted(store):
    placed = order(store, [line(make_product(store, "Lamp", "100"))])
    Order.objects.filter(pk=placed.pk).update(status="unconfirmed")
    with pytest.raises(IllegalTransition, match="the buyer has not confirmed it"):
        change_order_status(order=placed, status="accepted")
    confirmed = change_order_status(order=placed, status="placed", by="buyer")
    assert confirmed.status == "placed" and confirmed.confirmed_at
    with pytest.raises(IllegalTransition, match="cannot go back to awaiting confirmation"):
        change_order_status(order=placed, status="unconfirmed")


def test_restocking_part_of_an_order_never_gives_back_more_than_it_took(store):
    lamp = make_product(store, "Lamp", "100", stock=5)
    placed = order(store, [line(lamp, quantity=3)])
    (only,) = placed.lines.all()
    with transaction.atomic():
        locked = lock_order(store_id=store.pk, order_id=placed.pk)
        assert restock(order=locked, quantities={only.pk: 2}) == {only.pk: 2}
        with pytest.raises(RestockRefused, match="Only 1 of “Lamp” can go back"):
            restock(order=locked, quantities={only.pk: 2})
    change_order_status(order=placed, status="cancelled")
    lamp.refresh_from_db()
    assert lamp.stock == 5
