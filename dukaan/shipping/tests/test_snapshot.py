"""The delivery note store pages show: the fee, when it is waived, and cash on delivery."""

from decimal import Decimal

import pytest

from dukaan.shipping.snapshot import delivery_note


def rupees(amount: Decimal) -> str:
    return f"₹{amount:,.0f}"


@pytest.mark.parametrize(
    ("fees", "free_above", "cod_enabled", "cod_max_order", "note"),
    [
        (["0"], None, True, None, "Free delivery · Cash on delivery available"),
        (
            ["40"],
            "499",
            True,
            None,
            "Free delivery above ₹499 · ₹40 delivery otherwise · Cash on delivery available",
        ),
        (["40"], None, False, None, "₹40 delivery · No cash on delivery"),
        (
            ["40", "20", "80"],
            None,
            True,
            "5000",
            "₹20 to ₹80 delivery, by PIN code · Cash on delivery available up to ₹5,000",
        ),
        (
            ["40", "20"],
            "999",
            True,
            None,
            "Free delivery above ₹999 · ₹20 to ₹40 delivery otherwise, by PIN code · "
            "Cash on delivery available",
        ),
        (["0", "0"], "499", True, None, "Free delivery · Cash on delivery available"),
    ],
)
def test_the_note_says_the_fee_when_it_is_free_and_whether_cash_on_delivery_is_taken(
    fees, free_above, cod_enabled, cod_max_order, note
):
    assert (
        delivery_note(
            fees=[Decimal(fee) for fee in fees],
            free_above=Decimal(free_above) if free_above else None,
            cod_enabled=cod_enabled,
            cod_max_order=Decimal(cod_max_order) if cod_max_order else None,
            money=rupees,
        )
        == note
    )
