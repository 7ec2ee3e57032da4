"""Delivery endpoints: the merchant's delivery settings (GET and PUT /delivery) and, for buyers,
what delivery to a PIN code costs (GET /stores/{slug}/delivery?pin=560038).

Thin: the rules and their messages are the shipping app's (shipping.rules), the same the dashboard's
Delivery page and the checkout use.
"""

from dataclasses import asdict
from decimal import Decimal

from django.http import HttpRequest
from ninja import P, QueryEx, Router
from pydantic import Field

from dukaan.accounts.models import ApiToken
from dukaan.accounts.scopes import Scope
from dukaan.catalog.rules import MAX_PRICE
from dukaan.catalog.templatetags.money import money
from dukaan.infra.money import ZERO
from dukaan.shipping.rules import (
    MAX_CONFIRM_HOURS,
    MAX_ZONES,
    CheckedSetup,
    DeliverySetup,
    ZoneSetup,
    check_setup,
    delivery_message,
    quote_cod,
    quote_delivery,
)
from dukaan.shipping.selectors import delivery_setup, delivery_terms
from dukaan.shipping.services import save_delivery_settings

from .auth import needs
from .buyer import _store as store_for_slug
from .params import StoreSlug
from .problems import Problem
from .schemas import NO_NUL, In, Money, MoneyIn, Out, Text

router = Router(tags=["Merchant"])
public_router = Router(tags=["Store (public)"])

PINS_DESCRIPTION = (
    'PIN codes ("560038"), prefixes ("56": every PIN starting 56) and ranges ("560001-560099"), '
    "separated by commas or new lines"
)


class ZoneIn(In):
    name: Text(60, 1)  # type: ignore[valid-type]
    pins: Text(5000, 1) = Field(description=PINS_DESCRIPTION)  # type: ignore[valid-type]
    fee: MoneyIn


class DeliveryIn(In):
    """The whole delivery settings; zones in the order they apply (the first holding a PIN wins)."""

    flat_fee: MoneyIn = Field(description="The fee for a PIN in no zone; 0 for free delivery")
    free_above: MoneyIn | None = Field(description="Delivery is free from this order value on; null: never")
    cod_enabled: bool
    cod_fee: MoneyIn
    cod_max_order: MoneyIn | None = Field(
        description="Cash on delivery only up to this order value; null: any"
    )
    blocked: Text(5000) = Field(default="", description="Not delivered to: " + PINS_DESCRIPTION)  # type: ignore[valid-type]
    zones: list[ZoneIn] = Field(default=[], max_length=MAX_ZONES)
    cod_confirm_hours: int = Field(
        default=0,
        ge=0,
        le=MAX_CONFIRM_HOURS,
        description="Hours a COD order waits for the buyer's confirmation, then is cancelled; 0: none",
    )
    cod_advance: MoneyIn = Field(
        default=ZERO,
        description="Part-prepaid COD: paid by UPI to confirm the order, the rest on delivery; 0: none. "
        "Needs cod_confirm_hours and the store's UPI ID",
    )


class ZoneOut(Out):
    name: str
    pins: str
    fee: Money


class DeliveryOut(Out):
    flat_fee: Money
    free_above: Money | None
    cod_enabled: bool
    cod_fee: Money
    cod_max_order: Money | None
    blocked: str
    zones: list[ZoneOut]
    cod_confirm_hours: int
    cod_advance: Money
    notes: list[str] = Field(description="Where zones share PIN codes, which one's fee applies")


class DeliveryQuoteOut(Out):
    pin_code: str
    deliverable: bool
    fee: Money = Field(description="The delivery fee; 0.00 when free or not deliverable")
    message: str = Field(examples=["Delivers to 560038 · ₹40 delivery"])
    cod_allowed: bool
    cod_fee: Money
    cod_message: str = Field(description="Why cash on delivery is not offered, or its fee")


def _token(request: HttpRequest) -> ApiToken:
    return request.auth  # type: ignore[attr-defined]  # set by the router's TokenAuth


def _delivery_out(checked: CheckedSetup) -> DeliveryOut:
    return DeliveryOut.model_validate({**asdict(checked.setup), "notes": checked.notes})


@router.get("/delivery", response=DeliveryOut, summary="The store's delivery settings", auth=needs(None))
def get_delivery(request: HttpRequest):
    return _delivery_out(check_setup(delivery_setup(_token(request).store_id)))


@router.put(
    "/delivery",
    response=DeliveryOut,
    summary="Replace the store's delivery settings",
    auth=needs(Scope.STORE_WRITE),
)
def put_delivery(request: HttpRequest, payload: DeliveryIn):
    """Fees, free delivery above an order value, PIN zones, blocked PINs and cash on delivery, all at
    once. A zone that would never apply (all its PINs blocked or in earlier zones) is refused;
    `notes` says which zone wins where zones only partly overlap."""
    setup = DeliverySetup(
        flat_fee=payload.flat_fee,
        free_above=payload.free_above,
        cod_enabled=payload.cod_enabled,
        cod_fee=payload.cod_fee,
        cod_max_order=payload.cod_max_order,
        blocked=payload.blocked,
        zones=tuple(ZoneSetup(name=zone.name, pins=zone.pins, fee=zone.fee) for zone in payload.zones),
        cod_confirm_hours=payload.cod_confirm_hours,
        cod_advance=payload.cod_advance,
    )
    return _delivery_out(save_delivery_settings(store=_token(request).store, setup=setup))


PinQuery = QueryEx[str, P(max_length=20, pattern=NO_NUL, description="The buyer's PIN code, e.g. 560038")]
OrderValue = QueryEx[
    Decimal, P(ge=0, le=float(MAX_PRICE), decimal_places=2, description="The goods' value after discounts")
]


@public_router.get("/{slug}/delivery", response=DeliveryQuoteOut, summary="Delivery to a PIN code")
def delivery_quote(request: HttpRequest, slug: StoreSlug, pin: PinQuery, order_value: OrderValue = ZERO):
    """Whether the store delivers to `pin` and the fee, with the message the checkout shows; and
    whether cash on delivery is offered for an order of `order_value` (free delivery above a value
    and the COD limit depend on it)."""
    store = store_for_slug(request, slug)
    terms = delivery_terms(store.pk)
    try:
        quote = quote_delivery(terms, pin, order_value)
    except ValueError as error:
        raise Problem(
            "validation", str(error), errors=[{"field": "pin", "location": "query", "message": str(error)}]
        ) from error
    shown = lambda amount: money(amount, store)  # noqa: E731
    cod = quote_cod(terms, order_value, shown)
    return DeliveryQuoteOut(
        pin_code=quote.pin_code,
        deliverable=quote.deliverable,
        fee=quote.fee,
        message=delivery_message(quote, shown),
        cod_allowed=cod.allowed and quote.deliverable,
        cod_fee=cod.fee if quote.deliverable else ZERO,
        cod_message=cod.message,
    )
