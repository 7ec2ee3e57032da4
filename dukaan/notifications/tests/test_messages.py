"""The messages are pure: order data in, the SMS text and the WhatsApp template's values out."""

import re
from datetime import UTC, datetime

import pytest

from dukaan.notifications import messages

LINK = "http://localhost:8000/s/asha/o/tok/"
ABOUT = messages.About(number=7, store_name="Asha Stores")
EVERY_MESSAGE = [
    messages.new_order(**ABOUT, total="₹300.00", buyer_name="Ravi"),
    messages.order_placed(**ABOUT, total="₹300.00", link=LINK),
    messages.confirm_cod(
        **ABOUT, total="₹300.00", deadline=datetime(2026, 12, 6, 18, 30, tzinfo=UTC), link=LINK
    ),
    messages.order_accepted(**ABOUT, link=LINK),
    messages.order_shipped(
        **ABOUT,
        courier="Delhivery",
        tracking_number="1234567890123",
        tracking_url="https://t.example/1",
        link=LINK,
    ),
    messages.order_delivered(**ABOUT, link=LINK),
    messages.order_cancelled(**ABOUT, link=LINK),
    messages.order_refunded(**ABOUT, amount="₹120.50", link=LINK),
    messages.staff_invited(store_name="Asha Stores", role="Manager", link="http://localhost:8000/login/"),
    messages.store_handed_to_you(store_name="Asha Stores"),
    messages.store_handed_over(store_name="Asha Stores", new_owner="******5678"),
]


@pytest.mark.parametrize("message", EVERY_MESSAGE, ids=lambda message: message.kind)
def test_each_message_fills_its_whatsapp_template_and_says_the_same_by_sms(message):
    body = messages.TEMPLATES[message.kind]
    assert re.findall(r"\{\{(\d+)\}\}", body) == [str(n) for n in range(1, len(message.parameters) + 1)]
    assert re.fullmatch(r"[a-z0-9_]+", message.kind)  # Meta's rule for template names
    assert not body.startswith("{{") and not body.endswith("}}")  # Meta refuses a body starting or ending so
    for value in message.parameters:
        assert value in message.text and "\n" not in value


def test_every_template_has_a_message():
    assert sorted(messages.TEMPLATES) == sorted(message.kind for message in EVERY_MESSAGE)


def test_the_shipped_message_names_the_courier_and_links_its_tracking_page():
    shipped = EVERY_MESSAGE[4]
    assert shipped.text == (
        "Your order #7 from Asha Stores is on its way with Delhivery, tracking number 1234567890123. "
        "Track it: https://t.example/1"
    )


def test_a_tracking_address_that_is_not_a_web_page_is_replaced_by_the_order_page():
    for address in ("javascript:alert(1)", "", "https://t.example/a b", "ftp://t.example/1"):
        shipped = messages.order_shipped(
            **ABOUT, courier="Other", tracking_number="AB 12\n34", tracking_url=address, link=LINK
        )
        assert shipped.parameters[3:] == ("AB1234", LINK)


def test_the_cod_confirmation_says_by_when_and_links_the_order_page():
    confirm = EVERY_MESSAGE[2]
    assert confirm.text == (
        "Please confirm your cash on delivery order #7 from Asha Stores (₹300.00) by 06 Dec 2026, 18:30, "
        f"or it will be cancelled: {LINK}"
    )


def test_the_refund_message_says_how_much():
    assert EVERY_MESSAGE[7].text == f"Asha Stores refunded ₹120.50 for your order #7. {LINK}"
