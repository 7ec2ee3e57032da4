"""Money: Decimal amounts rounded to paise in one place.

Every amount the platform stores or shows has two decimals. `to_paise` is the only rounding rule
(half up, as Indian invoices round); `allocate` shares an amount out over weights so the parts
always add up to the whole exactly, which a discount spread over lines or a tax split needs.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

PAISA = Decimal("0.01")
ZERO = Decimal("0.00")


def to_paise(value: Decimal) -> Decimal:
    """`value` rounded half up to paise: 10.005 → 10.01, 10.004 → 10.00."""
    return value.quantize(PAISA, rounding=ROUND_HALF_UP)


def allocate(amount: Decimal, weights: Sequence[Decimal]) -> list[Decimal]:
    """Share `amount` (in paise) out over `weights` in proportion; the parts add up to `amount`.

    `amount` and the weights are not negative. Each part is first rounded down to paise; the paise
    left over go one each to the parts that lost most to rounding (ties to the earlier part). Zero
    total weight gives all zeros, unless `amount` is not zero, which is a caller's mistake.
    """
    amount = to_paise(amount)
    if amount < 0:
        raise ValueError(f"Cannot share out a negative amount ({amount}).")
    total = sum(weights, ZERO)
    if not weights:
        return []
    if total == 0:
        if amount:
            raise ValueError(f"Cannot share {amount} over weights that add up to 0.")
        return [ZERO for _ in weights]
    exact = [amount * weight / total for weight in weights]
    parts = [share.quantize(PAISA, rounding=ROUND_DOWN) for share in exact]
    left = int((amount - sum(parts, ZERO)) / PAISA)
    by_remainder = sorted(range(len(parts)), key=lambda i: (-(exact[i] - parts[i]), i))
    for i in by_remainder[:left]:
        parts[i] += PAISA
    return parts


def grouped(amount: Decimal, places: int = 2) -> str:
    """`amount` in the Indian grouping, whatever the language: 100000 → "1,00,000.00" (lakh, crore).
    Every shown amount goes through here (the `money` template filter), so no page, message or
    invoice shows 100,000.00 beside 1,00,000.00."""
    sign = "-" if amount < 0 else ""
    whole, _, fraction = f"{abs(amount):.{places}f}".partition(".")
    head, tail = whole[:-3], whole[-3:]
    pairs: list[str] = []
    while head:
        head, pair = head[:-2], head[-2:]
        pairs.insert(0, pair)
    digits = ",".join([*pairs, tail])
    return f"{sign}{digits}.{fraction}" if fraction else f"{sign}{digits}"
