"""The notifier consumer group: text the shopkeeper and the buyer about each order, and the
shopkeeper about changes to the store's payment details (from the dukaan.store topic, so it never
reads the catalog's price edits).

It runs off the event log, never inside checkout: a slow or failing SMS provider cannot slow an
order down or lose it. Failures are retried and, in the end, dead-lettered with the error.

Each text carries someone else's words: the buyer's name goes to the shopkeeper, the store's name
to a phone nobody verified. Both are cut short and stripped of hidden characters, links and phone
numbers, so a text can only point at our own order link. Texts to the buyer's phone are capped per
number per hour (`send_capped`); the shopkeeper's alerts go to the number they log in with and
are bounded by the order limits instead, so no real order goes unannounced.
"""

import re

from django.conf import settings
from django.urls import reverse

from dukaan.accounts.services import alert_owner_of_changes
from dukaan.catalog.events import PAYMENT_DETAILS_CHANGED
from dukaan.catalog.rules import CONTROL_CHARACTERS, CURRENCIES, DIRECTION_CONTROLS
from dukaan.events.consumers import Event, consumer
from dukaan.infra.sms import get_sms_backend, send_capped

from .events import ORDER_ACCEPTED, ORDER_CANCELLED, ORDER_DELIVERED, ORDER_PLACED, ORDER_SHIPPED
from .models import Order

BUYER_NEWS = {
    ORDER_ACCEPTED.name: "has been accepted",
    ORDER_SHIPPED.name: "is on its way",
    ORDER_DELIVERED.name: "has been delivered. Thank you for shopping",
    ORDER_CANCELLED.name: "has been cancelled",
}
STORE_NAME_MAX, BUYER_NAME_MAX = 30, 24
_LINK = re.compile(r"\S*(?:://|www\.|@)\S*", re.IGNORECASE)
# A dot between letters makes a word a domain phones turn into a link ("evil.in"); a space breaks it.
_DOMAIN_DOT = re.compile(r"(?<=\w)\.(?=[^\W\d_]{2})")
_PHONE_NUMBER = re.compile(r"\+?\d(?:[\s().-]*\d){5,}")


def _plain(text: str, limit: int) -> str:
    """`text` on one line, without hidden characters, links or numbers long enough to call, at most
    `limit` characters."""
    text = DIRECTION_CONTROLS.sub("", CONTROL_CHARACTERS.sub(" ", text))
    text = _DOMAIN_DOT.sub(". ", _PHONE_NUMBER.sub(" ", _LINK.sub(" ", text)))
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


@consumer(
    "notifier",
    events={
        PAYMENT_DETAILS_CHANGED,
        ORDER_PLACED,
        ORDER_ACCEPTED,
        ORDER_SHIPPED,
        ORDER_DELIVERED,
        ORDER_CANCELLED,
    },
)
def notify(event: Event) -> None:
    if event.is_a(PAYMENT_DETAILS_CHANGED):
        alert_owner_of_changes(entry_ids=event.data["entries"])
        return
    order = Order.objects.select_related("store__owner").filter(pk=event.data["id"]).first()
    if order is None:
        return
    store = order.store
    status_url = settings.SITE_URL + reverse("storefront:order", args=[store.slug, order.public_token])
    total = f"{CURRENCIES.get(order.currency, order.currency + ' ')}{order.total:,.2f}"
    store_name = _plain(store.name, STORE_NAME_MAX) or "The shop"
    sms = get_sms_backend()
    if event.is_a(ORDER_PLACED):
        buyer_name = _plain(order.buyer_name, BUYER_NAME_MAX) or "a buyer"
        sms.send(
            to=store.owner.phone,
            text=f"New order #{order.number} on {store_name}: {total} from {buyer_name}. "
            f"Open your Dukaan dashboard to accept it.",
        )
        send_capped(
            sms,
            to=order.buyer_phone,
            text=f"{store_name} got your order #{order.number} ({total}). Track it: {status_url}",
        )
    else:
        send_capped(
            sms,
            to=order.buyer_phone,
            text=f"Your order #{order.number} from {store_name} {BUYER_NEWS[event.type]}. {status_url}",
        )
