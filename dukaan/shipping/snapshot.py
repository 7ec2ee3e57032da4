"""Shipping's part of the storefront snapshot: the one-line delivery note the store's pages show,
e.g. "Free delivery above ₹499 · ₹40 delivery otherwise · Cash on delivery available"."""

from __future__ import annotations

from collections.abc import Callable, Collection
from decimal import Decimal

from django.db.models import Max, Min

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
        fee_note = "Free delivery"
    else:
        fee = money(low) if low == high else f"{money(low)} to {money(high)}"
        by_pin = "" if low == high else ", by PIN code"
        if free_above is None:
            fee_note = f"{fee} delivery{by_pin}"
        else:
            fee_note = f"Free delivery above {money(free_above)} · {fee} delivery otherwise{by_pin}"
    if not cod_enabled:
        return f"{fee_note} · No cash on delivery"
    up_to = f" up to {money(cod_max_order)}" if cod_max_order is not None else ""
    return f"{fee_note} · Cash on delivery available{up_to}"


def delivery_part(store_id: int, money: Money) -> str:
    """The store's delivery note, in one query (its settings with its zones' lowest and highest fee)."""
    saved = only_row(
        DeliverySettings.objects.filter(store_id=store_id)
        .annotate(low=Min("store__delivery_zones__fee"), high=Max("store__delivery_zones__fee"))
        .values("flat_fee", "free_above", "cod_enabled", "cod_max_order", "low", "high")
    )
    if saved is None:
        terms = DEFAULT_TERMS
        return delivery_note(
            fees=[terms.flat_fee],
            free_above=terms.free_above,
            cod_enabled=terms.cod_enabled,
            cod_max_order=terms.cod_max_order,
            money=money,
        )
    zone_fees = [saved["low"], saved["high"]] if saved["low"] is not None else []
    return delivery_note(
        fees=[saved["flat_fee"], *zone_fees],
        free_above=saved["free_above"],
        cod_enabled=saved["cod_enabled"],
        cod_max_order=saved["cod_max_order"],
        money=money,
    )
