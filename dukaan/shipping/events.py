"""The shipping app's events: a store's delivery settings changed; a phone blocked from COD or unblocked."""

from decimal import Decimal
from typing import TypedDict

from dukaan.catalog.events import STORE
from dukaan.events.contract import declare


class ZoneData(TypedDict):
    name: str
    pins: str
    fee: Decimal


class DeliverySettingsChanged(TypedDict):
    flat_fee: Decimal
    free_above: Decimal | None
    cod_enabled: bool
    cod_fee: Decimal
    cod_max_order: Decimal | None
    blocked: str
    zones: list[ZoneData]  # in the order they apply
    cod_confirm_hours: int  # 0: no confirmation
    cod_advance: Decimal  # 0: no advance


# On the store's topic: the `cache` group reads it (the store's pages show a delivery note); integrators may.
DELIVERY_SETTINGS_CHANGED = declare(
    "delivery_settings.changed", aggregatetype=STORE, payload=DeliverySettingsChanged
)


class CodPhone(TypedDict):
    phone: str
    reason: str  # "" when unblocked


COD_PHONE_BLOCKED = declare("cod_phone.blocked", aggregatetype=STORE, payload=CodPhone, external=True)
COD_PHONE_UNBLOCKED = declare("cod_phone.unblocked", aggregatetype=STORE, payload=CodPhone, external=True)
