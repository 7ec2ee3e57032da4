"""Checkout: the form, what a buyer is told when something is off, and one order per submit."""

import html
import re
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from dukaan.catalog import services
from dukaan.orders.cart import MAX_LINES, Cart
from dukaan.orders.models import Order
from dukaan.payments.models import Payment
from dukaan.shipping.rules import DeliverySetup, ZoneSetup
from dukaan.shipping.services import save_delivery_settings

from .conftest import add_to_cart, fill_cart, page_weight, set_cart

pytestmark = pytest.mark.django_db


def checkout_url(store) -> str:
    return reverse("storefront:checkout", args=[store.slug])


def open_checkout(client, store, pin_code: str = "560038"):
    """The checkout page after the buyer gave their PIN code, which shows the rest of the form."""
    client.post(reverse("storefront:cart_pin", args=[store.slug]), {"pin_code": pin_code, "next": "checkout"})
    return client.get(checkout_url(store))


def submit(client, store, form: dict, **changes):
    return client.post(checkout_url(store), {**form, **changes})


def text(response) -> str:
    return html.unescape(response.content.decode())


def order_token(response) -> str:
    found = re.fullmatch(r"/s/[-\w]+/o/([-\w]+)/", response.url)
    assert found, response.url
    return found[1]


def test_checkout_form_offers_cash_on_delivery_and_carries_a_fresh_key(client, store, simple_product):
    add_to_cart(client, simple_product, quantity=2)

    first = open_checkout(client, store)
    second = open_checkout(client, store)

    page = text(first)
    keys = [re.search(r'name="idempotency_key" value="([0-9a-f]{32})"', text(r))[1] for r in (first, second)]
    assert keys[0] != keys[1]
    assert re.findall(r'name="payment_method" value="(\w+)"', page) == ["cod"]
    assert "2 × ₹250" in page and "Place order · ₹500" in page
    assert "no-store" in first["Cache-Control"]


def test_checkout_offers_upi_only_with_a_upi_id_and_online_only_with_a_gateway(
    client, store, simple_product, settings
):
    add_to_cart(client, simple_product)
    store.upi_id = "asha@okaxis"
    store.save()
    settings.PAYMENT_GATEWAY = ""
    assert re.findall(r'name="payment_method" value="(\w+)"', text(open_checkout(client, store))) == [
        "cod",
        "upi",
    ]

    settings.PAYMENT_GATEWAY = "fake"
    assert re.findall(r'name="payment_method" value="(\w+)"', text(open_checkout(client, store))) == [
        "cod",
        "upi",
        "online",
    ]


def test_an_empty_cart_goes_back_to_the_cart_page(client, store):
    response = client.get(checkout_url(store))

    assert response.status_code == 302 and response.url == f"/s/{store.slug}/cart/"


def test_cash_on_delivery_order_is_placed_and_the_cart_emptied(client, store, product, buyer_form):
    medium = product.variants.get(options__Size="M")
    add_to_cart(client, product, medium, quantity=2)

    response = submit(client, store, buyer_form)

    order = Order.objects.get()
    assert response.status_code == 302 and order_token(response) == order.public_token
    assert (order.number, order.total, order.payment_method, order.status) == (
        1,
        Decimal("998.00"),
        "cod",
        "placed",
    )
    assert (order.buyer_name, order.buyer_phone, order.pin_code) == ("Meera Iyer", "+919812345699", "560038")
    assert [(line.name, line.variant_label, line.quantity) for line in order.lines.all()] == [
        ("Cotton kurta", "M", 2)
    ]
    medium.refresh_from_db()
    assert medium.stock == 3
    assert Cart(client.session, store.pk).lines() == []
    assert "Cart <b>" not in text(client.get(f"/s/{store.slug}/"))


def test_upi_order_lands_on_a_page_with_the_upi_link(client, store, simple_product, buyer_form):
    store.upi_id = "asha@okaxis"
    store.save()
    add_to_cart(client, simple_product, quantity=2)

    response = submit(client, store, buyer_form, payment_method="upi")

    order = Order.objects.get()
    assert order.payment_method == "upi"
    page = text(client.get(response.url))
    assert "upi://pay?pa=asha@okaxis" in page and "am=500.00" in page


def test_upi_is_refused_for_a_store_without_a_upi_id(client, store, simple_product, buyer_form):
    add_to_cart(client, simple_product)

    response = submit(client, store, buyer_form, payment_method="upi")

    assert response.status_code == 200 and not Order.objects.exists()
    assert "Select a valid choice." in text(response)


def test_online_payment_sends_the_buyer_to_the_provider(client, store, simple_product, buyer_form, settings):
    settings.PAYMENT_GATEWAY = "fake"
    add_to_cart(client, simple_product)

    response = submit(client, store, buyer_form, payment_method="online")

    payment = Payment.objects.get()
    assert payment.order == Order.objects.get() and payment.amount == Decimal("250.00")
    assert response.status_code == 302 and response.url.startswith(settings.SITE_URL)


def test_a_double_submit_with_the_same_key_makes_one_order(client, store, simple_product, buyer_form):
    add_to_cart(client, simple_product)

    first = submit(client, store, buyer_form)
    second = submit(client, store, buyer_form)

    assert Order.objects.count() == 1
    assert second.status_code == 302 and second.url == first.url
    simple_product.refresh_from_db()
    assert simple_product.stock == 2


def test_another_session_reusing_a_checkout_key_places_its_own_order_never_sees_the_first(
    client, store, simple_product, buyer_form
):
    add_to_cart(client, simple_product)
    first = submit(client, store, buyer_form)
    stranger = Client()  # another browser that learnt the first buyer's form key
    add_to_cart(stranger, simple_product)

    second = submit(stranger, store, buyer_form, name="Someone Else", phone="98123 45688")

    assert second.status_code == 302 and second.url != first.url
    assert Order.objects.count() == 2
    theirs = Order.objects.get(public_token=order_token(second))
    assert theirs.buyer_name == "Someone Else"
    # The first buyer submitting their form again still finds their own order.
    assert submit(client, store, buyer_form).url == first.url


def test_changed_prices_are_shown_and_ordering_again_takes_them(client, store, simple_product, buyer_form):
    add_to_cart(client, simple_product, quantity=2)
    services.update_product(product=simple_product, price=Decimal("275.00"))

    refused = submit(client, store, buyer_form)

    assert refused.status_code == 200 and not Order.objects.exists()
    page = text(refused)
    assert (
        "Prices changed: Steel tiffin is now ₹275, was ₹250, please check and place the order again." in page
    )
    assert "Place order · ₹550" in page
    assert 'value="Meera Iyer"' in page and buyer_form["idempotency_key"] in page

    placed = submit(client, store, buyer_form)

    assert placed.status_code == 302
    assert Order.objects.get().total == Decimal("550.00")


def test_a_price_change_seen_on_the_checkout_page_needs_no_second_submit(
    client, store, simple_product, buyer_form
):
    add_to_cart(client, simple_product)
    services.update_product(product=simple_product, price=Decimal("275.00"))

    page = text(open_checkout(client, store))
    placed = submit(client, store, buyer_form)

    assert "Prices changed: Steel tiffin is now ₹275, was ₹250" in page
    assert placed.status_code == 302 and Order.objects.get().total == Decimal("275.00")


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("phone", "12345", "That doesn't look like a valid mobile number."),
        ("phone", "", "This field is required."),
        ("pin_code", "012345", "A PIN code is 6 digits; the first is 1 to 8"),
        ("pin_code", "56003", "A PIN code is 6 digits; the first is 1 to 8"),
        ("address", "Bengaluru", "Ensure this value has at least 10 characters"),
        ("name", "", "This field is required."),
        ("name", "Meera \u202eIyer", "hidden direction character (U+202E)"),
        ("name", "Meera \u2066Iyer\u2069", "hidden direction character (U+2066)"),
        ("address", "12, 3rd Cross\u2069, Indiranagar, Bengaluru", "hidden direction character (U+2069)"),
        ("address", "12, 3rd Cross\x07, Indiranagar, Bengaluru", "invisible control character (U+0007)"),
    ],
)
def test_a_bad_field_is_named_and_nothing_is_ordered(
    client, store, simple_product, buyer_form, field, value, message
):
    add_to_cart(client, simple_product)

    response = submit(client, store, buyer_form, **{field: value})

    assert response.status_code == 200 and message in text(response)
    if "character (U+" in message:  # a character the buyer cannot see: say how to get rid of it
        assert "Retyping the text" in text(response)
    assert not Order.objects.exists()
    assert len(Cart(client.session, store.pk).lines()) == 1


def test_a_pin_code_with_a_space_and_a_phone_with_country_code_are_accepted(
    client, store, simple_product, buyer_form
):
    add_to_cart(client, simple_product)

    submit(client, store, buyer_form, pin_code="560 038", phone="+91-98123-45699")

    assert Order.objects.values_list("pin_code", "buyer_phone").get() == ("560038", "+919812345699")


def test_an_expired_key_asks_to_submit_again_with_a_fresh_one(client, store, simple_product, buyer_form):
    add_to_cart(client, simple_product)

    response = submit(client, store, buyer_form, idempotency_key="not-a-key")

    page = text(response)
    assert "This form has expired." in page and not Order.objects.exists()
    assert re.search(r'name="idempotency_key" value="[0-9a-f]{32}"', page)


def test_a_product_sold_out_since_it_was_added_is_named_and_nothing_is_ordered(
    client, store, simple_product, buyer_form
):
    add_to_cart(client, simple_product, quantity=2)
    services.update_product(product=simple_product, stock=0)

    response = submit(client, store, buyer_form)

    assert response.status_code == 200 and not Order.objects.exists()
    assert "Steel tiffin is sold out. Remove it to continue." in text(response)
    assert len(Cart(client.session, store.pk).lines()) == 1


def test_a_product_hidden_since_it_was_added_is_refused_and_nothing_is_ordered(
    client, store, simple_product, buyer_form
):
    add_to_cart(client, simple_product)
    services.update_product(product=simple_product, is_active=False)

    response = submit(client, store, buyer_form)

    assert not Order.objects.exists()
    page = text(response)
    assert "An item in your cart is no longer sold in this store. Remove it to continue." in page
    assert "Steel tiffin is no longer available." in page  # the name the buyer saw when adding it


def test_a_hidden_product_the_buyer_never_saw_is_never_named(client, store, buyer_form):
    secret = services.create_product(
        store=store, name="Unreleased festive saree", price=Decimal("900.00"), is_active=False
    )
    set_cart(client, store.pk, {f"{secret.pk}:0": [1, "900.00", ""]})  # a cart line without its name

    pages = [text(client.get(reverse("storefront:cart", args=[store.slug])))]
    pages.append(text(open_checkout(client, store)))
    pages.append(text(submit(client, store, buyer_form)))

    assert not Order.objects.exists()
    for page in pages:
        assert "no longer" in page and "festive" not in page


def test_too_many_orders_from_one_phone_are_refused_on_the_form_and_the_cart_is_kept(
    client, store, simple_product, buyer_form, settings
):
    settings.ORDER_MAX_PER_PHONE_PER_STORE_PER_HOUR = 1
    add_to_cart(client, simple_product)
    assert submit(client, store, buyer_form).status_code == 302
    add_to_cart(client, simple_product)

    response = submit(client, store, buyer_form, idempotency_key="f" * 32)

    assert response.status_code == 429 and 0 < int(response["Retry-After"]) <= 3600
    page = text(response)
    assert "You have placed several orders with this mobile number" in page
    assert "Please try again in" in page and 'value="Meera Iyer"' in page  # the details stay filled in
    assert Order.objects.count() == 1
    assert len(Cart(client.session, store.pk).lines()) == 1


def test_too_many_orders_from_one_address_are_refused_whatever_the_phone(
    client, store, simple_product, buyer_form, settings
):
    settings.ORDER_MAX_PER_ADDRESS_PER_HOUR = 2
    for number in range(3):
        buyer = Client()
        add_to_cart(buyer, simple_product)
        response = submit(buyer, store, buyer_form, phone=f"98123 456{number:02d}")

    assert response.status_code == 429 and "Too many orders have come from your network" in text(response)
    assert Order.objects.count() == 2


def test_checkout_page_of_a_full_cart_weighs_under_50_kb(client, store, buyer_form):
    fill_cart(client, store)

    weight = page_weight(open_checkout(client, store))

    print(f"\ncheckout page with {MAX_LINES} lines: {weight} bytes")
    assert weight < 50_000


def test_the_pin_code_comes_first_and_an_unserved_pin_shows_no_form(client, store, simple_product):
    save_delivery_settings(
        store=store,
        setup=DeliverySetup(
            flat_fee=Decimal("80"),
            free_above=None,
            cod_enabled=True,
            cod_fee=Decimal("0"),
            cod_max_order=None,
            blocked="70",
            zones=(ZoneSetup(name="Bengaluru", pins="560", fee=Decimal("40")),),
        ),
    )
    add_to_cart(client, simple_product, quantity=2)
    first = text(client.get(checkout_url(store)))
    assert 'name="name"' not in first and "Enter your PIN code to see if" in first

    blocked = text(open_checkout(client, store, pin_code="700001"))
    assert blocked.count("Sorry, this shop does not deliver to 700001") == 1  # said once, by the PIN step
    assert 'name="name"' not in blocked

    served = text(open_checkout(client, store, pin_code="560038"))
    assert "Delivers to 560038 · ₹40 delivery" in served and 'name="name"' in served
    assert "Place order · ₹540" in served  # 2 × ₹250 + ₹40 delivery
