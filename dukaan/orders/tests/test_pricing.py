"""`price`, worked by hand: the sums a shopkeeper would check on a calculator, from terms built directly.

The store below is registered in Karnataka (29) and its prices include GST, as Indian retail prices
do, unless a test says otherwise. Each expected amount is worked out in the comment above it.
"""

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

from django.utils import translation

from dukaan.orders.pricing import Pricing, PricingLine, StoreRules, price
from dukaan.promotions.rules import CouponTerms
from dukaan.promotions.tests.test_rules import SAVE10, offer
from dukaan.promotions.tests.test_rules import money as rupees
from dukaan.shipping.rules import DEFAULT_TERMS, PinRange, Zone
from dukaan.taxes.rules import UNREGISTERED, Rate, TaxTerms

NOW = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
D = Decimal
KARNATAKA = TaxTerms(True, "29ABCDE1234F1ZW", "29", True, "Asha Stores", "12 MG Road, Bengaluru")
CLOTHES, ELECTRONICS = 10, 20
KURTA = PricingLine("1:0", product_id=1, category_id=CLOTHES, unit_price=D("1050.00"), quantity=2)
EARPHONES = PricingLine("2:0", product_id=2, category_id=ELECTRONICS, unit_price=D("1180.00"), quantity=1)
RATES = {1: Rate(D("5"), "6109"), 2: Rate(D("18"), "8518")}
RULES = StoreRules(delivery=DEFAULT_TERMS, tax=KARNATAKA, rates=RATES, offers=(), coupon=None)


def coupon(code: str = "SAVE10", **changes) -> CouponTerms:
    return replace(SAVE10, id=7, code=code, **changes)


BUY_2_GET_1 = offer(id=3, name="Diwali kurtas", kind="buy_get", product_ids=frozenset({1}), buy=2, get=1)


def priced(lines, rules=RULES, **choices) -> Pricing:
    choices.setdefault("pin_code", "560038")
    choices.setdefault("delivery_state", "29")
    return price(lines, rules, now=NOW, money=rupees, **choices)


def taxed(row) -> tuple[Decimal, Decimal, Decimal, Decimal, Decimal]:
    """(taxable value, CGST, SGST, IGST, gross) of a line or a charge."""
    return row.taxable_value, row.cgst, row.sgst, row.igst, row.gross


def fees(pricing: Pricing) -> dict[str, Decimal]:
    return {charge.kind: charge.gross for charge in pricing.charges}


def test_inclusive_gst_at_5_and_18_percent_with_a_coupon_on_one_category_and_a_delivery_fee():
    rules = replace(
        RULES,
        delivery=replace(DEFAULT_TERMS, flat_fee=D("50")),
        coupon=coupon("KURTA10", category_ids=frozenset({CLOTHES})),
    )

    pricing = priced([KURTA, EARPHONES], rules, coupon_code="KURTA10")

    assert pricing.subtotal == D("3280.00")  # 2 × 1,050 + 1,180
    [discount] = pricing.discounts
    # 10 % of the kurtas' 2,100, all of it on the kurta line.
    assert (discount.source, discount.label, discount.amount) == ("coupon", "KURTA10", D("210.00"))
    assert discount.per_item == (("1:0", D("210.00")),)
    assert pricing.coupon_code == "KURTA10" and pricing.coupon_note == ""
    kurta, earphones = pricing.lines["1:0"], pricing.lines["2:0"]
    # 1,890 paid includes 5 %: 1,890 × 100 / 105 = 1,800 taxable, 90 GST = 45 CGST + 45 SGST.
    assert (kurta.discount, kurta.gst_rate, kurta.hsn_code) == (D("210.00"), D("5"), "6109")
    assert taxed(kurta) == (D("1800.00"), D("45.00"), D("45.00"), D("0.00"), D("1890.00"))
    # 1,180 includes 18 %: 1,000 taxable, 180 GST = 90 + 90.
    assert taxed(earphones) == (D("1000.00"), D("90.00"), D("90.00"), D("0.00"), D("1180.00"))
    # The delivery fee follows the principal supply, the kurtas (1,890 > 1,180): 5 % inside ₹50 is
    # 50 × 100 / 105 = 47.619…, GST 2.38 = 1.19 + 1.19, taxable 47.62.
    [delivery] = pricing.charges
    assert (delivery.kind, delivery.amount, delivery.gst_rate, delivery.hsn_code) == (
        "delivery",
        D("50"),
        D("5"),
        "6109",
    )
    assert taxed(delivery) == (D("47.62"), D("1.19"), D("1.19"), D("0.00"), D("50.00"))
    assert pricing.total == D("3120.00")  # 3,280 − 210 + 50
    assert (pricing.cgst, pricing.sgst, pricing.igst) == (D("136.19"), D("136.19"), D("0.00"))
    assert pricing.delivery.fee == D("50.00") and pricing.problems == ()


def test_the_delivery_fee_is_taxed_at_the_rate_of_the_largest_line_after_discounts():
    # Half off the kurtas leaves them at 1,050, below the earphones' 1,180: 18 % is the principal rate.
    rules = replace(
        RULES,
        delivery=replace(DEFAULT_TERMS, flat_fee=D("40")),
        coupon=coupon("HALF", value=D("50"), category_ids=frozenset({CLOTHES})),
    )

    pricing = priced([KURTA, EARPHONES], rules, coupon_code="HALF")

    [delivery] = pricing.charges
    # 18 % inside ₹40: 40 × 100 / 118 = 33.898…, CGST = SGST = 3.05, taxable 33.90.
    assert (delivery.gst_rate, delivery.hsn_code) == (D("18"), "8518")
    assert taxed(delivery) == (D("33.90"), D("3.05"), D("3.05"), D("0.00"), D("40.00"))
    assert pricing.total == D("2270.00")  # 1,050 + 1,180 + 40


def test_cash_on_delivery_adds_its_fee_taxed_like_delivery():
    rules = replace(RULES, delivery=replace(DEFAULT_TERMS, flat_fee=D("50"), cod_fee=D("30")))

    pricing = priced([KURTA, EARPHONES], rules, cash_on_delivery=True)

    # No coupon: the kurtas' 2,100 lead, so 5 %. ₹30 holds 30 × 100 / 105 = 28.571…: 0.71 + 0.71 GST.
    assert fees(pricing) == {"delivery": D("50.00"), "cod": D("30.00")}
    cod = next(charge for charge in pricing.charges if charge.kind == "cod")
    assert taxed(cod) == (D("28.58"), D("0.71"), D("0.71"), D("0.00"), D("30.00"))
    assert pricing.cod.allowed and pricing.cod.fee == D("30.00")
    assert pricing.total == D("3360.00")  # 3,280 + 50 + 30
    assert priced([KURTA, EARPHONES], rules).total == D("3330.00")  # paying now: no COD fee


def test_a_pin_code_in_another_state_is_charged_igst_instead_of_cgst_and_sgst():
    rules = replace(RULES, delivery=replace(DEFAULT_TERMS, flat_fee=D("50")))

    pricing = priced([KURTA, EARPHONES], rules, pin_code="400001", delivery_state="27")  # Mumbai

    # 2,100 at 5 %: 2,000 taxable + 100 IGST; 1,180 at 18 %: 1,000 + 180; ₹50 at 5 %: 47.62 + 2.38.
    assert taxed(pricing.lines["1:0"]) == (D("2000.00"), D("0.00"), D("0.00"), D("100.00"), D("2100.00"))
    assert taxed(pricing.lines["2:0"]) == (D("1000.00"), D("0.00"), D("0.00"), D("180.00"), D("1180.00"))
    assert taxed(pricing.charges[0]) == (D("47.62"), D("0.00"), D("0.00"), D("2.38"), D("50.00"))
    assert (pricing.cgst, pricing.sgst, pricing.igst) == (D("0.00"), D("0.00"), D("282.38"))
    assert pricing.delivery_state == "27"
    # Inclusive prices: where the goods go changes the split, not what the buyer pays.
    assert pricing.total == priced([KURTA, EARPHONES], rules).total == D("3330.00")


def test_delivery_is_free_from_the_stores_value_on_goods_after_discounts():
    rules = replace(RULES, delivery=replace(DEFAULT_TERMS, flat_fee=D("60"), free_above=D("3000")))

    free = priced([KURTA, EARPHONES], rules)
    assert free.delivery.waived and free.delivery.fee == D("0.00")
    assert free.charges == () and free.total == D("3280.00")

    # A 10 % coupon brings the goods to 2,952, under 3,000: the fee is back.
    with_code = priced([KURTA, EARPHONES], replace(rules, coupon=coupon()), coupon_code="SAVE10")
    assert with_code.goods_value == D("2952.00")
    assert not with_code.delivery.waived and fees(with_code) == {"delivery": D("60.00")}
    assert with_code.total == D("3012.00")

    exactly = PricingLine("3:0", product_id=3, category_id=None, unit_price=D("3000.00"), quantity=1)
    assert priced([exactly], rules).delivery.waived  # "above" includes the value itself


def test_the_first_zone_holding_the_pin_code_sets_the_fee_else_the_flat_fee():
    bengaluru = Zone("Bengaluru", (PinRange(560001, 560099),), D("30"))
    karnataka = Zone("Karnataka", (PinRange(560000, 599999),), D("70"))
    rules = replace(RULES, delivery=replace(DEFAULT_TERMS, flat_fee=D("120"), zones=(bengaluru, karnataka)))

    for pin_code, zone, fee in [("560038", "Bengaluru", "30"), ("570001", "Karnataka", "70")]:
        pricing = priced([EARPHONES], rules, pin_code=pin_code)
        assert (pricing.delivery.zone, fees(pricing)) == (zone, {"delivery": D(fee)})
    elsewhere = priced([EARPHONES], rules, pin_code="400001", delivery_state="27")
    assert (elsewhere.delivery.zone, fees(elsewhere)) == ("", {"delivery": D("120.00")})


def test_buy_2_get_1_beats_a_smaller_coupon_and_the_buyer_is_told_why():
    three = replace(KURTA, unit_price=D("300.00"), quantity=3)
    rules = replace(RULES, offers=(BUY_2_GET_1,), coupon=coupon())

    pricing = priced([three], rules, coupon_code="SAVE10")

    # The offer takes one ₹300 kurta off; SAVE10 would take 10 % of 900 = 90.
    assert [(d.source, d.amount) for d in pricing.discounts] == [("offer", D("300.00"))]
    assert pricing.discounts[0].label == "Diwali kurtas (buy 2 get 1 free)"
    assert pricing.coupon_code == ""  # no use of the code is spent
    assert pricing.coupon_note == "Your offer saves more than SAVE10, so the offer applies."
    assert pricing.total == D("600.00")


def test_a_coupon_saving_more_than_the_offer_replaces_it():
    three = replace(KURTA, unit_price=D("300.00"), quantity=3)
    rules = replace(RULES, offers=(BUY_2_GET_1,), coupon=coupon("HALF", value=D("50")))

    pricing = priced([three], rules, coupon_code="HALF")

    assert [(d.source, d.amount) for d in pricing.discounts] == [("coupon", D("450.00"))]
    assert pricing.coupon_code == "HALF" and pricing.coupon_note == ""
    assert pricing.total == D("450.00")


def test_a_coupon_that_combines_with_offers_applies_on_what_the_offer_left():
    three = replace(KURTA, unit_price=D("300.00"), quantity=3)
    rules = replace(RULES, offers=(BUY_2_GET_1,), coupon=coupon(combines_with_offers=True))

    pricing = priced([three], rules, coupon_code="SAVE10")

    # The offer takes 300, then SAVE10 takes 10 % of the 600 left: 60.
    assert [(d.source, d.amount) for d in pricing.discounts] == [
        ("offer", D("300.00")),
        ("coupon", D("60.00")),
    ]
    assert pricing.lines["1:0"].discount == D("360.00")
    assert pricing.coupon_code == "SAVE10" and pricing.total == D("540.00")


def test_a_code_that_does_not_apply_says_why_and_prices_without_it():
    rules = replace(RULES, coupon=coupon(min_order=D("5000")))

    pricing = priced([KURTA, EARPHONES], rules, coupon_code="SAVE10")

    assert pricing.discounts == () and pricing.coupon_code == ""
    assert pricing.coupon_note == "Add ₹1,720 more to use SAVE10."  # 5,000 − 3,280
    assert pricing.total == D("3280.00")
    unknown = priced([KURTA], RULES, coupon_code="NOPE")
    assert unknown.coupon_note == "There is no code NOPE at this shop. Check the spelling."


def test_a_pin_code_the_shop_does_not_deliver_to_is_a_problem_and_costs_nothing():
    rules = replace(
        RULES, delivery=replace(DEFAULT_TERMS, flat_fee=D("50"), blocked=(PinRange(700000, 799999),))
    )

    pricing = priced([KURTA], rules, pin_code="700001", delivery_state="19")

    assert pricing.problems == ("Sorry, this shop does not deliver to 700001.",)
    assert not pricing.delivery.deliverable and pricing.charges == ()
    with translation.override("hi"):  # a Hindi store's checkout
        hindi = priced([KURTA], rules, pin_code="700001", delivery_state="19")
    assert hindi.problems == ("माफ़ कीजिए, यह दुकान 700001 पर डिलीवरी नहीं करती।",)


def test_cash_on_delivery_above_the_stores_limit_is_refused():
    rules = replace(RULES, delivery=replace(DEFAULT_TERMS, cod_fee=D("30"), cod_max_order=D("2000")))

    pricing = priced([KURTA, EARPHONES], rules, cash_on_delivery=True)

    assert pricing.problems == (
        "Cash on delivery is for orders up to ₹2,000; please pay another way for this one.",
    )
    assert not pricing.cod.allowed and pricing.charges == ()
    # Up to the limit it is allowed, with its fee.
    allowed = priced([EARPHONES], rules, cash_on_delivery=True)
    assert allowed.cod.allowed and allowed.problems == () and allowed.total == D("1210.00")


def test_an_unregistered_store_charges_no_gst():
    rules = replace(RULES, tax=UNREGISTERED, delivery=replace(DEFAULT_TERMS, flat_fee=D("50")))

    pricing = priced([KURTA, EARPHONES], rules)

    for row in [*pricing.lines.values(), *pricing.charges]:
        assert (row.gst_rate, row.hsn_code, row.tax) == (D("0"), "", D("0"))
    assert taxed(pricing.lines["1:0"]) == (D("2100.00"), D("0"), D("0"), D("0"), D("2100.00"))
    assert pricing.tax == 0 and pricing.total == D("3330.00")


def test_a_store_whose_prices_exclude_gst_adds_it_on_top():
    rules = replace(
        RULES,
        tax=replace(KARNATAKA, prices_include_tax=False),
        delivery=replace(DEFAULT_TERMS, flat_fee=D("40")),
    )
    kurta = replace(KURTA, unit_price=D("1000.00"), quantity=1)
    earphones = replace(EARPHONES, unit_price=D("2000.00"))

    pricing = priced([kurta, earphones], rules)

    # 1,000 + 5 % = 1,050; 2,000 + 18 % = 2,360; delivery at the earphones' 18 %: 40 + 7.20.
    assert taxed(pricing.lines["1:0"]) == (D("1000.00"), D("25.00"), D("25.00"), D("0.00"), D("1050.00"))
    assert taxed(pricing.lines["2:0"]) == (D("2000.00"), D("180.00"), D("180.00"), D("0.00"), D("2360.00"))
    assert taxed(pricing.charges[0]) == (D("40.00"), D("3.60"), D("3.60"), D("0.00"), D("47.20"))
    assert pricing.subtotal == D("3000.00") and pricing.total == D("3457.20")
