"""Cursor pagination: walking a list page by page visits every item exactly once, in order."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dukaan.catalog import services
from dukaan.events.local import run_pending

from .conftest import make_order, problem, simple_product

pytestmark = pytest.mark.django_db


def _walk(client, path, params=None, limit=3) -> list[int]:
    seen, cursor, pages = [], None, 0
    while True:
        query = {**(params or {}), "limit": limit, **({"cursor": cursor} if cursor else {})}
        response = client.get(path, query)
        assert response.status_code == 200, response.content
        body = response.json()
        assert len(body["items"]) <= limit
        seen += [item["id"] for item in body["items"]]
        cursor, pages = body["next_cursor"], pages + 1
        if cursor is None:
            return seen
        assert pages < 100


def test_products_walk_once_newest_first(api, store):
    ids = [simple_product(store, name=f"P{i}").pk for i in range(10)]
    assert _walk(api, "/products") == list(reversed(ids))


def test_products_with_the_same_timestamp_are_still_each_sent_once(api, store):
    from dukaan.catalog.models import Product

    ids = [simple_product(store, name=f"P{i}").pk for i in range(7)]
    Product.objects.filter(pk__in=ids).update(created_at=Product.objects.get(pk=ids[0]).created_at)
    assert _walk(api, "/products", limit=2) == sorted(ids, reverse=True)


def test_a_row_added_between_pages_does_not_shift_the_walk(api, store):
    ids = [simple_product(store, name=f"P{i}").pk for i in range(6)]
    first = api.get("/products", {"limit": 3}).json()
    simple_product(store, name="Newcomer")
    rest = api.get("/products", {"limit": 3, "cursor": first["next_cursor"]}).json()
    assert [i["id"] for i in first["items"] + rest["items"]] == list(reversed(ids))


def test_categories_and_orders_walk_once(api, store):
    categories = [services.create_category(store=store, name=f"C{i}").pk for i in range(7)]
    assert _walk(api, "/categories") == categories
    product = simple_product(store, stock=None)
    orders = [make_order(store, product, key=f"k{i}").pk for i in range(7)]
    assert _walk(api, "/orders", limit=2) == list(reversed(orders))


def test_the_public_catalog_and_search_walk_once(anon, store):
    ids = [simple_product(store, name=f"Tumbler {i}").pk for i in range(8)]
    assert _walk(anon, f"/api/v1/stores/{store.slug}/products") == list(reversed(ids))
    run_pending()  # the `search` group indexes the products
    assert sorted(_walk(anon, f"/api/v1/stores/{store.slug}/search", {"q": "tumbler"})) == sorted(ids)


def test_a_catalog_item_hidden_between_pages_does_not_shift_the_walk(anon, store):
    ids = [simple_product(store, name=f"P{i}").pk for i in range(6)]
    newest_first = list(reversed(ids))
    first = anon.get(f"/api/v1/stores/{store.slug}/products", {"limit": 3}).json()
    services.update_product(product=services.Product.objects.get(pk=newest_first[1]), is_active=False)
    simple_product(store, name="Newcomer")
    rest = anon.get(
        f"/api/v1/stores/{store.slug}/products", {"limit": 3, "cursor": first["next_cursor"]}
    ).json()
    assert [i["id"] for i in first["items"] + rest["items"]] == newest_first


def test_limit_is_bounded(api, store):
    problem(api.get("/products", {"limit": 0}), 422)
    problem(api.get("/products", {"limit": 101}), 422)
    assert api.get("/products", {"limit": 100}).status_code == 200


def test_a_page_of_products_costs_a_fixed_number_of_queries(api, store):
    # given
    for index in range(12):
        services.create_product(
            store=store,
            name=f"P{index}",
            price=Decimal("10"),
            variants=[services.VariantInput(options={"Size": "M"}, price=Decimal("10"))],
        )
    # when
    with CaptureQueriesContext(connection) as queries:
        response = api.get("/products", {"limit": 10})
    # then: token, its last-used stamp check, products, variants, images, the store's custom domain for the
    # products' links (once) — the budget holds for any page size
    assert response.status_code == 200
    assert len(response.json()["items"]) == 10
    assert len(queries) <= 6, [q["sql"] for q in queries]


def test_a_page_of_orders_costs_a_fixed_number_of_queries(api, store):
    product = simple_product(store, stock=None)
    for index in range(12):
        make_order(store, product, key=f"q{index}")
    with CaptureQueriesContext(connection) as queries:
        response = api.get("/orders", {"limit": 10})
    assert len(response.json()["items"]) == 10
    # token (+ last-used update), orders, lines, discounts, charges, the store's custom domain (once)
    assert len(queries) <= 7, [q["sql"] for q in queries]
