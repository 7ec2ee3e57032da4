"""The one price of an order: from a cart's lines and the store's rules to every amount an order stores.

Pure: no database, no settings. The cart page, the checkout, the API's quote and `place_order` all call
`price`, and the order stores what it returned, so every page, message and invoice shows the same numbers.

The order of the steps is the rule, stated once (docs/pricing.md):
1. Each line is unit price × quantity (its gross amount at the shop's prices).
2. Offers, then a coupon (promotions.rules): a coupon that does not stack with offers applies only when
   it saves the buyer more than the offers do. Each discount is shared over the lines it applies to.
3. The goods' value is the lines less their discounts. Delivery (shipping.rules) is priced on it for the
   buyer's PIN code, and so is cash on delivery when the buyer pays that way.
4. GST (taxes.rules) on each line's value after discounts, and on the fees at the rate of the order's
   principal supply (the line with the largest value): CGST + SGST when the PIN code is in the store's
   state, IGST otherwise. Unregistered stores charge none.
5. The total is the sum of the lines' and charges' gross amounts; every amount is in paise (to_paise).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.utils.translation import gettext

from dukaan.infra.money import ZERO, to_paise
from dukaan.promotions.rules import (
    CouponRefused,
    CouponTerms,
    Discount,
    Item,
    OfferTerms,
    choose,
    coupon_discount,
    offer_discounts,
)
from dukaan.shipping.rules import CodQuote, DeliveryQuote, DeliveryTerms, quote_cod, quote_delivery
from dukaan.taxes.rules import ItemTax, Rate, Taxable, TaxTerms, tax_items

from .models import OrderCharge

DELIVERY, COD = OrderCharge.Kind.DELIVERY.value, OrderCharge.Kind.COD.value


@dataclass(frozen=True)
class PricingLine:
    key: str  # unique per line: the cart's lines may name one product twice
    product_id: int
    category_id: int | None
    unit_price: Decimal
    quantity: int

    @property
    def amount(self) -> Decimal:
        return to_paise(self.unit_price * self.quantity)


@dataclass(frozen=True)
class StoreRules:
    """What the store has set that prices an order, read once per quote."""

    delivery: DeliveryTerms
    tax: TaxTerms
    rates: dict[int, Rate]  # product id → its GST rate and HSN code
    offers: tuple[OfferTerms, ...]
    coupon: CouponTerms | None  # the applied code's coupon, None when there is no such code here


@dataclass(frozen=True)
class Priced:
    """A line or a charge as the order stores it: gross = taxable_value + cgst + sgst + igst."""

    key: str
    hsn_code: str
    gst_rate: Decimal
    discount: Decimal
    taxable_value: Decimal
    cgst: Decimal
    sgst: Decimal
    igst: Decimal

    @property
    def tax(self) -> Decimal:
        return self.cgst + self.sgst + self.igst

    @property
    def gross(self) -> Decimal:
        return self.taxable_value + self.tax


@dataclass(frozen=True)
class Charge(Priced):
    amount: Decimal = ZERO  # the fee as the store set it

    @property
    def kind(self) -> str:
        return self.key

    @property
    def label(self) -> str:
        return str(OrderCharge.Kind(self.key).label)


@dataclass(frozen=True)
class Pricing:
    subtotal: Decimal
    discounts: tuple[Discount, ...]
    lines: dict[str, Priced]
    charges: tuple[Charge, ...]
    total: Decimal
    delivery: DeliveryQuote | None  # None until the buyer gives a PIN code
    cod: CodQuote | None  # None unless the buyer pays cash on delivery
    coupon_code: str  # the coupon applied, "" when none
    coupon_note: str  # why the code the buyer gave does not apply (or saves less than an offer)
    coupon_refused: bool  # the code does not apply at all (as opposed to losing to a better offer)
    delivery_state: str
    tax_terms: TaxTerms  # the store's GST registration it was priced under
    problems: tuple[str, ...] = field(default=())

    @property
    def discount_total(self) -> Decimal:
        return sum((discount.amount for discount in self.discounts), ZERO)

    @property
    def goods_value(self) -> Decimal:
        return self.subtotal - self.discount_total

    def _sum(self, name: str) -> Decimal:
        rows: list[Priced] = [*self.lines.values(), *self.charges]
        return sum((getattr(row, name) for row in rows), ZERO)

    @property
    def cgst(self) -> Decimal:
        return self._sum("cgst")

    @property
    def sgst(self) -> Decimal:
        return self._sum("sgst")

    @property
    def igst(self) -> Decimal:
        return self._sum("igst")

    @property
    def tax(self) -> Decimal:
        return self.cgst + self.sgst + self.igst

    def fee(self, key: str) -> Decimal:
        return next((charge.gross for charge in self.charges if charge.key == key), ZERO)


def price(
    lines: Sequence[PricingLine],
    rules: StoreRules,
    *,
    coupon_code: str = "",
    pin_code: str = "",
    delivery_state: str = "",
    cash_on_delivery: bool = False,
    now: datetime,
    money: Callable[[Decimal], str],
) -> Pricing:
    """Price `lines` by `rules` for a buyer who gave `coupon_code`, `pin_code` (with its GST state code)
    and chose to pay cash on delivery or not. Problems that stop the order are in `problems`."""
    if len({line.key for line in lines}) != len(lines):
        raise ValueError("Each line needs its own key: the amounts are shared out by key.")
    items = [
        Item(line.key, line.product_id, line.category_id, line.unit_price, line.quantity) for line in lines
    ]
    subtotal = sum((line.amount for line in lines), ZERO)
    discounts, coupon_note, coupon_refused = _discounts(
        items, rules, coupon_code=coupon_code, now=now, money=money
    )
    shares = _shares(discounts)
    goods_value = subtotal - sum(shares.values(), ZERO)
    problems: list[str] = []
    delivery = quote_delivery(rules.delivery, pin_code, goods_value) if pin_code else None
    if delivery is not None and not delivery.deliverable:
        problems.append(gettext("Sorry, this shop does not deliver to %(pin)s.") % {"pin": pin_code})
    cod = quote_cod(rules.delivery, goods_value, money) if cash_on_delivery else None
    if cod is not None and not cod.allowed:
        problems.append(cod.message)
    fees = {DELIVERY: delivery.fee if delivery else ZERO, COD: cod.fee if cod and cod.allowed else ZERO}

    taxed = _rates(lines, rules)
    largest = max(lines, key=lambda line: line.amount - shares.get(line.key, ZERO), default=None)
    principal = taxed[largest.key] if largest else Rate(ZERO, "")
    taxables = [
        Taxable(line.key, line.amount - shares.get(line.key, ZERO), taxed[line.key].rate) for line in lines
    ]
    taxables += [Taxable(key, fee, principal.rate) for key, fee in fees.items() if fee]
    # Before the buyer gives a PIN code the supply is taken as local: the total is the same either way.
    intra_state = not delivery_state or delivery_state == rules.tax.state_code
    taxes = {tax.key: tax for tax in tax_items(rules.tax, taxables, intra_state=intra_state)}

    priced = {
        line.key: _priced(line.key, taxed[line.key].hsn_code, shares.get(line.key, ZERO), taxes[line.key])
        for line in lines
    }
    charges = tuple(
        Charge(amount=fee, **vars(_priced(key, principal.hsn_code, ZERO, taxes[key])))
        for key, fee in fees.items()
        if fee
    )
    total = sum((row.gross for row in [*priced.values(), *charges]), ZERO)
    applied = next((d for d in discounts if d.source == "coupon"), None)
    return Pricing(
        subtotal=subtotal,
        discounts=tuple(discounts),
        lines=priced,
        charges=charges,
        total=total,
        delivery=delivery,
        cod=cod,
        coupon_code=rules.coupon.code if applied and rules.coupon else "",
        coupon_note=coupon_note,
        coupon_refused=coupon_refused,
        delivery_state=delivery_state,
        tax_terms=rules.tax,
        problems=tuple(problems),
    )


def _discounts(
    items: list[Item], rules: StoreRules, *, coupon_code: str, now: datetime, money: Callable[[Decimal], str]
) -> tuple[list[Discount], str, bool]:
    """The discounts that apply, a note on the buyer's code, and whether the code was refused."""
    offers = offer_discounts(list(rules.offers), items, now=now)
    if not coupon_code:
        return offers, "", False
    coupon = rules.coupon
    if coupon is None:
        return offers, f"There is no code {coupon_code} at this shop. Check the spelling.", True
    try:
        discount = coupon_discount(
            coupon, items, now=now, after=offers if coupon.combines_with_offers else [], money=money
        )
    except CouponRefused as refused:
        return offers, refused.message, True
    return (*choose(offers, discount, stacks=coupon.combines_with_offers), False)


def _shares(discounts: list[Discount]) -> dict[str, Decimal]:
    shares: dict[str, Decimal] = {}
    for discount in discounts:
        for key, share in discount.per_item:
            shares[key] = shares.get(key, ZERO) + share
    return shares


def _rates(lines: Sequence[PricingLine], rules: StoreRules) -> dict[str, Rate]:
    if not rules.tax.registered:
        return {line.key: Rate(ZERO, "") for line in lines}
    return {line.key: rules.rates.get(line.product_id, Rate(ZERO, "")) for line in lines}


def _priced(key: str, hsn_code: str, discount: Decimal, tax: ItemTax) -> Priced:
    return Priced(
        key=key,
        hsn_code=hsn_code,
        gst_rate=tax.rate,
        discount=discount,
        taxable_value=tax.taxable_value,
        cgst=tax.cgst,
        sgst=tax.sgst,
        igst=tax.igst,
    )
