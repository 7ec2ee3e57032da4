"""The notifier texts the shopkeeper and the buyer about orders, from the event log, once per event."""

import pytest
from prometheus_client import REGISTRY

from dukaan.accounts.members import Asker, invite_member
from dukaan.accounts.roles import Role
from dukaan.catalog.models import Store
from dukaan.events.local import run_pending
from dukaan.events.models import ConsumerOffset, DeadLetter
from dukaan.infra.sms import latest_console_message
from dukaan.orders.models import Order
from dukaan.orders.services import Buyer, change_order_status
from dukaan.orders.tests.conftest import BUYER, line, make_product, order

pytestmark = pytest.mark.django_db


def sms_lines(settings) -> list[str]:
    path = settings.SMS_CONSOLE_LOG
    return path.read_text().splitlines() if path.exists() else []


def test_a_new_order_texts_the_shopkeeper_and_the_buyer(product, settings):
    placed = order(product.store, [line(product, product.variants.first())])
    run_pending()
    texts = sms_lines(settings)
    assert any(f"to={product.store.owner.phone}" in t and f"New order #{placed.number}" in t for t in texts)
    assert any("to=+919812300001" in t and placed.public_token in t for t in texts)


def test_status_changes_text_the_buyer_once(product, settings):
    placed = order(product.store, [line(product, product.variants.first())])
    change_order_status(order=placed, status="accepted")
    change_order_status(order=placed, status="shipped")  # its message comes with the shipment's tracking
    change_order_status(order=placed, status="delivered")
    run_pending()
    ConsumerOffset.objects.filter(group="notifier").update(position=0)  # redelivery
    run_pending()
    buyer_texts = [t for t in sms_lines(settings) if "to=+919812300001" in t]
    assert len(buyer_texts) == 3
    assert "has been delivered" in buyer_texts[-1]


def test_an_sms_outage_dead_letters_after_retries_and_loses_no_order(product, settings):
    settings.SMS_BACKEND, settings.SMS_HTTP_URL = "http", "http://127.0.0.1:9/"  # nothing listens there
    settings.EVENT_MAX_ATTEMPTS, settings.EVENT_RETRY_BASE_SECONDS = 2, 0.001
    placed = order(product.store, [line(product, product.variants.first())])
    run_pending()
    letter = DeadLetter.objects.get(group="notifier")
    assert letter.type == "order.placed" and "SmsNotSent" in letter.error
    placed.refresh_from_db()
    assert placed.status == "placed"


def _buyer_phone(number: int) -> Buyer:
    return Buyer(**{**BUYER.__dict__, "phone": f"98123 002{number:02d}"})


def test_a_number_typed_as_buyer_phone_gets_at_most_the_hourly_cap_of_texts(
    store, other_store, settings, caplog
):
    settings.SMS_MAX_PER_PHONE_PER_HOUR = 3
    over_cap = REGISTRY.get_sample_value("dukaan_sms_over_cap_total") or 0
    shops = [make_product(store, "Brass lamp", "300.00"), make_product(other_store, "Clay pot", "90.00")]
    for number in range(6):  # a spammer orders in two shops, always with the victim's number
        product = shops[number % 2]
        order(product.store, [line(product)], key=f"k{number}")

    run_pending()

    victim = [t for t in sms_lines(settings) if "to=+919812300001" in t]
    assert len(victim) == 3
    assert REGISTRY.get_sample_value("dukaan_sms_over_cap_total") == over_cap + 3
    assert "SMS to ******0001 not sent: it had 3 messages this hour already" in caplog.text
    assert not DeadLetter.objects.exists()


def test_the_shopkeepers_new_order_alerts_are_not_capped(store, settings):
    settings.SMS_MAX_PER_PHONE_PER_HOUR = 1
    product = make_product(store, "Brass lamp", "300.00")
    for number in range(4):
        order(store, [line(product)], key=f"k{number}", buyer=_buyer_phone(number))

    run_pending()

    alerts = [t for t in sms_lines(settings) if f"to={store.owner.phone}" in t]
    assert len(alerts) == 4 and all("New order #" in t for t in alerts)


def test_texts_carry_other_peoples_words_short_and_without_links_numbers_or_hidden_characters(
    store, settings
):
    store.name = "Asha visit evil.example.com or call 98765 43210 for a prize"
    store.save(update_fields=["name"])
    product = make_product(store, "Brass lamp", "300.00")
    buyer = Buyer(**{**BUYER.__dict__, "name": "Free gift www.win.in call +91 99887 76655 now friends"})
    placed = order(store, [line(product)], buyer=buyer)
    # An order saved before hidden characters were refused still reaches the shopkeeper cleanly.
    Order.objects.filter(pk=placed.pk).update(buyer_name=placed.buyer_name + "\u202e\x07")

    run_pending()

    texts = sms_lines(settings)
    (to_shop,) = [t for t in texts if f"to={store.owner.phone}" in t]
    (to_buyer,) = [t for t in texts if "to=+919812300001" in t]
    for text in (to_shop, to_buyer):
        for word in ("evil.example.com", "www.", "98765", "43210", "99887", "\u202e", "\x07", "prize"):
            assert word not in text, (word, text)
    shop_name = "Asha visit evil. example. com…"  # 30 characters, the domain broken up
    assert f"New order #{placed.number} on {shop_name}: ₹300.00 from Free gift call now frie…. " in to_shop
    assert to_buyer.split(" ", 2)[2].startswith(f"{shop_name} got your order #{placed.number} (₹300.00).")
    assert to_buyer.endswith(f"Track it: {settings.SITE_URL}/s/{store.slug}/o/{placed.public_token}/")


def test_an_invite_goes_by_whatsapp_as_its_template_in_the_stores_language(store, whatsapp, settings):
    Store.objects.filter(pk=store.pk).update(language="hi")
    store.refresh_from_db()
    invite_member(
        store=store, asker=Asker(user=store.owner, role=Role.OWNER), phone="98123 00011", role="manager"
    )
    run_pending()
    (body,) = whatsapp.sent
    assert body["to"] == "+919812300011" and body["template"]["name"] == "staff_invited"
    assert body["template"]["language"] == {"code": "hi"}
    (component,) = body["template"]["components"]
    login = f"{settings.SITE_URL}/login/"
    assert [value["text"] for value in component["parameters"]] == ["Store asha-store", "मैनेजर", login]
    assert latest_console_message("+919812300011") is None
