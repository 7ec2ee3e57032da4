"""Pages with buyers' details are kept by no cache; public store pages keep their caching."""

import pytest
from django.test import Client
from django.urls import reverse

from dukaan.orders.services import Buyer, CartLine, place_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def order(product):
    variant = product.variants.first()
    return place_order(
        store=product.store,
        lines=[CartLine(product_id=product.pk, variant_id=variant.pk, quantity=1, seen_price=variant.price)],
        buyer=Buyer(name="Ravi Kumar", phone="+919812300001", address="14 MG Road", pin_code="560038"),
        payment_method="cod",
        idempotency_key="no-store-1",
    )


def test_every_dashboard_page_is_kept_by_no_cache(me, product, order):
    for url in (
        reverse("dashboard:home"),
        reverse("dashboard:orders"),
        reverse("dashboard:order_detail", args=[order.number]),
        reverse("dashboard:products"),
        reverse("dashboard:product_edit", args=[product.pk]),
        reverse("dashboard:order_detail", args=[order.number + 1]),  # a 404 too
    ):
        response = me.get(url)

        assert "no-store" in response["Cache-Control"], url


def test_the_buyers_order_page_is_kept_by_no_cache(client, order):
    response = client.get(reverse("storefront:order", args=[order.store.slug, order.public_token]))

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]


def test_a_public_store_page_keeps_its_shared_caching_even_for_a_signed_in_merchant(me, product):
    url = reverse("storefront:store_home", args=[product.store.slug])

    anonymous = Client().get(url)
    signed_in = me.get(url)

    assert "s-maxage" in anonymous["Cache-Control"] and "no-store" not in anonymous["Cache-Control"]
    assert "no-store" not in signed_in["Cache-Control"]
