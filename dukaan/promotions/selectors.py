"""Reads of coupons and offers: the rules' terms for pricing, and the merchant's lists."""

from datetime import datetime

from django.db.models import Q, QuerySet, Value

from dukaan.infra.queries import only_row

from .events import CouponData, OfferData
from .models import Coupon, Offer
from .rules import CouponTerms, OfferTerms, normalize_code


def coupon_terms(store_id: int, code: str) -> CouponTerms | None:
    """The coupon a buyer's code names in this store, or None (also for a code no coupon could have).
    Two queries: the coupon, then the ids of its products and categories."""
    try:
        code = normalize_code(code)
    except ValueError:
        return None
    coupon = only_row(Coupon.objects.filter(store_id=store_id, code=code))
    if coupon is None:
        return None
    # Only the ids are needed: one UNION of the two link tables instead of two prefetches of whole rows.
    products = Coupon.products.through.objects.filter(coupon_id=coupon.pk).values_list(
        "product_id", Value(True)
    )
    categories = Coupon.categories.through.objects.filter(coupon_id=coupon.pk).values_list(
        "category_id", Value(False)
    )
    linked = list(products.union(categories, all=True))
    return CouponTerms(
        id=coupon.pk,
        code=coupon.code,
        kind=coupon.kind,  # type: ignore[arg-type]  # the model's choices
        value=coupon.value,
        min_order=coupon.min_order,
        max_discount=coupon.max_discount,
        starts_at=coupon.starts_at,
        ends_at=coupon.ends_at,
        product_ids=frozenset(pk for pk, is_product in linked if is_product),
        category_ids=frozenset(pk for pk, is_product in linked if not is_product),
        combines_with_offers=coupon.combines_with_offers,
        active=coupon.active,
        used_up=coupon.max_uses is not None and coupon.used_count >= coupon.max_uses,
        first_order_only=coupon.first_order_only,
    )


def live_offers(store_id: int, now: datetime) -> list[OfferTerms]:
    """The store's offers running at `now`, in two queries whatever their number."""
    offers = (
        Offer.objects.filter(store_id=store_id, active=True)
        .filter(
            Q(starts_at__isnull=True) | Q(starts_at__lte=now), Q(ends_at__isnull=True) | Q(ends_at__gt=now)
        )
        .order_by("id")
        .prefetch_related("products")
    )
    return [
        OfferTerms(
            id=offer.pk,
            name=offer.name,
            kind=offer.kind,  # type: ignore[arg-type]  # the model's choices
            percent=offer.percent,
            flat=offer.flat,
            min_order=offer.min_order,
            product_ids=frozenset(product.pk for product in offer.products.all()),
            buy=offer.buy or 0,
            get=offer.get or 0,
            starts_at=offer.starts_at,
            ends_at=offer.ends_at,
        )
        for offer in offers
    ]


def store_coupons(store_id: int) -> QuerySet[Coupon]:
    """The merchant's coupons, newest first, with what a list row shows."""
    return Coupon.objects.filter(store_id=store_id).prefetch_related("products", "categories")


def store_offers(store_id: int) -> QuerySet[Offer]:
    """The merchant's offers, newest first, with their products."""
    return Offer.objects.filter(store_id=store_id).prefetch_related("products")


def coupon_data(coupon: Coupon) -> CouponData:
    """A coupon as events and the API carry it."""
    return {
        "id": coupon.pk,
        "code": coupon.code,
        "kind": coupon.kind,
        "value": coupon.value,
        "min_order": coupon.min_order,
        "max_discount": coupon.max_discount,
        "starts_at": coupon.starts_at,
        "ends_at": coupon.ends_at,
        "max_uses": coupon.max_uses,
        "used_count": coupon.used_count,
        "per_phone_limit": coupon.per_phone_limit,
        "first_order_only": coupon.first_order_only,
        "product_ids": sorted(product.pk for product in coupon.products.all()),
        "category_ids": sorted(category.pk for category in coupon.categories.all()),
        "combines_with_offers": coupon.combines_with_offers,
        "active": coupon.active,
    }


def offer_data(offer: Offer) -> OfferData:
    """An offer as events and the API carry it."""
    return {
        "id": offer.pk,
        "name": offer.name,
        "kind": offer.kind,
        "percent": offer.percent,
        "flat": offer.flat,
        "min_order": offer.min_order,
        "buy": offer.buy,
        "get": offer.get,
        "product_ids": sorted(product.pk for product in offer.products.all()),
        "starts_at": offer.starts_at,
        "ends_at": offer.ends_at,
        "active": offer.active,
    }
