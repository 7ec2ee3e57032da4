"""Reads of a store's GST settings and rates, as the rules' dataclasses; every query is store-scoped."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from django.db.models import Q

from .models import TaxRate, TaxSettings
from .rules import UNREGISTERED, Rate, TaxTerms


def tax_settings(store_id: int) -> TaxSettings:
    """The store's saved settings, or unsaved defaults (not registered, prices include tax)."""
    return TaxSettings.objects.filter(store_id=store_id).first() or TaxSettings(store_id=store_id)


def tax_terms(store_id: int) -> TaxTerms:
    """How the store charges GST: UNREGISTERED unless it saved a GSTIN. One query."""
    saved = TaxSettings.objects.filter(store_id=store_id).exclude(gstin="").first()
    if saved is None:
        return UNREGISTERED
    return TaxTerms(
        registered=True,
        gstin=saved.gstin,
        state_code=saved.state_code,
        prices_include_tax=saved.prices_include_tax,
        legal_name=saved.legal_name,
        address=saved.address,
    )


def rates_for(store_id: int, products: Iterable[tuple[int, int | None]], on: date) -> dict[int, Rate]:
    """Each product's rate on day `on`, from (product id, category id) pairs: the product's own latest
    rate dated on or before `on`, else its category's, else the store's default. Products with none
    are absent. Two queries, whatever the number of products."""
    categories = dict(products)
    wanted = Q(product_id__in=categories.keys())
    if any(category_id is not None for category_id in categories.values()):
        wanted |= Q(category_id__in={c for c in categories.values() if c is not None})
    own: dict[int, Rate] = {}
    of_category: dict[int, Rate] = {}
    # Latest first: the first row met for a product or category is the one that applies.
    rows = TaxRate.objects.filter(wanted, store_id=store_id, valid_from__lte=on).order_by("-valid_from")
    for row in rows:
        if row.product_id is not None:
            own.setdefault(row.product_id, Rate(rate=row.rate, hsn_code=row.hsn_code))
        elif row.category_id is not None:
            of_category.setdefault(row.category_id, Rate(rate=row.rate, hsn_code=row.hsn_code))
    saved = TaxSettings.objects.filter(store_id=store_id).only("default_rate", "default_hsn").first()
    default = None
    if saved is not None and saved.default_rate is not None:
        default = Rate(rate=saved.default_rate, hsn_code=saved.default_hsn)
    found: dict[int, Rate] = {}
    for product_id, category_id in categories.items():
        applies = own.get(product_id) or (of_category.get(category_id) if category_id is not None else None)
        applies = applies or default
        if applies is not None:
            found[product_id] = applies
    return found


def rate_history(
    store_id: int, *, product_id: int | None = None, category_id: int | None = None
) -> list[TaxRate]:
    """A product's or a category's rates, latest date first."""
    return list(
        TaxRate.objects.filter(Q(product_id=product_id), Q(category_id=category_id), store_id=store_id)
    )


def category_rates(store_id: int, on: date) -> dict[int, TaxRate]:
    """Each category's rate that applies on `on` (category id → its TaxRate row)."""
    current: dict[int, TaxRate] = {}
    for row in TaxRate.objects.filter(store_id=store_id, category__isnull=False, valid_from__lte=on):
        if row.category_id is not None:
            current.setdefault(row.category_id, row)
    return current
