"""The shopkeeper records payments on an order's page and filters the orders list by payment."""

import html
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from dukaan.orders.models import Order
from dukaan.orders.services import change_order_status
from dukaan.orders.tests.conftest import line, make_product, order
from dukaan.payments.models import RecordedPayment

pytestmark = pytest.mark.django_db


def text(page: str) -> str:
    """The page as read: tags dropped, entities unescaped."""
    return html.unescape(re.sub(r"<[^>]+>", "", page))


@pytest.fixture
def lamp(store):
    return make_product(store, "Brass lamp", "549.00")


def record(client, placed, **form):
    url = reverse("dashboard:order_payment", args=[placed.number])
    response = client.post(url, {"amount": "549.00", "method": "cash", **form}, follow=True)
    assert response.redirect_chain == [(reverse("dashboard:order_detail", args=[placed.number]), 302)]
    return response.content.decode()


def test_the_order_page_offers_to_record_what_is_due(me, store, lamp):
    placed = order(store, [line(lamp)])
    page = me.get(reverse("dashboard:order_detail", args=[placed.number])).content.decode()
    assert "Paid ₹0 · ₹549 due" in text(page) and "Record a payment" in page
    assert 'name="amount" value="549.00"' in page and '<option value="cash" selected>' in page


def test_recording_part_then_the_rest_shows_each_payment_and_then_paid(me, store, lamp):
    placed = order(store, [line(lamp)])
    page = record(me, placed, amount="200", method="upi", reference="412345678901", note="first half")
    assert "Recorded ₹200 by UPI for order #1. ₹349 is still due." in text(page)
    assert "Paid ₹200 · ₹349 due" in text(page)
    assert "₹200 by UPI · ref 412345678901" in text(page) and "+91 98123 45601 · first half" in text(page)
    assert 'name="amount" value="349.00"' in page

    page = record(me, placed, amount="349", method="card_on_delivery")
    assert "Recorded ₹349 by Card on delivery for order #1. It is paid in full." in text(page)
    assert "payment paid" in page and "Record a payment" not in page
    assert Order.objects.get(pk=placed.pk).payment_status == "paid"


def test_a_refused_payment_says_why_and_records_nothing(me, store, lamp):
    placed = order(store, [line(lamp)])
    page = text(record(me, placed, amount="600"))
    assert "Only ₹549 is still due on order #1 (total ₹549, paid ₹0). Record ₹549 or less." in page
    page = text(record(me, placed, amount="12.345"))
    assert "The payment was not recorded. Amount received: Write an amount like" in page
    page = text(record(me, placed, method="cheque"))
    assert "The payment was not recorded. Paid by: Select a valid choice." in page
    change_order_status(order=placed, status="cancelled")
    page = text(record(me, placed))
    assert "a payment on a cancelled order is not recorded" in page and "Record a payment" not in page
    assert not RecordedPayment.objects.exists()


def test_a_merchant_who_chose_hindi_is_told_in_hindi_why_a_payment_is_refused(me, store, lamp):
    type(store.owner).objects.filter(pk=store.owner.pk).update(language="hi")
    placed = order(store, [line(lamp)])
    page = text(record(me, placed, amount="600"))
    assert "ऑर्डर #1 पर सिर्फ़ ₹549 बाकी है (कुल ₹549, चुकाया ₹0)। ₹549 या उससे कम दर्ज करें।" in page
    change_order_status(order=placed, status="cancelled")
    page = text(record(me, placed))
    assert "ऑर्डर #1 रद्द हो चुका है: रद्द ऑर्डर का पेमेंट दर्ज नहीं होता। कुछ नहीं बदला।" in page
    assert "still due" not in page and not RecordedPayment.objects.exists()


def test_a_parcel_returned_to_origin_asks_for_no_payment(me, store, lamp):
    placed = order(store, [line(lamp)])
    for status in ("accepted", "shipped", "returned"):
        change_order_status(order=placed, status=status)
    page = me.get(reverse("dashboard:order_detail", args=[placed.number])).content.decode()
    assert "Paid ₹0" in text(page) and "Record a payment" not in page


def test_the_orders_list_filters_by_payment_and_badges_paid_orders(me, store, lamp):
    unpaid, partly, paid = (order(store, [line(lamp)], key=f"k{n}") for n in range(3))
    record(me, partly, amount="100")
    record(me, paid)

    def listing(**query) -> str:
        return me.get(reverse("dashboard:orders"), query).content.decode()

    assert "#1" in listing() and "#2" in listing() and "#3" in listing()
    assert ">partly paid</span>" in listing() and '<span class="badge pay-paid">paid</span>' in listing()
    for payment, shown in (("unpaid", unpaid), ("partly_paid", partly), ("paid", paid)):
        page = listing(payment=payment)
        numbers = [n for n in (1, 2, 3) if f">#{n}</a>" in page]
        assert numbers == [shown.number], payment
    assert "No orders match" in listing(payment="refunded")
    assert ">#1</a>" in listing(payment="nonsense")
    assert ">#3</a>" in listing(payment="paid", status="placed")


def test_another_stores_order_cannot_be_paid_from_this_dashboard(client, store, other_store, lamp):
    placed = order(store, [line(lamp)])
    client.force_login(other_store.owner)
    response = client.post(
        reverse("dashboard:order_payment", args=[placed.number]), {"amount": "549", "method": "cash"}
    )
    assert response.status_code == 404
    assert Order.objects.get(pk=placed.pk).amount_paid == Decimal("0.00")
