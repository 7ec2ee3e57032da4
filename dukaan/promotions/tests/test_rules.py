"""The discount rules as a buyer meets them: what each coupon and offer takes off, and why not."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from dukaan.promotions.rules import (
    CouponRefused,
    CouponTerms,
    Discount,
    Item,
    OfferTerms,
    choose,
    coupon_discount,
    normalize_code,
    offer_discounts,
)

NOW = datetime(2026, 1, 10, 12, 0, tzinfo=UTC)
D = Decimal


def money(amount: Decimal) -> str:
    return f"₹{amount:,.2f}".replace(".00", "")


def item(
    key: str, price: str, quantity: int = 1, product_id: int = 1, category_id: int | None = None
) -> Item:
    return Item(
        key=key,
        product_id=product_id,
        category_id=category_id,
        unit_price=D(price),
        quantity=quantity,
    )


SAVE10 = CouponTerms(
    id=1,
    code="SAVE10",
    kind="percent",
    value=D("10"),
    min_order=None,
    max_discount=None,
    starts_at=None,
    ends_at=None,
    product_ids=frozenset(),
    category_ids=frozenset(),
    combines_with_offers=False,
    active=True,
)


def offer(**changes) -> OfferTerms:
    base = OfferTerms(
        id=1,
        name="Diwali",
        kind="order",
        percent=None,
        flat=None,
        min_order=None,
        product_ids=frozenset(),
        buy=0,
        get=0,
        starts_at=None,
        ends_at=None,
    )
    return replace(base, **changes)


def discount(coupon: CouponTerms, items: list[Item], after: list[Discount] | None = None) -> Discount:
    return coupon_discount(coupon, items, now=NOW, after=after or [], money=money)


def refusal(coupon: CouponTerms, items: list[Item]) -> str:
    with pytest.raises(CouponRefused) as refused:
        discount(coupon, items)
    return refused.value.message


def test_a_percent_coupon_takes_its_percent_of_the_cart_shared_over_the_lines_exactly():
    items = [item("a", "333.33"), item("b", "100.00", quantity=2)]
    saving = discount(SAVE10, items)
    assert saving.amount == D("53.33")
    assert sum(share for _, share in saving.per_item) == saving.amount
    assert saving.label == "SAVE10"


def test_a_flat_coupon_takes_its_amount_but_never_more_than_the_cart():
    flat = replace(SAVE10, kind="flat", value=D("150"))
    assert discount(flat, [item("a", "499")]).amount == D("150.00")
    assert discount(flat, [item("a", "99")]).amount == D("99.00")


def test_the_maximum_discount_caps_a_percent_coupon():
    capped = replace(SAVE10, max_discount=D("50"))
    assert discount(capped, [item("a", "2000")]).amount == D("50")


def test_below_the_minimum_order_the_buyer_is_told_how_much_more_to_add():
    assert refusal(replace(SAVE10, min_order=D("500")), [item("a", "380")]) == "Add ₹120 more to use SAVE10."


def test_an_expired_a_future_and_a_paused_code_each_say_so():
    items = [item("a", "500")]
    assert refusal(replace(SAVE10, ends_at=NOW), items) == "This code has expired."
    assert (
        refusal(replace(SAVE10, starts_at=NOW + timedelta(hours=1)), items) == "This code is not valid yet."
    )
    assert refusal(replace(SAVE10, active=False), items) == "This code is paused by the shop."
    assert refusal(replace(SAVE10, used_up=True), items) == "This code was used the maximum number of times."


def test_a_percent_that_rounds_to_nothing_is_refused_rather_than_spending_a_use():
    assert refusal(SAVE10, [item("a", "0.04")]) == "SAVE10 takes nothing off this cart."


def test_a_coupon_on_chosen_products_takes_off_only_those():
    kurta, tea = item("kurta", "1000", product_id=7), item("tea", "200", product_id=8, category_id=3)
    on_kurtas = replace(SAVE10, product_ids=frozenset({7}))
    saving = discount(on_kurtas, [kurta, tea])
    assert saving.amount == D("100.00") and saving.per_item == (("kurta", D("100.00")),)
    on_category = replace(SAVE10, category_ids=frozenset({3}))
    assert discount(on_category, [kurta, tea]).per_item == (("tea", D("20.00")),)


def test_a_coupon_for_nothing_in_the_cart_says_so_without_naming_another_code():
    message = refusal(replace(SAVE10, product_ids=frozenset({99})), [item("a", "500", product_id=7)])
    assert message == "SAVE10 does not apply to anything in your cart."


def test_buy_two_get_one_gives_the_cheapest_units_free_over_a_product_s_variants():
    bogo = offer(kind="buy_get", name="Kurtas 2+1", product_ids=frozenset({7}), buy=2, get=1)
    items = [item("M", "499", quantity=2, product_id=7), item("L", "529", quantity=2, product_id=7)]
    (saving,) = offer_discounts([bogo], items, now=NOW)
    assert saving.amount == D("499.00")  # 4 units: one free, the cheapest
    assert saving.per_item == (("M", D("499.00")),)
    six = [item("M", "499", quantity=1, product_id=7), item("L", "529", quantity=5, product_id=7)]
    (saving,) = offer_discounts([bogo], six, now=NOW)
    assert saving.per_item == (("M", D("499.00")), ("L", D("529.00")))


def test_buy_get_counts_units_per_product_not_across_products():
    bogo = offer(kind="buy_get", product_ids=frozenset({7, 8}), buy=2, get=1)
    items = [item("a", "100", quantity=2, product_id=7), item("b", "100", quantity=1, product_id=8)]
    assert offer_discounts([bogo], items, now=NOW) == []


def test_the_single_best_order_offer_applies_after_the_buy_get_offers():
    bogo = offer(id=1, kind="buy_get", product_ids=frozenset({7}), buy=1, get=1)
    ten_percent = offer(id=2, name="10% off above ₹500", percent=D("10"), min_order=D("500"))
    hundred_off = offer(id=3, name="₹100 off above ₹1000", flat=D("100"), min_order=D("1000"))
    items = [item("a", "400", quantity=2, product_id=7), item("b", "800", product_id=8)]
    discounts = offer_discounts([bogo, ten_percent, hundred_off], items, now=NOW)
    # 1600 in the cart, 400 free, 1200 left: 10% is 120, more than 100 off
    assert [(d.source_id, d.amount) for d in discounts] == [(1, D("400.00")), (2, D("120.00"))]
    order_offer = discounts[1]
    assert sum(share for _, share in order_offer.per_item) == D("120.00")


def test_an_order_offer_below_its_minimum_or_outside_its_dates_gives_nothing():
    ten_percent = offer(percent=D("10"), min_order=D("500"))
    assert offer_discounts([ten_percent], [item("a", "499")], now=NOW) == []
    ended = offer(percent=D("10"), ends_at=NOW)
    assert offer_discounts([ended], [item("a", "499")], now=NOW) == []


def test_a_stacking_coupon_takes_its_percent_of_what_the_offers_left():
    bogo = offer(kind="buy_get", product_ids=frozenset({7}), buy=1, get=1)
    items = [item("a", "500", quantity=2, product_id=7)]
    offers = offer_discounts([bogo], items, now=NOW)
    stacked = discount(replace(SAVE10, combines_with_offers=True), items, after=offers)
    assert stacked.amount == D("50.00")
    chosen, note = choose(offers, stacked, stacks=True)
    assert [d.amount for d in chosen] == [D("500.00"), D("50.00")] and note == ""


def test_without_stacking_the_better_for_the_buyer_wins_and_a_tie_keeps_the_offer():
    items = [item("a", "1000")]
    offers = offer_discounts([offer(flat=D("100"))], items, now=NOW)
    coupon = discount(replace(SAVE10, value=D("15")), items)
    assert choose(offers, coupon, stacks=False) == ([coupon], "")
    smaller = discount(replace(SAVE10, value=D("5")), items)
    assert choose(offers, smaller, stacks=False) == (
        offers,
        "Your offer saves more than SAVE10, so the offer applies.",
    )
    tie = discount(SAVE10, items)
    assert choose(offers, tie, stacks=False)[0] == offers


def test_discounts_never_take_more_than_a_line_is_worth():
    items = [item("a", "0.01"), item("b", "0.02", quantity=3), item("c", "1000")]
    saving = discount(replace(SAVE10, kind="flat", value=D("5000")), items)
    assert saving.amount == D("1000.07")
    assert all(share <= it.amount for (key, share), it in zip(saving.per_item, items, strict=True))


@pytest.mark.parametrize("typed, code", [(" save10 ", "SAVE10"), ("diwali-2026_x", "DIWALI-2026_X")])
def test_codes_are_trimmed_and_upper_cased(typed, code):
    assert normalize_code(typed) == code


@pytest.mark.parametrize(
    "typed, why",
    [
        ("SAVE 10", "no spaces"),
        ("SAVE🎉", "no spaces or emoji"),
        ("A" * 21, "at most 20"),
        ("", "Enter a code"),
    ],
)
def test_a_code_with_spaces_emoji_or_too_long_is_refused_with_the_reason(typed, why):
    with pytest.raises(ValueError, match=why):
        normalize_code(typed)
