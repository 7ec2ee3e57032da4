"""The messages to the buyer and the shopkeeper: one pure function per message, order data → Message.

Each message is an SMS text and the same words as a WhatsApp template: business-initiated WhatsApp
messages must use a template approved by Meta, sent by name with its {{1}}, {{2}}… values in order.
`TEMPLATES` holds the bodies to register (docs/notifications.md lists them); the SMS text says the same
with the values in place. English for now.

Each message carries someone else's words: the buyer's name goes to the shopkeeper, the store's name
to a phone nobody verified. `_plain` cuts them short and strips hidden characters, links and phone
numbers, so a message can only point at our own order link, or at the courier's tracking page the
shopkeeper gave for a shipment (an http(s) address, checked when the shipment was recorded).
"""

import re
from dataclasses import dataclass
from datetime import datetime
from typing import TypedDict

from dukaan.catalog.rules import CONTROL_CHARACTERS, DIRECTION_CONTROLS

LANGUAGE = "en"  # the templates' language code at Meta
STORE_NAME_MAX, BUYER_NAME_MAX, COURIER_MAX, TRACKING_NUMBER_MAX = 30, 24, 30, 40

SIGNATURE = "\n\nSent via Dukaan."  # Meta refuses a template body that ends with a value
TEMPLATES = {
    "new_order": "New order #{{1}} on {{2}}: {{3}} from {{4}}. Open your Dukaan dashboard to accept it.",
    "order_placed": "Thank you for your order. {{1}} got your order #{{2}} ({{3}}). Track it: {{4}}"
    + SIGNATURE,
    "confirm_cod": "Please confirm your cash on delivery order #{{1}} from {{2}} ({{3}}) by {{4}}, or it "
    "will be cancelled: {{5}}" + SIGNATURE,
    "order_accepted": "Your order #{{1}} from {{2}} has been accepted. {{3}}" + SIGNATURE,
    "order_shipped": "Your order #{{1}} from {{2}} is on its way with {{3}}, tracking number {{4}}. "
    "Track it: {{5}}" + SIGNATURE,
    "order_delivered": "Your order #{{1}} from {{2}} has been delivered. Thank you for shopping. {{3}}"
    + SIGNATURE,
    "order_cancelled": "Your order #{{1}} from {{2}} has been cancelled. {{3}}" + SIGNATURE,
    "order_refunded": "Refund: {{1}} refunded {{2}} for your order #{{3}}. {{4}}" + SIGNATURE,
}


@dataclass(frozen=True)
class Message:
    kind: str  # a key of TEMPLATES: the WhatsApp template's name
    text: str  # the SMS
    parameters: tuple[str, ...]  # the template's {{1}}, {{2}}… in order


class About(TypedDict):
    """Which order a message is about: its number and store, as every message names them."""

    number: int
    store_name: str


_LINK = re.compile(r"\S*(?:://|www\.|@)\S*", re.IGNORECASE)
# A dot between letters makes a word a domain phones turn into a link ("evil.in"); a space breaks it.
_DOMAIN_DOT = re.compile(r"(?<=\w)\.(?=[^\W\d_]{2})")
_PHONE_NUMBER = re.compile(r"\+?\d(?:[\s().-]*\d){5,}")
_NOT_A_TRACKING_NUMBER = re.compile(r"[^A-Za-z0-9-]")


def _plain(text: str, limit: int) -> str:
    """`text` on one line, without hidden characters, links or numbers long enough to call, at most
    `limit` characters."""
    text = DIRECTION_CONTROLS.sub("", CONTROL_CHARACTERS.sub(" ", text))
    text = _DOMAIN_DOT.sub(". ", _PHONE_NUMBER.sub(" ", _LINK.sub(" ", text)))
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _web_address(url: str) -> bool:
    return (
        url.startswith(("https://", "http://"))
        and len(url) <= 500
        and all(c.isprintable() and not c.isspace() for c in url)
    )


def _store(name: str) -> str:
    return _plain(name, STORE_NAME_MAX) or "The shop"


def new_order(*, number: int, store_name: str, total: str, buyer_name: str) -> Message:
    """To the shopkeeper, when an order is placed (or a COD order confirmed)."""
    store, buyer = _store(store_name), _plain(buyer_name, BUYER_NAME_MAX) or "a buyer"
    return Message(
        "new_order",
        f"New order #{number} on {store}: {total} from {buyer}. Open your Dukaan dashboard to accept it.",
        (str(number), store, total, buyer),
    )


def order_placed(*, number: int, store_name: str, total: str, link: str) -> Message:
    store = _store(store_name)
    return Message(
        "order_placed",
        f"{store} got your order #{number} ({total}). Track it: {link}",
        (store, str(number), total, link),
    )


def confirm_cod(*, number: int, store_name: str, total: str, deadline: datetime, link: str) -> Message:
    """To the buyer of a COD order that waits for their confirmation until `deadline` (local time)."""
    store, by = _store(store_name), f"{deadline:%d %b %Y, %H:%M}"
    return Message(
        "confirm_cod",
        f"Please confirm your cash on delivery order #{number} from {store} ({total}) by {by}, or it will "
        f"be cancelled: {link}",
        (str(number), store, total, by, link),
    )


def _news(kind: str, news: str, *, number: int, store_name: str, link: str) -> Message:
    store = _store(store_name)
    return Message(kind, f"Your order #{number} from {store} {news}. {link}", (str(number), store, link))


def order_accepted(*, number: int, store_name: str, link: str) -> Message:
    return _news("order_accepted", "has been accepted", number=number, store_name=store_name, link=link)


def order_delivered(*, number: int, store_name: str, link: str) -> Message:
    news = "has been delivered. Thank you for shopping"
    return _news("order_delivered", news, number=number, store_name=store_name, link=link)


def order_cancelled(*, number: int, store_name: str, link: str) -> Message:
    return _news("order_cancelled", "has been cancelled", number=number, store_name=store_name, link=link)


def order_shipped(
    *, number: int, store_name: str, courier: str, tracking_number: str, tracking_url: str, link: str
) -> Message:
    """On its way: the courier and tracking number, and the courier's tracking page when the
    shopkeeper gave one (else our order page, which shows the shipment)."""
    store = _store(store_name)
    courier = _plain(courier, COURIER_MAX) or "the courier"
    tracking = _NOT_A_TRACKING_NUMBER.sub("", tracking_number)[:TRACKING_NUMBER_MAX] or "not given"
    track = tracking_url if _web_address(tracking_url) else link
    return Message(
        "order_shipped",
        f"Your order #{number} from {store} is on its way with {courier}, tracking number {tracking}. "
        f"Track it: {track}",
        (str(number), store, courier, tracking, track),
    )


def order_refunded(*, number: int, store_name: str, amount: str, link: str) -> Message:
    store = _store(store_name)
    return Message(
        "order_refunded",
        f"{store} refunded {amount} for your order #{number}. {link}",
        (store, amount, str(number), link),
    )
