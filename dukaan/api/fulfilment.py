"""Shipping endpoints: ship an order with its courier and tracking (POST /orders/{id}/shipment), read
its shipment, the couriers to choose from, and the buyer phones blocked from cash on delivery.

Thin: fulfilment's and shipping's services validate (422 naming the field) and save. The older
POST /orders/{id}/status with "shipped" still ships an order without a courier, so integrations made
before shipments existed keep working; such an order has no shipment (GET answers 404).
"""

from datetime import datetime
from typing import Annotated

from django.http import HttpRequest
from ninja import Path, Router
from ninja.responses import Status
from pydantic import Field

from dukaan.accounts.models import ApiToken
from dukaan.accounts.roles import Access
from dukaan.accounts.scopes import Scope
from dukaan.catalog.models import Store
from dukaan.fulfilment.couriers import COURIERS, OTHER
from dukaan.fulfilment.models import Shipment
from dukaan.fulfilment.selectors import order_shipment
from dukaan.fulfilment.services import ship_order
from dukaan.infra.integers import MAX_ID
from dukaan.orders.models import Order
from dukaan.shipping.models import CodBlockedPhone
from dukaan.shipping.selectors import cod_blocked_phones
from dukaan.shipping.services import block_cod_phone, unblock_cod_phone

from .auth import needs
from .pagination import DEFAULT_LIMIT, keyset_page
from .params import Cursor, Limit, OrderId
from .problems import not_found
from .schemas import In, Out, Text

router = Router(tags=["Shipping"])

BlockId = Annotated[int, Path(ge=1, le=MAX_ID)]


COURIER = f"A key from GET /couriers; `{OTHER}` with courier_name"
TRACKING_URL = "An http(s) link; empty: made from the courier's tracking page when it has one"


class ShipmentIn(In):
    courier: Text(20, 1) = Field(examples=["delhivery"], description=COURIER)  # type: ignore[valid-type]
    courier_name: Text(200) = Field(default="", description=f"The courier's name, for `{OTHER}`")  # type: ignore[valid-type]
    tracking_number: Text(200) = Field(default="", description="Letters, digits, - and /; spaces are dropped")  # type: ignore[valid-type]
    tracking_url: Text(5000) = Field(default="", description=TRACKING_URL)  # type: ignore[valid-type]


class ShipmentOut(Out):
    order_id: int
    courier: str
    courier_name: str
    tracking_number: str
    tracking_url: str
    shipped_at: datetime


class CourierOut(Out):
    key: str
    name: str
    tracking_url: str = Field(description='The tracking page, "{number}" standing for the number; "" if none')


class CodBlockIn(In):
    phone: Text(20, 1) = Field(examples=["+91 98123 45678"])  # type: ignore[valid-type]
    reason: Text(1000) = ""  # type: ignore[valid-type]


class CodBlockOut(Out):
    id: int
    phone: str
    reason: str
    at: datetime


class CodBlockPage(Out):
    items: list[CodBlockOut]
    next_cursor: str | None


def _store(request: HttpRequest) -> Store:
    token: ApiToken = request.auth  # type: ignore[attr-defined]  # set by the router's TokenAuth
    return token.store


def _order(store: Store, order_id: int) -> Order:
    order = Order.objects.filter(store=store, pk=order_id).first()
    if order is None:
        raise not_found("order")
    return order


def _shipment_out(shipment: Shipment) -> ShipmentOut:
    return ShipmentOut.model_validate(shipment)


@router.post(
    "/orders/{order_id}/shipment",
    response={201: ShipmentOut},
    summary="Ship an order with its courier and tracking",
    auth=needs(Scope.ORDERS_WRITE),
)
def create_shipment(request: HttpRequest, order_id: OrderId, payload: ShipmentIn):
    """Moves an accepted order to shipped and tells the buyer the courier and tracking link. An order
    that is not accepted (or already shipped) is a 409 saying why."""
    store = _store(request)
    shipment = ship_order(store=store, order=_order(store, order_id), by="api", **payload.model_dump())
    return Status(201, _shipment_out(shipment))


@router.get(
    "/orders/{order_id}/shipment",
    response=ShipmentOut,
    summary="An order's shipment",
    auth=needs(Scope.ORDERS_READ),
)
def get_shipment(request: HttpRequest, order_id: OrderId):
    store = _store(request)
    shipment = order_shipment(store_id=store.pk, order_id=_order(store, order_id).pk)
    if shipment is None:
        raise not_found("shipment for this order (it was not shipped with a courier)")
    return _shipment_out(shipment)


@router.get("/couriers", response=list[CourierOut], summary="Couriers to ship with", auth=needs(None))
def list_couriers(request: HttpRequest):
    return [CourierOut(key=c.key, name=c.name, tracking_url=c.tracking_url) for c in COURIERS]


@router.get(
    "/cod-blocked-phones",
    response=CodBlockPage,
    summary="Buyer phones blocked from cash on delivery, latest first",
    auth=needs(Scope.ORDERS_READ, Access.SETTINGS),
)
def list_cod_blocked_phones(request: HttpRequest, cursor: Cursor = None, limit: Limit = DEFAULT_LIMIT):  # type: ignore[valid-type]
    rows, next_cursor = keyset_page(
        cod_blocked_phones(_store(request).pk),
        kind="cod-blocked-phones",
        ordering=("-at", "-id"),
        types=(datetime, int),
        cursor=cursor,
        limit=limit,
    )
    return CodBlockPage.model_validate({"items": rows, "next_cursor": next_cursor})


@router.post(
    "/cod-blocked-phones",
    response={201: CodBlockOut},
    summary="Block a buyer phone from cash on delivery",
    auth=needs(Scope.STORE_WRITE),
)
def add_cod_blocked_phone(request: HttpRequest, payload: CodBlockIn):
    """The phone can still order and pay by UPI or online. Blocking a blocked phone keeps the first block."""
    block = block_cod_phone(store=_store(request), phone=payload.phone, reason=payload.reason)
    return Status(201, CodBlockOut.model_validate(block))


@router.delete(
    "/cod-blocked-phones/{block_id}",
    response={204: None},
    summary="Take cash on delivery from a phone again",
    auth=needs(Scope.STORE_WRITE),
)
def remove_cod_blocked_phone(request: HttpRequest, block_id: BlockId):
    store = _store(request)
    block = CodBlockedPhone.objects.filter(store=store, pk=block_id).first()
    if block is None:
        raise not_found("blocked phone")
    unblock_cod_phone(store=store, phone=block.phone)
    return Status(204, None)
