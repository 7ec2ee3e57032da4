"""The notifier consumer group: message the shopkeeper and the buyer about each order, the
shopkeeper about changes to the store's payment details, a phone put on a store's staff, and both
owners when a store is handed over (those from the dukaan.store topic, so it never reads the
catalog's price edits).

It runs off the event log, never inside checkout: a slow or failing provider cannot slow an order
down or lose it. Each message is sent once per event (services.send_once records it as it goes
out), so an event retried after a failure half-way sends only what had not gone out; in the end a
failing event is dead-lettered with the error.

Messages to the buyer's phone (and to an invited one) are capped per number per hour; the
shopkeeper's alerts go to the number they log in with and are bounded by the order limits instead,
so no real order goes unannounced. The shipment and refund messages come from the events
fulfilment and payments write; orders/events.py declares them, as this app may not import its
siblings.
"""

from collections.abc import Iterable
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation

from dukaan.accounts.events import STAFF_INVITED, STORE_HANDED_OVER
from dukaan.accounts.models import Membership, User
from dukaan.accounts.roles import Role
from dukaan.accounts.services import alert_owner_of_changes
from dukaan.catalog.addresses import store_page_url
from dukaan.catalog.events import PAYMENT_DETAILS_CHANGED
from dukaan.catalog.models import Store
from dukaan.catalog.rules import CURRENCIES
from dukaan.events.consumers import Event, consumer
from dukaan.infra.logs import masked_phone
from dukaan.infra.money import grouped
from dukaan.orders.events import (
    ORDER_ACCEPTED,
    ORDER_CANCELLED,
    ORDER_CONFIRMATION_REMINDER,
    ORDER_CONFIRMED,
    ORDER_DELIVERED,
    ORDER_PLACED,
    ORDER_SHIPPED,
    REFUND_PROCESSED,
    REFUND_RECORDED,
    SHIPMENT_CREATED,
)
from dukaan.orders.models import Order

from . import messages
from .messages import Message
from .models import SentMessage
from .services import send_once

BUYER, SHOPKEEPER = SentMessage.Recipient.BUYER, SentMessage.Recipient.SHOPKEEPER


def _money(amount: Decimal, currency: str) -> str:
    return f"{CURRENCIES.get(currency, currency + ' ')}{grouped(amount)}"


def _staff_messages(event: Event, store: Store) -> list[tuple[str, Message]]:
    """(phone, message) for an invite or a hand-over, in the store's language."""
    data = event.data
    phones = dict(
        User.objects.filter(
            pk__in=[data.get("user_id"), data.get("to_user_id"), data.get("from_user_id")]
        ).values_list("pk", "phone")
    )
    with translation.override(store.language):
        if event.is_a(STAFF_INVITED):
            if not Membership.objects.filter(store=store, user_id=data["user_id"]).exists():
                return []  # removed again before the text went out
            role, login = str(Role(data["role"]).label), settings.SITE_URL + reverse("accounts:login")
            invited = messages.staff_invited(store_name=store.name, role=role, link=login)
            return [(phones[data["user_id"]], invited)]
        new_owner = phones[data["to_user_id"]]
        return [
            (new_owner, messages.store_handed_to_you(store_name=store.name)),
            (
                phones[data["from_user_id"]],
                messages.store_handed_over(store_name=store.name, new_owner=masked_phone(new_owner)),
            ),
        ]


def _send_each(event: Event, store_id: int, outgoing: Iterable[tuple[str, str, Message, bool]]) -> None:
    """Send each (recipient, phone, message, capped) of `outgoing` once for this event."""
    for recipient, to, message, capped in outgoing:
        send_once(
            event_id=event.id, store_id=store_id, recipient=recipient, to=to, message=message, capped=capped
        )


def _messages(event: Event, order: Order) -> list[tuple[str, Message]]:
    """Who gets which message for this event (nothing for an event the buyer need not hear of), in
    the store's language (the one its pages open in)."""
    with translation.override(order.store.language):
        return _messages_now(event, order)


def _messages_now(event: Event, order: Order) -> list[tuple[str, Message]]:
    store = order.store
    link = store_page_url(store.slug, "storefront:order", order.public_token)
    about = messages.About(number=order.number, store_name=store.name)
    total = _money(order.total, order.currency)
    asks_to_confirm = event.is_a(ORDER_PLACED) and event.data["status"] == Order.Status.UNCONFIRMED
    if asks_to_confirm or (
        event.is_a(ORDER_CONFIRMATION_REMINDER) and order.status == Order.Status.UNCONFIRMED
    ):
        deadline = timezone.localtime(order.confirm_by)
        return [(BUYER, messages.confirm_cod(**about, total=total, deadline=deadline, link=link))]
    if event.is_a(ORDER_PLACED, ORDER_CONFIRMED):
        return [
            (SHOPKEEPER, messages.new_order(**about, total=total, buyer_name=order.buyer_name)),
            (BUYER, messages.order_placed(**about, total=total, link=link)),
        ]
    if event.is_a(ORDER_ACCEPTED):
        return [(BUYER, messages.order_accepted(**about, link=link))]
    if event.is_a(ORDER_DELIVERED):
        return [(BUYER, messages.order_delivered(**about, link=link))]
    if event.is_a(ORDER_CANCELLED):
        return [(BUYER, messages.order_cancelled(**about, link=link))]
    if event.is_a(ORDER_SHIPPED):
        return []  # the buyer hears of it from shipment.created, with the courier and tracking number
    if event.is_a(SHIPMENT_CREATED):
        data = event.data
        shipped = messages.order_shipped(
            **about,
            courier=data["courier"],
            tracking_number=data["tracking_number"],
            tracking_url=data["tracking_url"],
            link=link,
        )
        return [(BUYER, shipped)]
    if event.is_a(REFUND_RECORDED, REFUND_PROCESSED) and event.data["status"] == "processed":
        amount = _money(Decimal(event.data["amount"]), order.currency)
        return [(BUYER, messages.order_refunded(**about, amount=amount, link=link))]
    return []


@consumer(
    "notifier",
    events={
        PAYMENT_DETAILS_CHANGED,
        STAFF_INVITED,
        STORE_HANDED_OVER,
        ORDER_PLACED,
        ORDER_CONFIRMED,
        ORDER_CONFIRMATION_REMINDER,
        ORDER_ACCEPTED,
        ORDER_SHIPPED,
        ORDER_DELIVERED,
        ORDER_CANCELLED,
        SHIPMENT_CREATED,
        REFUND_RECORDED,
        REFUND_PROCESSED,
    },
    records_own_effects=True,
)
def notify(event: Event) -> None:
    if event.is_a(PAYMENT_DETAILS_CHANGED):
        # Its claims and texts roll back together when a text fails (see alert_owner_of_changes).
        with transaction.atomic():
            alert_owner_of_changes(entry_ids=event.data["entries"])
        return
    if event.is_a(STAFF_INVITED, STORE_HANDED_OVER):
        store = Store.objects.filter(pk=event.store_id).first()
        # The invitee's number was typed by someone else: held to the hourly cap like a buyer's.
        capped = event.is_a(STAFF_INVITED)
        if store is not None:
            staff = [(SHOPKEEPER, to, message, capped) for to, message in _staff_messages(event, store)]
            _send_each(event, store.pk, staff)
        return
    order_id = event.data["order_id"] if "order_id" in event.data else event.data["id"]
    order = Order.objects.select_related("store__owner").filter(pk=order_id, store_id=event.store_id).first()
    if order is None:
        return
    phones: dict[str, str] = {SHOPKEEPER: order.store.owner.phone, BUYER: order.buyer_phone}
    _send_each(event, order.store_id, [(r, phones[r], m, r == BUYER) for r, m in _messages(event, order)])
