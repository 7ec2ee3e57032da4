"""The notifier consumer group: text the shopkeeper and the buyer about each order, and the
shopkeeper about changes to the store's payment details (it reads the catalog topic for those).

It runs off the event log, never inside checkout: a slow or failing SMS provider cannot slow an
order down or lose it. Failures are retried and, in the end, dead-lettered with the error.
"""

from django.conf import settings
from django.urls import reverse

from dukaan.accounts.services import alert_owner_of_changes
from dukaan.catalog.rules import CURRENCIES
from dukaan.catalog.services import PAYMENT_DETAILS_CHANGED
from dukaan.events.consumers import Event, consumer
from dukaan.infra.sms import get_sms_backend

from .models import Order

BUYER_NEWS = {
    "order.accepted": "has been accepted",
    "order.shipped": "is on its way",
    "order.delivered": "has been delivered. Thank you for shopping",
    "order.cancelled": "has been cancelled",
}


@consumer("notifier", aggregatetypes={"order", "catalog"})
def notify(event: Event) -> None:
    if event.type == PAYMENT_DETAILS_CHANGED:
        alert_owner_of_changes(entry_ids=event.data["entries"])
        return
    if event.type != "order.placed" and event.type not in BUYER_NEWS:
        return
    order = Order.objects.select_related("store__owner").filter(pk=event.data["id"]).first()
    if order is None:
        return
    store = order.store
    status_url = settings.SITE_URL + reverse("storefront:order", args=[store.slug, order.public_token])
    total = f"{CURRENCIES.get(order.currency, order.currency + ' ')}{order.total:,.2f}"
    sms = get_sms_backend()
    if event.type == "order.placed":
        sms.send(
            to=store.owner.phone,
            text=f"New order #{order.number} on {store.name}: {total} from {order.buyer_name}. "
            f"Open your Dukaan dashboard to accept it.",
        )
        sms.send(
            to=order.buyer_phone,
            text=f"{store.name} got your order #{order.number} ({total}). Track it: {status_url}",
        )
    else:
        sms.send(
            to=order.buyer_phone,
            text=f"Your order #{order.number} from {store.name} {BUYER_NEWS[event.type]}. {status_url}",
        )
