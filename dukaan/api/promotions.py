"""Merchant endpoints for coupons and automatic offers: list, read, create, change, pause and resume.

Under the catalog scopes. Thin like merchant.py: parse, look up through the token's store, call one
service of dukaan.promotions, render; the services say what is wrong with a setting (422).
"""

from dataclasses import replace
from datetime import datetime
from typing import Annotated, Literal

from django.http import HttpRequest
from ninja import Path, Router
from ninja.responses import Status
from pydantic import AwareDatetime, Field

from dukaan.accounts.models import ApiToken
from dukaan.accounts.scopes import Scope
from dukaan.catalog.models import Store
from dukaan.infra.integers import MAX_ID
from dukaan.promotions import services
from dukaan.promotions.models import Coupon, Offer
from dukaan.promotions.selectors import store_coupons, store_offers
from dukaan.promotions.services import MAX_BUY_GET, MAX_LIMIT, CouponInput, OfferInput

from .auth import needs
from .pagination import DEFAULT_LIMIT, keyset_page
from .params import Cursor, Limit
from .problems import not_found
from .schemas import Id, In, Money, MoneyIn, Out, Text

router = Router(tags=["Promotions"])

CouponId = Annotated[int, Path(ge=1, le=MAX_ID)]
OfferId = Annotated[int, Path(ge=1, le=MAX_ID)]
# An ISO 8601 time with its offset ("2026-10-20T00:00:00+05:30"); JSON carries it as a string.
Moment = Annotated[AwareDatetime, Field(strict=False)]
Ids = Annotated[list[Id], Field(max_length=500)]
Uses = Annotated[int, Field(ge=1, le=MAX_LIMIT)]
Units = Annotated[int, Field(ge=1, le=MAX_BUY_GET)]


class CouponIn(In):
    code: Text(20, 1) = Field(examples=["SAVE10"], description="Letters A-Z, digits, - and _; any case")  # type: ignore[valid-type]
    kind: Literal["percent", "flat"]
    value: MoneyIn = Field(description="The percent (at most 100) or the amount off")
    min_order: MoneyIn | None = None
    max_discount: MoneyIn | None = None
    starts_at: Moment | None = None
    ends_at: Moment | None = None
    max_uses: Uses | None = Field(default=None, description="null = unlimited")
    per_phone_limit: Uses | None = Field(default=None, description="Uses per buyer phone; null = unlimited")
    first_order_only: bool = False
    product_ids: Ids = Field(
        default_factory=list, description="With category_ids: both empty = every product"
    )
    category_ids: Ids = Field(default_factory=list)
    combines_with_offers: bool = Field(default=False, description="Stacks with offers instead of competing")


class CouponPatch(In):
    """Only the members sent change."""

    code: Text(20, 1) = None  # type: ignore[valid-type, assignment]
    kind: Literal["percent", "flat"] = None  # type: ignore[assignment]
    value: MoneyIn = None  # type: ignore[assignment]
    min_order: MoneyIn | None = None
    max_discount: MoneyIn | None = None
    starts_at: Moment | None = None
    ends_at: Moment | None = None
    max_uses: Uses | None = None
    per_phone_limit: Uses | None = None
    first_order_only: bool = None  # type: ignore[assignment]
    product_ids: Ids = None  # type: ignore[assignment]
    category_ids: Ids = None  # type: ignore[assignment]
    combines_with_offers: bool = None  # type: ignore[assignment]


class CouponOut(Out):
    id: int
    code: str
    kind: str
    value: Money
    min_order: Money | None
    max_discount: Money | None
    starts_at: datetime | None
    ends_at: datetime | None
    max_uses: int | None
    used_count: int
    per_phone_limit: int | None
    first_order_only: bool
    product_ids: list[int]
    category_ids: list[int]
    combines_with_offers: bool
    active: bool
    created_at: datetime

    @staticmethod
    def resolve_product_ids(coupon) -> list[int]:
        return sorted(product.pk for product in coupon.products.all())

    @staticmethod
    def resolve_category_ids(coupon) -> list[int]:
        return sorted(category.pk for category in coupon.categories.all())


class CouponPage(Out):
    items: list[CouponOut]
    next_cursor: str | None


class OfferIn(In):
    name: Text(60, 1) = Field(examples=["10% off above ₹500"])  # type: ignore[valid-type]
    kind: Literal["order", "buy_get"] = Field(description='"order": percent or flat off above min_order')
    percent: MoneyIn | None = None
    flat: MoneyIn | None = None
    min_order: MoneyIn | None = None
    buy: Units | None = Field(default=None, description='"buy_get": units bought')
    get: Units | None = Field(default=None, description='"buy_get": units then free, the cheapest')
    product_ids: Ids = Field(default_factory=list, description='"buy_get": the products it is on')
    starts_at: Moment | None = None
    ends_at: Moment | None = None


class OfferPatch(In):
    """Only the members sent change."""

    name: Text(60, 1) = None  # type: ignore[valid-type, assignment]
    kind: Literal["order", "buy_get"] = None  # type: ignore[assignment]
    percent: MoneyIn | None = None
    flat: MoneyIn | None = None
    min_order: MoneyIn | None = None
    buy: Units | None = None
    get: Units | None = None
    product_ids: Ids = None  # type: ignore[assignment]
    starts_at: Moment | None = None
    ends_at: Moment | None = None


class OfferOut(Out):
    id: int
    name: str
    kind: str
    percent: Money | None
    flat: Money | None
    min_order: Money | None
    buy: int | None
    get: int | None
    product_ids: list[int]
    starts_at: datetime | None
    ends_at: datetime | None
    active: bool
    created_at: datetime

    @staticmethod
    def resolve_product_ids(offer) -> list[int]:
        return sorted(product.pk for product in offer.products.all())


class OfferPage(Out):
    items: list[OfferOut]
    next_cursor: str | None


def _store(request: HttpRequest) -> Store:
    token: ApiToken = request.auth  # type: ignore[attr-defined]  # set by TokenAuth
    return token.store


def _as_sets(changes: dict) -> dict:
    return {name: frozenset(value) if name.endswith("_ids") else value for name, value in changes.items()}


# --- Coupons ---------------------------------------------------------------------------------------


def _coupon(store: Store, coupon_id: int) -> Coupon:
    coupon = store_coupons(store.pk).filter(pk=coupon_id).first()
    if coupon is None:
        raise not_found("coupon")
    return coupon


def _coupon_out(store: Store, coupon_id: int) -> CouponOut:
    return CouponOut.model_validate(_coupon(store, coupon_id))


@router.get(
    "/coupons", response=CouponPage, summary="List coupons, newest first", auth=needs(Scope.CATALOG_READ)
)
def list_coupons(request: HttpRequest, cursor: Cursor = None, limit: Limit = DEFAULT_LIMIT):  # type: ignore[valid-type]
    rows, next_cursor = keyset_page(
        store_coupons(_store(request).pk),
        kind="coupons",
        ordering=("-created_at", "-id"),
        types=(datetime, int),
        cursor=cursor,
        limit=limit,
    )
    return CouponPage.model_validate({"items": rows, "next_cursor": next_cursor})


@router.post(
    "/coupons", response={201: CouponOut}, summary="Create a coupon", auth=needs(Scope.CATALOG_WRITE)
)
def create_coupon(request: HttpRequest, payload: CouponIn):
    store = _store(request)
    coupon = services.create_coupon(store=store, data=CouponInput(**_as_sets(payload.model_dump())))
    return Status(201, _coupon_out(store, coupon.pk))


@router.get("/coupons/{coupon_id}", response=CouponOut, summary="One coupon", auth=needs(Scope.CATALOG_READ))
def get_coupon(request: HttpRequest, coupon_id: CouponId):
    return _coupon_out(_store(request), coupon_id)


@router.patch(
    "/coupons/{coupon_id}", response=CouponOut, summary="Change a coupon", auth=needs(Scope.CATALOG_WRITE)
)
def update_coupon(request: HttpRequest, coupon_id: CouponId, payload: CouponPatch):
    store = _store(request)
    coupon = _coupon(store, coupon_id)
    data = replace(services.coupon_input(coupon), **_as_sets(payload.model_dump(exclude_unset=True)))
    services.update_coupon(coupon=coupon, data=data)
    return _coupon_out(store, coupon_id)


@router.post(
    "/coupons/{coupon_id}/pause",
    response=CouponOut,
    summary="Pause a coupon: buyers can no longer apply it",
    auth=needs(Scope.CATALOG_WRITE),
)
def pause_coupon(request: HttpRequest, coupon_id: CouponId):
    """Orders already placed with it keep their discount. Coupons are paused, not deleted, so that a
    cancelled order can still give its use back."""
    store = _store(request)
    services.set_coupon_active(coupon=_coupon(store, coupon_id), active=False)
    return _coupon_out(store, coupon_id)


@router.post(
    "/coupons/{coupon_id}/resume",
    response=CouponOut,
    summary="Resume a paused coupon",
    auth=needs(Scope.CATALOG_WRITE),
)
def resume_coupon(request: HttpRequest, coupon_id: CouponId):
    store = _store(request)
    services.set_coupon_active(coupon=_coupon(store, coupon_id), active=True)
    return _coupon_out(store, coupon_id)


# --- Offers ----------------------------------------------------------------------------------------


def _offer(store: Store, offer_id: int) -> Offer:
    offer = store_offers(store.pk).filter(pk=offer_id).first()
    if offer is None:
        raise not_found("offer")
    return offer


def _offer_out(store: Store, offer_id: int) -> OfferOut:
    return OfferOut.model_validate(_offer(store, offer_id))


@router.get(
    "/offers", response=OfferPage, summary="List offers, newest first", auth=needs(Scope.CATALOG_READ)
)
def list_offers(request: HttpRequest, cursor: Cursor = None, limit: Limit = DEFAULT_LIMIT):  # type: ignore[valid-type]
    rows, next_cursor = keyset_page(
        store_offers(_store(request).pk),
        kind="offers",
        ordering=("-created_at", "-id"),
        types=(datetime, int),
        cursor=cursor,
        limit=limit,
    )
    return OfferPage.model_validate({"items": rows, "next_cursor": next_cursor})


@router.post("/offers", response={201: OfferOut}, summary="Create an offer", auth=needs(Scope.CATALOG_WRITE))
def create_offer(request: HttpRequest, payload: OfferIn):
    store = _store(request)
    offer = services.create_offer(store=store, data=OfferInput(**_as_sets(payload.model_dump())))
    return Status(201, _offer_out(store, offer.pk))


@router.get("/offers/{offer_id}", response=OfferOut, summary="One offer", auth=needs(Scope.CATALOG_READ))
def get_offer(request: HttpRequest, offer_id: OfferId):
    return _offer_out(_store(request), offer_id)


@router.patch(
    "/offers/{offer_id}", response=OfferOut, summary="Change an offer", auth=needs(Scope.CATALOG_WRITE)
)
def update_offer(request: HttpRequest, offer_id: OfferId, payload: OfferPatch):
    store = _store(request)
    offer = _offer(store, offer_id)
    data = replace(services.offer_input(offer), **_as_sets(payload.model_dump(exclude_unset=True)))
    services.update_offer(offer=offer, data=data)
    return _offer_out(store, offer_id)


@router.post(
    "/offers/{offer_id}/pause", response=OfferOut, summary="Pause an offer", auth=needs(Scope.CATALOG_WRITE)
)
def pause_offer(request: HttpRequest, offer_id: OfferId):
    store = _store(request)
    services.set_offer_active(offer=_offer(store, offer_id), active=False)
    return _offer_out(store, offer_id)


@router.post(
    "/offers/{offer_id}/resume",
    response=OfferOut,
    summary="Resume a paused offer",
    auth=needs(Scope.CATALOG_WRITE),
)
def resume_offer(request: HttpRequest, offer_id: OfferId):
    store = _store(request)
    services.set_offer_active(offer=_offer(store, offer_id), active=True)
    return _offer_out(store, offer_id)
