"""Being found: what search engines read from a store (sitemap, robots.txt, JSON-LD product data)
and what link previews show (Open Graph and Twitter cards)."""

import html
import json
import re
from datetime import datetime
from xml.etree import ElementTree

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dukaan.catalog import services
from dukaan.conftest import change_store, make_store, png_upload
from dukaan.storefront import seo

from .conftest import make_product, small_and_big_store

pytestmark = pytest.mark.django_db

SITE = "https://dukaan.example"
# The slug (with the store's custom domain), the categories with something to buy, the products.
SITEMAP_QUERY_BUDGET = 3
NS = {"sm": "http://www.sitemaps.org/schemas/sitemap/0.9"}


@pytest.fixture(autouse=True)
def site_url(settings):
    settings.SITE_URL = SITE


def meta(page: str, name: str) -> str | None:
    found = re.search(rf'<meta (?:property|name)="{re.escape(name)}" content="([^"]*)">', page)
    return html.unescape(found[1]) if found else None


def json_ld(page: str) -> list[dict]:
    """Every JSON-LD block of a page, parsed as a search engine parses it."""
    blocks = re.findall(r'<script type="application/ld\+json">(.*?)</script>', page, re.DOTALL)
    return [json.loads(block) for block in blocks]


def sitemap_urls(response) -> dict[str, str | None]:
    """The sitemap's URLs, each with its <lastmod> (None where it has none)."""
    root = ElementTree.fromstring(response.content)
    assert root.tag == f"{{{NS['sm']}}}urlset"
    return {
        url.findtext("sm:loc", "", NS): url.findtext("sm:lastmod", namespaces=NS)
        for url in root.findall("sm:url", NS)
    }


def index_sitemaps(response) -> list[str]:
    root = ElementTree.fromstring(response.content)
    assert root.tag == f"{{{NS['sm']}}}sitemapindex"
    return [entry.findtext("sm:loc", "", NS) for entry in root.findall("sm:sitemap", NS)]


def assert_public(response):
    control = response["Cache-Control"]
    assert "public" in control and "s-maxage=" in control, control


# --- The store's sitemap --------------------------------------------------------------------------


def test_a_store_sitemap_lists_its_home_categories_and_visible_products_with_when_they_changed(
    client, store, product
):
    services.create_category(store=store, name="Empty shelf")
    hidden = make_product(store, name="Secret sample", is_active=False)
    tiffin = make_product(store, name="Steel tiffin")

    response = client.get(f"/s/{store.slug}/sitemap.xml")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/xml"
    assert_public(response)
    assert response["xkey"] == f"store-{store.pk}"
    urls = sitemap_urls(response)
    home = f"{SITE}/s/{store.slug}/"
    assert list(urls) == [
        home,
        f"{home}c/{product.category_id}/",  # the empty shelf has nothing to find
        f"{home}p/{tiffin.pk}/",
        f"{home}p/{product.pk}/",
    ]
    assert f"{home}p/{hidden.pk}/" not in urls
    product.refresh_from_db()
    assert datetime.fromisoformat(urls[f"{home}p/{product.pk}/"]) == product.updated_at.replace(microsecond=0)
    assert urls[home] is None


def test_a_product_hidden_after_it_was_listed_leaves_the_sitemap(client, store, product):
    services.update_product(product=product, is_active=False)

    urls = sitemap_urls(client.get(f"/s/{store.slug}/sitemap.xml"))

    assert urls == {f"{SITE}/s/{store.slug}/": None}


def test_a_sitemap_costs_the_same_few_queries_for_10_products_or_500(client):
    small, big = small_and_big_store()
    for store, listed in ((small, 9), (big, 450)):  # every 10th is hidden
        with CaptureQueriesContext(connection) as queries:
            urls = sitemap_urls(client.get(f"/s/{store.slug}/sitemap.xml"))
        assert len(queries) == SITEMAP_QUERY_BUDGET
        assert len(urls) == 1 + 1 + listed


def test_past_the_protocols_limit_a_sitemap_keeps_the_newest_products(client, store, monkeypatch):
    monkeypatch.setattr(seo, "SITEMAP_MAX_URLS", 3)
    made = [make_product(store, name=f"Tiffin {n}") for n in range(4)]

    urls = sitemap_urls(client.get(f"/s/{store.slug}/sitemap.xml"))

    assert list(urls) == [
        f"{SITE}/s/{store.slug}/",
        *(f"{SITE}/s/{store.slug}/p/{p.pk}/" for p in made[:1:-1]),
    ]


def test_the_sitemap_url_is_the_product_pages_canonical_url(client, store, product):
    page = client.get(f"/s/{store.slug}/p/{product.pk}/").content.decode()
    canonical = re.search(r'<link rel="canonical" href="([^"]+)">', page)[1]

    assert canonical in sitemap_urls(client.get(f"/s/{store.slug}/sitemap.xml"))


def test_an_unknown_store_has_no_sitemap_or_robots_txt(client, db):
    for path in ("/s/no-such-store/sitemap.xml", "/s/no-such-store/robots.txt"):
        assert client.get(path).status_code == 404


def test_a_stores_robots_txt_names_its_sitemap_and_keeps_buyers_pages_out(client, store):
    response = client.get(f"/s/{store.slug}/robots.txt")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert_public(response)
    lines = response.content.decode().splitlines()
    home = f"/s/{store.slug}/"
    assert lines[:5] == [
        "User-agent: *",
        f"Allow: {home}",
        f"Disallow: {home}cart/",
        f"Disallow: {home}checkout/",
        f"Disallow: {home}o/",
    ]
    assert f"Sitemap: {SITE}{home}sitemap.xml" in lines


# --- The platform's robots.txt and sitemap index --------------------------------------------------


def test_the_platform_robots_txt_keeps_crawlers_to_store_pages(client, store):
    response = client.get("/robots.txt")

    assert response.status_code == 200
    assert_public(response)
    lines = response.content.decode().splitlines()
    assert "Allow: /s/" in lines
    for private in ("/dashboard/", "/api/", "/admin/", "/s/*/cart/", "/s/*/checkout/", "/s/*/o/"):
        assert f"Disallow: {private}" in lines
    assert [line for line in lines if line.startswith("Sitemap:")] == [f"Sitemap: {SITE}/sitemap.xml"]


def test_the_sitemap_index_lists_every_stores_sitemap(client, store, other_store):
    response = client.get("/sitemap.xml")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/xml"
    assert_public(response)
    assert index_sitemaps(response) == [
        f"{SITE}/s/asha-store/sitemap.xml",
        f"{SITE}/s/bala-store/sitemap.xml",
    ]


def test_the_sitemap_index_is_paged_and_robots_txt_names_every_page(client, monkeypatch, store, other_store):
    monkeypatch.setattr(seo, "SITEMAP_MAX_URLS", 1)
    third = make_store("+919812345603", "chai-store")
    last_page = third.pk  # one store id a page

    robots = client.get("/robots.txt").content.decode().splitlines()
    assert f"Sitemap: {SITE}/sitemap.xml?page={last_page}" in robots
    assert f"Sitemap: {SITE}/sitemap.xml?page={last_page + 1}" not in robots
    assert index_sitemaps(client.get(f"/sitemap.xml?page={last_page}")) == [
        f"{SITE}/s/chai-store/sitemap.xml"
    ]
    assert index_sitemaps(client.get(f"/sitemap.xml?page={other_store.pk}")) == [
        f"{SITE}/s/bala-store/sitemap.xml"
    ]


@pytest.mark.parametrize("page", ["0", "2", "-1", "two", "1.5", "9" * 30])
def test_a_sitemap_index_page_that_does_not_exist_is_a_404(client, store, page):
    assert client.get(f"/sitemap.xml?page={page}").status_code == 404


# --- Twitter cards --------------------------------------------------------------------------------


def test_a_product_with_a_photo_gets_a_large_image_card(client, store, product):
    page = client.get(f"/s/{store.slug}/p/{product.pk}/").content.decode()

    assert meta(page, "twitter:card") == "summary_large_image"
    assert meta(page, "twitter:title") == "Cotton kurta" == meta(page, "og:title")
    assert meta(page, "twitter:description") == meta(page, "og:description")
    image = product.images.get().large_url
    assert meta(page, "twitter:image") == meta(page, "og:image") == SITE + image


def test_a_page_without_any_image_gets_a_summary_card(client, store):
    make_product(store, name="Steel tiffin")

    page = client.get(f"/s/{store.slug}/").content.decode()

    assert meta(page, "twitter:card") == "summary"
    assert meta(page, "twitter:title") == store.name
    assert meta(page, "twitter:image") is None


# --- JSON-LD product data, checked against schema.org ---------------------------------------------

# The part of the schema.org vocabulary the product page uses, from its definitions (schema.org
# version 29.x): https://schema.org/Product, https://schema.org/Offer, https://schema.org/AggregateOffer,
# https://schema.org/ItemAvailability, and the properties' own pages (https://schema.org/price, …),
# which give each property's domain ("Used on these types") and range ("Values expected to be one of
# these types"). Classes with their parent; properties with their domains and their ranges.
SCHEMA_CLASSES = {
    "Thing": None,
    "Intangible": "Thing",
    "Product": "Thing",
    "Offer": "Intangible",
    "AggregateOffer": "Offer",
    "Demand": "Intangible",
    "ImageObject": "Thing",
    "TextObject": "Thing",
}
SCHEMA_PROPERTIES = {
    "name": ({"Thing"}, {"Text"}),
    "description": ({"Thing"}, {"Text", "TextObject"}),
    "image": ({"Thing"}, {"ImageObject", "URL"}),
    "url": ({"Thing"}, {"URL"}),
    "sku": ({"Product", "Offer", "Demand"}, {"Text"}),
    "offers": ({"Product"}, {"Offer", "Demand"}),
    "price": ({"Offer", "Demand"}, {"Number", "Text"}),
    "priceCurrency": ({"Offer"}, {"Text"}),
    "availability": ({"Offer", "Demand"}, {"ItemAvailability"}),
    "lowPrice": ({"AggregateOffer"}, {"Number", "Text"}),
    "highPrice": ({"AggregateOffer"}, {"Number", "Text"}),
    "offerCount": ({"AggregateOffer"}, {"Integer"}),
}
SCHEMA_ENUMERATIONS = {
    "ItemAvailability": {
        "BackOrder",
        "Discontinued",
        "InStock",
        "InStoreOnly",
        "LimitedAvailability",
        "OnlineOnly",
        "OutOfStock",
        "PreOrder",
        "PreSale",
        "SoldOut",
    },
}


def _is_a(cls: str | None, ancestor: str) -> bool:
    while cls in SCHEMA_CLASSES:
        if cls == ancestor:
            return True
        cls = SCHEMA_CLASSES[cls]
    return False


def _fits(value, range_: str) -> bool:
    if range_ in SCHEMA_ENUMERATIONS:
        return (
            isinstance(value, str)
            and value.removeprefix("https://schema.org/") in SCHEMA_ENUMERATIONS[range_]
            and value.startswith("https://schema.org/")
        )
    if range_ == "Text":
        return isinstance(value, str)
    if range_ == "URL":
        return isinstance(value, str) and re.fullmatch(r"https?://[^\s/]+/\S*", value) is not None
    if range_ == "Number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if range_ == "Integer":
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, dict) and _is_a(value.get("@type"), range_)


def schema_errors(node: dict, path: str = "") -> list[str]:
    """What in a JSON-LD node is not schema.org as the vocabulary above defines it."""
    kind = node.get("@type")
    if kind not in SCHEMA_CLASSES:
        return [f"{path or 'top'}: unknown @type {kind!r}"]
    errors = []
    for name, value in node.items():
        if name.startswith("@"):
            continue
        if name not in SCHEMA_PROPERTIES:
            errors.append(f"{path}{name}: not a schema.org property")
            continue
        domains, ranges = SCHEMA_PROPERTIES[name]
        if not any(_is_a(kind, domain) for domain in domains):
            errors.append(f"{path}{name}: not a property of {kind}")
        for item in value if isinstance(value, list) else [value]:
            if not any(_fits(item, range_) for range_ in ranges):
                errors.append(f"{path}{name}: {item!r} is not one of {sorted(ranges)}")
            elif isinstance(item, dict):
                errors.extend(schema_errors(item, f"{path}{name}."))
    return errors


def product_data(client, store, product) -> dict:
    response = client.get(f"/s/{store.slug}/p/{product.pk}/")
    assert response.status_code == 200
    [data] = json_ld(response.content.decode())
    assert data["@context"] == "https://schema.org"
    assert schema_errors(data) == []
    return data


def test_a_product_page_describes_the_product_and_its_offer_in_schema_org_terms(client, store):
    item = make_product(
        store,
        name="Steel tiffin",
        price="250.50",
        sku="TIF-3",
        description="Three tiers.",
        stock=4,
        new_images=[png_upload()],
    )

    data = product_data(client, store, item)

    url = f"{SITE}/s/{store.slug}/p/{item.pk}/"
    assert data["@type"] == "Product"
    assert (data["name"], data["description"], data["sku"], data["url"]) == (
        "Steel tiffin",
        "Three tiers.",
        "TIF-3",
        url,
    )
    assert data["image"] == [SITE + item.images.get().large_url]
    assert "brand" not in data
    assert data["offers"] == {
        "@type": "Offer",
        "price": "250.50",
        "priceCurrency": "INR",
        "availability": "https://schema.org/InStock",
        "url": url,
    }


def test_variants_at_different_prices_make_an_aggregate_offer(client, store, product):
    data = product_data(client, store, product)

    assert data["offers"]["@type"] == "AggregateOffer"
    assert (data["offers"]["lowPrice"], data["offers"]["highPrice"]) == ("499.00", "529.00")
    assert data["offers"]["offerCount"] == 2
    assert "sku" not in data and "description" not in data  # only what the product has


def test_a_sold_out_product_is_offered_out_of_stock_in_the_stores_currency(client, store):
    change_store(store, currency="USD")
    item = make_product(store, name="Steel tiffin", price="12", stock=0)

    offer = product_data(client, store, item)["offers"]

    assert offer["availability"] == "https://schema.org/OutOfStock"
    assert (offer["price"], offer["priceCurrency"]) == ("12.00", "USD")


def test_a_product_name_cannot_break_out_of_the_json_ld_script(client, store):
    name = '</script><script>alert("x")</script> & <!-- tiffin'
    item = make_product(store, name=name)

    page = client.get(f"/s/{store.slug}/p/{item.pk}/").content.decode()

    assert "<script>alert" not in page
    assert page.count("<script") == page.count("</script>") == 1
    assert product_data(client, store, item)["name"] == name


def test_a_hidden_product_gets_no_page_and_no_json_ld(client, store):
    item = make_product(store, name="Secret sample", is_active=False)

    response = client.get(f"/s/{store.slug}/p/{item.pk}/")

    assert response.status_code == 404
    assert b"ld+json" not in response.content


def test_store_pages_carry_no_product_data(client, store, product):
    assert json_ld(client.get(f"/s/{store.slug}/").content.decode()) == []


@pytest.mark.parametrize(
    ("change", "error"),
    [
        (lambda d: d.update(nmae=d.pop("name")), "nmae: not a schema.org property"),
        (
            lambda d: d["offers"].update(prise=d["offers"].pop("price")),
            "offers.prise: not a schema.org property",
        ),
        (
            lambda d: d["offers"].update(availability="InStock"),
            "offers.availability: 'InStock' is not one of",
        ),
        (lambda d: d["offers"].update({"@type": "Ofer"}), "offers: {"),
        (lambda d: d.update(offers="250.50"), "offers: '250.50' is not one of"),
        (lambda d: d.update(url="/s/x/p/1/"), "url: '/s/x/p/1/' is not one of ['URL']"),
        (lambda d: d.update({"@type": "Offer"}), "offers: not a property of Offer"),
        (lambda d: d["offers"].update(lowPrice="1.00"), "offers.lowPrice: not a property of Offer"),
    ],
)
def test_the_schema_check_catches_a_misspelt_property_or_a_wrong_type(client, store, change, error):
    data = product_data(client, store, make_product(store, name="Steel tiffin"))

    change(data)

    assert any(found.startswith(error) for found in schema_errors(data)), schema_errors(data)
