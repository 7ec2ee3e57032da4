"""Merchant endpoints for GST: the store's tax settings, a product's or category's HSN code and rate
by date, and the rate schedule. Writes need the scope PATCH /store needs (store:write).

Thin like merchant.py: parse, look the object up through the token's store, call one taxes service.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from ninja import Router
from ninja.responses import Status
from pydantic import Field, PlainSerializer, PlainValidator, StringConstraints, WithJsonSchema

from dukaan.accounts.scopes import Scope
from dukaan.catalog.models import Category, Product, Store
from dukaan.catalog.rules import MONEY_TEXT, parse_money
from dukaan.taxes import selectors, services
from dukaan.taxes.models import TaxRate
from dukaan.taxes.rules import STATES
from dukaan.taxes.schedule import schedule

from .auth import needs
from .params import CategoryId, ProductId
from .problems import not_found
from .schemas import NO_NUL, In, Out

router = Router(tags=["Tax"])


def _rate_in(value) -> Decimal:
    # bool is an int to Python; `true` is not a rate.
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        raise ValueError('Give a GST rate in percent, as a string like "18" or "0.25" or a number')
    if isinstance(value, str):
        try:
            return parse_money(value)
        except ValidationError as error:
            raise ValueError(
                'Write a rate like "18" or "0.25": digits, at most two after the point'
            ) from error
    rate = Decimal(value)
    if not rate.is_finite():
        raise ValueError("A rate must be a finite number")
    return rate


RateIn = Annotated[
    Decimal,
    PlainValidator(_rate_in),
    WithJsonSchema(
        {
            "anyOf": [{"type": "string", "pattern": MONEY_TEXT.pattern}, {"type": "number"}],
            "description": 'A GST rate in percent, one of GET /tax/rates on its date: "18" or 18.',
        }
    ),
]
# The schedule's rates as people write them ("0.25", "18"), not money's "18.00".
RateOut = Annotated[
    Decimal,
    PlainSerializer(lambda rate: f"{rate.normalize():f}", return_type=str),
    WithJsonSchema({"type": "string", "pattern": r"^[0-9]+(\.[0-9]+)?$", "examples": ["18", "0.25"]}),
]
# Dates come as JSON strings, which strict models refuse for a date: this member reads ISO text.
Day = Annotated[date, Field(strict=False, description="YYYY-MM-DD")]


class TaxSettingsOut(Out):
    registered: bool = Field(description="Whether GST is charged: true once a GSTIN is saved")
    gstin: str
    state_code: str = Field(description='GST state code, e.g. "29" for Karnataka; "" when not set')
    state_name: str
    prices_include_tax: bool
    legal_name: str
    address: str
    default_hsn: str
    default_rate: RateOut | None

    @staticmethod
    def resolve_registered(obj) -> bool:
        return bool(obj.gstin)

    @staticmethod
    def resolve_state_name(obj) -> str:
        return STATES.get(obj.state_code, "")


Short = Annotated[str, StringConstraints(max_length=20, pattern=NO_NUL)]
Name = Annotated[str, StringConstraints(max_length=120, pattern=NO_NUL)]
Address = Annotated[str, StringConstraints(max_length=500, pattern=NO_NUL)]


class TaxSettingsIn(In):
    """All the settings; an empty GSTIN means not registered (no GST charged)."""

    gstin: Short = Field(
        description='15 characters; spaces and small letters are accepted; "": not registered'
    )
    state_code: Short = Field(description='GST state code of the registered state, e.g. "29"')
    prices_include_tax: bool = True
    legal_name: Name = ""
    address: Address = ""
    default_hsn: Short = Field(default="", description="For products with no rate of their own or category's")
    default_rate: RateIn | None = None


class TaxRateIn(In):
    hsn_code: Short = Field(description="4, 6 or 8 digits")
    rate: RateIn
    valid_from: Day


class TaxRateOut(Out):
    product_id: int | None
    category_id: int | None
    hsn_code: str
    rate: RateOut
    valid_from: date


class ScheduledRateOut(Out):
    rate: RateOut
    label: str
    starts: date = Field(description="The first day the rate applies")
    ends: date | None = Field(description="The last day it applies; null while in force")


class ScheduleOut(Out):
    items: list[ScheduledRateOut]


def _store(request: HttpRequest) -> Store:
    return request.auth.store  # type: ignore[attr-defined]  # the token, set by dukaan.api.auth


def _settings_out(store: Store) -> TaxSettingsOut:
    return TaxSettingsOut.model_validate(selectors.tax_settings(store.pk))


@router.get("/tax", response=TaxSettingsOut, summary="The store's GST settings", auth=needs(None))
def get_tax_settings(request: HttpRequest):
    return _settings_out(_store(request))


@router.put(
    "/tax", response=TaxSettingsOut, summary="Set the store's GST settings", auth=needs(Scope.STORE_WRITE)
)
def put_tax_settings(request: HttpRequest, payload: TaxSettingsIn):
    store = _store(request)
    services.save_tax_settings(store=store, **payload.model_dump())
    return _settings_out(store)


@router.get("/tax/rates", response=ScheduleOut, summary="The GST rate schedule", auth=needs(None))
def get_tax_rates(request: HttpRequest):
    """Every GST rate with the days it applies; a product's rate must be one in force on its date."""
    return ScheduleOut.model_validate({"items": list(schedule())})


def _product(store: Store, product_id: int) -> Product:
    product = Product.objects.filter(store=store, pk=product_id).first()
    if product is None:
        raise not_found("product")
    return product


def _category(store: Store, category_id: int) -> Category:
    category = Category.objects.filter(store=store, pk=category_id).first()
    if category is None:
        raise not_found("category")
    return category


def _set(store: Store, payload: TaxRateIn, **owner) -> TaxRate:
    return services.set_tax_rate(
        store=store, hsn_code=payload.hsn_code, rate=payload.rate, valid_from=payload.valid_from, **owner
    )


@router.put(
    "/products/{product_id}/tax",
    response=TaxRateOut,
    summary="Set a product's HSN code and GST rate from a date",
    auth=needs(Scope.STORE_WRITE),
)
def put_product_tax(request: HttpRequest, product_id: ProductId, payload: TaxRateIn):
    """The same date again replaces that day's rate; earlier dates stay for the days before."""
    store = _store(request)
    return TaxRateOut.model_validate(_set(store, payload, product=_product(store, product_id)))


@router.delete(
    "/products/{product_id}/tax",
    response={204: None},
    summary="Remove a product's own GST rates",
    auth=needs(Scope.STORE_WRITE),
)
def delete_product_tax(request: HttpRequest, product_id: ProductId):
    """The product then follows its category's rate, or the store's default. Placed orders keep theirs."""
    store = _store(request)
    services.clear_tax_rate(store=store, product=_product(store, product_id))
    return Status(204, None)


@router.put(
    "/categories/{category_id}/tax",
    response=TaxRateOut,
    summary="Set a category's HSN code and GST rate from a date",
    auth=needs(Scope.STORE_WRITE),
)
def put_category_tax(request: HttpRequest, category_id: CategoryId, payload: TaxRateIn):
    """Applies to the category's products that have no rate of their own."""
    store = _store(request)
    return TaxRateOut.model_validate(_set(store, payload, category=_category(store, category_id)))


@router.delete(
    "/categories/{category_id}/tax",
    response={204: None},
    summary="Remove a category's GST rates",
    auth=needs(Scope.STORE_WRITE),
)
def delete_category_tax(request: HttpRequest, category_id: CategoryId):
    """Its products without a rate of their own then follow the store's default."""
    store = _store(request)
    services.clear_tax_rate(store=store, category=_category(store, category_id))
    return Status(204, None)
