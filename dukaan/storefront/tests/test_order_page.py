"""The order page: the confirmation after checkout and the buyer's status link, in one."""

import html
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse

from dukaan.orders.models import Order
from dukaan.orders.services import change_order_status

from .conftest import add_to_cart, page_weight

pytestmark = pytest.mark.django_db


@pytest.fixture
def placed(client, store, product, simple_product, buyer_form, settings):
    """An order of 2 × Cotton kurta (M) and 1 × Steel tiffin, placed through the checkout."""
    settings.SITE_URL = "https://dukaan.example"
    add_to_cart(client, product, product.variants.get(options__Size="M"), quantity=2)
    add_to_cart(client, simple_product)
    response = client.post(reverse("storefront:checkout", args=[store.slug]), buyer_form)
    assert response.status_code == 302
    return Order.objects.get()


def order_page(client, order):
    return client.get(reverse("storefront:order", args=[order.store.slug, order.public_token]))


def text(response) -> str:
    return html.unescape(response.content.decode())


def test_order_page_shows_number_lines_total_and_status(client, placed):
    response = order_page(client, placed)

    page = text(response)
    assert response.status_code == 200
    assert "<h1>Order #1</h1>" in page
    assert "<b>Cotton kurta</b> (M)" in page and "2 × ₹499" in page and "₹998" in page
    assert "<b>Steel tiffin</b>" in page and "1 × ₹250" in page
    assert '<p class="total"><span>Total</span><span>₹1,248</span></p>' in page
    steps = re.findall(r"<li( class=\"done\")?>(\w+)", page.split('class="steps"')[1].split("</ol>")[0])
    assert steps == [(' class="done"', "Placed"), ("", "Accepted"), ("", "Shipped"), ("", "Delivered")]
    assert "Payment: Cash on delivery" in page and "upi://" not in page
    assert '<meta name="robots" content="noindex">' in page


def test_order_page_is_never_kept_by_a_shared_cache(client, placed):
    cache_control = order_page(client, placed)["Cache-Control"]

    assert "private" in cache_control and "no-store" in cache_control


def test_order_page_follows_the_order_along(client, placed):
    change_order_status(order=placed, status="accepted")
    change_order_status(order=placed, status="shipped")

    page = text(order_page(client, placed))

    assert re.findall(r'<li class="done">(\w+)', page) == ["Placed", "Accepted", "Shipped"]


def test_a_cancelled_order_says_so(client, placed):
    change_order_status(order=placed, status="cancelled")

    page = text(order_page(client, placed))

    assert "This order was cancelled." in page
    assert re.findall(r'<li class="done">(\w+)', page) == ["Placed", "Cancelled"]


def test_whatsapp_link_carries_the_order_to_the_store(client, store, placed):
    page = order_page(client, placed).content.decode()

    link = html.unescape(
        re.search(r'<a class="button wide wa" href="([^"]+)">Send this order on WhatsApp', page)[1]
    )
    parts = urlsplit(link)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "wa.me", "/919812345601")
    message = parse_qs(parts.query)["text"][0]
    assert message == (
        f"Hello {store.name}, I placed order #1.\n"
        "2 × Cotton kurta (M): ₹998\n"
        "1 × Steel tiffin: ₹250\n"
        "Total: ₹1,248 (Cash on delivery)\n"
        f"Order status: https://dukaan.example/s/{store.slug}/o/{placed.public_token}/"
    )


def test_upi_order_page_has_the_exact_amount_in_a_upi_link_and_a_qr_code(
    client, store, simple_product, buyer_form
):
    store.upi_id = "asha@okaxis"
    store.save()
    add_to_cart(client, simple_product, quantity=3)
    client.post(reverse("storefront:checkout", args=[store.slug]), {**buyer_form, "payment_method": "upi"})
    order = Order.objects.get()

    page = order_page(client, order).content.decode()

    link = html.unescape(re.search(r'<a class="button wide" href="(upi://[^"]+)">', page)[1])
    query = parse_qs(urlsplit(link).query)
    assert query == {
        "pa": ["asha@okaxis"],
        "pn": [store.name],
        "am": ["750.00"],
        "cu": ["INR"],
        "tn": [f"Order {order.number} ref {order.pay_reference}"],
    }
    assert '<div class="qr"><svg' in page
    assert "Pay ₹750 by UPI" in html.unescape(page)
    assert f"with the note “{order.pay_reference}”" in html.unescape(page)


def test_a_paid_upi_order_no_longer_asks_for_payment(client, store, simple_product, buyer_form):
    store.upi_id = "asha@okaxis"
    store.save()
    add_to_cart(client, simple_product)
    client.post(reverse("storefront:checkout", args=[store.slug]), {**buyer_form, "payment_method": "upi"})
    Order.objects.update(payment_status="paid")

    page = order_page(client, Order.objects.get()).content.decode()

    assert "upi://" not in page and "Paid ✓" in page


def test_a_upi_order_of_a_store_that_removed_its_upi_id_still_shows(
    client, store, simple_product, buyer_form
):
    store.upi_id = "asha@okaxis"
    store.save()
    add_to_cart(client, simple_product)
    client.post(reverse("storefront:checkout", args=[store.slug]), {**buyer_form, "payment_method": "upi"})
    store.upi_id = ""
    store.save()

    response = order_page(client, Order.objects.get())

    assert response.status_code == 200
    assert "upi://" not in response.content.decode() and "Send this order on WhatsApp" in text(response)


def test_unknown_token_or_another_stores_slug_is_404(client, other_store, placed):
    assert client.get(reverse("storefront:order", args=[placed.store.slug, "not-a-token"])).status_code == 404
    assert client.get(reverse("storefront:order", args=[placed.store.slug, "x" * 200])).status_code == 404
    assert (
        client.get(reverse("storefront:order", args=[other_store.slug, placed.public_token])).status_code
        == 404
    )


def test_order_page_weighs_under_50_kb(client, store, simple_product, buyer_form):
    store.upi_id = "asha@okaxis"
    store.save()
    add_to_cart(client, simple_product, quantity=3)
    client.post(reverse("storefront:checkout", args=[store.slug]), {**buyer_form, "payment_method": "upi"})

    weight = page_weight(order_page(client, Order.objects.get()))

    print(f"\norder page (UPI, with QR code): {weight} bytes")
    assert weight < 50_000
