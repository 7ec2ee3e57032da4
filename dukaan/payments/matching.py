"""Pairing a statement's credits with a store's orders: by the order's reference and exact UPI amount.

Each UPI order asks for an amount no other open UPI order of the store asks (`Order.upi_amount`: the
total plus a few paise) and carries its `pay_reference` in the payment's note, which banks copy into
the narration. A credit naming an order's reference with exactly its amount is that order's payment;
a reference with another amount is for the shopkeeper to check; with no reference, an amount that
exactly one open order asks for is taken as its payment (and said so); an amount several ask for is
ambiguous. Nothing here writes: `payments.services.match_statement` applies the result.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Literal

from dukaan.orders.models import CLOSED_STATUS, OPEN_PAYMENT, PAY_REFERENCE_ALPHABET, Order

from .statements import StatementLine

REFERENCE_LENGTH = 8
REFERENCE_RUN = re.compile(f"[{PAY_REFERENCE_ALPHABET}]{{{REFERENCE_LENGTH},}}")

# "reference" and "amount" pay the order; "duplicate" is a line applied before.
Kind = Literal["reference", "amount", "duplicate", "check", "ambiguous", "unmatched"]


def line_key(line: StatementLine) -> str:
    """What makes a credit the same credit on a second upload: the bank's UTR, or when the line has
    none, its date, amount and text (two such payments alike in all three count once)."""
    if line.utr:
        return f"utr:{line.utr}"
    text = " ".join(line.reference_text.upper().split())
    digest = hashlib.sha256(f"{line.date}|{line.amount}|{text}".encode()).hexdigest()
    return f"line:{digest[:40]}"


def reference_windows(text: str) -> set[str]:
    """Every 8-character run of the reference alphabet in `text`, read in capitals with spaces and
    punctuation dropped: banks cut narrations short and glue words together ("ORDERD7K2M9PX")."""
    squashed = re.sub(r"[^0-9A-Z]", "", text.upper())
    windows: set[str] = set()
    for run in REFERENCE_RUN.findall(squashed):
        windows.update(run[i : i + REFERENCE_LENGTH] for i in range(len(run) - REFERENCE_LENGTH + 1))
    return windows


@dataclass(frozen=True)
class Pairing:
    kind: Kind
    orders: tuple[Order, ...] = ()
    note: str = ""


def why_not_paid(order: Order, amount: Decimal) -> str:
    if order.status in CLOSED_STATUS:
        return (
            f"Order #{order.number} is {order.get_status_display().lower()}: refund this payment or check it."
        )
    if order.payment_status not in OPEN_PAYMENT:
        return f"Order #{order.number} is already {order.get_payment_status_display().lower()}."
    if order.upi_amount is None:
        return f"Order #{order.number} asks for no UPI payment."
    return f"Order #{order.number} asks for {order.upi_amount}; this line has {amount}."


def pair(
    line: StatementLine, *, by_reference: dict[str, Order], open_by_amount: dict[Decimal, list[Order]]
) -> Pairing:
    """What `line` pays: `by_reference` maps references to the store's orders (any state) named in the
    statement; `open_by_amount` maps each open order's `upi_amount` to those orders."""
    windows = reference_windows(line.reference_text) & by_reference.keys()
    named = {by_reference[window].pk: by_reference[window] for window in sorted(windows)}
    if len(named) > 1:
        numbers = ", ".join(f"#{order.number}" for order in named.values())
        return Pairing("check", tuple(named.values()), f"This line names several orders: {numbers}.")
    if named:
        (order,) = named.values()
        if order.asks_upi and order.upi_amount == line.amount:
            return Pairing("reference", (order,), "Reference and amount match.")
        return Pairing("check", (order,), why_not_paid(order, line.amount))
    same_amount = open_by_amount.get(line.amount, [])
    if len(same_amount) == 1:
        return Pairing("amount", tuple(same_amount), "No reference in the line; matched by its exact amount.")
    if same_amount:
        return Pairing(
            "ambiguous", tuple(same_amount), f"{len(same_amount)} open orders ask for this amount."
        )
    return Pairing("unmatched", (), "No open order asks for this amount or has a reference in this line.")


@dataclass(frozen=True)
class ReportLine:
    """One credit of the statement, and what became of it."""

    line_no: int
    date: date | None
    amount: Decimal
    utr: str
    text: str
    note: str
    order_numbers: tuple[int, ...] = ()


@dataclass
class MatchReport:
    """The statement's credits sorted by what became of them; `debits` and `ignored` are counts."""

    paid: list[ReportLine] = field(default_factory=list)  # paid now (the note says how it matched)
    duplicates: list[ReportLine] = field(default_factory=list)  # applied before, or twice in this statement
    check: list[ReportLine] = field(default_factory=list)  # a reference with the wrong amount or order state
    ambiguous: list[ReportLine] = field(default_factory=list)  # an amount several open orders ask for
    unmatched: list[ReportLine] = field(default_factory=list)
    debits: int = 0
    ignored: int = 0

    @property
    def credits(self) -> int:
        return sum(
            len(group) for group in (self.paid, self.duplicates, self.check, self.ambiguous, self.unmatched)
        )


def report_line(line: StatementLine, note: str, orders: tuple[Order, ...] = ()) -> ReportLine:
    return ReportLine(
        line_no=line.line_no,
        date=line.date,
        amount=line.amount,
        utr=line.utr,
        text=line.reference_text,
        note=note,
        order_numbers=tuple(order.number for order in orders),
    )
