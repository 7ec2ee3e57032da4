"""Racing checkouts never pass a coupon's limits: each claim runs in its own transaction and
connection, as inside place_order, on PostgreSQL (row locks) and SQLite (queued writers)."""

from collections import Counter

import pytest
from django.db import transaction

from dukaan.conftest import race
from dukaan.promotions.models import Coupon, CouponPhoneUses, CouponUse
from dukaan.promotions.rules import CouponRefused
from dukaan.promotions.services import claim_coupon

from .helpers import make_coupon

pytestmark = pytest.mark.django_db(transaction=True)


def checkout(coupon, order_id: int, phone: str) -> str:
    with transaction.atomic():  # the order's transaction
        claim_coupon(
            store_id=coupon.store_id, coupon_id=coupon.pk, phone=phone, first_order=True, order_id=order_id
        )
    return "used"


def outcome(result) -> str:
    if isinstance(result, CouponRefused):
        return result.message
    assert result == "used", result  # any other exception fails the test with its text
    return result


def test_twenty_buyers_racing_for_the_last_five_uses_get_exactly_five(store):
    coupon = make_coupon(store, max_uses=8)
    for order_id in range(3):
        checkout(coupon, order_id, f"+91981230{order_id:04d}")

    results = race(20, lambda index: checkout(coupon, 100 + index, f"+91981240{index:04d}"))

    assert Counter(map(outcome, results)) == {
        "used": 5,
        "This code was used the maximum number of times.": 15,
    }
    assert Coupon.objects.get(pk=coupon.pk).used_count == 8
    assert CouponUse.objects.filter(coupon=coupon).count() == 8


def test_one_phone_in_ten_racing_checkouts_uses_a_once_per_phone_code_once(store):
    coupon = make_coupon(store, per_phone_limit=1)

    results = race(10, lambda index: checkout(coupon, 100 + index, "98123 00001"))

    assert Counter(map(outcome, results)) == {"used": 1, "You have already used this code.": 9}
    assert Coupon.objects.get(pk=coupon.pk).used_count == 1
    assert CouponPhoneUses.objects.get(coupon=coupon).count == 1
