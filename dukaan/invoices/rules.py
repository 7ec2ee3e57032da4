"""The invoices' pure rules: the financial year, the numbers, the seller's details, the amount in words
and a credit note's split by tax rate."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from dukaan.infra.money import ZERO, allocate, to_paise

# The Indian financial year starts on 1 April.
FIRST_MONTH = 4
NUMBER_DIGITS = 4

ONES = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen"
).split()
TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()
# The Indian system: 1,23,45,678 is one crore twenty-three lakh forty-five thousand six hundred seventy-eight.
GROUPS = ((10_000_000, "crore"), (100_000, "lakh"), (1_000, "thousand"), (100, "hundred"))
# Hindi has a word of its own for each number up to 99 (इक्कीस is not "बीस एक"): index n is n's word.
HINDI_NUMBERS = (
    "शून्य एक दो तीन चार पाँच छह सात आठ नौ "
    "दस ग्यारह बारह तेरह चौदह पंद्रह सोलह सत्रह अठारह उन्नीस "
    "बीस इक्कीस बाईस तेईस चौबीस पच्चीस छब्बीस सत्ताईस अट्ठाईस उनतीस "
    "तीस इकतीस बत्तीस तैंतीस चौंतीस पैंतीस छत्तीस सैंतीस अड़तीस उनतालीस "
    "चालीस इकतालीस बयालीस तैंतालीस चवालीस पैंतालीस छियालीस सैंतालीस अड़तालीस उनचास "
    "पचास इक्यावन बावन तिरेपन चौवन पचपन छप्पन सत्तावन अट्ठावन उनसठ "
    "साठ इकसठ बासठ तिरसठ चौंसठ पैंसठ छियासठ सड़सठ अड़सठ उनहत्तर "
    "सत्तर इकहत्तर बहत्तर तिहत्तर चौहत्तर पचहत्तर छिहत्तर सतहत्तर अठहत्तर उन्यासी "
    "अस्सी इक्यासी बयासी तिरासी चौरासी पचासी छियासी सत्तासी अट्ठासी नवासी "
    "नब्बे इक्यानवे बानवे तिरानवे चौरानवे पचानवे छियानवे सत्तानवे अट्ठानवे निन्यानवे"
).split()
HINDI_GROUPS = ((10_000_000, "करोड़"), (100_000, "लाख"), (1_000, "हज़ार"), (100, "सौ"))


@dataclass(frozen=True)
class Seller:
    name: str
    legal_name: str
    address: str
    gstin: str
    state_code: str


def seller(*, store_name: str, legal_name: str, address: str, gstin: str, state_code: str) -> Seller:
    """The seller as an invoice prints it; a store that gave no legal name trades under its own name."""
    return Seller(
        name=store_name,
        legal_name=legal_name.strip() or store_name,
        address=address.strip(),
        gstin=gstin,
        state_code=state_code,
    )


def financial_year(day: date) -> str:
    """The financial year `day` falls in: 31 March 2026 → "2025-26", 1 April 2026 → "2026-27"."""
    start = day.year if day.month >= FIRST_MONTH else day.year - 1
    return f"{start}-{(start + 1) % 100:02d}"


def invoice_number(year: str, sequence: int) -> str:
    """ "INV/2026-27/0001": the year in the number keeps each year's series apart."""
    return f"INV/{year}/{sequence:0{NUMBER_DIGITS}d}"


def credit_note_number(year: str, sequence: int) -> str:
    """ "CN/2026-27/0001": credit notes are their own series, apart from the invoices'."""
    return f"CN/{year}/{sequence:0{NUMBER_DIGITS}d}"


@dataclass(frozen=True)
class CreditRow:
    """The part of a credit note at one GST rate: gross = taxable_value + cgst + sgst + igst."""

    gst_rate: Decimal
    gross: Decimal
    taxable_value: Decimal
    cgst: Decimal
    sgst: Decimal
    igst: Decimal


def credit_rows(
    amount: Decimal, charged: list[tuple[Decimal, Decimal]], *, taxed: bool, inter_state: bool
) -> list[CreditRow]:
    """`amount` refunded, shared over the invoice's GST rates in proportion to what each rate charged.

    `charged` is (GST rate %, gross amount) for each line and charge of the invoice. Tax is taken out
    of each part as the invoice took it (prices with tax in); unregistered sellers charge none.
    """
    by_rate: dict[Decimal, Decimal] = {}
    for rate, gross in charged:
        by_rate[rate] = by_rate.get(rate, ZERO) + gross
    rates = sorted(by_rate)
    rows = []
    for rate, part in zip(rates, allocate(amount, [by_rate[rate] for rate in rates]), strict=True):
        tax = to_paise(part * rate / (100 + rate)) if taxed else ZERO
        cgst, sgst = (ZERO, ZERO) if inter_state else allocate(tax, [Decimal(1), Decimal(1)])
        igst = tax if inter_state else ZERO
        rows.append(CreditRow(rate, part, part - tax, cgst, sgst, igst))
    return [row for row in rows if row.gross]


def _english_below_100(number: int) -> str:
    if number < 20:
        return ONES[number]
    tens, ones = divmod(number, 10)
    return TENS[tens] + (f"-{ONES[ones]}" if ones else "")


def _spelled(number: int, groups, below_100) -> str:
    """`number` in words in the Indian system: `groups` (size, name) from crore down to hundred, and the
    language's words for what is under 100."""
    if number < 100:
        return below_100(number)
    for size, name in groups:
        if number >= size:
            count, rest = divmod(number, size)
            return f"{_spelled(count, groups, below_100)} {name}" + (
                f" {_spelled(rest, groups, below_100)}" if rest else ""
            )
    raise AssertionError("unreachable")


def _words(number: int) -> str:
    return _spelled(number, GROUPS, _english_below_100)


def hindi_words(number: int) -> str:
    """ "एक लाख बीस हज़ार एक सौ पाँच" for 120105, in the Indian system as in English."""
    return _spelled(number, HINDI_GROUPS, HINDI_NUMBERS.__getitem__)


def amount_in_words(amount: Decimal, language: str = "en-in") -> str:
    """ "Rupees one lakh twenty thousand and fifty paise only" for 120000.50; in Hindi (a `language`
    of "hi") "एक लाख बीस हज़ार रुपये और पचास पैसे मात्र", as Hindi bills write it."""
    amount = to_paise(amount)
    if amount < 0:
        raise ValueError(f"An invoice's amount is never negative ({amount}).")
    rupees, paise = divmod(int(amount * 100), 100)
    if language.startswith("hi"):
        words = f"{hindi_words(rupees)} रुपये"
        if paise:
            words += f" और {hindi_words(paise)} पैसे"
        return words + " मात्र"
    words = f"Rupees {_words(rupees)}"
    if paise:
        words += f" and {_words(paise)} paise"
    return words + " only"
