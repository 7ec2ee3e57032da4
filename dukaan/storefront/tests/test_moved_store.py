"""A store that changed its link: every buyer address under an old slug (pages, cart, order status),
from the monolith's views and through the storefront service, moves permanently to the same address
under the store's current slug, so old links and printed QR codes keep reaching the store."""

import pytest
from django.urls import reverse

from dukaan.catalog import services
from dukaan.conftest import asgi_get, change_store
from dukaan.orders.cart import Cart
from dukaan.orders.models import Order

from .conftest import make_product

pytestmark = pytest.mark.django_db


def rename(store, slug: str):
    return change_store(store, slug=slug)


@pytest.fixture
def moved(store, simple_product):
    """asha-store renamed to asha-kurtas, then to asha-sarees."""
    category = services.create_category(store=store, name="Tiffins")
    rename(store, "asha-kurtas")
    rename(store, "asha-sarees")
    store.refresh_from_db()
    return store, category


def assert_moved(response, location: str, status: int = 301):
    assert response.status_code == status, response.content[:500]
    assert response["Location"] == location
    # The store may take an old slug back: a browser that kept this redirect would loop.
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.parametrize("old", ["asha-store", "asha-kurtas"])
def test_every_page_under_an_old_slug_moves_to_the_same_page_under_the_newest(
    client, moved, simple_product, old
):
    store, category = moved
    pk = simple_product.pk
    for path, new in [
        (f"/s/{old}/", "/s/asha-sarees/"),
        (f"/s/{old}/p/{pk}/", f"/s/asha-sarees/p/{pk}/"),
        (f"/s/{old}/sitemap.xml", "/s/asha-sarees/sitemap.xml"),
        (f"/s/{old}/c/{category.pk}/", f"/s/asha-sarees/c/{category.pk}/"),
        (f"/s/{old}/search?q=tiffin&sort=price_asc", "/s/asha-sarees/search?q=tiffin&sort=price_asc"),
        (f"/s/{old}/policies/returns/", "/s/asha-sarees/policies/returns/"),
        (f"/s/{old}/cart/", "/s/asha-sarees/cart/"),
        (f"/s/{old}/checkout/", "/s/asha-sarees/checkout/"),
        (f"/s/{old}/?page=2", "/s/asha-sarees/?page=2"),
    ]:
        assert_moved(client.get(path), new)
    assert client.get(f"/s/{old}/", follow=True).status_code == 200


def test_adding_to_the_cart_from_a_page_opened_before_the_change_still_adds_it(client, moved, simple_product):
    store, _category = moved

    response = client.post("/s/asha-store/cart/add/", {"product": simple_product.pk, "quantity": 2})

    assert_moved(response, "/s/asha-sarees/cart/add/", status=308)  # 308: the browser posts it again
    client.post(response["Location"], {"product": simple_product.pk, "quantity": 2})
    assert Cart(client.session, store.pk).count == 2


def test_the_order_status_link_in_an_old_message_opens_the_order(client, store, simple_product, buyer_form):
    client.post(
        reverse("storefront:cart_add", args=[store.slug]), {"product": simple_product.pk, "quantity": 1}
    )
    client.post(reverse("storefront:checkout", args=[store.slug]), buyer_form)
    order = Order.objects.get()
    rename(store, "asha-kurtas")

    response = client.get(f"/s/asha-store/o/{order.public_token}/")

    assert_moved(response, f"/s/asha-kurtas/o/{order.public_token}/")
    assert client.get(response["Location"]).status_code == 200


def test_what_is_missing_under_the_current_slug_or_an_unknown_one_is_still_a_404(client, moved):
    assert client.get("/s/asha-sarees/p/999999/").status_code == 404
    assert client.get("/s/no-such-store/").status_code == 404
    assert client.get("/s/asha-store/p/999999/").status_code == 301  # the new store answers 404 for it


def test_an_old_slug_another_store_took_after_the_reservation_opens_that_store(
    client, store, other_store, settings
):
    settings.RELEASED_SLUG_DAYS = 0
    rename(store, "asha-kurtas")
    rename(other_store, "asha-store")

    response = client.get("/s/asha-store/")

    assert response.status_code == 200
    assert other_store.name in response.content.decode()


def test_a_deleted_stores_slug_leads_nowhere(client, store):
    rename(store, "asha-kurtas")
    store.owner.delete()

    assert client.get("/s/asha-store/").status_code == 404
    assert client.get("/s/asha-kurtas/").status_code == 404


def test_the_storefront_service_redirects_an_old_slug_and_keeps_no_copy(transactional_db, store):
    from dukaan.storefront.service import StorefrontApp

    make_product(store, name="Steel tiffin", stock=3)
    client_page = f"/s/{store.slug}/"
    rename(store, "asha-kurtas")
    app = StorefrontApp()
    app.pages.forget_all(subscribed=True)  # as when the invalidation feed is up

    for _ in range(2):
        status, headers = asgi_get(app, client_page)
        assert (status, headers["location"]) == (301, "/s/asha-kurtas/")
    assert app.counters.page_hits == 0 and not app.pages.pages
    assert asgi_get(app, "/s/asha-kurtas/")[0] == 200
