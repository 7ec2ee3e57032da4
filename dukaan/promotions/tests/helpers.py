"""Coupons and offers made the way a shopkeeper makes them, for the promotions tests."""

from dataclasses import replace
from decimal import Decimal

from dukaan.promotions.services import CouponInput, OfferInput, create_coupon, create_offer

SAVE10 = CouponInput(code="save10", kind="percent", value=Decimal("10"))
TEN_OFF_ABOVE_500 = OfferInput(
    name="10% off above ₹500", kind="order", percent=Decimal("10"), min_order=Decimal("500")
)


def make_coupon(store, **changes):
    return create_coupon(store=store, data=replace(SAVE10, **changes))


def make_offer(store, **changes):
    return create_offer(store=store, data=replace(TEN_OFF_ABOVE_500, **changes))
