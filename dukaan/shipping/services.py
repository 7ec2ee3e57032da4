"""Every write to a store's delivery settings: checked whole, saved in one transaction with its event."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction

from dukaan.catalog.models import Store
from dukaan.events.outbox import emit

from . import events
from .models import DeliverySettings, DeliveryZone
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
            {"cod_advance": "Buyers pay the advance by UPI: add your UPI ID in the store settings first."}
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
