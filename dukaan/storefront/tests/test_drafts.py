"""The checkout keeps an unfinished checkout once the buyer typed their phone, and a cart link brings
the same cart back into any browser."""

import html
import json
from decimal import Decimal

import pytest
from django.contrib.staticfiles import finders
from django.test import Client
from django.urls import reverse

from dukaan.catalog import services
from dukaan.orders.models import CheckoutDraft, Order

from .conftest import add_to_cart
from .test_checkout import open_checkout, submit

pytestmark = pytest.mark.django_db


def draft_url(store) -> str:
    return reverse("storefront:cart_draft", args=[store.slug])


def restore_url(store, token: str) -> str:
    return reverse("storefront:cart_restore", args=[store.slug, token])


def type_phone(client, store, phone: str = "98123 45699", name: str = "Meera Iyer"):
    """What static/storefront/draft.js sends when the buyer leaves the phone field."""
    return client.post(draft_url(store), {"phone": phone, "name": name})


def test_the_checkout_page_loads_the_script_that_sends_the_phone(client, store, simple_product):
    add_to_cart(client, simple_product)

    page = open_checkout(client, store).content.decode()

    assert f'data-draft-url="{draft_url(store)}"' in page
    assert '<script src="/static/storefront/draft.js" defer></script>' in page
    with open(finders.find("storefront/draft.js")) as script:
        assert 'namedItem("phone")' in script.read()


def test_typing_the_phone_keeps_the_cart_as_an_unfinished_checkout(client, store, simple_product):
    add_to_cart(client, simple_product, quantity=2)
    open_checkout(client, store)

    response = type_phone(client, store)

    assert response.status_code == 200 and response.json() == {"saved": True}
    assert "no-store" in response["Cache-Control"]
    draft = CheckoutDraft.objects.get()
    assert (draft.store, draft.phone, draft.name, draft.pin_code) == (
        store,
        "+919812345699",
        "Meera Iyer",
        "560038",
    )
    assert draft.lines == {f"{simple_product.pk}:0": [2, "250.00", "Steel tiffin"]}


def test_one_browser_keeps_one_draft_however_often_it_types(client, store, simple_product):
    add_to_cart(client, simple_product)
    type_phone(client, store, "98123 45699")
    add_to_cart(client, simple_product)
    type_phone(client, store, "98123 45600", name="Meera")

    draft = CheckoutDraft.objects.get()
    assert draft.phone == "+919812345600"
    assert draft.lines[f"{simple_product.pk}:0"][0] == 2
    type_phone(Client(), store)  # another browser with an empty cart keeps nothing
    assert CheckoutDraft.objects.count() == 1


@pytest.mark.parametrize(
    "phone, message",
    [
        ("12345", "valid mobile number"),
        ("", "valid mobile number"),
        ("080 2222 3333", "Enter a mobile number"),
    ],
)
def test_a_bad_phone_is_a_400_with_the_checkouts_message(client, store, simple_product, phone, message):
    add_to_cart(client, simple_product)

    response = type_phone(client, store, phone)

    assert response.status_code == 400
    assert message in response.json()["error"]
    assert not CheckoutDraft.objects.exists()


def test_an_empty_cart_is_a_400_that_says_so(client, store):
    response = type_phone(client, store)

    assert response.status_code == 400
    assert response.json() == {"error": "Your cart is empty. Add something to it before checking out."}


def test_saving_needs_the_csrf_token_and_a_post(store, simple_product):
    buyer = Client(enforce_csrf_checks=True)
    add_to_cart(buyer, simple_product)

    assert buyer.post(draft_url(store), {"phone": "98123 45699"}).status_code == 403
    assert buyer.get(draft_url(store)).status_code == 405
    assert not CheckoutDraft.objects.exists()


def test_saves_from_one_address_are_limited_per_hour(client, store, simple_product, settings):
    settings.DRAFT_MAX_PER_ADDRESS_PER_HOUR = 2
    add_to_cart(client, simple_product)
    assert [type_phone(client, store).status_code for _ in range(2)] == [200, 200]

    refused = type_phone(client, store)

    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    assert "Too many tries from your network" in refused.json()["error"]


def test_a_refused_checkout_keeps_the_draft_and_a_placed_one_finishes_it(
    client, store, simple_product, buyer_form
):
    add_to_cart(client, simple_product)
    open_checkout(client, store)

    refused = submit(client, store, buyer_form, address="short")
    assert refused.status_code == 200
    draft = CheckoutDraft.objects.get()
    assert (draft.phone, draft.order) == ("+919812345699", None)

    placed = submit(client, store, buyer_form)
    assert placed.status_code == 302
    draft.refresh_from_db()
    assert draft.order == Order.objects.get()
    assert CheckoutDraft.objects.count() == 1


def test_the_cart_link_brings_the_cart_back_in_another_browser_at_todays_prices(
    client, store, simple_product
):
    add_to_cart(client, simple_product, quantity=2)
    open_checkout(client, store)
    type_phone(client, store)
    draft = CheckoutDraft.objects.get()
    services.update_product(product=simple_product, price=Decimal("275.00"))

    phone = Client()
    response = phone.get(restore_url(store, draft.token))

    assert response.status_code == 302 and response["Location"] == reverse(
        "storefront:cart", args=[store.slug]
    )
    assert "no-store" in response["Cache-Control"]
    cart = html.unescape(phone.get(response["Location"]).content.decode())
    assert "Your cart is back as you left it" in cart
    assert "Steel tiffin" in cart and "₹275" in cart and "₹250" in cart  # the change is shown
    # Checking out from there keeps updating the same draft.
    type_phone(phone, store, "98123 45600")
    assert CheckoutDraft.objects.get().phone == "+919812345600"


def test_a_cart_link_of_another_store_or_a_made_up_one_is_a_404(client, store, other_store, simple_product):
    add_to_cart(client, simple_product)
    type_phone(client, store)
    token = CheckoutDraft.objects.get().token

    assert Client().get(restore_url(other_store, token)).status_code == 404
    assert Client().get(restore_url(store, "made-up-token")).status_code == 404
    assert Client().get(restore_url(store, token)).status_code == 302


def test_the_cart_link_drops_lines_that_do_not_parse(client, store, simple_product):
    add_to_cart(client, simple_product)
    type_phone(client, store)
    draft = CheckoutDraft.objects.get()
    CheckoutDraft.objects.filter(pk=draft.pk).update(
        lines={**draft.lines, "junk": [1, "1", "x"], "9:0": ["many", None, ""]}
    )

    buyer = Client()
    buyer.get(restore_url(store, draft.token))

    assert json.loads(json.dumps(buyer.session["cart"])) == {str(store.pk): draft.lines}
