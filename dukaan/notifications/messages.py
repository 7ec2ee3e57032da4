"""The messages to the buyer and the shopkeeper: one pure function per message, order data → Message.

Each message is an SMS text and the same words as a WhatsApp template: business-initiated WhatsApp
messages must use a template approved by Meta, sent by name with its {{1}}, {{2}}… values in order.
`TEMPLATES` holds the bodies to register (docs/notifications.md lists them); the SMS text says the same
with the values in place, in the store's language (the consumer speaks it): a template has a body per
language at Meta (`templates(language)` gives them), the SMS the same words through gettext.

Each message carries someone else's words: the buyer's name goes to the shopkeeper, the store's name
to a phone nobody verified. `_plain` cuts them short and strips hidden characters, links and phone
numbers, so a message can only point at our own order link, or at the courier's tracking page the
shopkeeper gave for a shipment (an http(s) address, checked when the shipment was recorded).
"""

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypedDict

from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from dukaan.catalog.rules import CONTROL_CHARACTERS, DIRECTION_CONTROLS

LANGUAGE = "en"  # the English templates' language code at Meta
# Meta's code of each of our languages (settings.LANGUAGES) for a template's body in it.
META_LANGUAGES = {"en-in": "en", "hi": "hi"}
STORE_NAME_MAX, BUYER_NAME_MAX, COURIER_MAX, TRACKING_NUMBER_MAX = 30, 24, 30, 40

SIGNATURE = gettext_noop("Sent via Dukaan.")  # Meta refuses a template body that ends with a value
_BODIES = {
    "new_order": gettext_noop(
        "New order #{{1}} on {{2}}: {{3}} from {{4}}. Open your Dukaan dashboard to accept it."
    ),
    "order_placed": gettext_noop(
        "Thank you for your order. {{1}} got your order #{{2}} ({{3}}). Track it: {{4}}"
    ),
    "confirm_cod": gettext_noop(
        "Please confirm your cash on delivery order #{{1}} from {{2}} ({{3}}) by {{4}}, "
        "or it will be cancelled: {{5}}"
    ),
    "order_accepted": gettext_noop("Your order #{{1}} from {{2}} has been accepted. {{3}}"),
    "order_shipped": gettext_noop(
        "Your order #{{1}} from {{2}} is on its way with {{3}}, tracking number {{4}}. Track it: {{5}}"
    ),
    "order_delivered": gettext_noop(
        "Your order #{{1}} from {{2}} has been delivered. Thank you for shopping. {{3}}"
    ),
    "order_cancelled": gettext_noop("Your order #{{1}} from {{2}} has been cancelled. {{3}}"),
    "order_refunded": gettext_noop("Refund: {{1}} refunded {{2}} for your order #{{3}}. {{4}}"),
    "staff_invited": gettext_noop(
        "Welcome to the team. {{1}} has added you as {{2}} on Dukaan. Log in with this phone at {{3}}"
    ),
    "store_handed_to_you": gettext_noop(
        "You are now the owner of {{1}} on Dukaan. Check its UPI ID in Store settings: buyers pay there."
    ),
    "store_handed_over": gettext_noop(
        "You handed {{1}} over to {{2}} on Dukaan. You stay on its staff as Admin."
    ),
}
# To the store's own people, from their own platform.
_UNSIGNED = {"new_order", "store_handed_to_you", "store_handed_over"}


def _body(kind: str, translate) -> str:
    body = translate(_BODIES[kind])
    return body if kind in _UNSIGNED else f"{body}\n\n{translate(SIGNATURE)}"


# The bodies to register at Meta in English (LANGUAGE); `templates` gives them in another language.
TEMPLATES = {kind: _body(kind, str) for kind in _BODIES}


def templates(language: str) -> dict[str, str]:
    """The template bodies in one of settings.LANGUAGES, to register at Meta under its code."""
    with translation.override(language):
        return {kind: _body(kind, _) for kind in _BODIES}


@dataclass(frozen=True)
class Message:
    kind: str  # a key of TEMPLATES: the WhatsApp template's name
    text: str  # the SMS
    parameters: tuple[str, ...]  # the template's {{1}}, {{2}}… in order
    # Meta's code of the language the message was made in (the template's body in it)
    language: str = field(
        default_factory=lambda: META_LANGUAGES.get(translation.get_language() or "", LANGUAGE)
    )


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
    return _plain(name, STORE_NAME_MAX) or _("The shop")


def new_order(*, number: int, store_name: str, total: str, buyer_name: str) -> Message:
    """To the shopkeeper, when an order is placed (or a COD order confirmed)."""
    store, buyer = _store(store_name), _plain(buyer_name, BUYER_NAME_MAX) or _("a buyer")
    return Message(
        "new_order",
        _(
            "New order #%(number)s on %(store)s: %(total)s from %(buyer)s. "
            "Open your Dukaan dashboard to accept it."
        )
        % {"number": number, "store": store, "total": total, "buyer": buyer},
        (str(number), store, total, buyer),
    )


def order_placed(*, number: int, store_name: str, total: str, link: str) -> Message:
    store = _store(store_name)
    return Message(
        "order_placed",
        _("%(store)s got your order #%(number)s (%(total)s). Track it: %(link)s")
        % {"store": store, "number": number, "total": total, "link": link},
        (store, str(number), total, link),
    )


def confirm_cod(*, number: int, store_name: str, total: str, deadline: datetime, link: str) -> Message:
    """To the buyer of a COD order that waits for their confirmation until `deadline` (local time)."""
    store, by = _store(store_name), f"{deadline:%d %b %Y, %H:%M}"
    return Message(
        "confirm_cod",
        _(
            "Please confirm your cash on delivery order #%(number)s from %(store)s (%(total)s) by %(by)s, "
            "or it will be cancelled: %(link)s"
        )
        % {"number": number, "store": store, "total": total, "by": by, "link": link},
        (str(number), store, total, by, link),
    )


def _news(kind: str, text: str, *, number: int, store_name: str, link: str) -> Message:
    store = _store(store_name)
    return Message(kind, text % {"number": number, "store": store, "link": link}, (str(number), store, link))


def order_accepted(*, number: int, store_name: str, link: str) -> Message:
    text = _("Your order #%(number)s from %(store)s has been accepted. %(link)s")
    return _news("order_accepted", text, number=number, store_name=store_name, link=link)


def order_delivered(*, number: int, store_name: str, link: str) -> Message:
    text = _("Your order #%(number)s from %(store)s has been delivered. Thank you for shopping. %(link)s")
    return _news("order_delivered", text, number=number, store_name=store_name, link=link)


def order_cancelled(*, number: int, store_name: str, link: str) -> Message:
    text = _("Your order #%(number)s from %(store)s has been cancelled. %(link)s")
    return _news("order_cancelled", text, number=number, store_name=store_name, link=link)


def order_shipped(
    *, number: int, store_name: str, courier: str, tracking_number: str, tracking_url: str, link: str
) -> Message:
    """On its way: the courier and tracking number, and the courier's tracking page when the
    shopkeeper gave one (else our order page, which shows the shipment)."""
    store = _store(store_name)
    courier = _plain(courier, COURIER_MAX) or _("the courier")
    tracking = _NOT_A_TRACKING_NUMBER.sub("", tracking_number)[:TRACKING_NUMBER_MAX] or _("not given")
    track = tracking_url if _web_address(tracking_url) else link
    return Message(
        "order_shipped",
        _(
            "Your order #%(number)s from %(store)s is on its way with %(courier)s, tracking number "
            "%(tracking)s. Track it: %(link)s"
        )
        % {"number": number, "store": store, "courier": courier, "tracking": tracking, "link": track},
        (str(number), store, courier, tracking, track),
    )


def order_refunded(*, number: int, store_name: str, amount: str, link: str) -> Message:
    store = _store(store_name)
    return Message(
        "order_refunded",
        _("%(store)s refunded %(amount)s for your order #%(number)s. %(link)s")
        % {"store": store, "amount": amount, "number": number, "link": link},
        (store, amount, str(number), link),
    )


def staff_invited(*, store_name: str, role: str, link: str) -> Message:
    """To a phone the owner or an Admin put on the store's staff: `role` in the store's language, `link`
    the login page."""
    store = _store(store_name)
    return Message(
        "staff_invited",
        _("%(store)s has added you as %(role)s on Dukaan. Log in with this phone at %(link)s")
        % {"store": store, "role": role, "link": link},
        (store, role, link),
    )


def store_handed_to_you(*, store_name: str) -> Message:
    """To the new owner of a store its owner handed over."""
    store = _store(store_name)
    return Message(
        "store_handed_to_you",
        _(
            "You are now the owner of %(store)s on Dukaan. Check its UPI ID in Store settings: "
            "buyers pay there."
        )
        % {"store": store},
        (store,),
    )


def store_handed_over(*, store_name: str, new_owner: str) -> Message:
    """To the old owner: who has the store now (`new_owner`, a masked phone)."""
    store = _store(store_name)
    return Message(
        "store_handed_over",
        _("You handed %(store)s over to %(owner)s on Dukaan. You stay on its staff as Admin.")
        % {"store": store, "owner": new_owner},
        (store, new_owner),
    )
