"""`price` over random carts, coupons, offers, delivery zones and GST settings: whatever a shop sets and a
buyer puts in the cart, the amounts add up to the paisa and the total is never negative."""

from datetime import UTC, datetime
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from dukaan.infra.money import ZERO, to_paise
from dukaan.orders.pricing import Pricing, PricingLine, StoreRules, price
from dukaan.promotions.rules import CouponTerms, OfferTerms
from dukaan.promotions.tests.test_rules import money as rupees
from dukaan.shipping.pins import state_for_pin
from dukaan.shipping.rules import DeliveryTerms, PinRange, Zone
from dukaan.taxes.rules import UNREGISTERED, Rate, TaxTerms
from dukaan.taxes.schedule import rates_on

NOW = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
PRODUCTS = range(1, 6)  # few products, so offers and coupons often meet the cart's lines
CATEGORIES = [None, 1, 2]
# Karnataka (the store's state), Bengaluru's zone, elsewhere in Karnataka, Mumbai, Kolkata.
PIN_CODES = ["560038", "560100", "570001", "400001", "700001"]
SCHEDULE = rates_on(NOW.date())  # 0, 0.25, 3, 5, 18, 40


def money(places: int = 2, low: str = "0.01", high: str = "99999.99"):
    return st.decimals(min_value=Decimal(low), max_value=Decimal(high), places=places)


def maybe(strategy):
    return st.none() | strategy


@st.composite
def carts(draw) -> list[PricingLine]:
    count = draw(st.integers(1, 8))
    lines = []
    for index in range(count):
        product_id = draw(st.sampled_from(PRODUCTS))
        # A product's lines (its variants) share its category and may differ in price.
        category_id = CATEGORIES[product_id % len(CATEGORIES)]
        lines.append(
            PricingLine(
                key=f"{product_id}:{index}",
                product_id=product_id,
                category_id=category_id,
                unit_price=draw(money()),
                quantity=draw(st.integers(1, 20)),
            )
        )
    return lines


tax_terms = st.sampled_from([UNREGISTERED]) | st.builds(
    TaxTerms,
    registered=st.just(True),
    gstin=st.just("29ABCDE1234F1ZW"),
    state_code=st.just("29"),
    prices_include_tax=st.booleans(),
    legal_name=st.just("Asha Stores"),
    address=st.just("12 MG Road, Bengaluru"),
)
rates = st.dictionaries(
    st.sampled_from(PRODUCTS),
    st.builds(Rate, rate=st.sampled_from(SCHEDULE), hsn_code=st.just("6109")),
    min_size=3,  # the other products have no rate set: no GST on them
)
zones = st.lists(
    st.builds(
        Zone,
        name=st.sampled_from(["Bengaluru", "Karnataka", "West"]),
        ranges=st.sampled_from(
            [(PinRange(560001, 560099),), (PinRange(560000, 599999),), (PinRange(400000, 449999),)]
        ),
        fee=money(high="500"),
    ),
    max_size=3,
)
delivery_terms = st.builds(
    DeliveryTerms,
    flat_fee=money(low="0", high="500"),
    free_above=maybe(money(low="1", high="200000")),
    zones=zones.map(tuple),
    blocked=st.sampled_from([(), (PinRange(700000, 799999),)]),
    cod_enabled=st.booleans(),
    cod_fee=money(low="0", high="200"),
    cod_max_order=maybe(money(low="1", high="500000")),
)
ids = st.frozensets(st.sampled_from(PRODUCTS), max_size=3)


def coupons(kind: str, values):
    return st.builds(
        CouponTerms,
        id=st.just(7),
        code=st.just("SAVE"),
        kind=st.just(kind),
        value=values,
        min_order=maybe(money(high="100000")),
        max_discount=maybe(money(high="5000")),
        starts_at=st.none(),
        ends_at=st.none(),
        product_ids=ids,
        category_ids=st.frozensets(st.sampled_from([1, 2]), max_size=2),
        combines_with_offers=st.booleans(),
        active=st.just(True),
    )


offers = st.lists(
    st.one_of(
        st.builds(
            OfferTerms,
            id=st.integers(1, 100),
            name=st.just("Festival offer"),
            kind=st.just("order"),
            percent=maybe(money(high="100")),
            flat=money(high="100000"),
            min_order=maybe(money(high="100000")),
            product_ids=st.just(frozenset()),
            buy=st.just(1),
            get=st.just(1),
            starts_at=st.none(),
            ends_at=st.none(),
        ),
        st.builds(
            OfferTerms,
            id=st.integers(1, 100),
            name=st.just("Buy more"),
            kind=st.just("buy_get"),
            percent=st.none(),
            flat=st.none(),
            min_order=st.none(),
            product_ids=ids,
            buy=st.integers(1, 4),
            get=st.integers(1, 3),
            starts_at=st.none(),
            ends_at=st.none(),
        ),
    ),
    max_size=3,
    unique_by=lambda offer: offer.id,
)
store_rules = st.builds(
    StoreRules,
    delivery=delivery_terms,
    tax=tax_terms,
    rates=rates,
    offers=offers.map(tuple),
    coupon=maybe(coupons("percent", money(high="100")) | coupons("flat", money(high="100000"))),
)


def priced(lines, rules, pin_code, cash_on_delivery) -> Pricing:
    return price(
        lines,
        rules,
        coupon_code="SAVE" if rules.coupon else "",
        pin_code=pin_code,
        delivery_state=state_for_pin(pin_code),
        cash_on_delivery=cash_on_delivery,
        now=NOW,
        money=rupees,
    )


@settings(max_examples=200, deadline=None)
@given(
    lines=carts(),
    rules=store_rules,
    pin_code=st.sampled_from(PIN_CODES),
    cash_on_delivery=st.booleans(),
)
def test_every_amount_adds_up_to_the_paisa(lines, rules, pin_code, cash_on_delivery):
    pricing = priced(lines, rules, pin_code, cash_on_delivery)
    amounts = {line.key: line.amount for line in lines}
    rows = [*pricing.lines.values(), *pricing.charges]

    assert pricing.total >= 0
    assert pricing.subtotal == sum(amounts.values(), ZERO)
    assert pricing.total == sum((row.gross for row in rows), ZERO)
    for discount in pricing.discounts:
        assert discount.amount > 0
        assert sum((share for _, share in discount.per_item), ZERO) == discount.amount
        assert all(share > 0 for _, share in discount.per_item)
    assert [d.source for d in pricing.discounts].count("coupon") <= 1
    for key, line in pricing.lines.items():
        assert line.discount == sum((s for d in pricing.discounts for k, s in d.per_item if k == key), ZERO)
        assert ZERO <= line.discount <= amounts[key]
    for row in rows:
        assert row.taxable_value + row.cgst + row.sgst + row.igst == row.gross
        assert row.cgst == row.sgst
        assert min(row.taxable_value, row.cgst, row.igst) >= 0
        assert all(value == to_paise(value) for value in (row.taxable_value, row.cgst, row.igst))

    fees = sum((charge.amount for charge in pricing.charges), ZERO)
    charged = [(pricing.lines[line.key], line.amount) for line in lines] + [
        (c, c.amount) for c in pricing.charges
    ]
    if not rules.tax.registered:
        assert pricing.tax == 0
    if rules.tax.prices_include_tax:  # what the buyer pays is the shop's price, less discounts
        assert all(row.gross == amount - row.discount for row, amount in charged)
        assert pricing.total == pricing.subtotal - pricing.discount_total + fees
    else:  # the shop's price (less discounts) is the taxable value; GST goes on top
        assert all(row.taxable_value == amount - row.discount for row, amount in charged)
        assert pricing.total == pricing.subtotal - pricing.discount_total + fees + pricing.tax


@settings(max_examples=200, deadline=None)
@given(
    lines=carts(),
    rules=store_rules.filter(lambda rules: rules.tax.registered),
    pin_code=st.sampled_from(PIN_CODES),
    cash_on_delivery=st.booleans(),
)
def test_gst_is_the_rate_of_each_amount_within_a_paisa_split_by_the_delivery_state(
    lines, rules, pin_code, cash_on_delivery
):
    pricing = priced(lines, rules, pin_code, cash_on_delivery)
    intra_state = state_for_pin(pin_code) == "29"

    for row in [*pricing.lines.values(), *pricing.charges]:
        if intra_state:
            assert row.igst == 0
        else:
            assert row.cgst == row.sgst == 0
        exact = row.taxable_value * row.gst_rate / 100
        # Two halves each rounded to a paisa within the state; the taxable value itself is a remainder
        # of rounding when prices include GST.
        assert abs(row.tax - exact) <= Decimal("0.02"), (row, exact)
    if pricing.lines:
        principal = max(lines, key=lambda line: line.amount - pricing.lines[line.key].discount)
        assert all(charge.gst_rate == pricing.lines[principal.key].gst_rate for charge in pricing.charges)


@settings(max_examples=100, deadline=None)
@given(lines=carts(), rules=store_rules, pin_code=st.sampled_from(PIN_CODES))
def test_delivery_and_cod_problems_stop_the_order_and_charge_nothing_for_them(lines, rules, pin_code):
    pricing = priced(lines, rules, pin_code, cash_on_delivery=True)
    kinds = {charge.kind for charge in pricing.charges}

    assert pricing.delivery is not None and pricing.cod is not None
    if not pricing.delivery.deliverable:
        assert "delivery" not in kinds
        assert f"Sorry, this shop does not deliver to {pin_code}." in pricing.problems
    if not pricing.cod.allowed:
        assert "cod" not in kinds and pricing.cod.message in pricing.problems
    if pricing.delivery.waived:
        assert rules.delivery.free_above is not None and pricing.goods_value >= rules.delivery.free_above
    assert len(pricing.problems) == (not pricing.delivery.deliverable) + (not pricing.cod.allowed)
