"""Promotions' part of the storefront snapshot: the store's offers as buyers see them, a badge on each
product of a "buy N, get M" offer and a banner for an offer off the order. Never coupons: their codes
are for those they were given to.

The snapshot is cached until the store's catalog or offers change, while time passes: it holds the
offers that have not ended when it is built, with their start and end, and the pages ask which are
running at the moment they render (`running`, and the `offers` template filters).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import partial

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from dukaan.infra.i18n import InEachLanguage, in_each_language

from .models import Offer
from .rules import _running

Money = Callable[[Decimal], str]
OFFER_FIELDS = ("id", "name", "kind", "percent", "flat", "min_order", "buy", "get", "starts_at", "ends_at")


@dataclass(frozen=True)
class ShownOffer:
    name: str
    kind: str  # Offer.ORDER or Offer.BUY_GET
    label: InEachLanguage  # "10% off above ₹999", "Buy 2, get 1 free"
    product_ids: frozenset[int]  # a "buy N, get M" offer's products
    starts_at: datetime | None
    ends_at: datetime | None


@dataclass(frozen=True)
class StoreOffers:
    offers: tuple[ShownOffer, ...] = ()

    def running(self, now: datetime) -> list[ShownOffer]:
        return [offer for offer in self.offers if _running(offer.starts_at, offer.ends_at, now)]

    def banners(self, now: datetime) -> list[ShownOffer]:
        """The running offers off the order, for the home page."""
        return [offer for offer in self.running(now) if offer.kind == Offer.ORDER]

    def badge(self, product_id: int, now: datetime) -> str:
        """The label of the first running "buy N, get M" offer on this product; "" if none."""
        return next(
            (
                str(offer.label)
                for offer in self.running(now)
                if offer.kind == Offer.BUY_GET and product_id in offer.product_ids
            ),
            "",
        )


def offer_label(
    *,
    kind: str,
    percent: Decimal | None,
    flat: Decimal | None,
    min_order: Decimal | None,
    buy: int | None,
    get: int | None,
    money: Money,
) -> str:
    if kind == Offer.BUY_GET:
        return _("Buy %(buy)s, get %(get)s free") % {"buy": buy, "get": get}
    if percent is not None:
        off = _("%(percent)s%% off") % {"percent": f"{percent.normalize():f}"}
    else:
        off = _("%(amount)s off") % {"amount": money(flat or Decimal(0))}
    if min_order:
        return _("%(off)s above %(amount)s") % {"off": off, "amount": money(min_order)}
    return _("%(off)s every order") % {"off": off}


def offers_part(store_id: int, money: Money) -> StoreOffers:
    """The store's active offers that have not ended, in one query (a row per offer and product)."""
    rows = (
        Offer.objects.filter(store_id=store_id, active=True)
        .filter(Q(ends_at__isnull=True) | Q(ends_at__gt=timezone.now()))
        .order_by("id")
        .values_list(*OFFER_FIELDS, "products")
    )
    offers: dict[int, tuple] = {}
    products: dict[int, set[int]] = defaultdict(set)
    for *offer, product_id in rows:
        offers[offer[0]] = tuple(offer)
        if product_id is not None:
            products[offer[0]].add(product_id)
    shown = []
    for offer_id, (_id, name, kind, percent, flat, min_order, buy, get, starts_at, ends_at) in offers.items():
        label = in_each_language(
            partial(
                offer_label,
                kind=kind,
                percent=percent,
                flat=flat,
                min_order=min_order,
                buy=buy,
                get=get,
                money=money,
            )
        )
        shown.append(ShownOffer(name, kind, label, frozenset(products[offer_id]), starts_at, ends_at))
    return StoreOffers(tuple(shown))
