"""How coupons and automatic offers take money off a cart: pure rules, no database.

The order's pricing (orders/pricing.py) reads a store's offers and a coupon through the selectors,
then calls `offer_discounts`, `coupon_discount` and `choose` in that order. docs/promotions.md states
the rules in words.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Literal

from django.utils.translation import gettext as _

from dukaan.infra.money import ZERO, allocate, to_paise

Money = Callable[[Decimal], str]
CODE_PATTERN = re.compile(r"[A-Za-z0-9_-]+")
MAX_CODE_LENGTH = 20


@dataclass(frozen=True)
class Item:
    """One cart line: `key` names it for the discounts' shares (the lead's line key)."""

    key: str
    product_id: int
    category_id: int | None
    unit_price: Decimal
    quantity: int

    @property
    def amount(self) -> Decimal:
        return to_paise(self.unit_price * self.quantity)


@dataclass(frozen=True)
class CouponTerms:
    id: int
    code: str
    kind: Literal["percent", "flat"]
    value: Decimal
    min_order: Decimal | None
    max_discount: Decimal | None
    starts_at: datetime | None
    ends_at: datetime | None
    product_ids: frozenset[int]  # with category_ids: both empty means every product
    category_ids: frozenset[int]
    combines_with_offers: bool
    active: bool
    used_up: bool = False  # every use taken (claim_coupon still counts under lock)
    first_order_only: bool = False  # only claim_coupon knows whether the buyer ordered before


@dataclass(frozen=True)
class OfferTerms:
    id: int
    name: str
    kind: Literal["order", "buy_get"]
    percent: Decimal | None  # "order": percent or flat off when the order is at least min_order
    flat: Decimal | None
    min_order: Decimal | None
    product_ids: frozenset[int]  # "buy_get": buy `buy` units, get `get` more free, on these products
    buy: int
    get: int
    starts_at: datetime | None
    ends_at: datetime | None


@dataclass(frozen=True)
class Discount:
    source: Literal["coupon", "offer"]
    source_id: int
    label: str
    amount: Decimal
    per_item: tuple[tuple[str, Decimal], ...]  # item key → share; the shares add up to `amount`


class CouponRefused(Exception):
    """Why a code does not apply, in words for the buyer; it never names another code."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def normalize_code(text: str) -> str:
    """A code as stored and compared: trimmed, upper case. ValueError says what is wrong."""
    code = (text or "").strip()
    if not code:
        raise ValueError(_("Enter a code, e.g. SAVE10."))
    if len(code) > MAX_CODE_LENGTH:
        raise ValueError(_("A code is at most %(count)s characters long.") % {"count": MAX_CODE_LENGTH})
    if not CODE_PATTERN.fullmatch(code):
        raise ValueError(
            _("A code may hold only letters A-Z, digits, - and _ (no spaces or emoji), e.g. SAVE10.")
        )
    return code.upper()


def subtotal(items: Iterable[Item]) -> Decimal:
    return sum((item.amount for item in items), ZERO)


def _running(starts_at: datetime | None, ends_at: datetime | None, now: datetime) -> bool:
    return (starts_at is None or starts_at <= now) and (ends_at is None or now < ends_at)


def _left(items: Sequence[Item], after: Iterable[Discount]) -> list[Decimal]:
    """Each item's amount less the shares `after` already took."""
    taken: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for discount in after:
        for key, share in discount.per_item:
            taken[key] += share
    return [item.amount - taken[item.key] for item in items]


def _shared(
    source: Literal["coupon", "offer"],
    source_id: int,
    label: str,
    amount: Decimal,
    items: Sequence[Item],
    weights: Sequence[Decimal],
) -> Discount:
    """`amount` shared over `items` in proportion to `weights` (never more than each weight)."""
    shares = allocate(amount, weights)
    per_item = tuple((item.key, share) for item, share in zip(items, shares, strict=True) if share)
    return Discount(
        source=source, source_id=source_id, label=label, amount=to_paise(amount), per_item=per_item
    )


def _buy_get_savings(offer: OfferTerms, items: Sequence[Item]) -> dict[int, dict[str, Decimal]]:
    """Per product: the free units' value per item key. The cheapest units of a product (over its
    variants) are the free ones: `get` free for every `buy + get` units."""
    by_product: dict[int, list[Item]] = defaultdict(list)
    for item in items:
        if item.product_id in offer.product_ids and item.quantity > 0:
            by_product[item.product_id].append(item)
    savings: dict[int, dict[str, Decimal]] = {}
    for product_id, lines in by_product.items():
        units = sum(line.quantity for line in lines)
        free = units // (offer.buy + offer.get) * offer.get
        shares: dict[str, Decimal] = {}
        for line in sorted(lines, key=lambda line: line.unit_price):
            if free <= 0:
                break
            taken = min(free, line.quantity)
            shares[line.key] = to_paise(line.unit_price * taken)
            free -= taken
        if shares:
            savings[product_id] = shares
    return savings


def _order_offer_amount(offer: OfferTerms, left: Decimal) -> Decimal:
    if offer.min_order is not None and left < offer.min_order:
        return ZERO
    if offer.percent is not None:
        return min(to_paise(left * offer.percent / 100), left)
    return min(offer.flat or ZERO, left)


def offer_discounts(offers: Iterable[OfferTerms], items: Sequence[Item], *, now: datetime) -> list[Discount]:
    """The automatic offers a cart gets: every "buy N get M" on its products (a product takes its
    best one), then the one best "order" offer on what is left. Each discount's shares add up."""
    running = sorted((o for o in offers if _running(o.starts_at, o.ends_at, now)), key=lambda o: o.id)
    best: dict[int, tuple[OfferTerms, dict[str, Decimal]]] = {}
    for offer in (o for o in running if o.kind == "buy_get"):
        for product_id, shares in _buy_get_savings(offer, items).items():
            known = best.get(product_id)
            if known is None or sum(shares.values()) > sum(known[1].values()):
                best[product_id] = (offer, shares)
    discounts = []
    for offer in (o for o in running if o.kind == "buy_get"):
        shares = {
            key: share for won, by_key in best.values() if won is offer for key, share in by_key.items()
        }
        if shares:
            per_item = tuple((item.key, shares[item.key]) for item in items if item.key in shares)
            amount = sum(shares.values(), ZERO)
            label = _("%(name)s (buy %(buy)s get %(get)s free)") % {
                "name": offer.name,
                "buy": offer.buy,
                "get": offer.get,
            }
            discounts.append(Discount("offer", offer.id, label, amount, per_item))
    left = _left(items, discounts)
    left_total = sum(left, ZERO)
    order_offers = [(o, _order_offer_amount(o, left_total)) for o in running if o.kind == "order"]
    chosen = max(order_offers, key=lambda pair: pair[1], default=None)  # ties: the earlier offer
    if chosen is not None and chosen[1] > 0:
        offer, amount = chosen
        discounts.append(_shared("offer", offer.id, offer.name, amount, items, left))
    return discounts


def _applies_to(coupon: CouponTerms, item: Item) -> bool:
    if not coupon.product_ids and not coupon.category_ids:
        return True
    return item.product_id in coupon.product_ids or item.category_id in coupon.category_ids


def coupon_discount(
    coupon: CouponTerms, items: Sequence[Item], *, now: datetime, after: list[Discount], money: Money
) -> Discount:
    """What `coupon` takes off: percent or flat on its eligible items (their amount less what `after`
    took), capped by max_discount and by that amount. Raises CouponRefused with the reason.

    `after` is the offers when the coupon stacks with them, [] when it competes with them (`choose`)."""
    code = coupon.code
    if not coupon.active:
        raise CouponRefused(_("This code is paused by the shop."))
    if coupon.starts_at is not None and now < coupon.starts_at:
        raise CouponRefused(_("This code is not valid yet."))
    if coupon.ends_at is not None and now >= coupon.ends_at:
        raise CouponRefused(_("This code has expired."))
    if coupon.used_up:
        raise CouponRefused(_("This code was used the maximum number of times."))
    total = subtotal(items)
    if coupon.min_order is not None and total < coupon.min_order:
        raise CouponRefused(
            _("Add %(amount)s more to use %(code)s.")
            % {"amount": money(coupon.min_order - total), "code": code}
        )
    eligible = [
        (item, left)
        for item, left in zip(items, _left(items, after), strict=True)
        if _applies_to(coupon, item)
    ]
    base = sum((left for _, left in eligible), ZERO)
    if not eligible:
        raise CouponRefused(_("%(code)s does not apply to anything in your cart.") % {"code": code})
    if base <= 0:
        raise CouponRefused(_("Your offers already take off all that %(code)s applies to.") % {"code": code})
    amount = to_paise(base * coupon.value / 100) if coupon.kind == "percent" else to_paise(coupon.value)
    if coupon.max_discount is not None:
        amount = min(amount, coupon.max_discount)
    amount = min(amount, base)
    if amount <= 0:  # a percent of a few paise
        raise CouponRefused(_("%(code)s takes nothing off this cart.") % {"code": code})
    return _shared(
        "coupon", coupon.id, code, amount, [item for item, _ in eligible], [left for _, left in eligible]
    )


def choose(offers: list[Discount], coupon: Discount | None, *, stacks: bool) -> tuple[list[Discount], str]:
    """THE rule when a coupon and offers both apply: with `stacks` (the coupon combines with offers)
    both; otherwise the better for the buyer, the offers on a tie (no use of the code is spent).
    The note tells the buyer why their code was set aside, or "" when nothing was."""
    if coupon is None or stacks or not offers:
        return [*offers, *([coupon] if coupon else [])], ""
    offered = sum((discount.amount for discount in offers), ZERO)
    if coupon.amount > offered:
        return [coupon], ""
    if len(offers) > 1:
        return offers, _("Your offers save more than %(code)s, so the offers apply.") % {"code": coupon.label}
    return offers, _("Your offer saves more than %(code)s, so the offer applies.") % {"code": coupon.label}
