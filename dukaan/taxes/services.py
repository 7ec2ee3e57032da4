"""Every write to a store's GST settings and rates: validated, one transaction, one event each."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from dukaan.catalog.models import Category, Product, Store
from dukaan.catalog.rules import validate_text
from dukaan.events.outbox import emit

from . import events
from .models import TaxRate, TaxSettings
from .rules import STATES, gstin_problem, gstin_state, hsn_problem, normalize_gstin, state_label
from .schedule import day_text, rate_problem

# A rate can be set ahead of a known change, but not years ahead by a typo in the year.
MAX_DAYS_AHEAD = 366
MAX_LEGAL_NAME = 120  # TaxSettings.legal_name's max_length
MAX_ADDRESS = 500
# The settings' names of the default rate's fields, for _check_rate's messages.
DEFAULT_FIELDS = {"hsn_code": "default_hsn", "rate": "default_rate"}


def _check_rate(errors: dict[str, str], *, hsn_code: str, rate: Decimal | None, day: date) -> None:
    if rate is None:
        if hsn_code:
            errors["rate"] = gettext("Choose the GST rate for HSN code %(hsn_code)s.") % {
                "hsn_code": hsn_code
            }
        return
    if hsn_code and (problem := hsn_problem(hsn_code)):
        errors["hsn_code"] = problem
    if problem := rate_problem(rate, day):
        errors["rate"] = problem


def _text_errors(errors: dict[str, str], **texts: str) -> None:
    for field, text in texts.items():
        try:
            validate_text(text)
        except ValidationError as error:
            errors[field] = error.messages[0]


@transaction.atomic
def save_tax_settings(
    *,
    store: Store,
    gstin: str,
    state_code: str,
    prices_include_tax: bool,
    legal_name: str = "",
    address: str = "",
    default_hsn: str = "",
    default_rate: Decimal | None = None,
) -> TaxSettings:
    """Save how the store charges GST. An empty GSTIN: not registered, no GST charged."""
    gstin, legal_name, address, default_hsn = (
        normalize_gstin(gstin),
        legal_name.strip(),
        address.strip(),
        default_hsn.strip(),
    )
    errors: dict[str, str] = {}
    if state_code and state_code not in STATES:
        errors["state_code"] = gettext("Choose your state from the list.")
    if gstin:
        if problem := gstin_problem(gstin):
            errors["gstin"] = problem
        elif not state_code:
            errors["state_code"] = gettext("Choose the state your GSTIN is registered in.")
        elif gstin_state(gstin) != state_code and "state_code" not in errors:
            errors["gstin"] = gettext(
                "This GSTIN is registered in %(gstin_state)s, but the store's state is %(store_state)s. "
                "Check both: a GSTIN belongs to one state."
            ) % {"gstin_state": state_label(gstin_state(gstin)), "store_state": state_label(state_code)}
        if not legal_name:
            errors["legal_name"] = gettext("Give the legal name on your GST registration; invoices show it.")
        if not address:
            errors["address"] = gettext(
                "Give your place of business as registered for GST; invoices show it."
            )
    if len(legal_name) > MAX_LEGAL_NAME:
        errors["legal_name"] = gettext("Keep the legal name to %(count)s characters.") % {
            "count": MAX_LEGAL_NAME
        }
    if len(address) > MAX_ADDRESS:
        errors["address"] = gettext("Keep the address to %(count)s characters.") % {"count": MAX_ADDRESS}
    _text_errors(errors, legal_name=legal_name, address=address)
    rate_errors: dict[str, str] = {}
    _check_rate(rate_errors, hsn_code=default_hsn, rate=default_rate, day=timezone.localdate())
    errors.update({DEFAULT_FIELDS[field]: message for field, message in rate_errors.items()})
    if errors:
        raise ValidationError(errors)
    settings, _ = TaxSettings.objects.select_for_update().get_or_create(store=store)
    settings.gstin, settings.state_code, settings.prices_include_tax = gstin, state_code, prices_include_tax
    settings.legal_name, settings.address = legal_name, address
    settings.default_hsn, settings.default_rate = default_hsn, default_rate
    settings.save()
    emit(
        events.TAX_SETTINGS_CHANGED,
        store_id=store.pk,
        data=events.TaxSettingsData(
            gstin=gstin,
            state_code=state_code,
            prices_include_tax=prices_include_tax,
            legal_name=legal_name,
            default_hsn=default_hsn,
            default_rate=default_rate,
        ),
    )
    return settings


def _owner(store: Store, product: Product | None, category: Category | None) -> dict[str, int | None]:
    """The product_id/category_id pair naming what a rate belongs to, checked to be the store's own."""
    if (product is None) == (category is None):
        raise ValueError("Give a product or a category, not both.")
    owned = product if product is not None else category
    if owned is None or owned.store_id != store.pk:
        raise ValidationError(gettext("There is no such product or category in your store."))
    return {"product_id": product.pk if product else None, "category_id": category.pk if category else None}


def _rate_data(
    owner: dict[str, int | None], *, hsn_code: str, rate: Decimal | None, valid_from: str | None
) -> events.TaxRateData:
    return events.TaxRateData(
        product_id=owner["product_id"],
        category_id=owner["category_id"],
        hsn_code=hsn_code,
        rate=rate,
        valid_from=valid_from,
    )


@transaction.atomic
def set_tax_rate(
    *,
    store: Store,
    product: Product | None = None,
    category: Category | None = None,
    hsn_code: str,
    rate: Decimal,
    valid_from: date,
) -> TaxRate:
    """Give a product or a category an HSN code and GST rate from `valid_from` on. The same date again
    replaces that day's rate; earlier dates stay for the days before."""
    owner = _owner(store, product, category)
    hsn_code = hsn_code.strip()
    errors: dict[str, str] = {}
    if not hsn_code:
        errors["hsn_code"] = gettext("Give the HSN code (4, 6 or 8 digits), e.g. 6109 for cotton T-shirts.")
    _check_rate(errors, hsn_code=hsn_code, rate=rate, day=valid_from)
    latest = timezone.localdate() + timedelta(days=MAX_DAYS_AHEAD)
    if valid_from > latest:
        errors["valid_from"] = gettext("Choose a date up to %(day)s; check the year.") % {
            "day": day_text(latest)
        }
    if errors:
        raise ValidationError(errors)
    row, _ = TaxRate.objects.update_or_create(
        store=store,
        product=product,
        category=category,
        valid_from=valid_from,
        defaults={"hsn_code": hsn_code, "rate": rate},
    )
    emit(
        events.TAX_RATE_CHANGED,
        store_id=store.pk,
        data=_rate_data(owner, hsn_code=hsn_code, rate=rate, valid_from=valid_from.isoformat()),
    )
    return row


@transaction.atomic
def clear_tax_rate(*, store: Store, product: Product | None = None, category: Category | None = None) -> int:
    """Remove a product's or a category's own rates: it follows its category's rate, or the store's
    default, from then on. Placed orders keep the rate they were charged. Returns how many went."""
    owner = _owner(store, product, category)
    removed, _ = TaxRate.objects.filter(store=store, **owner).delete()
    if removed:
        emit(
            events.TAX_RATE_CHANGED,
            store_id=store.pk,
            data=_rate_data(owner, hsn_code="", rate=None, valid_from=None),
        )
    return removed
