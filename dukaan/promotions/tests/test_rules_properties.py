"""Whatever the cart, coupon and offers: no line loses more than it is worth, every discount's shares
add up to it exactly, and the chosen discounts never take the cart below zero."""

from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from dukaan.promotions.rules import (
    CouponRefused,
    CouponTerms,
    Item,
    OfferTerms,
    choose,
    coupon_discount,
    offer_discounts,
)

NOW = datetime(2026, 1, 10, tzinfo=UTC)
prices = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("20000"), places=2)
percents = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("100"), places=2)
product_ids = st.integers(min_value=1, max_value=4)

items = st.lists(
    st.builds(
        Item,
        key=st.just(""),
        product_id=product_ids,
        category_id=st.none() | st.integers(min_value=1, max_value=2),
        unit_price=prices,
        quantity=st.integers(min_value=1, max_value=7),
    ),
    min_size=1,
    max_size=6,
).map(lambda found: [replace(item, key=f"line-{index}") for index, item in enumerate(found)])

order_offers = st.builds(
    OfferTerms,
    id=st.integers(1, 50),
    name=st.just("Order offer"),
    kind=st.just("order"),
    percent=st.none() | percents,
    flat=st.none() | prices,
    min_order=st.none() | prices,
    product_ids=st.just(frozenset()),
    buy=st.just(0),
    get=st.just(0),
    starts_at=st.none(),
    ends_at=st.none(),
)
buy_get_offers = st.builds(
    OfferTerms,
    id=st.integers(51, 100),
    name=st.just("Buy get"),
    kind=st.just("buy_get"),
    percent=st.none(),
    flat=st.none(),
    min_order=st.none(),
    product_ids=st.frozensets(product_ids, min_size=1),
    buy=st.integers(1, 3),
    get=st.integers(1, 2),
    starts_at=st.none(),
    ends_at=st.none(),
)
coupons = st.builds(
    CouponTerms,
    id=st.just(1),
    code=st.just("SAVE"),
    kind=st.sampled_from(["percent", "flat"]),
    value=percents,
    min_order=st.none() | prices,
    max_discount=st.none() | prices,
    starts_at=st.none(),
    ends_at=st.none(),
    product_ids=st.frozensets(product_ids, max_size=2),
    category_ids=st.frozensets(st.integers(1, 2), max_size=1),
    combines_with_offers=st.booleans(),
    active=st.just(True),
)


@settings(max_examples=200, deadline=None)
@given(
    items=items,
    offers=st.lists(order_offers | buy_get_offers, max_size=4, unique_by=lambda offer: offer.id),
    coupon=st.none() | coupons,
)
def test_discounts_add_up_and_never_take_a_line_below_zero(items, offers, coupon):
    found = offer_discounts(offers, items, now=NOW)
    applied = None
    if coupon is not None:
        try:
            after = found if coupon.combines_with_offers else []
            applied = coupon_discount(coupon, items, now=NOW, after=after, money=str)
        except CouponRefused:
            pass
    chosen, _ = choose(found, applied, stacks=coupon is not None and coupon.combines_with_offers)

    taken: Counter = Counter()
    for discount in chosen:
        assert discount.amount > 0
        assert sum((share for _, share in discount.per_item), Decimal(0)) == discount.amount
        for key, share in discount.per_item:
            assert share > 0
            taken[key] += share
    for item in items:
        assert taken[item.key] <= item.amount
    assert sum(d.amount for d in chosen) <= sum(item.amount for item in items)
