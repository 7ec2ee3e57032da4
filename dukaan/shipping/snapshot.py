"""Shipping's part of the storefront snapshot: the one-line delivery note the store's pages show,
e.g. "Free delivery above ₹499 · ₹40 delivery otherwise · Cash on delivery available"."""

from __future__ import annotations

from collections.abc import Callable, Collection
from decimal import Decimal

from django.db.models import Max, Min
from django.utils.translation import gettext as _

from dukaan.infra.i18n import InEachLanguage, in_each_language
from dukaan.infra.queries import only_row

from .models import DeliverySettings
from .rules import DEFAULT_TERMS

Money = Callable[[Decimal], str]


def delivery_note(
    *,
    fees: Collection[Decimal],
    free_above: Decimal | None,
    cod_enabled: bool,
    cod_max_order: Decimal | None,
    money: Money,
) -> str:
    """What a buyer needs to know before choosing: the fee (`fees`: the flat fee and every zone's),
    when delivery is free, and whether cash on delivery is taken."""
    low, high = min(fees), max(fees)
    if not high or free_above == 0:
        fee_note = _("Free delivery")
    else:
        if low == high:
            fee = money(low)
        else:
            fee = _("%(low)s to %(high)s") % {"low": money(low), "high": money(high)}
        if free_above is None:
            fee_note = _("%(fee)s delivery") % {"fee": fee}
        else:
            fee_note = _("Free delivery above %(amount)s · %(fee)s delivery otherwise") % {
                "amount": money(free_above),
                "fee": fee,
            }
        if low != high:
            fee_note = _("%(note)s, by PIN code") % {"note": fee_note}
    if not cod_enabled:
        return _("%(note)s · No cash on delivery") % {"note": fee_note}
    if cod_max_order is None:
        return _("%(note)s · Cash on delivery available") % {"note": fee_note}
    return _("%(note)s · Cash on delivery available up to %(amount)s") % {
        "note": fee_note,
        "amount": money(cod_max_order),
    }


def delivery_part(store_id: int, money: Money) -> InEachLanguage:
    """The store's delivery note, in one query (its settings with its zones' lowest and highest fee)."""
    saved = only_row(
        DeliverySettings.objects.filter(store_id=store_id)
        .annotate(low=Min("store__delivery_zones__fee"), high=Max("store__delivery_zones__fee"))
        .values("flat_fee", "free_above", "cod_enabled", "cod_max_order", "low", "high")
    )
    if saved is None:
        terms = DEFAULT_TERMS
        return in_each_language(
            lambda: delivery_note(
                fees=[terms.flat_fee],
                free_above=terms.free_above,
                cod_enabled=terms.cod_enabled,
                cod_max_order=terms.cod_max_order,
                money=money,
            )
        )
    zone_fees = [saved["low"], saved["high"]] if saved["low"] is not None else []
    return in_each_language(
        lambda: delivery_note(
            fees=[saved["flat_fee"], *zone_fees],
            free_above=saved["free_above"],
            cod_enabled=saved["cod_enabled"],
            cod_max_order=saved["cod_max_order"],
            money=money,
        )
    )
