"""count_up: one UPDATE … RETURNING, refused at its limit with nothing changed."""

import pytest

from dukaan.catalog.models import Store
from dukaan.infra.queries import count_up
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
