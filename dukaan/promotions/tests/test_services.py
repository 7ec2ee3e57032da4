"""Saving coupons and offers: what the shopkeeper may set, the errors that change nothing, the events."""

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from dukaan.catalog import services as catalog
from dukaan.conftest import make_store
from dukaan.events.models import OutboxEvent
from dukaan.promotions.models import Coupon, CouponPhoneUses, CouponUse, Offer
from dukaan.promotions.rules import CouponRefused
from dukaan.promotions.selectors import coupon_terms, live_offers
from dukaan.promotions.services import (
    claim_coupon,
    coupon_input,
    release_coupon,
    set_coupon_active,
    set_offer_active,
    update_coupon,
)

from .helpers import make_coupon, make_offer

pytestmark = pytest.mark.django_db
D = Decimal
PHONE = "+919812300001"


def types(store) -> list[str]:
    found = OutboxEvent.objects.filter(aggregateid=str(store.pk), aggregatetype="store")
    return [event.type for event in found.order_by("created_at")]


def errors(call) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as refused:
        call()
    return refused.value.message_dict


def test_a_coupon_is_saved_upper_case_and_found_whatever_case_the_buyer_types(store):
    coupon = make_coupon(store, code=" Save10 ")
    assert coupon.code == "SAVE10"
    assert coupon_terms(store.pk, "save10").id == coupon.pk
    assert types(store) == ["coupon.created"]


def test_a_code_taken_in_another_case_is_refused_but_another_store_may_use_it(store, other_store):
    make_coupon(store, code="SAVE10")
    assert "already have a coupon SAVE10" in errors(lambda: make_coupon(store, code="save10"))["code"][0]
    make_coupon(other_store, code="save10")
    assert coupon_terms(other_store.pk, "SAVE10").id != coupon_terms(store.pk, "SAVE10").id


@pytest.mark.parametrize(
    "changes, field, message",
    [
        ({"value": D("101")}, "value", "at most 100"),
        ({"value": D("-5")}, "value", "more than zero"),
        ({"kind": "flat", "value": D("100000000")}, "value", "at most 10,000,000"),
        ({"kind": "flat", "value": D("9.999")}, "value", "two digits after the point"),
        ({"min_order": D("-1")}, "min_order", "cannot be negative"),
        ({"code": "SAVE 10"}, "code", "no spaces"),
        ({"code": "DIWALI🪔"}, "code", "emoji"),
        ({"max_uses": 0}, "max_uses", "from 1"),
        ({"per_phone_limit": 0}, "per_phone_limit", "from 1"),
        ({"kind": "bogus"}, "kind", "percent off or amount off"),
    ],
)
def test_bad_coupon_settings_are_refused_with_the_reason_and_nothing_saved(store, changes, field, message):
    assert message in " ".join(errors(lambda: make_coupon(store, **changes))[field])
    assert not Coupon.objects.exists() and types(store) == []


def test_an_end_before_the_start_is_refused(store):
    now = timezone.now()
    found = errors(lambda: make_coupon(store, starts_at=now, ends_at=now - timedelta(days=1)))
    assert found["ends_at"] == ["The end must be after the start."]


def test_products_and_categories_of_another_store_are_refused(store, other_store, product):
    theirs = catalog.create_product(store=other_store, name="Lamp", price=D("250"))
    found = errors(lambda: make_coupon(store, product_ids=frozenset({product.pk, theirs.pk})))
    assert "of your own store" in found["product_ids"][0]
    their_category = catalog.create_category(store=other_store, name="Lamps")
    assert (
        "of your own store"
        in errors(lambda: make_coupon(store, category_ids=frozenset({their_category.pk})))["category_ids"][0]
    )


def test_a_coupon_on_chosen_products_carries_them_to_pricing(store, product):
    make_coupon(store, product_ids=frozenset({product.pk}), category_ids=frozenset({product.category_id}))
    terms = coupon_terms(store.pk, "SAVE10")
    assert terms.product_ids == {product.pk} and terms.category_ids == {product.category_id}


def test_pausing_and_resuming_a_coupon_each_emit_once(store):
    coupon = make_coupon(store)
    set_coupon_active(coupon=coupon, active=False)
    set_coupon_active(coupon=coupon, active=False)
    assert coupon_terms(store.pk, "SAVE10").active is False
    set_coupon_active(coupon=coupon, active=True)
    assert types(store) == ["coupon.created", "coupon.paused", "coupon.changed"]


def test_max_uses_cannot_go_below_the_uses_already_taken(store):
    coupon = make_coupon(store, max_uses=5)
    for order_id in (1, 2, 3):
        claim_coupon(store_id=store.pk, coupon_id=coupon.pk, phone=PHONE, first_order=True, order_id=order_id)
    found = errors(lambda: update_coupon(coupon=coupon, data=replace(coupon_input(coupon), max_uses=2)))
    assert found["max_uses"] == ["3 uses are already taken; allow at least that many."]


def test_an_order_offer_needs_a_percent_or_an_amount_and_buy_get_needs_products(store):
    both = errors(lambda: make_offer(store, flat=D("100")))
    assert both["percent"] == ["Give either a percent off or an amount off, not both."]
    bogo = errors(lambda: make_offer(store, kind="buy_get", buy=2, get=0))
    assert bogo["get"] == ["Use 1 to 100 units."] and bogo["product_ids"] == [
        "Choose the products this offer is on."
    ]
    assert "at most 100" in errors(lambda: make_offer(store, percent=D("150")))["percent"][0]
    assert not Offer.objects.exists()


def test_live_offers_are_the_active_ones_running_now(store, product):
    now = timezone.now()
    running = make_offer(store)
    make_offer(store, name="Later", starts_at=now + timedelta(days=1))
    make_offer(store, name="Over", starts_at=now - timedelta(days=2), ends_at=now - timedelta(days=1))
    bogo = make_offer(
        store, name="2+1", kind="buy_get", percent=None, buy=2, get=1, product_ids=frozenset({product.pk})
    )
    paused = make_offer(store, name="Paused")
    set_offer_active(offer=paused, active=False)
    found = live_offers(store.pk, now)
    assert [offer.id for offer in found] == [running.pk, bogo.pk]
    assert found[1].product_ids == {product.pk} and found[1].min_order is None
    assert types(store).count("offer.created") == 5 and types(store).count("offer.changed") == 1


def test_live_offers_take_two_queries_whatever_their_number(store, product, django_assert_num_queries):
    for number in range(5):
        make_offer(
            store,
            name=f"{number}",
            kind="buy_get",
            percent=None,
            buy=1,
            get=1,
            product_ids=frozenset({product.pk}),
        )
    with django_assert_num_queries(2):
        assert len(live_offers(store.pk, timezone.now())) == 5


def claim(coupon, order_id: int, phone: str = PHONE, first_order: bool = True) -> None:
    claim_coupon(
        store_id=coupon.store_id, coupon_id=coupon.pk, phone=phone, first_order=first_order, order_id=order_id
    )


def refused(call) -> str:
    with pytest.raises(CouponRefused) as refusal:
        call()
    return refusal.value.message


def test_the_last_use_taken_is_announced_and_the_next_is_refused(store):
    coupon = make_coupon(store, max_uses=2)
    claim(coupon, 1, phone="98123 00001")
    claim(coupon, 2, phone="+919812300002")
    assert (
        refused(lambda: claim(coupon, 3, phone="+919812300003"))
        == "This code was used the maximum number of times."
    )
    assert types(store) == ["coupon.created", "coupon.used_up"]
    assert coupon_terms(store.pk, "SAVE10").used_up
    assert CouponUse.objects.filter(coupon=coupon).count() == 2


def test_a_phone_typed_two_ways_counts_as_one_buyer(store):
    coupon = make_coupon(store, per_phone_limit=1)
    claim(coupon, 1, phone="98123 00001")
    assert refused(lambda: claim(coupon, 2, phone="+91 98123 00001")) == "You have already used this code."
    coupon.refresh_from_db()
    assert coupon.used_count == 1  # the refused claim counted nothing


def test_a_first_order_code_is_refused_on_a_later_order(store):
    coupon = make_coupon(store, first_order_only=True)
    assert (
        refused(lambda: claim(coupon, 1, first_order=False))
        == "This code is only for a first order in this shop."
    )


def test_a_buyer_is_refused_a_code_in_the_language_of_the_page(store):
    coupon = make_coupon(store, first_order_only=True, per_phone_limit=2)
    with translation.override("hi"):
        assert refused(lambda: claim(coupon, 1, first_order=False)) == (
            "यह कोड सिर्फ़ इस दुकान के पहले ऑर्डर के लिए है।"
        )
        claim(coupon, 1)
        claim(coupon, 2)
        assert refused(lambda: claim(coupon, 3)) == (
            "यह कोड एक फ़ोन नंबर पर 2 बार चलता है; आपके नंबर पर इतनी बार चल चुका है।"
        )
        assert refused(lambda: claim(coupon, 4, phone="12")) == "कोड लगाने के लिए सही मोबाइल नंबर लिखें।"


def test_a_paused_or_unknown_coupon_cannot_be_claimed(store, other_store):
    coupon = make_coupon(store)
    theirs = make_coupon(other_store)
    assert refused(
        lambda: claim_coupon(
            store_id=store.pk, coupon_id=theirs.pk, phone=PHONE, first_order=True, order_id=1
        )
    ) == ("This code is not valid in this shop.")
    set_coupon_active(coupon=coupon, active=False)
    assert refused(lambda: claim(coupon, 1)) == "This code is paused by the shop."


def test_cancelling_gives_the_use_back_once(store):
    coupon = make_coupon(store, max_uses=1, per_phone_limit=1)
    claim(coupon, 41)
    release_coupon(store_id=store.pk, order_id=41)
    release_coupon(store_id=store.pk, order_id=41)
    coupon.refresh_from_db()
    assert coupon.used_count == 0
    assert CouponPhoneUses.objects.get(coupon=coupon).count == 0
    claim(coupon, 42)  # the same phone may use it again
    coupon.refresh_from_db()
    assert coupon.used_count == 1
    release_coupon(store_id=store.pk, order_id=999)  # an order without a coupon: nothing happens


def test_a_release_in_another_store_gives_nothing_back(store):
    coupon = make_coupon(store, max_uses=1)
    claim(coupon, 41)
    other = make_store("+919812345609", "chai-store")
    release_coupon(store_id=other.pk, order_id=41)
    coupon.refresh_from_db()
    assert coupon.used_count == 1
