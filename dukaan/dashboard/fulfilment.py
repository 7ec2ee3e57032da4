"""The dashboard's shipping: mark an order shipped with its courier, and block a buyer phone from COD
(from the order's card, or on the Delivery page's list).

Thin like views.py: each view calls one service of fulfilment or shipping; what is wrong shows as a
message on the page it returns to, and nothing is saved.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from dukaan.accounts.audit import Actor
from dukaan.accounts.roles import Access
from dukaan.fulfilment.couriers import COURIERS
from dukaan.fulfilment.selectors import buyer_record, order_shipment
from dukaan.fulfilment.services import ship_order
from dukaan.orders.models import Order
from dukaan.orders.services import IllegalTransition, record_status_change
from dukaan.shipping.models import CodBlockedPhone
from dukaan.shipping.selectors import cod_blocked, cod_blocked_phones
from dukaan.shipping.services import block_cod_phone, unblock_cod_phone

from .views import store_required

BLOCKED_SHOWN = 200
NO_COD = gettext_lazy("%(phone)s can no longer order cash on delivery from you.")
COD_AGAIN = gettext_lazy("%(phone)s can order cash on delivery again.")


def order_fulfilment(order: Order) -> dict:
    """What the order's Shipping card shows: its shipment, or the couriers to ship it with; and for a
    COD order, the buyer phone's record in the store and whether it is blocked from COD."""
    cod = order.payment_method == Order.PaymentMethod.CASH_ON_DELIVERY
    return {
        "shipment": order_shipment(store_id=order.store_id, order_id=order.pk),
        "couriers": COURIERS,
        "record": buyer_record(store_id=order.store_id, phone=order.buyer_phone) if cod else None,
        "blocked": cod and cod_blocked(store_id=order.store_id, phone=order.buyer_phone),
    }


def blocked_phones(store_id: int) -> dict:
    return {"blocked_phones": cod_blocked_phones(store_id)[:BLOCKED_SHOWN]}


def _error(request, error: ValidationError) -> None:
    messages.error(request, " ".join(error.messages))


@require_POST
@store_required(Access.ORDERS)
def order_ship(request, number: int):
    order = get_object_or_404(Order.objects.filter(store=request.store), number=number)
    before = order.status
    try:
        with transaction.atomic():
            shipment = _ship(request, order)
            record_status_change(
                store=request.store,
                order=order,
                actor=Actor.member(request.user, request.role),
                before=before,
                after=Order.Status.SHIPPED,
            )
    except ValidationError as error:
        _error(request, error)
    except IllegalTransition as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _(
                "Order #%(number)s is shipped with %(courier)s. "
                "The buyer sees the tracking details on their order page."
            )
            % {"number": order.number, "courier": shipment.courier_name},
        )
    return redirect("dashboard:order_detail", number=order.number)


def _ship(request, order: Order):
    return ship_order(
        store=request.store,
        order=order,
        courier=request.POST.get("courier", ""),
        courier_name=request.POST.get("courier_name", ""),
        tracking_number=request.POST.get("tracking_number", ""),
        tracking_url=request.POST.get("tracking_url", ""),
        by="shop",
    )


@require_POST
@store_required(Access.SETTINGS)
def order_cod_block(request, number: int):
    """Block the order's buyer phone from COD ("block" = 1) or take the block off ("block" = 0)."""
    order = get_object_or_404(Order.objects.filter(store=request.store), number=number)
    if request.POST.get("block") == "1":
        try:
            block_cod_phone(
                store=request.store, phone=order.buyer_phone, reason=request.POST.get("reason", "")
            )
        except ValidationError as error:
            _error(request, error)
        else:
            messages.success(request, NO_COD % {"phone": order.buyer_phone})
    else:
        unblock_cod_phone(store=request.store, phone=order.buyer_phone)
        messages.success(request, COD_AGAIN % {"phone": order.buyer_phone})
    return redirect("dashboard:order_detail", number=order.number)


@require_POST
@store_required(Access.SETTINGS)
def cod_block_add(request):
    try:
        block = block_cod_phone(
            store=request.store, phone=request.POST.get("phone", ""), reason=request.POST.get("reason", "")
        )
    except ValidationError as error:
        _error(request, error)
    else:
        messages.success(request, NO_COD % {"phone": block.phone})
    return redirect("dashboard:delivery")


@require_POST
@store_required(Access.SETTINGS)
def cod_block_remove(request, pk: int):
    block = get_object_or_404(CodBlockedPhone.objects.filter(store=request.store), pk=pk)
    unblock_cod_phone(store=request.store, phone=block.phone)
    messages.success(request, COD_AGAIN % {"phone": block.phone})
    return redirect("dashboard:delivery")
