"""count_up: one UPDATE … RETURNING, refused at its limit with nothing changed; insert_each: rows from one
JSON array, read back as the ORM wrote them."""

import uuid
from datetime import UTC, datetime

import pytest

from dukaan.catalog.models import Store
from dukaan.events.models import ProcessedEvent
from dukaan.infra.queries import count_up, insert_each
from dukaan.promotions.models import Coupon

pytestmark = pytest.mark.django_db


def test_count_up_returns_each_new_value(store):
    start = Store.objects.get(pk=store.pk).order_counter
    assert [count_up(Store, store.pk, "order_counter") for _ in range(3)] == [start + 1, start + 2, start + 3]


def test_count_up_stops_at_the_limit_column_and_changes_nothing(store):
    coupon = Coupon.objects.create(store=store, code="TWICE", kind=Coupon.PERCENT, value=10, max_uses=2)
    unlimited = Coupon.objects.create(store=store, code="ALWAYS", kind=Coupon.PERCENT, value=10)

    assert [count_up(Coupon, coupon.pk, "used_count", up_to="max_uses") for _ in range(3)] == [1, 2, None]
    assert Coupon.objects.get(pk=coupon.pk).used_count == 2
    assert count_up(Coupon, unlimited.pk, "used_count", up_to="max_uses") == 1


def test_count_up_refuses_a_name_that_is_not_a_column():
    with pytest.raises(TypeError, match="is not a column"):
        count_up(Store, 1, "products")


def test_insert_each_writes_a_row_per_value_with_the_shared_columns():
    ids = [uuid.uuid4() for _ in range(3)]
    when = datetime(2026, 12, 6, 23, 0, tzinfo=UTC)

    insert_each(
        ProcessedEvent, "event_id", [str(ids[0]), ids[1], str(ids[2])], group="search", processed_at=when
    )
    insert_each(ProcessedEvent, "event_id", [], group="search", processed_at=when)

    rows = ProcessedEvent.objects.filter(group="search").values_list("event_id", "processed_at")
    assert sorted(rows) == sorted((event_id, when) for event_id in ids)


def test_insert_each_refuses_a_name_that_is_not_a_column():
    with pytest.raises(TypeError, match="is not a column"):
        insert_each(Store, "products", [1])
