"""GST rules, pure: checking a GSTIN, and the tax inside (or on top of) each amount a buyer pays.

No database and no settings here: pricing, invoices and tests call these with plain values.
Every amount is rounded with dukaan.infra.money.to_paise, the one rounding rule.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext, gettext_noop

from dukaan.infra.money import ZERO, to_paise

# GST state codes (the first two characters of a GSTIN) of the states and union territories today, with
# their names as the GST portal writes them: invoices and the API give these;
# a page shows state_name(code), in its language.
STATES: dict[str, str] = {
    "01": gettext_noop("Jammu and Kashmir"),
    "02": gettext_noop("Himachal Pradesh"),
    "03": gettext_noop("Punjab"),
    "04": gettext_noop("Chandigarh"),
    "05": gettext_noop("Uttarakhand"),
    "06": gettext_noop("Haryana"),
    "07": gettext_noop("Delhi"),
    "08": gettext_noop("Rajasthan"),
    "09": gettext_noop("Uttar Pradesh"),
    "10": gettext_noop("Bihar"),
    "11": gettext_noop("Sikkim"),
    "12": gettext_noop("Arunachal Pradesh"),
    "13": gettext_noop("Nagaland"),
    "14": gettext_noop("Manipur"),
    "15": gettext_noop("Mizoram"),
    "16": gettext_noop("Tripura"),
    "17": gettext_noop("Meghalaya"),
    "18": gettext_noop("Assam"),
    "19": gettext_noop("West Bengal"),
    "20": gettext_noop("Jharkhand"),
    "21": gettext_noop("Odisha"),
    "22": gettext_noop("Chhattisgarh"),
    "23": gettext_noop("Madhya Pradesh"),
    "24": gettext_noop("Gujarat"),
    "26": gettext_noop("Dadra and Nagar Haveli and Daman and Diu"),
    "27": gettext_noop("Maharashtra"),
    "29": gettext_noop("Karnataka"),
    "30": gettext_noop("Goa"),
    "31": gettext_noop("Lakshadweep"),
    "32": gettext_noop("Kerala"),
    "33": gettext_noop("Tamil Nadu"),
    "34": gettext_noop("Puducherry"),
    "35": gettext_noop("Andaman and Nicobar Islands"),
    "36": gettext_noop("Telangana"),
    "37": gettext_noop("Andhra Pradesh"),
    "38": gettext_noop("Ladakh"),
    "97": gettext_noop("Other Territory"),
}

GSTIN_LENGTH = 15
GSTIN_EXAMPLE = "29ABCDE1234F1ZW"
GSTIN_CHARACTERS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
# State code, PAN (5 letters, 4 digits, a letter), the entity's number under that PAN, "Z", check character.
GSTIN_SHAPE = re.compile(r"^[0-9]{2}[A-Z]{5}[0-9]{4}[A-Z][1-9A-Z]Z[0-9A-Z]$")
HSN_CODE = re.compile(r"^(?:[0-9]{4}|[0-9]{6}|[0-9]{8})$")


def normalize_gstin(text: str) -> str:
    """A GSTIN as typed, without spaces and in capitals."""
    return "".join(text.split()).upper()


def gstin_check_character(first_14: str) -> str:
    """The GSTIN's 15th character: the mod-36 check digit of the first 14 (weights 1, 2, 1, 2, …)."""
    total = 0
    for index, character in enumerate(first_14):
        product = GSTIN_CHARACTERS.index(character) * (2 if index % 2 else 1)
        total += product // 36 + product % 36
    return GSTIN_CHARACTERS[(36 - total % 36) % 36]


def gstin_problem(text: str) -> str | None:
    """What is wrong with a GSTIN (after normalize_gstin), or None when it is well formed."""
    gstin = normalize_gstin(text)
    if len(gstin) != GSTIN_LENGTH:
        return gettext(
            "A GSTIN has 15 characters; this one has %(count)s. Copy it from your GST certificate."
        ) % {"count": len(gstin)}
    if not GSTIN_SHAPE.match(gstin):
        return gettext(
            "This is not the shape of a GSTIN: 2 digits of the state, the 10 characters of the PAN "
            "(5 letters, 4 digits, 1 letter), then 3 more characters, the 14th a Z, e.g. %(example)s."
        ) % {"example": GSTIN_EXAMPLE}
    if gstin[:2] not in STATES:
        return gettext(
            "A GSTIN starts with a state's code; %(code)s is no state's code. Check the first 2 digits."
        ) % {"code": gstin[:2]}
    if gstin_check_character(gstin[:14]) != gstin[14]:
        return gettext(
            "This GSTIN's last character (its check character) does not match the others, so one of them "
            "is mistyped. Copy it again from your GST certificate."
        )
    return None


def gstin_state(gstin: str) -> str:
    """The state code a GSTIN is registered in: "29" for 29ABCDE1234F1ZW."""
    return normalize_gstin(gstin)[:2]


def state_name(code: str) -> str:
    """The state's name in the page's language: "कर्नाटक" in Hindi, "Karnataka" in English."""
    return gettext(STATES[code])


def state_label(code: str) -> str:
    """ "Karnataka (29)", "कर्नाटक (29)" in Hindi; the bare code when it names no state."""
    return f"{state_name(code)} ({code})" if code in STATES else code


def hsn_problem(code: str) -> str | None:
    if HSN_CODE.match(code):
        return None
    return gettext("An HSN code is 4, 6 or 8 digits, e.g. 6109 for cotton T-shirts.")


@dataclass(frozen=True)
class TaxTerms:
    """How a store charges GST."""

    registered: bool
    gstin: str
    state_code: str
    prices_include_tax: bool
    legal_name: str
    address: str


UNREGISTERED = TaxTerms(False, "", "", True, "", "")


@dataclass(frozen=True)
class Rate:
    """A product's GST rate (percent) and HSN code on a day."""

    rate: Decimal
    hsn_code: str


@dataclass(frozen=True)
class Taxable:
    """An amount as charged (after discounts) and its GST rate; `key` names the line."""

    key: str
    amount: Decimal
    rate: Decimal


@dataclass(frozen=True)
class ItemTax:
    """The tax of one Taxable: gross = taxable_value + cgst + sgst + igst, to the paisa."""

    key: str
    rate: Decimal
    taxable_value: Decimal
    cgst: Decimal
    sgst: Decimal
    igst: Decimal
    gross: Decimal


HUNDRED = Decimal(100)


def _split(tax_base: Decimal, rate: Decimal, intra_state: bool) -> tuple[Decimal, Decimal, Decimal]:
    """(CGST, SGST, IGST) on an exact taxable value: two equal halves within a state, IGST across."""
    if intra_state:
        half = to_paise(tax_base * rate / 2 / HUNDRED)
        return half, half, ZERO
    return ZERO, ZERO, to_paise(tax_base * rate / HUNDRED)


def tax_items(terms: TaxTerms, items: Iterable[Taxable], *, intra_state: bool) -> list[ItemTax]:
    """The GST in each item.

    Unregistered: no tax, the buyer pays the amount. Prices including tax: the amount is what the
    buyer pays, and the tax is worked out of it (on amount × 100 / (100 + rate)); the taxable value
    is what is left, so the parts add up to the amount exactly. Prices excluding tax: the amount is
    the taxable value and the tax goes on top.
    """
    taxed = []
    for item in items:
        amount = to_paise(item.amount)
        if amount < 0 or item.rate < 0 or item.rate > HUNDRED:
            raise ValueError(f"Cannot tax {item.key}: amount {amount} at {item.rate} %.")
        if not terms.registered:
            taxed.append(ItemTax(item.key, ZERO, amount, ZERO, ZERO, ZERO, amount))
            continue
        if terms.prices_include_tax:
            cgst, sgst, igst = _split(amount * HUNDRED / (HUNDRED + item.rate), item.rate, intra_state)
            taxable_value = amount - cgst - sgst - igst
        else:
            taxable_value = amount
            cgst, sgst, igst = _split(amount, item.rate, intra_state)
        taxed.append(
            ItemTax(item.key, item.rate, taxable_value, cgst, sgst, igst, taxable_value + cgst + sgst + igst)
        )
    return taxed
