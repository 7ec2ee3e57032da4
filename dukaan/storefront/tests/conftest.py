"""Shared set-up for the storefront tests: catalogs of any size, carts, what a buyer types at checkout,
and a real Redis (deploy/local/redis_server.py) for the catalog cache's tests."""

import re
from decimal import Decimal

import pytest
from django.contrib.staticfiles import finders
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dukaan.catalog import services
from dukaan.catalog.models import Product, ProductImage, ProductVariant, Store
from dukaan.conftest import make_store
from dukaan.orders.cart import MAX_LINES
from dukaan.storefront import catalog_cache
from tests.processes import own_redis, redis_cache, redis_caches, redis_server  # noqa: F401 (fixtures)


@pytest.fixture(autouse=True)
def cold_catalog_cache(settings):
    """Every test starts with an empty cache and a closed circuit: on SQLite a rolled-back test's
    store ids come back, and a snapshot cached by the last test would answer for this one's store."""
    caches[settings.CATALOG_CACHE_ALIAS].clear()
    catalog_cache.breaker.reset()
    yield
    catalog_cache.breaker.reset()


def bulk_catalog(
    store, count: int, *, category=None, hidden_every: int = 10, prefix: str = "Product"
) -> list[Product]:
    """`count` products made with bulk_create (fast, no events): every 3rd has two variants, every
    product has two images, every `hidden_every`th is hidden, every 7th is out of stock."""
    products = Product.objects.bulk_create(
        Product(
            store=store,
            category=category,
            name=f"{prefix} {index:03d} hand block printed cotton kurta",
            description="Soft cotton, hand block printed in Jaipur. Machine wash cold. " * 3,
            price=Decimal("400.00") + index,
            compare_at_price=Decimal("999.00") + index if index % 2 else None,
            stock=0 if index % 7 == 0 else 20,
            is_active=bool(index % hidden_every),
        )
        for index in range(1, count + 1)
    )
    ProductVariant.objects.bulk_create(
        ProductVariant(
            store=store, product=product, options={"Size": size}, price=product.price, stock=4, position=i
        )
        for product in products[::3]
        for i, size in enumerate(("M", "L"))
    )
    ProductImage.objects.bulk_create(
        ProductImage(
            store=store,
            product=product,
            original=f"products/{store.pk}/{product.pk}-{i}.jpg",
            small=f"products/{store.pk}/{product.pk}-{i}-240.webp",
            large=f"products/{store.pk}/{product.pk}-{i}-720.webp",
            width=720,
            height=720,
            position=i,
        )
        for product in products
        for i in range(2)
    )
    return products


def small_and_big_store() -> tuple[Store, Store]:
    """Two stores alike but for their size, 10 and 500 products: a cost that holds for both is fixed."""
    small = make_store("+919812345650", "small-store")
    big = make_store("+919812345651", "big-store")
    for store, size in ((small, 10), (big, 500)):
        bulk_catalog(store, size, category=services.create_category(store=store, name="Kurtas"))
    return small, big


def queries_by_store(client, stores, path: str) -> dict[str, int]:
    """How many queries one GET of `path` ("/s/{slug}/…") takes for each store, by slug; each answers 200."""
    counts = {}
    for store in stores:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(path.format(slug=store.slug))
        assert response.status_code == 200
        counts[store.slug] = len(queries)
    return counts


def make_product(store, name: str = "Steel tiffin", price: str = "250.00", **fields) -> Product:
    return services.create_product(store=store, name=name, price=Decimal(price), **fields)


_STYLESHEET = re.compile(r'<link[^>]+rel="stylesheet"[^>]+href="([^"]+)"')


def page_weight(response) -> int:
    """Bytes of a page's HTML plus every stylesheet it links (inline CSS is already in the HTML)."""
    html = response.content.decode()
    weight = len(response.content)
    for href in _STYLESHEET.findall(html):
        path = finders.find(href.removeprefix("/static/"))
        assert path, f"stylesheet {href} not found"
        with open(path, "rb") as css:
            weight += len(css.read())
    return weight


def add_to_cart(client, product, variant=None, quantity: int = 1):
    data = {"product": product.pk, "quantity": quantity}
    if variant is not None:
        data["variant"] = variant.pk
    return client.post(reverse("storefront:cart_add", args=[product.store.slug]), data)


def fill_cart(client, store, quantity: int = 1) -> None:
    """Fill the buyer's cart to its MAX_LINES lines, each a product with a long name."""
    products = [
        services.create_product(
            store=store, name=f"Hand block printed cotton kurta, indigo, number {i}", price=Decimal(400 + i)
        )
        for i in range(MAX_LINES)
    ]
    for item in products:
        add_to_cart(client, item, quantity=quantity)


def set_cart(client, store_id, lines: dict):
    """Write a cart straight into the session, as a tampering buyer (or an old deploy) might leave it."""
    session = client.session
    session["cart"] = {str(store_id): lines}
    session.save()


@pytest.fixture
def buyer_form():
    return {
        "name": "Meera Iyer",
        "phone": "98123 45699",
        "address": "12, 3rd Cross, Indiranagar, Bengaluru",
        "pin_code": "560038",
        "payment_method": "cod",
        "idempotency_key": "0123456789abcdef0123456789abcdef",
    }


@pytest.fixture
def simple_product(store):
    """A product without variants, 3 in stock."""
    return make_product(store, name="Steel tiffin", price="250.00", stock=3)


@pytest.fixture(params=["locmem", "redis"])
def any_cache(request):
    """Run the test on the in-process cache and on Redis."""
    if request.param == "redis":
        request.getfixturevalue("redis_cache")
    return request.param
