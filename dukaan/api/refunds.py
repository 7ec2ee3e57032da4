"""Merchant endpoints for an order's refunds: the list, and a refund (by hand or through the gateway).

A refund is idempotent by its Idempotency-Key at the service (payments.services.refund_order), not
by the generic record: a gateway refund is asked of the provider after its transaction commits.
"""

from datetime import datetime
from typing import Literal

from django.http import HttpRequest, HttpResponse
from ninja import Router
from ninja.responses import Status
from pydantic import Field

from dukaan.accounts.roles import Access
from dukaan.accounts.scopes import Scope
from dukaan.accounts.services import token_actor
from dukaan.catalog.models import Store
from dukaan.invoices.selectors import credit_notes_by_refund
from dukaan.orders.models import Order
from dukaan.payments.models import Refund
from dukaan.payments.selectors import order_refunds
from dukaan.payments.services import refund_order

from .auth import needs
from .idempotency import REPLAYED_HEADER
from .params import OptionalKey, OrderId
from .problems import not_found
from .schemas import Id, In, Money, MoneyIn, Out, Text

router = Router(tags=["Merchant"])

Method = Literal["gateway", "upi", "cash", "bank_transfer"]


class RestockIn(In):
    line_id: Id = Field(description="One of the order's lines (`lines[].id` of the order)")
    units: int = Field(ge=0, le=1_000_000, description="Units of that line to put back in stock")


class RefundIn(In):
    amount: MoneyIn = Field(description="At most what was paid less what was already refunded")
    method: Method = Field(
        description="`gateway` refunds the online payment at the provider; the others record money "
        "paid back by hand"
    )
    reference: Text(100) = ""  # type: ignore[valid-type]
    note: Text(200) = ""  # type: ignore[valid-type]
    restock: list[RestockIn] = Field(default=[], max_length=200, description="Lines to put back in stock")


class RestockedOut(Out):
    line_id: int
    units: int


class RefundOut(Out):
    """A refund of an order."""

    id: int
    order_id: int
    amount: Money
    method: Method
    status: Literal["pending", "processed", "failed"] = Field(
        description="`pending` until the gateway confirms it; `failed` gave its amount back"
    )
    reference: str
    note: str
    restocked: list[RestockedOut]
    provider_refund_id: str = Field(description='The gateway\'s id of the refund ("" by hand)')
    failure: str = Field(description="Why the gateway did not refund it")
    at: datetime
    processed_at: datetime | None
    credit_note: str | None = Field(description="The credit note's number, once issued for an invoiced order")

    @staticmethod
    def resolve_restocked(refund):
        return [{"line_id": int(line_id), "units": units} for line_id, units in refund.restocked.items()]

    @staticmethod
    def resolve_credit_note(refund, context):
        note = (context or {}).get("notes", {}).get(refund.pk)
        return note.number if note else None


class RefundListOut(Out):
    items: list[RefundOut] = Field(description="Oldest first; an order has few")


def _order(request: HttpRequest, order_id: int) -> tuple[Store, Order]:
    store: Store = request.auth.store  # type: ignore[attr-defined]  # set by ninja: the token
    order = Order.objects.filter(store=store, pk=order_id).first()
    if order is None:
        raise not_found("order")
    return store, order


def _out(refund: Refund) -> RefundOut:
    notes = credit_notes_by_refund(store_id=refund.store_id, order_id=refund.order_id)
    return RefundOut.model_validate(refund, context={"notes": notes})


@router.get(
    "/orders/{order_id}/refunds",
    response=RefundListOut,
    summary="An order's refunds",
    auth=needs(Scope.ORDERS_READ, Access.ORDER_MONEY),
)
def list_refunds(request: HttpRequest, order_id: OrderId):
    """Every refund of the order, with its status and credit note."""
    store, order = _order(request, order_id)
    notes = credit_notes_by_refund(store_id=store.pk, order_id=order.pk)
    refunds = order_refunds(store_id=store.pk, order_id=order.pk)
    return RefundListOut(items=[RefundOut.model_validate(r, context={"notes": notes}) for r in refunds])


@router.post(
    "/orders/{order_id}/refunds",
    response={200: RefundOut, 201: RefundOut},
    summary="Refund an order",
    auth=needs(Scope.ORDERS_WRITE, Access.ORDER_MONEY),
)
def create_refund(
    request: HttpRequest,
    response: HttpResponse,
    order_id: OrderId,
    payload: RefundIn,
    idempotency_key: OptionalKey = None,
):
    """Pay back part or all of what was paid, optionally putting lines back in stock. More than is
    left to refund is a 422 naming the sums, and nothing changes. Send an Idempotency-Key: the same
    key again answers 200 with the refund it made (as it is now) and refunds nothing more."""
    store, order = _order(request, order_id)
    replay = (
        bool(idempotency_key) and Refund.objects.filter(store=store, idempotency_key=idempotency_key).exists()
    )
    refund = refund_order(
        store=store,
        order=order,
        amount=payload.amount,
        method=payload.method,
        reference=payload.reference,
        note=payload.note,
        restock={row.line_id: row.units for row in payload.restock if row.units},
        by=token_actor(request.auth),  # type: ignore[attr-defined]  # set by ninja: the token
        idempotency_key=idempotency_key or "",
    )
    if replay:
        response[REPLAYED_HEADER] = "true"
        return Status(200, _out(refund))
    return Status(201, _out(refund))
