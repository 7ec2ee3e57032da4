"""The delivery rules as a shopkeeper and a buyer meet them: PINs, zones, fees, COD."""

from dataclasses import replace
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from dukaan.shipping.rules import (
    DEFAULT_SETUP,
    DEFAULT_TERMS,
    PIN_PROBLEM,
    PinRange,
    ZoneSetup,
    check_setup,
    delivery_message,
    parse_pins,
    quote_cod,
    quote_delivery,
    valid_pin,
)


def rupees(amount: Decimal) -> str:
    return f"₹{amount:,.0f}" if amount == amount.to_integral_value() else f"₹{amount:,.2f}"


def setup(*zones: tuple[str, str, str], **fields):
    entered = tuple(ZoneSetup(name=name, pins=pins, fee=Decimal(fee)) for name, pins, fee in zones)
    return replace(DEFAULT_SETUP, zones=entered, **fields)


def terms(*zones, **fields):
    return check_setup(setup(*zones, **fields)).terms


def problems(entered) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as refused:
        check_setup(entered)
    return refused.value.message_dict


# --- PIN codes --------------------------------------------------------------------------------------


def test_a_pin_is_six_digits_and_spaces_inside_are_taken_out():
    assert valid_pin(" 560 038 ") == "560038"


@pytest.mark.parametrize("typed", ["", "56003", "5600381", "960038", "060038", "56003A", "५६००३८", None])
def test_anything_else_is_not_a_pin(typed):
    with pytest.raises(ValueError, match="6 digits; the first is 1 to 8"):
        valid_pin(typed)


def test_a_prefix_a_pin_and_a_range_each_name_their_pin_codes():
    assert parse_pins("56, 560038\n560001 - 560099") == (
        PinRange(560000, 569999),
        PinRange(560038, 560038),
        PinRange(560001, 560099),
    )


def test_an_empty_list_is_no_pin_codes():
    assert parse_pins(" , \n") == ()


@pytest.mark.parametrize(
    ("typed", "said"),
    [
        ("56, 9", "“9” is not a PIN code"),
        ("56x", "“56x” is not a PIN code"),
        ("5600381", "“5600381” is not a PIN code"),
        ("560099-560001", "from the lower PIN to the higher, e.g. 560001-560099"),
        ("56-57", "“56-57” is not a PIN code"),
    ],
)
def test_a_bad_entry_is_named(typed, said):
    with pytest.raises(ValueError, match=said):
        parse_pins(typed)


# --- The fee ----------------------------------------------------------------------------------------


def test_a_store_that_set_nothing_delivers_everywhere_free_with_cod():
    quote = quote_delivery(DEFAULT_TERMS, "700001", Decimal("999"))
    assert (quote.deliverable, quote.fee) == (True, Decimal("0.00"))
    assert delivery_message(quote, rupees) == "Delivers to 700001 · free delivery"
    cod = quote_cod(DEFAULT_TERMS, Decimal("99999"), rupees)
    assert (cod.allowed, cod.fee) == (True, Decimal("0.00"))


def test_the_first_zone_holding_the_pin_gives_the_fee_else_the_flat_fee():
    shop = terms(("Koramangala", "560034", "20"), ("Bengaluru", "560", "40"), flat_fee=Decimal("90"))
    assert quote_delivery(shop, "560034", Decimal("100")).fee == Decimal("20.00")
    assert quote_delivery(shop, "560038", Decimal("100")).zone == "Bengaluru"
    assert delivery_message(quote_delivery(shop, "560038", Decimal("100")), rupees) == (
        "Delivers to 560038 · ₹40 delivery"
    )
    far = quote_delivery(shop, "110001", Decimal("100"))
    assert (far.fee, far.zone) == (Decimal("90.00"), "")


def test_delivery_is_free_from_the_free_above_value_on():
    shop = terms(("Bengaluru", "560", "40"), free_above=Decimal("500"))
    below = quote_delivery(shop, "560038", Decimal("499.99"))
    at = quote_delivery(shop, "560038", Decimal("500"))
    assert (below.fee, below.waived) == (Decimal("40.00"), False)
    assert (at.fee, at.waived) == (Decimal("0.00"), True)
    assert delivery_message(at, rupees) == "Delivers to 560038 · free delivery"


def test_a_blocked_pin_is_not_delivered_to_even_inside_a_zone():
    shop = terms(("Kolkata", "700", "60"), blocked="700001", free_above=Decimal("1"))
    quote = quote_delivery(shop, "700001", Decimal("5000"))
    assert (quote.deliverable, quote.fee, quote.waived) == (False, Decimal("0.00"), False)
    assert delivery_message(quote, rupees) == "Sorry, this shop does not deliver to 700001"
    assert quote_delivery(shop, "700002", Decimal("0")).fee == Decimal("60.00")


def test_a_bad_pin_is_refused_when_quoting():
    with pytest.raises(ValueError, match=str(PIN_PROBLEM)):
        quote_delivery(DEFAULT_TERMS, "12345", Decimal("0"))


# --- Cash on delivery -------------------------------------------------------------------------------


def test_cod_is_allowed_up_to_its_limit_with_its_fee():
    shop = terms(cod_fee=Decimal("25"), cod_max_order=Decimal("5000"))
    assert quote_cod(shop, Decimal("5000"), rupees) == quote_cod(shop, Decimal("10"), rupees)
    allowed = quote_cod(shop, Decimal("5000"), rupees)
    assert (allowed.allowed, allowed.fee, allowed.message) == (
        True,
        Decimal("25.00"),
        "Cash on delivery · ₹25 fee",
    )
    over = quote_cod(shop, Decimal("5000.01"), rupees)
    assert (over.allowed, over.fee) == (False, Decimal("0.00"))
    assert over.message == "Cash on delivery is for orders up to ₹5,000; please pay another way for this one."


def test_a_shop_without_cod_says_so():
    cod = quote_cod(terms(cod_enabled=False), Decimal("10"), rupees)
    assert not cod.allowed
    assert "does not take cash on delivery" in cod.message


# --- What the shopkeeper sets -----------------------------------------------------------------------


def test_a_zone_wholly_inside_an_earlier_one_is_refused_saying_which_wins():
    said = problems(setup(("Bengaluru", "560", "40"), ("Koramangala", "560034", "20")))
    assert said == {
        "zones[1].pins": [
            "Zone “Koramangala” never applies: 560034 is already in zone “Bengaluru”, which comes first. "
            "Move “Koramangala” above “Bengaluru”, or remove it."
        ]
    }


def test_a_zone_covered_by_several_earlier_ones_is_refused_too():
    said = problems(
        setup(("North", "560000-560050", "30"), ("South", "560051-560099", "30"), ("All", "5600", "40"))
    )
    assert said["zones[2].pins"][0].startswith("Zone “All” never applies: 560000 is already in zone “North”")


def test_a_zone_with_one_pin_left_to_it_applies_there():
    checked = check_setup(
        setup(("North", "560001-560050", "30"), ("South", "560051-560099", "30"), ("All", "5600", "40"))
    )
    assert quote_delivery(checked.terms, "560000", Decimal("0")).zone == "All"


def test_a_zone_wholly_blocked_is_refused():
    said = problems(setup(("Kolkata", "7000", "60"), blocked="700"))
    assert said["zones[0].pins"] == [
        "Zone “Kolkata” never applies: 700000 is among the PIN codes you do not deliver to."
    ]


def test_zones_that_partly_overlap_are_kept_with_a_note_on_which_wins():
    checked = check_setup(setup(("Central", "560001-560050", "30"), ("East", "560040-560099", "50")))
    assert checked.notes == [
        "Zones “Central” and “East” both hold 560040–560050: “Central” comes first, so its fee applies there."
    ]
    assert quote_delivery(checked.terms, "560045", Decimal("0")).zone == "Central"


@pytest.mark.parametrize(
    ("fields", "field", "said"),
    [
        ({"flat_fee": Decimal("-1")}, "flat_fee", "The delivery fee cannot be negative."),
        ({"flat_fee": Decimal("40.555")}, "flat_fee", "at most two digits after the point"),
        ({"cod_fee": Decimal("100000000")}, "cod_fee", "must be at most 10,000,000. Check for extra zeros."),
        ({"free_above": Decimal("0")}, "free_above", "must be more than 0; leave it empty for no limit"),
        ({"cod_max_order": Decimal("NaN")}, "cod_max_order", "must be an amount like 40"),
        ({"blocked": "70000x"}, "blocked", "“70000x” is not a PIN code"),
    ],
)
def test_a_bad_setting_is_refused_naming_the_field(fields, field, said):
    assert said in problems(setup(**fields))[field][0]


def test_bad_zones_are_each_named():
    said = problems(setup(("", "56", "40"), ("Delhi", "", "40"), ("delhi", "11", "-5")))
    assert said["zones[0].name"] == ["Give the zone a name, e.g. Bengaluru."]
    assert said["zones[1].pins"] == ["List the PIN codes of zone “Delhi”, e.g. 560001-560099 or 56."]
    assert said["zones[2].name"] == ["There are two zones named “delhi”; give each its own name."]
    assert said["zones[2].fee"] == ["The fee of zone “delhi” cannot be negative."]


def test_names_and_pin_lists_are_tidied():
    checked = check_setup(setup(("  South   Bengaluru ", " 560 ", "40"), blocked=" 700\n"))
    assert checked.setup.zones[0].name == "South Bengaluru"
    assert checked.setup.zones[0].pins == "560"
    assert checked.setup.blocked == "700"


def test_a_small_zone_above_a_larger_one_holding_it_is_an_exception_without_a_note():
    checked = check_setup(setup(("Koramangala", "560034", "20"), ("Bengaluru", "560", "40")))
    assert checked.notes == []
