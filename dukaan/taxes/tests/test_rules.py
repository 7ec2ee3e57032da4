"""GSTIN checks and the GST in each amount, with exact sums."""

from decimal import Decimal

import pytest
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from dukaan.taxes.rules import (
    STATES,
    UNREGISTERED,
    Taxable,
    TaxTerms,
    gstin_check_character,
    gstin_problem,
    gstin_state,
    state_name,
    tax_items,
)

# Built for these tests with the mod-36 check character (27AAPFU0939F1ZV is also the example GSTIN
# printed in many public GST guides).
VALID = ["27AAPFU0939F1ZV", "29ABCDE1234F1ZW", "33AAACI1195H1ZT", "07AAACR5055K1Z9"]
INCLUSIVE = TaxTerms(True, "29ABCDE1234F1ZW", "29", True, "Asha Textiles", "MG Road, Bengaluru")
EXCLUSIVE = TaxTerms(True, "29ABCDE1234F1ZW", "29", False, "Asha Textiles", "MG Road, Bengaluru")


@pytest.mark.parametrize("gstin", VALID)
def test_a_valid_gstin_has_no_problem(gstin):
    assert gstin_problem(gstin) is None


def test_a_gstin_typed_with_spaces_and_small_letters_is_read_as_capitals():
    assert gstin_problem(" 29abcde1234f1zw ") is None
    assert gstin_state("29abcde1234f1zw") == "29"


@pytest.mark.parametrize(
    "gstin, says",
    [
        ("29ABCDE1234F1Z", "has 15 characters; this one has 14"),
        ("29ABCDE1234F1ZWX", "this one has 16"),
        ("", "this one has 0"),
        ("2XABCDE1234F1ZW", "not the shape of a GSTIN"),
        ("29ABCD01234F1ZW", "not the shape of a GSTIN"),
        ("29ABCDE1234F1YW", "the 14th a Z"),
        ("29ABCDE1234F0ZW", "not the shape"),
        ("29ABCDE1234F1Z-", "not the shape"),
        ("99ABCDE1234F1ZW", "99 is no state's code"),
        ("29ABCDE1234F1ZX", "check character"),
        ("29ABCDE1243F1ZW", "check character"),  # two digits swapped
    ],
)
def test_each_kind_of_wrong_gstin_is_named(gstin, says):
    assert says in gstin_problem(gstin)


def test_one_mistyped_character_is_always_caught():
    gstin = "29ABCDE1234F1ZW"
    for index in range(2, 12):
        for other in "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ":
            typo = gstin[:index] + other + gstin[index + 1 :]
            if typo != gstin:
                assert gstin_problem(typo) is not None, typo


def test_the_check_character_is_the_mod_36_digit():
    assert gstin_check_character("27AAPFU0939F1Z") == "V"


def test_states_are_named_by_their_gst_codes():
    assert STATES["29"] == "Karnataka"
    assert STATES["27"] == "Maharashtra"
    assert all(len(code) == 2 and code.isdigit() for code in STATES)


def test_a_page_names_the_state_in_its_language_and_the_portals_english_stays():
    with translation.override("hi"):
        assert [state_name(code) for code in ("29", "27", "07")] == ["कर्नाटक", "महाराष्ट्र", "दिल्ली"]
        assert STATES["29"] == "Karnataka"  # what invoices and the API give
    with translation.override("en-in"):
        assert state_name("29") == "Karnataka"


def test_an_unregistered_store_charges_no_tax():
    (item,) = tax_items(UNREGISTERED, [Taxable("a", Decimal("499.00"), Decimal("18"))], intra_state=True)
    assert (item.taxable_value, item.cgst, item.sgst, item.igst, item.gross) == (
        Decimal("499.00"),
        0,
        0,
        0,
        Decimal("499.00"),
    )


def test_inclusive_prices_within_the_state_split_cgst_and_sgst_out_of_the_price():
    (item,) = tax_items(INCLUSIVE, [Taxable("a", Decimal("1180.00"), Decimal("18"))], intra_state=True)
    assert item.taxable_value == Decimal("1000.00")
    assert item.cgst == item.sgst == Decimal("90.00")
    assert item.igst == 0
    assert item.gross == Decimal("1180.00")


def test_inclusive_prices_across_states_carry_igst():
    (item,) = tax_items(INCLUSIVE, [Taxable("a", Decimal("499.00"), Decimal("5"))], intra_state=False)
    # 499 × 5 / 105 = 23.7619… → 23.76; the taxable value is what is left.
    assert (item.igst, item.taxable_value, item.cgst, item.sgst) == (
        Decimal("23.76"),
        Decimal("475.24"),
        0,
        0,
    )
    assert item.gross == Decimal("499.00")


def test_inclusive_halves_are_rounded_each_and_the_taxable_value_takes_the_rest():
    (item,) = tax_items(INCLUSIVE, [Taxable("a", Decimal("100.00"), Decimal("5"))], intra_state=True)
    # 100 / 1.05 = 95.238…; half of 5 % of it is 2.3809… → 2.38 each.
    assert (item.cgst, item.sgst, item.taxable_value) == (Decimal("2.38"), Decimal("2.38"), Decimal("95.24"))
    assert item.gross == Decimal("100.00")


def test_exclusive_prices_add_the_tax_on_top():
    (item,) = tax_items(EXCLUSIVE, [Taxable("a", Decimal("999.99"), Decimal("18"))], intra_state=True)
    assert item.taxable_value == Decimal("999.99")
    assert item.cgst == item.sgst == Decimal("90.00")  # 89.99910 → 90.00 half up
    assert item.gross == Decimal("1179.99")
    (across,) = tax_items(EXCLUSIVE, [Taxable("a", Decimal("999.99"), Decimal("18"))], intra_state=False)
    assert (across.igst, across.gross) == (Decimal("180.00"), Decimal("1179.99"))


def test_quarter_percent_and_zero_rates():
    zero, quarter = tax_items(
        EXCLUSIVE,
        [Taxable("a", Decimal("50.00"), Decimal("0")), Taxable("b", Decimal("10000.00"), Decimal("0.25"))],
        intra_state=True,
    )
    assert (zero.cgst, zero.gross) == (0, Decimal("50.00"))
    assert (quarter.cgst, quarter.sgst, quarter.gross) == (
        Decimal("12.50"),
        Decimal("12.50"),
        Decimal("10025.00"),
    )


def test_a_negative_amount_is_refused():
    with pytest.raises(ValueError, match="Cannot tax a"):
        tax_items(INCLUSIVE, [Taxable("a", Decimal("-1"), Decimal("5"))], intra_state=True)


amounts = st.decimals(min_value=0, max_value=10_000_000, places=2, allow_nan=False, allow_infinity=False)
rates = st.sampled_from([Decimal(rate) for rate in ("0", "0.25", "3", "5", "12", "18", "28", "40")])
terms = st.sampled_from([INCLUSIVE, EXCLUSIVE, UNREGISTERED])


@given(terms=terms, amount=amounts, rate=rates, intra_state=st.booleans())
def test_taxable_value_and_taxes_always_add_up_to_the_gross(terms, amount, rate, intra_state):
    (item,) = tax_items(terms, [Taxable("a", amount, rate)], intra_state=intra_state)
    assert item.taxable_value + item.cgst + item.sgst + item.igst == item.gross
    assert item.cgst == item.sgst
    assert min(item.taxable_value, item.cgst, item.igst) >= 0
    for part in (item.taxable_value, item.cgst, item.sgst, item.igst, item.gross):
        assert part == part.quantize(Decimal("0.01"))
    if intra_state:
        assert item.igst == 0
    else:
        assert item.cgst == 0
    if terms.prices_include_tax:
        assert item.gross == amount
    else:
        assert item.taxable_value == amount


@given(amount=amounts, rate=rates)
def test_the_tax_is_the_rate_of_the_taxable_value_to_the_paisa(amount, rate):
    (item,) = tax_items(INCLUSIVE, [Taxable("a", amount, rate)], intra_state=False)
    # Worked out of the price, the tax can differ from rate × taxable value only by rounding.
    assert abs(item.igst - item.taxable_value * rate / 100) <= Decimal("0.01") * (1 + rate / 100)
