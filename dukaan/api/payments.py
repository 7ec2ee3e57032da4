"""Payments through the API: an order's payments and recording one (merchant), and starting an
order's online payment (buyer).

Buyers place orders through the public store endpoints (buyer.py), not with a merchant token, so an
online payment is started there too, at the order's unguessable token, as the status page is read.
"""

from datetime import datetime
from enum import StrEnum

from django.http import HttpRequest, HttpResponse
from ninja import Router
from ninja.responses import Status
from pydantic import Field

from dukaan.accounts.models import ApiToken
from dukaan.accounts.roles import Access
from dukaan.accounts.scopes import Scope
from dukaan.accounts.services import token_actor
from dukaan.catalog.models import Store
from dukaan.orders.models import Order
from dukaan.orders.selectors import order_for_buyer
from dukaan.payments.models import RecordedPayment
from dukaan.payments.selectors import order_payments
from dukaan.payments.services import PaymentUnavailable, record_payment, start_online_payment

from .auth import needs
from .buyer import PRIVATE, _no_store
from .idempotency import run_once
from .params import OptionalKey, OrderId, OrderToken, StoreSlug
from .problems import Problem, not_found
from .schemas import In, Money, MoneyIn, Out, PaymentStatus, Text

router = Router(tags=["Merchant"])
public_router = Router(tags=["Store (public)"])

# An enum, as schemas.PaymentMethod: the document declares it once as a component.
RecordedPaymentMethod = StrEnum(  # type: ignore[misc]  # members from the model's choices
    "RecordedPaymentMethod", {value: value for value in RecordedPayment.Method.values}
)


class RecordedPaymentIn(In):
    amount: MoneyIn = Field(description="What was received; at most what is still due")
    # strict=False: a strict enum takes only its members, and JSON brings their values.
    method: RecordedPaymentMethod = Field(strict=False, description="How it was paid")
    reference: Text(64) = Field(default="", description="The UPI reference, UTR or receipt number")  # type: ignore[valid-type]
    note: Text(200) = ""  # type: ignore[valid-type]


class RecordedPaymentOut(Out):
    id: int
    amount: Money
    method: RecordedPaymentMethod
    reference: str
    note: str
    recorded_by: str = Field(
        description='Who recorded it: the merchant\'s phone, the API token, "statement" or "gateway"'
    )
    recorded_at: datetime


class OrderPaymentsOut(Out):
    """What an order was paid so far, and each payment, oldest first."""

    order_id: int = Field(validation_alias="pk")
    currency: str
    total: Money
    amount_paid: Money
    amount_refunded: Money
    amount_due: Money = Field(description="The total less what was paid")
    payment_status: PaymentStatus
    payments: list[RecordedPaymentOut]

    @staticmethod
    def resolve_payments(order):
        return order_payments(order=order)


class OnlinePaymentOut(Out):
    checkout_url: str = Field(description="Send the buyer here to pay")
    provider: str
    provider_order_id: str


def _token(request: HttpRequest) -> ApiToken:
    return request.auth  # type: ignore[attr-defined]  # set by ninja: what TokenAuth returned


def _order(store: Store, order_id: int) -> Order:
    order = Order.objects.filter(store=store, pk=order_id).first()
    if order is None:
        raise not_found("order")
    return order


@router.get(
    "/orders/{order_id}/payments",
    response=OrderPaymentsOut,
    summary="An order's payments",
    auth=needs(Scope.ORDERS_READ, Access.ORDER_MONEY),
)
def list_order_payments(request: HttpRequest, order_id: OrderId):
    return OrderPaymentsOut.model_validate(_order(_token(request).store, order_id))


@router.post(
    "/orders/{order_id}/payments",
    response={201: OrderPaymentsOut},
    summary="Record a payment received",
    auth=needs(Scope.ORDERS_WRITE, Access.ORDER_MONEY),
)
def record_order_payment(
    request: HttpRequest, order_id: OrderId, payload: RecordedPaymentIn, idempotency_key: OptionalKey = None
):
    """Money received for the order outside the gateway: cash, UPI, a bank transfer… It is refused (422,
    nothing changed) on a cancelled order, an order paid in full, or for more than is still due. Answers
    the order's payments with the new one last. Send an Idempotency-Key so a retry records it once."""
    token = _token(request)
    order = _order(token.store, order_id)

    def change():
        record_payment(
            store=token.store,
            order=order,
            amount=payload.amount,
            method=payload.method,
            reference=payload.reference,
            note=payload.note,
            by=token_actor(token),
        )
        return 201, OrderPaymentsOut.model_validate(_order(token.store, order_id))

    return run_once(
        request=request,
        store=token.store,
        scope=f"token:{token.pk}",
        key=idempotency_key,
        payload=payload,
        change=change,
    )


@public_router.post(
    "/{slug}/orders/{token}/online-payment",
    response={201: OnlinePaymentOut},
    summary="Start paying an order online",
)
def pay_order_online(request: HttpRequest, slug: StoreSlug, token: OrderToken, response: HttpResponse):
    """For an order placed with payment_method `online`: opens it at the payment provider; send the
    buyer to `checkout_url`. Each call is a new attempt (the provider's webhook marks the order paid
    once). An order not paid online, already paid or cancelled, or a provider that is not set up or
    not answering, is a 409 saying which."""
    response["Cache-Control"] = PRIVATE
    order = order_for_buyer(token=token)
    if order is None or order.store.slug != slug:
        raise _no_store(request, slug, "There is no order at this address. Check the link from the store.")
    try:
        started = start_online_payment(order=order)
    except PaymentUnavailable as error:
        raise Problem("payment-unavailable", error.message) from error
    payment = started.payment
    return Status(
        201,
        OnlinePaymentOut(
            checkout_url=started.checkout_url,
            provider=payment.provider,
            provider_order_id=payment.provider_order_id,
        ),
    )
