"""Dashboard lists cost a fixed number of SQL queries, however many products a store has."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dukaan.catalog import services
from dukaan.conftest import png_upload

pytestmark = pytest.mark.django_db

PRODUCT_LIST_BUDGET = 12


def add_products(store, count: int, start: int = 0) -> None:
    category = services.create_category(store=store, name=f"Category {start}")
    for number in range(start, start + count):
        services.create_product(
            store=store,
            name=f"Product {number}",
            price=Decimal("10"),
            category=category,
            variants=[services.VariantInput(options={"Size": "M"}, price=Decimal("10"))],
            new_images=[png_upload()] if number % 3 == 0 else [],
        )


def queries_for(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


@pytest.mark.parametrize("url_name", ["dashboard:products", "dashboard:bulk_edit", "dashboard:home"])
def test_list_pages_cost_the_same_queries_for_3_and_40_products(client, store, url_name):
    # given
    client.force_login(store.owner)
    url = reverse(url_name)
    add_products(store, 3)
    client.get(url)  # the process looks the store's custom domain up once (the share link), then remembers
    # when
    few = queries_for(client, url)
    add_products(store, 37, start=3)
    many = queries_for(client, url)
    # then
    assert few == many
    assert many <= PRODUCT_LIST_BUDGET
