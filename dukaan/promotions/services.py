"""Every write to coupons and offers: validated, in one transaction with its outbox row.

`claim_coupon` and `release_coupon` run inside the order's transaction (orders calls them): a use is
counted with conditional UPDATEs, as stock is, so racing checkouts never pass a coupon's limits.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field, fields, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext

from dukaan.accounts.services import LoginRefused, normalize_phone
from dukaan.catalog.models import Category, Product, Store
from dukaan.catalog.rules import MAX_PRICE, validate_text
from dukaan.events.outbox import emit
from dukaan.infra.queries import count_up, only_row

from . import events
from .models import Coupon, CouponPhoneUses, CouponUse, Offer
from .rules import CouponRefused, normalize_code
from .selectors import coupon_data, offer_data

MAX_LIMIT = 1_000_000  # uses of a coupon, per coupon or per phone
MAX_BUY_GET = 100  # units in a "buy N get M" offer


@dataclass(frozen=True)
class CouponInput:
    """A coupon as the shopkeeper sets it (the dashboard's form, the API's body)."""

    code: str
    kind: str
    value: Decimal
    min_order: Decimal | None = None
    max_discount: Decimal | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    max_uses: int | None = None
    per_phone_limit: int | None = None
    first_order_only: bool = False
    product_ids: frozenset[int] = field(default_factory=frozenset)
    category_ids: frozenset[int] = field(default_factory=frozenset)
    combines_with_offers: bool = False


@dataclass(frozen=True)
class OfferInput:
    """An offer as the shopkeeper sets it: "order" uses percent or flat (and min_order), "buy_get"
    uses buy, get and product_ids."""

    name: str
    kind: str
    percent: Decimal | None = None
    flat: Decimal | None = None
    min_order: Decimal | None = None
    buy: int | None = None
    get: int | None = None
    product_ids: frozenset[int] = field(default_factory=frozenset)
    starts_at: datetime | None = None
    ends_at: datetime | None = None


def coupon_input(coupon: Coupon) -> CouponInput:
    """A saved coupon's settings, to change a few of them with dataclasses.replace."""
    return CouponInput(
        **{f.name: getattr(coupon, f.name) for f in fields(CouponInput) if not f.name.endswith("_ids")},
        product_ids=frozenset(product.pk for product in coupon.products.all()),
        category_ids=frozenset(category.pk for category in coupon.categories.all()),
    )


def offer_input(offer: Offer) -> OfferInput:
    """A saved offer's settings, to change a few of them with dataclasses.replace."""
    return OfferInput(
        **{f.name: getattr(offer, f.name) for f in fields(OfferInput) if f.name != "product_ids"},
        product_ids=frozenset(product.pk for product in offer.products.all()),
    )


# --- Validation ---------------------------------------------------------------------------------------


class _Errors(dict[str, str]):
    def amount(self, name: str, value: Decimal | None, *, what: str, positive: bool = False) -> None:
        if value is None:
            return
        if not value.is_finite() or -value.as_tuple().exponent > 2:  # type: ignore[operator]
            self[name] = gettext("Write the %(what)s with at most two digits after the point.") % {
                "what": what
            }
        elif value < 0 or (positive and value == 0):
            self[name] = (
                gettext("The %(what)s must be more than zero.")
                if positive
                else gettext("The %(what)s cannot be negative.")
            ) % {"what": what}
        elif value > MAX_PRICE:
            self[name] = gettext("The %(what)s must be at most %(most)s. Check for extra zeros.") % {
                "what": what,
                "most": f"{MAX_PRICE:,}",
            }

    def count(self, name: str, value: int | None, *, what: str, most: int) -> None:
        if value is not None and not 1 <= value <= most:
            self[name] = gettext("The %(what)s must be from 1 to %(most)s, or empty for no limit.") % {
                "what": what,
                "most": f"{most:,}",
            }

    def percent(self, name: str, value: Decimal | None) -> None:
        self.amount(name, value, what=gettext("percent"), positive=True)
        if name not in self and value is not None and value > 100:
            self[name] = gettext("A percent off is at most 100.")

    def window(self, starts_at: datetime | None, ends_at: datetime | None) -> None:
        if starts_at is not None and ends_at is not None and ends_at <= starts_at:
            self["ends_at"] = gettext("The end must be after the start.")

    def raise_any(self) -> None:
        if self:
            raise ValidationError(dict(self))


def _check_owned(
    errors: _Errors, store: Store, name: str, model: type[Product] | type[Category], ids: Collection[int]
) -> None:
    """Refuse ids that are not this store's products (or categories)."""
    if ids and model.objects.filter(store=store, pk__in=ids).count() != len(set(ids)):
        errors[name] = (
            gettext("Choose products of your own store; one of those was deleted or is not yours.")
            if model is Product
            else gettext("Choose categories of your own store; one of those was deleted or is not yours.")
        )


def _validated_coupon(store: Store, data: CouponInput, *, exclude: Coupon | None = None) -> CouponInput:
    errors = _Errors()
    try:
        code = normalize_code(data.code)
    except ValueError as error:
        errors["code"] = str(error)
        code = data.code
    else:
        taken = Coupon.objects.filter(store=store, code=code)
        if exclude is not None:
            taken = taken.exclude(pk=exclude.pk)
        if taken.exists():
            errors["code"] = gettext(
                "You already have a coupon %(code)s; choose another code or edit that one."
            ) % {"code": code}
    if data.kind == Coupon.PERCENT:
        errors.percent("value", data.value)
    elif data.kind == Coupon.FLAT:
        errors.amount("value", data.value, what=gettext("amount off"), positive=True)
    else:
        errors["kind"] = gettext("Choose percent off or amount off.")
    errors.amount("min_order", data.min_order, what=gettext("minimum order"))
    errors.amount("max_discount", data.max_discount, what=gettext("maximum discount"), positive=True)
    errors.window(data.starts_at, data.ends_at)
    errors.count("max_uses", data.max_uses, what=gettext("total number of uses"), most=MAX_LIMIT)
    if exclude is not None and data.max_uses is not None and "max_uses" not in errors:
        if data.max_uses < exclude.used_count:
            errors["max_uses"] = gettext("%(count)s uses are already taken; allow at least that many.") % {
                "count": exclude.used_count
            }
    errors.count(
        "per_phone_limit", data.per_phone_limit, what=gettext("uses per phone number"), most=MAX_LIMIT
    )
    _check_owned(errors, store, "product_ids", Product, data.product_ids)
    _check_owned(errors, store, "category_ids", Category, data.category_ids)
    errors.raise_any()
    return replace(data, code=code)


def _validated_offer(store: Store, data: OfferInput) -> OfferInput:
    errors = _Errors()
    name = data.name.strip()
    if not name or len(name) > 60:
        errors["name"] = gettext("Give the offer a name of 1 to 60 characters, e.g. Diwali sale.")
    else:
        try:
            validate_text(name)
        except ValidationError as error:
            errors["name"] = " ".join(error.messages)
    kept: dict[str, Any] = {"name": name}
    if data.kind == Offer.ORDER:
        if data.percent is None and data.flat is None:
            errors["percent"] = gettext("Give a percent off or an amount off.")
        elif data.percent is not None and data.flat is not None:
            errors["percent"] = gettext("Give either a percent off or an amount off, not both.")
        errors.percent("percent", data.percent)
        errors.amount("flat", data.flat, what=gettext("amount off"), positive=True)
        errors.amount("min_order", data.min_order, what=gettext("minimum order"))
        kept.update(buy=None, get=None, product_ids=frozenset())
    elif data.kind == Offer.BUY_GET:
        missing = {
            "buy": gettext("Say how many units the buyer buys."),
            "get": gettext("Say how many units the buyer gets free."),
        }
        for name_, value in (("buy", data.buy), ("get", data.get)):
            if value is None:
                errors[name_] = missing[name_]
            elif not 1 <= value <= MAX_BUY_GET:
                errors[name_] = gettext("Use 1 to %(most)s units.") % {"most": MAX_BUY_GET}
        if not data.product_ids:
            errors["product_ids"] = gettext("Choose the products this offer is on.")
        _check_owned(errors, store, "product_ids", Product, data.product_ids)
        kept.update(percent=None, flat=None, min_order=None)
    else:
        errors["kind"] = gettext("Choose an offer off the order, or buy N, get M free.")
    errors.window(data.starts_at, data.ends_at)
    errors.raise_any()
    return replace(data, **kept)


# --- Coupons ------------------------------------------------------------------------------------------


def _save_coupon(coupon: Coupon, data: CouponInput) -> None:
    for f in fields(CouponInput):
        if not f.name.endswith("_ids"):
            setattr(coupon, f.name, getattr(data, f.name))
    try:
        with transaction.atomic():
            coupon.save()
    except IntegrityError as error:  # a twin code saved a moment ago
        raise ValidationError(
            {
                "code": gettext("You already have a coupon %(code)s; choose another code.")
                % {"code": coupon.code}
            }
        ) from error
    coupon.products.set(data.product_ids)
    coupon.categories.set(data.category_ids)


@transaction.atomic
def create_coupon(*, store: Store, data: CouponInput) -> Coupon:
    data = _validated_coupon(store, data)
    coupon = Coupon(store=store)
    _save_coupon(coupon, data)
    emit(events.COUPON_CREATED, store_id=store.pk, data=coupon_data(coupon))
    return coupon


@transaction.atomic
def update_coupon(*, coupon: Coupon, data: CouponInput) -> Coupon:
    coupon = Coupon.objects.select_for_update().get(pk=coupon.pk)
    data = _validated_coupon(coupon.store, data, exclude=coupon)
    _save_coupon(coupon, data)
    emit(events.COUPON_CHANGED, store_id=coupon.store_id, data=coupon_data(coupon))
    return coupon


@transaction.atomic
def set_coupon_active(*, coupon: Coupon, active: bool) -> Coupon:
    """Pause (active=False) or resume a coupon. Paused, buyers cannot apply the code; orders placed with
    it keep their discount, and cancelling one still gives its use back."""
    coupon = Coupon.objects.select_for_update().get(pk=coupon.pk)
    if coupon.active != active:
        coupon.active = active
        coupon.save(update_fields=["active"])
        if active:
            emit(events.COUPON_CHANGED, store_id=coupon.store_id, data=coupon_data(coupon))
        else:
            emit(events.COUPON_PAUSED, store_id=coupon.store_id, data=coupon_data(coupon))
    return coupon


def _buyer_phone(phone: str) -> str:
    """The E.164 form, so "98123 00001" and "+919812300001" count as one buyer."""
    try:
        return normalize_phone(phone)
    except LoginRefused as error:
        raise CouponRefused(gettext("Enter a valid mobile number to use a code.")) from error


@transaction.atomic
def claim_coupon(*, store_id: int, coupon_id: int, phone: str, first_order: bool, order_id: int) -> None:
    """Count one use of the coupon for this order, or raise CouponRefused (nothing counted).

    Run it inside the order's transaction: the coupon row stays locked from its counting UPDATE to the
    order's commit, so racing checkouts queue there and the limits hold."""
    phone = _buyer_phone(phone)
    coupon = only_row(Coupon.objects.filter(pk=coupon_id, store_id=store_id))
    now = timezone.now()
    if coupon is None:
        raise CouponRefused(gettext("This code is not valid in this shop."))
    if not coupon.active:
        raise CouponRefused(gettext("This code is paused by the shop."))
    if (coupon.starts_at and now < coupon.starts_at) or (coupon.ends_at and now >= coupon.ends_at):
        raise CouponRefused(gettext("This code is not valid at this time."))
    if coupon.first_order_only and not first_order:
        raise CouponRefused(gettext("This code is only for a first order in this shop."))
    # The phone's counter row, made once whoever races to make it (INSERT … ON CONFLICT DO NOTHING).
    CouponPhoneUses.objects.bulk_create(
        [CouponPhoneUses(store_id=store_id, coupon=coupon, phone=phone)], ignore_conflicts=True
    )
    mine = CouponPhoneUses.objects.filter(coupon=coupon, phone=phone)
    if coupon.per_phone_limit is not None:
        mine = mine.filter(count__lt=coupon.per_phone_limit)
    if not mine.update(count=F("count") + 1):
        raise CouponRefused(
            gettext("You have already used this code.")
            if coupon.per_phone_limit == 1
            else gettext(
                "This code can be used %(count)s times per phone number, and yours has used them all."
            )
            % {"count": coupon.per_phone_limit}
        )
    CouponUse.objects.create(store_id=store_id, coupon=coupon, phone=phone, order_id=order_id)
    # Last: from this UPDATE the coupon's row is locked to the order's commit, and every order with the
    # code queues on it. A refusal here rolls the phone's count and the use back with this savepoint.
    counted = count_up(Coupon, coupon.pk, "used_count", up_to="max_uses")
    if counted is None:
        raise CouponRefused(gettext("This code was used the maximum number of times."))
    coupon.used_count = counted
    if coupon.max_uses is not None and coupon.used_count >= coupon.max_uses:
        emit(events.COUPON_USED_UP, store_id=store_id, data=coupon_data(coupon))


@transaction.atomic
def release_coupon(*, store_id: int, order_id: int) -> None:
    """Give back the coupon use of a cancelled order (its total and its phone's count), once."""
    use = only_row(CouponUse.objects.filter(store_id=store_id, order_id=order_id, released_at__isnull=True))
    if use is None:
        return
    if not CouponUse.objects.filter(pk=use.pk, released_at__isnull=True).update(released_at=timezone.now()):
        return  # another cancel gave it back a moment ago
    # The phone's row before the coupon's, in claim_coupon's order, so a cancel and a checkout of one
    # phone cannot deadlock.
    CouponPhoneUses.objects.filter(coupon_id=use.coupon_id, phone=use.phone, count__gt=0).update(
        count=F("count") - 1
    )
    Coupon.objects.filter(pk=use.coupon_id, used_count__gt=0).update(used_count=F("used_count") - 1)


# --- Offers -------------------------------------------------------------------------------------------


def _save_offer(offer: Offer, data: OfferInput) -> None:
    for f in fields(OfferInput):
        if f.name != "product_ids":
            setattr(offer, f.name, getattr(data, f.name))
    offer.save()
    offer.products.set(data.product_ids)


@transaction.atomic
def create_offer(*, store: Store, data: OfferInput) -> Offer:
    data = _validated_offer(store, data)
    offer = Offer(store=store)
    _save_offer(offer, data)
    emit(events.OFFER_CREATED, store_id=store.pk, data=offer_data(offer))
    return offer


@transaction.atomic
def update_offer(*, offer: Offer, data: OfferInput) -> Offer:
    offer = Offer.objects.select_for_update().get(pk=offer.pk)
    data = _validated_offer(offer.store, data)
    _save_offer(offer, data)
    emit(events.OFFER_CHANGED, store_id=offer.store_id, data=offer_data(offer))
    return offer


@transaction.atomic
def set_offer_active(*, offer: Offer, active: bool) -> Offer:
    """Pause (active=False) or resume an offer; buyers' carts follow at once."""
    offer = Offer.objects.select_for_update().get(pk=offer.pk)
    if offer.active != active:
        offer.active = active
        offer.save(update_fields=["active"])
        emit(events.OFFER_CHANGED, store_id=offer.store_id, data=offer_data(offer))
    return offer


def seed_demo_coupon(store: Store) -> None:
    """The demo store's welcome code: 10 % off a first order of ₹300 or more, up to ₹100."""
    create_coupon(
        store=store,
        data=CouponInput(
            code="WELCOME10",
            kind="percent",
            value=Decimal("10"),
            min_order=Decimal("300"),
            max_discount=Decimal("100"),
            first_order_only=True,
        ),
    )
