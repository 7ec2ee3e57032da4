"""Shipping on the pages: the shopkeeper's Shipping card and Delivery list, and the buyer's order page."""

import re

import pytest
from django.urls import reverse

from dukaan.fulfilment.models import Shipment
from dukaan.fulfilment.services import ship_order
from dukaan.orders.models import Order
from dukaan.orders.services import change_order_status
from dukaan.orders.tests.conftest import line, make_product, order
from dukaan.shipping.models import CodBlockedPhone
from dukaan.shipping.services import block_cod_phone
from dukaan.storefront.tests.conftest import add_to_cart

pytestmark = pytest.mark.django_db

PHONE = "+919812300001"


@pytest.fixture
def kurta(store):
    return make_product(store, "Kurta", "499", stock=5)


def detail(me, placed) -> str:
    return me.get(reverse("dashboard:order_detail", args=[placed.number])).content.decode()


def test_the_shopkeeper_ships_an_accepted_order_with_courier_and_tracking(me, store, kurta):
    placed = change_order_status(order=order(store, [line(kurta)]), status="accepted")
    page = detail(me, placed)
    assert 'id="ship-form"' in page and '<option value="delhivery">Delhivery</option>' in page
    assert 'name="status" value="shipped"' not in page  # the plain button is gone: shipping takes a courier

    response = me.post(
        reverse("dashboard:order_ship", args=[placed.number]),
        {"courier": "blue_dart", "tracking_number": "81234567", "tracking_url": ""},
        follow=True,
    )

    page = response.content.decode()
    assert "Order #1 is shipped with Blue Dart." in page
    assert "Shipped with Blue Dart" in page and "81234567" in page
    assert (
        'href="https://www.bluedart.com/web/guest/trackdartresultthirdparty?trackFor=0&amp;trackNo=81234567"'
        in page
    )
    assert 'id="ship-form"' not in page


def test_a_bad_tracking_link_is_refused_with_a_message_and_the_order_stays_accepted(me, store, kurta):
    placed = change_order_status(order=order(store, [line(kurta)]), status="accepted")

    response = me.post(
        reverse("dashboard:order_ship", args=[placed.number]),
        {"courier": "delhivery", "tracking_number": "1", "tracking_url": "javascript:alert(1)"},
        follow=True,
    )

    assert "must start with https:// or http://" in response.content.decode()
    placed.refresh_from_db()
    assert placed.status == "accepted" and not Shipment.objects.exists()


def test_a_merchant_who_chose_hindi_is_told_in_hindi_why_a_shipment_is_refused(me, store, kurta):
    type(store.owner).objects.filter(pk=store.owner.pk).update(language="hi")
    placed = change_order_status(order=order(store, [line(kurta)]), status="accepted")
    ship = reverse("dashboard:order_ship", args=[placed.number])

    bad_link = me.post(ship, {"courier": "delhivery", "tracking_url": "javascript:alert(1)"}, follow=True)
    bad_number = me.post(ship, {"courier": "other", "courier_name": "", "tracking_number": "1"}, follow=True)

    assert "ट्रैकिंग लिंक https:// या http:// से शुरू होना चाहिए।" in bad_link.content.decode()
    assert "पार्सल ले जाने वाले कूरियर का नाम लिखें।" in bad_number.content.decode()
    placed.refresh_from_db()
    assert placed.status == "accepted" and not Shipment.objects.exists()


def test_a_cod_order_shows_the_buyers_record_and_blocks_and_unblocks_the_phone(me, store, kurta):
    returned = change_order_status(order=order(store, [line(kurta)], key="k-1"), status="accepted")
    ship_order(store=store, order=returned, courier="dtdc", by="shop")
    change_order_status(order=returned, status="returned")
    placed = order(store, [line(kurta)], key="k-2")

    page = detail(me, placed)
    assert re.search(r"in your shop: 2 orders · 0 delivered · 1 returned", page)

    url = reverse("dashboard:order_cod_block", args=[placed.number])
    page = me.post(url, {"block": "1", "reason": "RTO"}, follow=True).content.decode()
    assert "can no longer order cash on delivery" in page and 'id="cod-blocked"' in page
    assert CodBlockedPhone.objects.get(store=store).reason == "RTO"

    me.post(url, {"block": "0"})
    assert not CodBlockedPhone.objects.exists()


def test_the_delivery_page_lists_blocked_phones_to_add_and_remove(me, store):
    page = me.post(
        reverse("dashboard:cod_block_add"), {"phone": "98123 45678", "reason": "Fake address"}, follow=True
    )
    assert "+919812345678" in page.content.decode() and "Fake address" in page.content.decode()
    refused = me.post(reverse("dashboard:cod_block_add"), {"phone": "12"}, follow=True).content.decode()
    assert "valid mobile number" in refused

    block = CodBlockedPhone.objects.get()
    me.post(reverse("dashboard:cod_block_remove", args=[block.pk]))
    assert not CodBlockedPhone.objects.exists()
    assert "Phones blocked from cash on delivery" in me.get(reverse("dashboard:delivery")).content.decode()


def test_the_buyer_follows_the_parcel_from_the_order_page(client, store, kurta):
    placed = change_order_status(order=order(store, [line(kurta)]), status="accepted")
    url = reverse("storefront:order", args=[store.slug, placed.public_token])
    assert 'id="shipment"' not in client.get(url).content.decode()

    ship_order(store=store, order=placed, courier="xpressbees", tracking_number="XB-1", by="shop")

    page = client.get(url).content.decode()
    assert "Sent with Xpressbees, tracking number <strong>XB-1</strong>" in page
    assert re.search(
        r'<a class="button wide" href="https://www.xpressbees.com/shipment/tracking\?awbNo=XB-1" '
        r'target="_blank" rel="noopener noreferrer">Track your parcel</a>',
        page,
    )


def test_the_checkout_refuses_cod_for_a_blocked_phone(client, store, kurta, buyer_form):
    block_cod_phone(store=store, phone=buyer_form["phone"])
    add_to_cart(client, kurta)

    response = client.post(reverse("storefront:checkout", args=[store.slug]), buyer_form)

    assert "This shop cannot take cash on delivery for this phone number. Pay by UPI or online." in (
        response.content.decode()
    )
    assert not Order.objects.exists()


def test_markup_typed_in_courier_and_reason_shows_as_text(me, client, store, kurta):
    placed = change_order_status(order=order(store, [line(kurta)]), status="accepted")
    ship_order(
        store=store,
        order=placed,
        courier="other",
        courier_name="<script>alert(1)</script>",
        tracking_url='https://track.example.in/?q="><b>x</b>',
        by="shop",
    )
    block_cod_phone(store=store, phone=PHONE, reason="<img src=x onerror=alert(1)>")

    pages = [
        detail(me, placed),
        me.get(reverse("dashboard:delivery")).content.decode(),
        client.get(reverse("storefront:order", args=[store.slug, placed.public_token])).content.decode(),
    ]

    for page in pages:
        assert "<script>alert(1)" not in page and "<img src=x" not in page and '"><b>x' not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in pages[0] and "&lt;script&gt;" in pages[2]
    assert "&lt;img src=x onerror=alert(1)&gt;" in pages[1]
    assert 'href="https://track.example.in/?q=&quot;&gt;&lt;b&gt;x&lt;/b&gt;"' in pages[2]
