"""The promotions app's events: coupons and offers created, changed, paused, used up.

They go to the `store` aggregate (topic dukaan.store). The `cache` group reads the offers' (store
pages show running offers); the coupons' are read by no group of ours (`external=True`): integrators
and the warehouse do.
"""

from datetime import datetime
from decimal import Decimal
from typing import TypedDict

from dukaan.events.contract import declare

STORE = "store"


class CouponData(TypedDict):
    id: int
    code: str
    kind: str
    value: Decimal
    min_order: Decimal | None
    max_discount: Decimal | None
    starts_at: datetime | None
    ends_at: datetime | None
    max_uses: int | None
    used_count: int
    per_phone_limit: int | None
    first_order_only: bool
    product_ids: list[int]
    category_ids: list[int]
    combines_with_offers: bool
    active: bool


class OfferData(TypedDict):
    id: int
    name: str
    kind: str
    percent: Decimal | None
    flat: Decimal | None
    min_order: Decimal | None
    buy: int | None
    get: int | None
    product_ids: list[int]
    starts_at: datetime | None
    ends_at: datetime | None
    active: bool


COUPON_CREATED = declare("coupon.created", aggregatetype=STORE, payload=CouponData, external=True)
COUPON_CHANGED = declare("coupon.changed", aggregatetype=STORE, payload=CouponData, external=True)
COUPON_PAUSED = declare("coupon.paused", aggregatetype=STORE, payload=CouponData, external=True)
# The last use allowed was taken by an order.
COUPON_USED_UP = declare("coupon.used_up", aggregatetype=STORE, payload=CouponData, external=True)
OFFER_CREATED = declare("offer.created", aggregatetype=STORE, payload=OfferData)
OFFER_CHANGED = declare("offer.changed", aggregatetype=STORE, payload=OfferData)
