"""The product feeds Google Merchant Center and Meta's catalogs fetch: what each entry says, what
is left out, how text survives the formats, and that a feed's cost does not grow with the store."""

import csv
import io
import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest
from django.urls import reverse

from dukaan.catalog import services
from dukaan.catalog.models import Product
from dukaan.conftest import change_store
from dukaan.events.local import run_pending

from .conftest import make_product, queries_by_store, small_and_big_store

pytestmark = pytest.mark.django_db

SITE = "https://dukaan.example"
G = "{http://base.google.com/ns/1.0}"
# The slug (with the store's custom domain), then the snapshot's queries (as a page's budget in
# test_pages), whatever the store's size.
FEED_QUERY_BUDGET = 8


@pytest.fixture(autouse=True)
def site_url(settings):
    settings.SITE_URL = SITE


def google_items(client, slug: str) -> dict[str, dict[str, str]]:
    """The feed's entries by g:id, each as {field: text} with `g:` for Google's namespace."""
    response = client.get(f"/s/{slug}/feeds/google.xml")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/xml; charset=utf-8"
    root = ET.fromstring(response.content)
    assert root.tag == "rss" and root.get("version") == "2.0"
    items = {}
    for item in root.iter("item"):
        fields = {child.tag.replace(G, "g:"): child.text or "" for child in item}
        items[fields["g:id"]] = fields
    return items


def meta_rows(client, slug: str) -> dict[str, dict[str, str]]:
    response = client.get(f"/s/{slug}/feeds/meta.csv")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    return {row["id"]: row for row in csv.DictReader(io.StringIO(response.content.decode()))}


@pytest.fixture
def shelf(store, product):
    """The kurta (sizes M ₹499 and L ₹529, ₹699 before, a photo), a sold-out tiffin whose name needs
    escaping and has no description, and a hidden sample."""
    tiffin = make_product(store, name='Salt & <Pepper> "tiffin"', price="250.00", stock=0)
    hidden = make_product(store, name="Secret sample", price="99.00", is_active=False)
    return product, tiffin, hidden


def test_google_feed_lists_each_variant_with_its_price_sale_price_stock_link_and_photo(client, store, shelf):
    kurta, tiffin, hidden = shelf
    small, large = kurta.variants.order_by("position")

    items = google_items(client, store.slug)

    assert set(items) == {f"{kurta.pk}-{small.pk}", f"{kurta.pk}-{large.pk}", str(tiffin.pk)}
    m, big = items[f"{kurta.pk}-{small.pk}"], items[f"{kurta.pk}-{large.pk}"]
    assert m["title"] == "Cotton kurta (M)" and big["title"] == "Cotton kurta (L)"
    assert (m["g:price"], m["g:sale_price"]) == ("699.00 INR", "499.00 INR")
    assert (big["g:price"], big["g:sale_price"]) == ("699.00 INR", "529.00 INR")
    assert m["g:item_group_id"] == big["g:item_group_id"] == str(kurta.pk)
    assert m["g:availability"] == "in_stock"
    assert m["link"] == f"{SITE}/s/{store.slug}/p/{kurta.pk}/"
    image = kurta.images.get()
    assert m["g:image_link"] == SITE + image.large_url
    assert (m["g:condition"], m["g:identifier_exists"]) == ("new", "no")
    assert "g:brand" not in m
    # The link opens the product's page, which shows the same prices.
    page = client.get(m["link"].removeprefix(SITE)).content.decode()
    assert "₹499" in page and "<s>₹699</s>" in page and "₹529" in page


def test_google_feed_escapes_names_and_leaves_out_what_a_plain_product_lacks(client, store, shelf):
    _kurta, tiffin, _hidden = shelf

    raw = client.get(f"/s/{store.slug}/feeds/google.xml").content.decode()
    item = google_items(client, store.slug)[str(tiffin.pk)]

    assert "Salt &amp; &lt;Pepper&gt;" in raw
    assert item["title"] == 'Salt & <Pepper> "tiffin"'
    assert item["description"] == item["title"]  # none written: described by its name
    assert item["g:price"] == "250.00 INR" and item["g:availability"] == "out_of_stock"
    for absent in ("g:sale_price", "g:item_group_id", "g:image_link"):
        assert absent not in item


def test_meta_feed_has_metas_columns_and_values(client, store, shelf):
    kurta, tiffin, _hidden = shelf
    small = kurta.variants.order_by("position").first()

    rows = meta_rows(client, store.slug)

    assert len(rows) == 3
    m, plain = rows[f"{kurta.pk}-{small.pk}"], rows[str(tiffin.pk)]
    assert (m["title"], m["price"], m["sale_price"]) == ("Cotton kurta (M)", "699.00 INR", "499.00 INR")
    assert (m["availability"], m["condition"], m["item_group_id"]) == ("in stock", "new", str(kurta.pk))
    assert m["link"] == f"{SITE}/s/{store.slug}/p/{kurta.pk}/"
    assert m["image_link"] == SITE + kurta.images.get().large_url
    assert plain["title"] == 'Salt & <Pepper> "tiffin"'
    assert (plain["availability"], plain["price"], plain["sale_price"]) == ("out of stock", "250.00 INR", "")
    assert plain["item_group_id"] == plain["brand"] == plain["image_link"] == ""


def test_hidden_products_are_in_neither_feed(client, store, shelf):
    _kurta, _tiffin, hidden = shelf

    google = google_items(client, store.slug)
    meta = meta_rows(client, store.slug)

    assert str(hidden.pk) not in google and str(hidden.pk) not in meta
    assert all(item["title"] != "Secret sample" for item in [*google.values(), *meta.values()])


def test_a_variant_priced_above_the_compare_at_price_is_not_on_sale(client, store):
    shawl = make_product(
        store,
        name="Wool shawl",
        price="900.00",
        compare_at_price=Decimal("1000.00"),
        variants=[
            services.VariantInput(options={"Size": "Kids"}, price=Decimal("900.00"), stock=None),
            services.VariantInput(options={"Size": "Adult"}, price=Decimal("1200.00"), stock=0),
        ],
    )
    kids, adult = shawl.variants.order_by("position")

    items = google_items(client, store.slug)

    assert items[f"{shawl.pk}-{kids.pk}"]["g:sale_price"] == "900.00 INR"
    assert items[f"{shawl.pk}-{adult.pk}"]["g:price"] == "1200.00 INR"
    assert "g:sale_price" not in items[f"{shawl.pk}-{adult.pk}"]
    assert items[f"{shawl.pk}-{adult.pk}"]["g:availability"] == "out_of_stock"
    assert items[f"{shawl.pk}-{kids.pk}"]["g:availability"] == "in_stock"  # unlimited stock


def test_a_price_change_shows_in_the_next_fetch_in_the_stores_currency(client, store, shelf):
    _kurta, tiffin, _hidden = shelf
    google_items(client, store.slug)  # the feed's catalog is now cached

    services.bulk_edit_products(
        store=store, edits=[services.BulkEdit(tiffin.pk, price=Decimal("275.50"), stock=3)]
    )
    change_store(store, currency="USD")
    run_pending()  # the `cache` group drops the store's snapshot

    item = google_items(client, store.slug)[str(tiffin.pk)]
    assert (item["g:price"], item["g:availability"]) == ("275.50 USD", "in_stock")
    assert meta_rows(client, store.slug)[str(tiffin.pk)]["price"] == "275.50 USD"


def test_a_control_character_in_an_old_description_does_not_break_the_feed(client, store, shelf):
    _kurta, tiffin, _hidden = shelf
    # Saved before names and descriptions were checked for such characters: XML 1.0 cannot carry it.
    Product.objects.filter(pk=tiffin.pk).update(description="Steel,\x0b three tiers")

    item = google_items(client, store.slug)[str(tiffin.pk)]

    assert item["description"] == "Steel, three tiers"


def test_feeds_are_kept_at_the_edge_and_purged_with_the_store(client, store, shelf):
    for path in ("google.xml", "meta.csv"):
        response = client.get(f"/s/{store.slug}/feeds/{path}")

        assert "public" in response["Cache-Control"] and "s-maxage" in response["Cache-Control"]
        assert response["xkey"] == f"store-{store.pk}"


def test_an_unknown_store_has_no_feeds(client, db):
    for path in ("google.xml", "meta.csv"):
        response = client.get(f"/s/no-such-store/feeds/{path}")

        assert response.status_code == 404


def test_a_feed_under_the_stores_old_link_moves_to_the_new_one(client, store, shelf):
    change_store(store, slug="asha-kurtas")

    response = client.get("/s/asha-store/feeds/google.xml")

    assert response.status_code == 301 and response["Location"] == "/s/asha-kurtas/feeds/google.xml"


@pytest.mark.parametrize("path", ["google.xml", "meta.csv"])
def test_a_feeds_queries_do_not_grow_with_the_store(client, path):
    small, big = small_and_big_store()  # 10 and 500 products with variants, photos and hidden ones
    counts = queries_by_store(client, (small, big), "/s/{slug}/feeds/" + path)

    assert counts["small-store"] == counts["big-store"] <= FEED_QUERY_BUDGET
    # Every visible product of the big store is there: 300 alone, 150 as their two sizes.
    entries = google_items if path == "google.xml" else meta_rows
    assert len(entries(client, big.slug)) == 300 + 150 * 2


def test_store_settings_show_both_feed_links_with_how_to_add_them(me, store):
    page = me.get(reverse("dashboard:store_settings")).content.decode()

    assert f"{SITE}/s/{store.slug}/feeds/google.xml" in page
    assert f"{SITE}/s/{store.slug}/feeds/meta.csv" in page
    assert "Merchant Center" in page and "Commerce Manager" in page
