"""An order's money as rows to show: subtotal, each discount, fees, GST, total.

One shape for a quote (the cart and checkout pages, before the order exists) and for a placed order
(its stored numbers), so every page and message lists the same rows in the same order.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _

from .models import Order, OrderCharge
from .pricing import Pricing


@dataclass(frozen=True)
class Row:
    label: str
    amount: Decimal
    # "subtotal", "discount" (shown as minus), "free", "tax-included" (a note: already
    # in the prices), "total"
    kind: str = ""


def _rows(
    *,
    subtotal: Decimal,
    discounts: Iterable[tuple[str, Decimal]],
    charges: Iterable[tuple[str, Decimal]],
    taxes: Iterable[tuple[str, Decimal]],
    registered: bool,
    prices_include_tax: bool,
    total: Decimal,
) -> list[Row]:
    rows = [Row(_("Subtotal"), subtotal, "subtotal")]
    rows += [Row(label, amount, "discount") for label, amount in discounts]
    rows += [Row(label, amount, "" if amount else "free") for label, amount in charges]
    if registered:
        kind = "tax-included" if prices_include_tax else ""
        rows += [Row(label, amount, kind) for label, amount in taxes if amount]
    rows.append(Row(_("Total"), total, "total"))
    return rows


def _tax_rows(cgst: Decimal, sgst: Decimal, igst: Decimal) -> list[tuple[str, Decimal]]:
    return [("CGST", cgst), ("SGST", sgst), ("IGST", igst)]


def quote_rows(pricing: Pricing) -> list[Row]:
    return _rows(
        subtotal=pricing.subtotal,
        discounts=[(discount.label, discount.amount) for discount in pricing.discounts],
        charges=_delivery_first(pricing, [(charge.label, charge.gross) for charge in pricing.charges]),
        taxes=_tax_rows(pricing.cgst, pricing.sgst, pricing.igst),
        registered=pricing.tax_terms.registered,
        prices_include_tax=pricing.tax_terms.prices_include_tax,
        total=pricing.total,
    )


def _free_delivery(charges: list[tuple[str, Decimal]]) -> list[tuple[str, Decimal]]:
    """A delivery row even when nothing was charged for it: the buyer sees it was free."""
    delivery = str(OrderCharge.Kind.DELIVERY.label)  # in the language of the page
    if any(label == delivery for label, _ in charges):
        return charges
    return [(delivery, Decimal("0.00")), *charges]


def _delivery_first(pricing: Pricing, charges: list[tuple[str, Decimal]]) -> list[tuple[str, Decimal]]:
    return _free_delivery(charges) if pricing.delivery is not None else charges


def order_rows(order: Order) -> list[Row]:
    """From the order's stored numbers only; prefetch `discounts` and `charges` for lists of orders."""
    return _rows(
        subtotal=order.subtotal,
        discounts=[(discount.label, discount.amount) for discount in order.discounts.all()],
        charges=_free_delivery([(charge.get_kind_display(), charge.gross) for charge in order.charges.all()]),
        taxes=_tax_rows(order.cgst, order.sgst, order.igst),
        registered=bool(order.gstin),
        prices_include_tax=order.prices_include_tax,
        total=order.total,
    )
