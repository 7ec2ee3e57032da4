"""The cart in the session: adding, changing, removing, its limits, and junk in the session, as a
buyer meets them on the store's pages."""

import html
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from dukaan.catalog import services
from dukaan.orders.cart import MAX_LINES, Cart
from dukaan.storefront.tests.conftest import add_to_cart, fill_cart, make_product, page_weight, set_cart

pytestmark = pytest.mark.django_db


def cart_of(client, store) -> dict:
    return {line.key: (line.quantity, line.seen_price) for line in Cart(client.session, store.pk).lines()}


def messages_on(response) -> str:
    return html.unescape(response.content.decode())


def test_adding_a_product_keeps_its_price_as_seen_and_adds_up(client, store, simple_product):
    response = add_to_cart(client, simple_product, quantity=1)
    assert response.status_code == 302 and response.url == f"/s/{store.slug}/p/{simple_product.pk}/"
    add_to_cart(client, simple_product, quantity=2)

    assert cart_of(client, store) == {f"{simple_product.pk}:0": (3, Decimal("250.00"))}
    page = client.get(response.url).content.decode()
    assert "Added 2 × Steel tiffin to your cart." in page
    assert "Cart <b>3</b>" in page


def test_each_variant_is_its_own_line(client, store, product):
    medium, large = product.variants.all()

    add_to_cart(client, product, medium)
    add_to_cart(client, product, large, quantity=2)

    assert cart_of(client, store) == {
        f"{product.pk}:{medium.pk}": (1, Decimal("499.00")),
        f"{product.pk}:{large.pk}": (2, Decimal("529.00")),
    }


def test_a_product_with_variants_needs_one_chosen(client, store, product):
    response = add_to_cart(client, product)

    assert cart_of(client, store) == {}
    assert "Choose a size of Cotton kurta, then add it to the cart." in messages_on(client.get(response.url))


def test_a_variant_of_another_product_or_a_sold_out_variant_is_refused(
    client, store, product, simple_product
):
    medium, large = product.variants.all()
    services.update_product(
        product=product,
        variants=[
            services.VariantInput(id=medium.pk, options={"Size": "M"}, price=Decimal("499"), stock=5),
            services.VariantInput(id=large.pk, options={"Size": "L"}, price=Decimal("529"), stock=0),
        ],
    )

    sold_out = messages_on(client.get(add_to_cart(client, product, large).url))
    wrong_product = messages_on(client.get(add_to_cart(client, simple_product, medium).url))

    assert cart_of(client, store) == {}
    assert "Cotton kurta (L) is out of stock." in sold_out
    assert "That option of Steel tiffin is no longer available." in wrong_product


@pytest.mark.parametrize("visible", [False, None], ids=["hidden", "another store's"])
def test_a_product_not_sold_here_is_refused(client, store, other_store, visible):
    if visible is None:
        item = make_product(other_store, name="Their tiffin")
    else:
        item = make_product(store, name="Secret tiffin", is_active=False)

    response = client.post(
        reverse("storefront:cart_add", args=[store.slug]), {"product": item.pk, "quantity": 1}
    )

    assert response.url == f"/s/{store.slug}/"
    assert cart_of(client, store) == {}
    assert "That product is no longer available in this store." in messages_on(client.get(response.url))


@pytest.mark.parametrize("junk", ["1" * 5000, "-1", "1.5", "", "null"])
def test_a_junk_product_number_is_refused_without_an_error(client, store, simple_product, junk):
    response = client.post(
        reverse("storefront:cart_add", args=[store.slug]), {"product": junk, "quantity": 1}
    )

    assert response.status_code == 302 and response.url == f"/s/{store.slug}/"
    assert cart_of(client, store) == {}


def test_quantity_is_capped_by_the_order_limit_with_a_message(client, store, settings):
    settings.ORDER_MAX_QUANTITY = 5
    item = make_product(store, name="Steel tiffin", stock=None)

    add_to_cart(client, item, quantity=4)
    response = add_to_cart(client, item, quantity=4)

    assert cart_of(client, store)[f"{item.pk}:0"][0] == 5
    assert "You can order at most 5 of one item, so your cart has 5 × Steel tiffin." in messages_on(
        client.get(response.url)
    )


def test_quantity_is_capped_by_the_stock_left(client, store, simple_product):
    response = add_to_cart(client, simple_product, quantity=50)

    assert cart_of(client, store)[f"{simple_product.pk}:0"][0] == 3
    assert "Only 3 left of Steel tiffin, so your cart has 3 × Steel tiffin." in messages_on(
        client.get(response.url)
    )


def test_a_junk_quantity_is_refused_with_a_message(client, store, simple_product):
    response = client.post(
        reverse("storefront:cart_add", args=[store.slug]), {"product": simple_product.pk, "quantity": "lots"}
    )

    assert cart_of(client, store) == {}
    assert "Choose a quantity of 1 or more" in messages_on(client.get(response.url))


def test_changing_a_quantity_and_removing_a_line(client, store, product, simple_product, settings):
    settings.ORDER_MAX_QUANTITY = 10
    medium = product.variants.first()
    add_to_cart(client, product, medium)
    add_to_cart(client, simple_product)
    update = reverse("storefront:cart_update", args=[store.slug])
    remove = reverse("storefront:cart_remove", args=[store.slug])

    client.post(update, {f"qty-{product.pk}:{medium.pk}": "4", f"qty-{simple_product.pk}:0": "1"})
    assert cart_of(client, store)[f"{product.pk}:{medium.pk}"][0] == 4

    client.post(update, {f"qty-{product.pk}:{medium.pk}": "500"})
    assert cart_of(client, store)[f"{product.pk}:{medium.pk}"][0] == 5  # 5 of the M size left

    client.post(update, {f"qty-{simple_product.pk}:0": "0"})
    assert set(cart_of(client, store)) == {f"{product.pk}:{medium.pk}"}

    response = client.post(remove, {"line": f"{product.pk}:{medium.pk}"})
    assert response.url == f"/s/{store.slug}/cart/"
    assert cart_of(client, store) == {}


def test_a_junk_quantity_in_the_cart_form_is_named_and_the_rest_applied(
    client, store, simple_product, product
):
    medium = product.variants.first()
    add_to_cart(client, product, medium)
    add_to_cart(client, simple_product)

    response = client.post(
        reverse("storefront:cart_update", args=[store.slug]),
        {f"qty-{product.pk}:{medium.pk}": "two", f"qty-{simple_product.pk}:0": " 2 "},
    )

    assert cart_of(client, store)[f"{simple_product.pk}:0"][0] == 2
    assert cart_of(client, store)[f"{product.pk}:{medium.pk}"][0] == 1
    assert "Enter each quantity as a whole number" in messages_on(client.get(response.url))


def test_the_cart_form_updates_on_enter_and_removes_only_by_its_own_button(client, store, simple_product):
    add_to_cart(client, simple_product)

    page = client.get(reverse("storefront:cart", args=[store.slug])).content.decode()

    form = page.split('class="cartform">')[1].split("</form>")[0]
    # Enter in a text box presses the form's first submit button: it must be the update button.
    assert re.search(r"<button[^>]*>", form)[0] == '<button class="secondary update">'
    assert f'formaction="/s/{store.slug}/cart/remove/" formnovalidate name="line"' in form


def test_carts_of_two_stores_stay_apart(client, store, other_store, simple_product):
    theirs = make_product(other_store, name="Their tiffin")

    add_to_cart(client, simple_product)
    add_to_cart(client, theirs, quantity=2)

    assert cart_of(client, store) == {f"{simple_product.pk}:0": (1, Decimal("250.00"))}
    assert cart_of(client, other_store) == {f"{theirs.pk}:0": (2, Decimal("250.00"))}


def test_cart_changes_need_a_post(client, store):
    assert client.get(reverse("storefront:cart_add", args=[store.slug])).status_code == 405


JUNK_CARTS = [
    "not a dict",
    ["a", "list"],
    {"1:0": "junk"},
    {"abc": [1, "1.00", "x"], "1:x": [1, "1.00", "x"], "-5:0": [1, "1", "x"]},
    {
        "1:0": [True, "1.00", "x"],
        "2:0": [-3, "1.00", "x"],
        "3:0": [1.5, "1.00", "x"],
        "4:0": [None, None, None],
    },
    {"99999999999999999999:0": [1, "1.00", "x"], "5:99999999999999999999": [1, "NaN", "x"]},
    {"6:0": [10**12, "Infinity", {"a": 1}], "7:0": [1, "-1.00", 5], "8:0": [1, "1e400", ""]},
]


@pytest.mark.parametrize("junk", JUNK_CARTS, ids=range(len(JUNK_CARTS)))
def test_junk_in_the_session_never_breaks_browsing_or_cart_changes(client, store, product, junk):
    session = client.session
    session["cart"] = {str(store.pk): junk} if not isinstance(junk, str) else junk
    session.save()

    for url in (f"/s/{store.slug}/", f"/s/{store.slug}/p/{product.pk}/", f"/s/{store.slug}/search?q=k"):
        assert client.get(url).status_code == 200, url
    update = client.post(reverse("storefront:cart_update", args=[store.slug]), {"qty-6:0": "2", "qty-x": "y"})
    remove = client.post(reverse("storefront:cart_remove", args=[store.slug]), {"line": "junk"})
    add = add_to_cart(client, product, product.variants.first())
    assert (update.status_code, remove.status_code, add.status_code) == (302, 302, 302)
    assert f"{product.pk}:{product.variants.first().pk}" in cart_of(client, store)


def test_junk_lines_are_dropped_and_sound_lines_kept(client, store, simple_product, settings):
    settings.ORDER_MAX_QUANTITY = 100
    set_cart(
        client,
        store.pk,
        {
            f"{simple_product.pk}:0": [2, "250.00", "Steel tiffin"],
            "abc": [1, "1.00", "x"],
            "7:0": [-1, "1.00", "x"],
            "8:0": [10**9, "junk", None],
        },
    )

    assert cart_of(client, store) == {f"{simple_product.pk}:0": (2, Decimal("250.00")), "8:0": (100, None)}


# --- The cart page: lines priced now, with what changed and what cannot be ordered -------------------


def test_cart_page_shows_lines_priced_now_and_the_total(client, store, product, simple_product):
    medium = product.variants.first()
    add_to_cart(client, product, medium, quantity=2)
    add_to_cart(client, simple_product)

    response = client.get(reverse("storefront:cart", args=[store.slug]))
    page = html.unescape(response.content.decode())

    assert response.status_code == 200
    assert "Cotton kurta (M)" in page and "2 × ₹499" in page and "₹998" in page
    assert "Steel tiffin" in page and "1 × ₹250" in page
    assert '<p class="total"><span>Total</span><span>₹1,248</span></p>' in page
    assert "Cart <b>3</b>" in page
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]


def test_cart_page_tells_of_a_price_change_once_and_orders_at_the_new_price(client, store, simple_product):
    add_to_cart(client, simple_product)
    services.update_product(product=simple_product, price=Decimal("275.00"))

    first = html.unescape(client.get(reverse("storefront:cart", args=[store.slug])).content.decode())
    again = html.unescape(client.get(reverse("storefront:cart", args=[store.slug])).content.decode())

    assert "Steel tiffin is now ₹275, was ₹250." in first and "₹275" in first
    assert "is now" not in again
    assert cart_of(client, store) == {f"{simple_product.pk}:0": (1, Decimal("275.00"))}


def test_cart_page_names_a_product_gone_from_the_store_as_the_buyer_saw_it_and_offers_to_remove_it(
    client, store, product, simple_product
):
    medium = product.variants.first()
    add_to_cart(client, product, medium)
    add_to_cart(client, simple_product)
    services.update_product(product=product, is_active=False)

    page = html.unescape(client.get(reverse("storefront:cart", args=[store.slug])).content.decode())

    assert "An item in your cart is no longer sold in this store. Remove it to continue." in page
    # Named on its own line, beside its Remove button, as the cart kept it when the buyer added it.
    assert "Cotton kurta (M) is no longer available." in page
    assert f'name="line" value="{product.pk}:{medium.pk}">Remove</button>' in page
    assert '<p class="total"><span>Total</span><span>₹250</span></p>' in page


def test_cart_page_shows_what_is_left_of_a_line_short_of_stock(client, store, simple_product):
    add_to_cart(client, simple_product, quantity=3)
    services.update_product(product=simple_product, stock=1)

    page = html.unescape(client.get(reverse("storefront:cart", args=[store.slug])).content.decode())

    assert "Only 1 left of Steel tiffin." in page


def test_tampered_ids_of_another_store_show_as_a_problem_not_an_error(client, store, other_store, product):
    theirs = make_product(other_store, name="Their tiffin")
    set_cart(
        client,
        store.pk,
        {
            f"{theirs.pk}:0": [1, "250.00", "Their tiffin"],
            f"{product.pk}:{product.variants.first().pk}": [1, "499.00", "Cotton kurta (M)"],
            f"{product.pk}:999999": [1, "499.00", ""],
            "999999:0": [2, None, ""],
        },
    )

    response = client.get(reverse("storefront:cart", args=[store.slug]))
    page = html.unescape(response.content.decode())

    assert response.status_code == 200
    assert "An item in your cart is no longer sold in this store. Remove it to continue." in page
    assert "The option you chose of Cotton kurta is no longer available." in page
    assert page.count(">Remove</button>") == 4
    assert '<p class="total"><span>Total</span><span>₹499</span></p>' in page


@pytest.mark.parametrize("junk", JUNK_CARTS, ids=range(len(JUNK_CARTS)))
def test_junk_in_the_session_never_breaks_the_cart_or_checkout(client, store, product, junk, buyer_form):
    session = client.session
    session["cart"] = {str(store.pk): junk} if not isinstance(junk, str) else junk
    session.save()

    cart_page = client.get(reverse("storefront:cart", args=[store.slug]))
    checkout_page = client.get(reverse("storefront:checkout", args=[store.slug]))
    placed = client.post(reverse("storefront:checkout", args=[store.slug]), buyer_form)

    assert cart_page.status_code == 200
    assert checkout_page.status_code in (200, 302)
    assert placed.status_code in (200, 302)


def test_a_full_cart_page_weighs_under_50_kb(client, store, settings):
    fill_cart(client, store, quantity=2)

    response = client.get(reverse("storefront:cart", args=[store.slug]))

    weight = page_weight(response)
    print(f"\ncart page with {MAX_LINES} lines: {weight} bytes")
    assert len(Cart(client.session, store.pk).lines()) == MAX_LINES
    assert weight < 50_000
