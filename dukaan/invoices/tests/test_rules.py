"""The invoices' pure rules: financial years, numbers, the seller's name and amounts in words."""

from datetime import date
from decimal import Decimal

import pytest

from dukaan.invoices.rules import amount_in_words, financial_year, hindi_words, invoice_number, seller


def test_the_financial_year_turns_on_the_first_of_april():
    assert financial_year(date(2026, 3, 31)) == "2025-26"
    assert financial_year(date(2026, 4, 1)) == "2026-27"
    assert financial_year(date(2026, 12, 31)) == "2026-27"
    assert financial_year(date(2099, 4, 1)) == "2099-00"


def test_an_invoice_number_carries_its_year_and_four_digits_at_least():
    assert invoice_number("2026-27", 1) == "INV/2026-27/0001"
    assert invoice_number("2026-27", 12345) == "INV/2026-27/12345"


@pytest.mark.parametrize(
    ("amount", "words"),
    [
        ("0", "Rupees zero only"),
        ("0.50", "Rupees zero and fifty paise only"),
        ("21", "Rupees twenty-one only"),
        ("938.20", "Rupees nine hundred thirty-eight and twenty paise only"),
        ("100000", "Rupees one lakh only"),
        ("120000.05", "Rupees one lakh twenty thousand and five paise only"),
        ("12345678", "Rupees one crore twenty-three lakh forty-five thousand six hundred seventy-eight only"),
        ("1500000000", "Rupees one hundred fifty crore only"),
    ],
)
def test_amounts_read_in_the_indian_system_of_lakhs_and_crores(amount, words):
    assert amount_in_words(Decimal(amount)) == words


@pytest.mark.parametrize(
    ("number", "word"),
    [
        (0, "शून्य"),
        (5, "पाँच"),
        (11, "ग्यारह"),
        (19, "उन्नीस"),
        (21, "इक्कीस"),
        (29, "उनतीस"),
        (35, "पैंतीस"),
        (38, "अड़तीस"),
        (49, "उनचास"),
        (58, "अट्ठावन"),
        (69, "उनहत्तर"),
        (79, "उन्यासी"),
        (89, "नवासी"),
        (90, "नब्बे"),
        (99, "निन्यानवे"),
    ],
)
def test_hindi_numbers_below_a_hundred_are_each_their_own_word(number, word):
    assert hindi_words(number) == word


def test_hindi_numbers_are_one_word_each_up_to_ninety_nine_and_none_repeats():
    words = [hindi_words(number) for number in range(100)]
    assert all(" " not in word for word in words) and len(set(words)) == 100


@pytest.mark.parametrize(
    ("amount", "words"),
    [
        ("0.50", "शून्य रुपये और पचास पैसे मात्र"),
        ("21", "इक्कीस रुपये मात्र"),
        ("100", "एक सौ रुपये मात्र"),
        ("938.20", "नौ सौ अड़तीस रुपये और बीस पैसे मात्र"),
        ("120000.50", "एक लाख बीस हज़ार रुपये और पचास पैसे मात्र"),
        ("100099.99", "एक लाख निन्यानवे रुपये और निन्यानवे पैसे मात्र"),
        ("12345678", "एक करोड़ तेईस लाख पैंतालीस हज़ार छह सौ अठहत्तर रुपये मात्र"),
        ("1500000000", "एक सौ पचास करोड़ रुपये मात्र"),
    ],
)
def test_hindi_amounts_read_in_lakhs_and_crores_rupees_then_paise(amount, words):
    assert amount_in_words(Decimal(amount), "hi") == words


def test_a_negative_amount_has_no_words():
    with pytest.raises(ValueError, match="never negative"):
        amount_in_words(Decimal("-1"))


def test_a_store_without_a_legal_name_trades_under_its_own():
    made = seller(store_name="Asha Store", legal_name=" ", address=" 1 MG Road ", gstin="", state_code="")
    assert (made.legal_name, made.address) == ("Asha Store", "1 MG Road")
    named = seller(
        store_name="Asha Store", legal_name="Asha Traders LLP", address="", gstin="", state_code=""
    )
    assert named.legal_name == "Asha Traders LLP"
