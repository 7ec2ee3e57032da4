"""The merchant refunds from the order's page: the form, its refusals, the list and the credit note."""

from decimal import Decimal

import pytest

from dukaan.accounts.services import dashboard_actor
from dukaan.catalog.models import Product
from dukaan.events.local import run_pending
from dukaan.invoices.services import issue_invoice
from dukaan.invoices.tests.conftest import make_order
from dukaan.orders.models import Order
from dukaan.payments.models import Refund
from dukaan.payments.tests.helpers import paid_order, pay

pytestmark = pytest.mark.django_db


def page(client, order) -> str:
    return client.get(f"/dashboard/orders/{order.number}/").content.decode()


def refund(client, order, **fields):
    data = {"amount": "100", "method": "upi", "reference": "", "note": "", **fields}
    return client.post(f"/dashboard/orders/{order.number}/refunds/", data, follow=True)


def test_a_paid_order_offers_a_refund_of_what_is_left_with_its_lines_to_restock(me, store):
    order = paid_order(store)
    html = page(me, order)
    assert 'id="refund-form"' in html and f'value="{order.total}"' in html
    lamps = order.lines.order_by("pk").first()
    assert f'name="restock-{lamps.pk}" min="0" max="2"' in html
    assert 'value="gateway"' not in html  # paid by hand: no gateway to refund through


def test_an_unpaid_order_has_no_refund_card(me, store):
    order = paid_order(store)
    Order.objects.filter(pk=order.pk).update(amount_paid=0, payment_status="pending")
    assert 'id="refunds"' not in page(me, order)


def test_refunding_part_with_one_line_restocked_lists_the_refund_and_says_so(me, store):
    order = paid_order(store)
    lamps = order.lines.order_by("pk").first()
    response = refund(me, order, amount="500", reference="UPI 12345", **{f"restock-{lamps.pk}": "1"})
    html = response.content.decode()
    assert response.redirect_chain[-1][0] == f"/dashboard/orders/{order.number}/"
    assert "₹500 refunded." in html and "UPI 12345" in html and "Refunded" in html
    made = Refund.objects.get()
    assert (made.amount, made.by, made.restocked) == (
        Decimal("500.00"),
        dashboard_actor(store.owner),
        {str(lamps.pk): 1},
    )
    assert Product.objects.get(pk=lamps.product_id).stock == 4


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"amount": "5000"}, "You can refund at most ₹1,200: ₹1,200 was paid and ₹0 already refunded."),
        ({"amount": "12.345"}, "Amount to refund: Write an amount like"),
        ({"amount": ""}, "Amount to refund: Write an amount like"),
        ({"method": "cheque"}, "is not a way to refund"),
        ({"method": "gateway"}, "was not paid through the payment gateway"),
        ({"restock-LINE": "two"}, "Give a whole number of units"),
        ({"restock-LINE": "3"}, "Only 2 of"),
    ],
)
def test_a_bad_refund_is_refused_with_a_reason_and_nothing_changes(me, store, fields, message):
    order = paid_order(store)
    lamps = order.lines.order_by("pk").first()
    fields = {key.replace("LINE", str(lamps.pk)): value for key, value in fields.items()}
    html = refund(me, order, **fields).content.decode()
    assert message.replace("“", "&ldquo;") in html or message in html, html
    order.refresh_from_db()
    assert order.amount_refunded == 0 and not Refund.objects.exists()
    assert Product.objects.get(pk=lamps.product_id).stock == 3


def test_a_refund_of_an_invoiced_order_links_its_credit_note_pdf(me, store):
    order = pay(make_order(store))
    issue_invoice(order=order)
    refund(me, order, amount="100")
    run_pending()
    html = page(me, order)
    assert "Credit note CN/2026-27/0001" in html
    note_url = f"/dashboard/orders/{order.number}/credit-notes/"
    response = me.get(html[html.index(note_url) :].split('"')[0])
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"


def test_another_stores_order_cannot_be_refunded_nor_its_credit_note_read(me, other_store):
    order = paid_order(other_store)
    assert (
        me.post(f"/dashboard/orders/{order.number}/refunds/", {"amount": "1", "method": "cash"}).status_code
        == 404
    )
    assert me.get(f"/dashboard/orders/{order.number}/credit-notes/1.pdf").status_code == 404
    assert not Refund.objects.exists()
