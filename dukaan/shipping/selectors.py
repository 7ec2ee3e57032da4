"""Reading a store's delivery settings: as entered (to edit them) and as terms (to quote a fee); and
the phones it takes no cash on delivery from."""

from django.db.models import QuerySet

from dukaan.infra.queries import only_row

from .models import CodBlockedPhone, DeliverySettings, DeliveryZone
from .rules import DEFAULT_SETUP, DEFAULT_TERMS, DeliverySetup, DeliveryTerms, ZoneSetup, terms_of


def delivery_setup(store_id: int) -> DeliverySetup:
    """The store's settings as the shopkeeper entered them; DEFAULT_SETUP if none were saved. 2 queries."""
    saved = only_row(DeliverySettings.objects.filter(store_id=store_id))
    if saved is None:
        return DEFAULT_SETUP
    zones = DeliveryZone.objects.filter(store_id=store_id).order_by("position")
    return DeliverySetup(
        flat_fee=saved.flat_fee,
        free_above=saved.free_above,
        cod_enabled=saved.cod_enabled,
        cod_fee=saved.cod_fee,
        cod_max_order=saved.cod_max_order,
        blocked=saved.blocked,
        cod_confirm_hours=saved.cod_confirm_hours,
        cod_advance=saved.cod_advance,
        zones=tuple(ZoneSetup(name=zone.name, pins=zone.pins, fee=zone.fee) for zone in zones),
    )


def delivery_terms(store_id: int) -> DeliveryTerms:
    """The store's delivery terms; DEFAULT_TERMS (free delivery everywhere, COD) when none were saved."""
    setup = delivery_setup(store_id)
    return DEFAULT_TERMS if setup is DEFAULT_SETUP else terms_of(setup)


def cod_blocked(*, store_id: int, phone: str) -> bool:
    """Whether the store takes no cash on delivery from `phone` (E.164). 1 query."""
    return CodBlockedPhone.objects.filter(store_id=store_id, phone=phone).exists()


def cod_blocked_phones(store_id: int) -> QuerySet[CodBlockedPhone]:
    """The store's blocked phones, latest first."""
    return CodBlockedPhone.objects.filter(store_id=store_id).order_by("-at", "-id")
