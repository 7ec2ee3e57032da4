"""Every write of fulfilment: shipping an order with its courier and tracking, in one transaction."""

import re
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from dukaan.catalog.models import Store
from dukaan.catalog.rules import validate_text
from dukaan.events.outbox import emit
from dukaan.orders import events
from dukaan.orders.models import Order
from dukaan.orders.services import change_order_status

from .couriers import BY_KEY, OTHER, tracking_url
from .models import COURIER_NAME_MAX, TRACKING_NUMBER_MAX, TRACKING_URL_MAX, Shipment

TRACKING_NUMBER = re.compile(r"[A-Za-z0-9/-]+")


def _courier_name(courier: str, courier_name: str) -> str:
    known = BY_KEY.get(courier)
    if known is None:
        raise ValidationError(
            {"courier": gettext("Choose a courier from the list, or “Other” and type its name.")}
        )
    if courier != OTHER:
        return known.name
    name = " ".join(str(courier_name or "").split())
    if not name:
        raise ValidationError({"courier_name": gettext("Type the name of the courier carrying the parcel.")})
    if len(name) > COURIER_NAME_MAX:
        raise ValidationError(
            {
                "courier_name": gettext("The courier's name can be at most %(count)s characters.")
                % {"count": COURIER_NAME_MAX}
            }
        )
    try:
        validate_text(name)
    except ValidationError as error:
        raise ValidationError({"courier_name": error.messages}) from error
    return name


def _tracking_number(number: str) -> str:
    number = "".join(str(number or "").split())  # pasted numbers often come with spaces
    if len(number) > TRACKING_NUMBER_MAX:
        raise ValidationError(
            {
                "tracking_number": gettext("A tracking number can be at most %(count)s characters.")
                % {"count": TRACKING_NUMBER_MAX}
            }
        )
    if number and not TRACKING_NUMBER.fullmatch(number):
        message = gettext("A tracking number has only letters, digits, - and /. Copy it from the receipt.")
        raise ValidationError({"tracking_number": message})
    return number


def _tracking_url(url: str) -> str:
    url = str(url or "").strip()
    if not url:
        return ""
    if len(url) > TRACKING_URL_MAX:
        message = gettext("The tracking link can be at most %(count)s characters. Paste the short one.") % {
            "count": TRACKING_URL_MAX
        }
        raise ValidationError({"tracking_url": message})
    if urlsplit(url).scheme.lower() not in ("http", "https"):
        message = gettext(
            "The tracking link must start with https:// or http://. Copy it from the courier's page."
        )
        raise ValidationError({"tracking_url": message})
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError as error:
        raise ValidationError(
            {
                "tracking_url": gettext(
                    "This is not a web address. Copy the tracking link from the courier's page."
                )
            }
        ) from error
    return url


@transaction.atomic
def ship_order(
    *,
    store: Store,
    order: Order,
    courier: str,
    tracking_number: str = "",
    tracking_url: str = "",
    courier_name: str = "",
    by: str,
) -> Shipment:
    """Mark an accepted order shipped with the courier carrying it, and emit shipment.created.

    The tracking link is the shopkeeper's when given, else built from the courier's page for the
    number. ValidationError names the field that is wrong, IllegalTransition says why the order
    cannot be shipped; either way nothing changes.
    """
    if order.store_id != store.pk:
        raise ValueError(f"Order {order.pk} is not store {store.pk}'s.")
    name = _courier_name(courier, courier_name)
    number = _tracking_number(tracking_number)
    url = _tracking_url(tracking_url) or _pattern_url(courier, number)
    order = change_order_status(order=order, status=Order.Status.SHIPPED, by=by)
    shipment = Shipment.objects.create(
        store=store,
        order=order,
        courier=courier,
        courier_name=name,
        tracking_number=number,
        tracking_url=url,
        shipped_at=order.shipped_at or timezone.now(),
        by=by,
    )
    emit(
        events.SHIPMENT_CREATED,
        store_id=store.pk,
        data=events.ShipmentCreated(
            **events.order_ref(order),
            courier=name,
            tracking_number=number,
            tracking_url=url,
        ),
    )
    return shipment


def _pattern_url(courier: str, number: str) -> str:
    return tracking_url(BY_KEY[courier], number)
