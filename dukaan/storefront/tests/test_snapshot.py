"""The catalog snapshot: what it holds, what it leaves out, and what it costs to build."""

import pickle
from dataclasses import replace
from decimal import Decimal

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dukaan.catalog import services
from dukaan.catalog.snapshot import (
    ListingPage,
    ProductsById,
    add_snapshot_part,
    build_store_catalog,
    store_catalog,
)
from dukaan.conftest import change_store, png_upload
from dukaan.promotions.tests.helpers import make_offer
from dukaan.shipping.rules import DEFAULT_SETUP, ZoneSetup
from dukaan.shipping.services import save_delivery_settings

from .conftest import bulk_catalog, make_product, small_and_big_store

pytestmark = pytest.mark.django_db

SNAPSHOT_QUERY_BUDGET = 7  # store, products, variants, images, categories; the delivery note, the offers


def test_store_catalog_holds_what_the_pages_show(store, product):
    change_store(store, name="Asha's Kurtas", upi_id="asha@okaxis", logo=png_upload("logo.png"))

    catalog = store_catalog(store.pk)

    assert (catalog.name, catalog.slug, catalog.upi_id, catalog.currency) == (
        "Asha's Kurtas",
        "asha-store",
        "asha@okaxis",
        "INR",
    )
    assert catalog.logo_url.startswith("/media/stores/") and catalog.logo_url.endswith(".webp")
    [item] = catalog.products
    assert (item.name, item.price, item.compare_at_price, item.discount_percent) == (
        "Cotton kurta",
        Decimal("499.00"),
        Decimal("699.00"),
        28,
    )
    assert [(v.label, v.price, v.stock) for v in item.variants] == [
        ("M", Decimal("499.00"), 5),
        ("L", Decimal("529.00"), 5),
    ]
    assert item.option_names == ("Size",)
    assert item.image.small_url.endswith("-240.webp") and item.image.large_url.endswith("-720.webp")
    assert item.in_stock and item.price_varies and item.min_price == Decimal("499.00")
    assert [(c.name, c.product_count) for c in catalog.categories] == [("Kurtas", 1)]


def test_hidden_products_are_not_in_the_snapshot_nor_counted(store, product):
    hidden = make_product(store, name="Secret sample", is_active=False, category=product.category)

    catalog = store_catalog(store.pk)

    assert [p.name for p in catalog.products] == ["Cotton kurta"]
    assert catalog.product(hidden.pk) is None
    assert catalog.categories[0].product_count == 1


def test_another_stores_products_are_not_in_the_snapshot(store, other_store, product):
    theirs = make_product(other_store, name="Their kurta")

    assert store_catalog(store.pk).product(theirs.pk) is None
    assert [p.name for p in store_catalog(other_store.pk).products] == ["Their kurta"]


def test_stock_state_follows_variants_when_a_product_has_them(store):
    sold_out = make_product(
        store,
        name="Sold out kurta",
        stock=10,
        variants=[services.VariantInput(options={"Size": "M"}, price=Decimal("300"), stock=0)],
    )
    unlimited = make_product(store, name="Made to order", stock=None)
    none_left = make_product(store, name="Last season", stock=0)

    catalog = store_catalog(store.pk)

    assert not catalog.product(sold_out.pk).in_stock
    assert catalog.product(unlimited.pk).in_stock
    assert not catalog.product(none_left.pk).in_stock


def test_snapshot_is_plain_data_that_survives_pickling(store, product):
    catalog = store_catalog(store.pk)

    copy = pickle.loads(pickle.dumps(catalog))

    assert copy == catalog
    assert copy.product(product.pk).variants[1].price == Decimal("529.00")


def test_snapshot_carries_the_delivery_note_and_the_offers_and_they_pickle(store, product):
    save_delivery_settings(store=store, setup=replace(DEFAULT_SETUP, flat_fee=Decimal("40")))
    make_offer(store, name="Kurta fest", kind="buy_get", buy=2, get=1, product_ids=frozenset({product.pk}))

    catalog = store_catalog(store.pk)
    copy = pickle.loads(pickle.dumps(catalog))

    assert copy == catalog
    assert str(copy.parts["delivery"]) == "₹40 delivery · Cash on delivery available"
    [offer] = copy.parts["offers"].offers
    assert (offer.name, str(offer.label), offer.product_ids) == (
        "Kurta fest",
        "Buy 2, get 1 free",
        {product.pk},
    )


def test_a_part_name_is_taken_once():
    with pytest.raises(ImproperlyConfigured, match="Two snapshot parts are named 'offers'"):
        add_snapshot_part("offers", lambda store_id, money: None)


def test_offers_and_zones_add_no_queries_however_many(store):
    products = bulk_catalog(store, 30, hidden_every=1000)
    empty = store_catalog(store.pk)
    zones = tuple(ZoneSetup(name=f"Zone {i}", pins=f"{560000 + i}", fee=Decimal(20 + i)) for i in range(10))
    save_delivery_settings(store=store, setup=replace(DEFAULT_SETUP, flat_fee=Decimal("40"), zones=zones))
    for i in range(10):
        make_offer(
            store, name=f"Offer {i}", kind="buy_get", buy=2, get=1, product_ids={p.pk for p in products[i:]}
        )
    make_offer(store, name="Diwali sale")

    with CaptureQueriesContext(connection) as queries:
        catalog = build_store_catalog(store.pk)

    assert len(queries) == SNAPSHOT_QUERY_BUDGET and empty.parts["offers"].offers == ()
    assert len(catalog.parts["offers"].offers) == 11
    assert len(catalog.parts["offers"].offers[9].product_ids) == 21
    assert "₹20 to ₹40 delivery, by PIN code" in str(catalog.parts["delivery"])


def test_unknown_store_has_no_snapshot(db):
    assert store_catalog(987654) is None


def test_search_matches_every_word_in_names_first_then_descriptions(store):
    make_product(store, name="Red cotton kurta")
    make_product(store, name="Plain shirt", description="Goes well with a RED KURTA.")
    make_product(store, name="Blue kurta")

    catalog = store_catalog(store.pk)

    assert [p.name for p in catalog.search("red  Kurta")] == ["Red cotton kurta", "Plain shirt"]
    assert catalog.search("   ") == []


def test_building_the_snapshot_takes_the_same_queries_for_10_and_500_products():
    # given
    small, big = small_and_big_store()

    # when
    counts = {}
    for store in (small, big):
        with CaptureQueriesContext(connection) as queries:
            catalog = store_catalog(store.pk)
        counts[store.slug] = len(queries)

    # then
    assert counts == {"small-store": SNAPSHOT_QUERY_BUDGET, "big-store": SNAPSHOT_QUERY_BUDGET}
    assert len(catalog.products) == 450  # every 10th of the 500 is hidden
    assert catalog.categories[0].product_count == 450
    assert sum(len(p.variants) for p in catalog.products) == 2 * len(
        [p for p in catalog.products if p.variants]
    )
    assert all(len(p.images) == 2 for p in catalog.products)


def test_a_pages_catalog_is_the_whole_ones_cut_to_what_the_page_shows(store):
    # given: categories in the merchant's order (not their names'), one of them empty, and products in
    # none of them
    zari = services.create_category(store=store, name="Zari")
    services.create_category(store=store, name="Anarkali")
    bulk_catalog(store, 40, category=zari)
    bulk_catalog(store, 20, prefix="Loose")
    whole = build_store_catalog(store.pk)

    # when
    second_page = build_store_catalog(store.pk, ListingPage(None, 2, 24))
    in_zari = build_store_catalog(store.pk, ListingPage(zari.pk, 1, 24))
    chosen = build_store_catalog(
        store.pk, ProductsById((whole.products[5].id, whole.products[1].id, 999_999))
    )

    # then: the store, its categories and counts, whatever the page
    for page in (second_page, in_zari, chosen):
        assert page.categories == whole.categories
        assert [category.name for category in page.categories] == ["Zari", "Anarkali"]
        assert page.product_count == len(whole.products) == 54  # every 10th hidden
        assert page.parts == whole.parts
    # and only what the page shows, in its order
    assert second_page.products == whole.products[24:48]
    assert in_zari.products == tuple(whole.products_in(zari.pk)[:24])
    assert in_zari.category_cover == whole.products_in(zari.pk)[0].image
    assert chosen.products == (whole.products[5], whole.products[1])
    # the store's first image where the page shows it (no logo): a listing's; products with images show theirs
    assert second_page.cover == whole.cover and chosen.cover is None
