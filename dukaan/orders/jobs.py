"""The orders' scheduled jobs (dukaan.events.jobs): a COD order not confirmed in time is cancelled, and its
buyer is reminded at half time. place_order schedules both; each does nothing once the order moved on."""

from datetime import datetime
from typing import Any

from django.db import transaction

from dukaan.events.jobs import job
from dukaan.events.outbox import emit

from . import events
from .models import CheckoutDraft, Order
from .services import (
    DELETE_OLD_DRAFTS,
    EXPIRE_UNCONFIRMED,
    REMIND_UNCONFIRMED,
    change_order_status,
    delete_old_drafts,
    lock_order,
    schedule_draft_cleanup,
)


@job(EXPIRE_UNCONFIRMED)
def expire_unconfirmed(data: dict[str, Any], *, now: datetime) -> None:
    """Cancel the order if it still awaits confirmation: its stock and coupon use come back."""
    with transaction.atomic():
        order = _awaiting(data)
        if order is not None:
            change_order_status(order=order, status=Order.Status.CANCELLED, by="system")


@job(REMIND_UNCONFIRMED)
def remind_unconfirmed(data: dict[str, Any], *, now: datetime) -> None:
    """Announce the half-time reminder (notifications text the buyer) while the order awaits confirmation."""
    with transaction.atomic():
        order = _awaiting(data)
        if order is None or order.confirm_by is None:
            return
        emit(
            events.ORDER_CONFIRMATION_REMINDER,
            store_id=order.store_id,
            data=events.ConfirmationReminder(
                id=order.pk,
                number=order.number,
                token=order.public_token,
                confirm_by=order.confirm_by,
                total=order.total,
                cod_advance=order.cod_advance,
            ),
        )


@job(DELETE_OLD_DRAFTS)
def delete_drafts(data: dict[str, Any], *, now: datetime) -> None:
    """Delete drafts untouched for 30 days, and come back tomorrow while any draft is left."""
    with transaction.atomic():
        delete_old_drafts(now=now)
        if CheckoutDraft.objects.exists():
            schedule_draft_cleanup(now=now)


def _awaiting(data: dict[str, Any]) -> Order | None:
    """The job's order, locked, while it awaits the buyer's confirmation; None once it moved on."""
    try:
        order = lock_order(store_id=data["store_id"], order_id=data["order_id"])
    except Order.DoesNotExist:
        return None
    return order if order.status == Order.Status.UNCONFIRMED else None
