"""`{% load offers %}`: the offers running as a store page renders (the snapshot holds their times).

{% for offer in store|offer_banners %}…{% endfor %}    {% with badge=p.id|offer_badge:store %}…
"""

from django import template
from django.utils import timezone

from dukaan.catalog.snapshot import StoreCatalog

from ..snapshot import ShownOffer, StoreOffers

register = template.Library()


def _offers(store: StoreCatalog) -> StoreOffers:
    found = store.parts.get("offers")
    return found if isinstance(found, StoreOffers) else StoreOffers()


@register.filter
def offer_banners(store: StoreCatalog) -> list[ShownOffer]:
    return _offers(store).banners(timezone.now())


@register.filter
def offer_badge(product_id: int, store: StoreCatalog) -> str:
    return _offers(store).badge(product_id, timezone.now())
