"""Every write to a store's delivery settings: checked whole, saved in one transaction with its event;
and the phones a store takes no cash on delivery from."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext

from dukaan.accounts.services import LoginRefused, normalize_phone
from dukaan.catalog.models import Store
from dukaan.catalog.rules import validate_text
from dukaan.events.outbox import emit

from . import events
from .models import CodBlockedPhone, DeliverySettings, DeliveryZone
from .rules import CheckedSetup, DeliverySetup, ZoneSetup, check_setup


@transaction.atomic
def save_delivery_settings(*, store: Store, setup: DeliverySetup) -> CheckedSetup:
    """Replace the store's delivery settings and zones with `setup`, zones in the order given.
    Raises ValidationError naming every problem (rules.check_setup, and an advance asked of a store
    without a UPI ID), and then nothing changes. The answer's notes say which zone wins where zones
    share PIN codes."""
    checked = check_setup(setup)
    if checked.setup.cod_advance and not store.upi_id:
        raise ValidationError(
            {
                "cod_advance": gettext(
                    "Buyers pay the advance by UPI: add your UPI ID in the store settings first."
                )
            }
        )
    saved = checked.setup
    # One save at a time per store: zones are replaced whole, and their positions must not collide.
    Store.objects.select_for_update().filter(pk=store.pk).values_list("pk").get()
    DeliverySettings.objects.update_or_create(
        store=store,
        defaults={
            "flat_fee": saved.flat_fee,
            "free_above": saved.free_above,
            "cod_enabled": saved.cod_enabled,
            "cod_fee": saved.cod_fee,
            "cod_max_order": saved.cod_max_order,
            "blocked": saved.blocked,
            "cod_confirm_hours": saved.cod_confirm_hours,
            "cod_advance": saved.cod_advance,
        },
    )
    DeliveryZone.objects.filter(store=store).delete()
    DeliveryZone.objects.bulk_create(
        DeliveryZone(store=store, position=position, name=zone.name, pins=zone.pins, fee=zone.fee)
        for position, zone in enumerate(saved.zones, start=1)
    )
    emit(
        events.DELIVERY_SETTINGS_CHANGED,
        store_id=store.pk,
        data=events.DeliverySettingsChanged(
            flat_fee=saved.flat_fee,
            free_above=saved.free_above,
            cod_enabled=saved.cod_enabled,
            cod_fee=saved.cod_fee,
            cod_max_order=saved.cod_max_order,
            blocked=saved.blocked,
            cod_confirm_hours=saved.cod_confirm_hours,
            cod_advance=saved.cod_advance,
            zones=[events.ZoneData(name=zone.name, pins=zone.pins, fee=zone.fee) for zone in saved.zones],
        ),
    )
    return checked


def seed_demo_delivery(store: Store) -> None:
    """The demo store's delivery: ₹40, free from ₹499, Bengaluru for ₹30, COD up to ₹5,000."""
    save_delivery_settings(
        store=store,
        setup=DeliverySetup(
            flat_fee=Decimal("40"),
            free_above=Decimal("499"),
            cod_enabled=True,
            cod_fee=Decimal("0"),
            cod_max_order=Decimal("5000"),
            blocked="",
            zones=(ZoneSetup(name="Bengaluru", pins="560", fee=Decimal("30")),),
        ),
    )


REASON_MAX = 200


def _phone(phone: str) -> str:
    try:
        return normalize_phone(str(phone or ""))
    except LoginRefused as error:
        raise ValidationError({"phone": error.message}) from error


@transaction.atomic
def block_cod_phone(*, store: Store, phone: str, reason: str = "") -> CodBlockedPhone:
    """Take no more cash-on-delivery orders from `phone` in this store (UPI and online still work).
    Blocking a phone already blocked keeps the first block. ValidationError for a bad phone or reason."""
    number = _phone(phone)
    reason = " ".join(str(reason or "").split())
    if len(reason) > REASON_MAX:
        raise ValidationError(
            {"reason": gettext("Keep the reason to %(count)s characters.") % {"count": REASON_MAX}}
        )
    try:
        validate_text(reason)
    except ValidationError as error:
        raise ValidationError({"reason": error.messages}) from error
    block, created = CodBlockedPhone.objects.get_or_create(
        store=store, phone=number, defaults={"reason": reason}
    )
    if created:
        emit(events.COD_PHONE_BLOCKED, store_id=store.pk, data=events.CodPhone(phone=number, reason=reason))
    return block


@transaction.atomic
def unblock_cod_phone(*, store: Store, phone: str) -> bool:
    """Take cash on delivery from `phone` again; False when it was not blocked."""
    number = _phone(phone)
    deleted, _ = CodBlockedPhone.objects.filter(store=store, phone=number).delete()
    if deleted:
        emit(events.COD_PHONE_UNBLOCKED, store_id=store.pk, data=events.CodPhone(phone=number, reason=""))
    return bool(deleted)
