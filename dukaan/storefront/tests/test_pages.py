"""The public pages: what they show, what they hide, what they tell link previews, and what they weigh."""

import html
import re
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.urls import reverse

from dukaan.catalog import services
from dukaan.conftest import change_store, png_upload
from dukaan.events.local import run_pending
from dukaan.storefront import catalog_cache

from .conftest import bulk_catalog, make_product, page_weight, queries_by_store, small_and_big_store

pytestmark = pytest.mark.django_db

# The slug (with the store's custom domain in the same query), then the seven of the snapshot (each
# part adds one per build, none per view).
PAGE_QUERY_BUDGET = 8
PAGE_WEIGHT_LIMIT = 50_000


@pytest.fixture(autouse=True)
def site_url(settings):
    settings.SITE_URL = "https://dukaan.example"


def meta(page: str, name: str) -> str | None:
    found = re.search(rf'<meta (?:property|name)="{re.escape(name)}" content="([^"]*)">', page)
    return html.unescape(found[1]) if found else None


def title(page: str) -> str:
    return html.unescape(re.search(r"<title>(.*?)</title>", page)[1])


def product_names(page: str) -> list[str]:
    """The product names a page lists, as a buyer reads them (search highlights taken out)."""
    names = re.findall(r'<span class="name">(.*?)</span>', page)
    return [html.unescape(re.sub(r"</?mark>", "", name)) for name in names]


# --- Titles and link previews ---------------------------------------------------------------------


def test_store_home_lists_visible_products_with_price_discount_and_stock(client, store, product):
    make_product(store, name="Brass diya", price="120.00", stock=0)
    make_product(store, name="Secret sample", is_active=False)

    page = client.get(f"/s/{store.slug}/").content.decode()

    assert product_names(page) == ["Brass diya", "Cotton kurta"]
    assert "From ₹499" in page and "<s>₹699</s>" in page and "28% off" in page
    assert page.count("Out of stock") == 1
    assert f'href="/s/{store.slug}/c/{product.category_id}/"' in page
    assert "-240.webp" in page


def test_store_home_tells_link_previews_about_the_store(client, store, product):
    change_store(store, name="Asha's Kurtas", logo=png_upload("logo.png"))
    store.refresh_from_db()

    page = client.get(f"/s/{store.slug}/").content.decode()

    assert title(page) == "Asha's Kurtas"
    assert meta(page, "og:title") == "Asha's Kurtas"
    assert meta(page, "description") == meta(page, "og:description")
    assert meta(page, "description").startswith("Shop Asha's Kurtas online: 1 product.")
    assert meta(page, "og:url") == "https://dukaan.example/s/asha-store/"
    assert meta(page, "og:image") == "https://dukaan.example" + store.logo_url


def test_product_page_tells_link_previews_about_the_product(client, store, product):
    page = client.get(f"/s/{store.slug}/p/{product.pk}/").content.decode()

    image = product.images.get()
    assert title(page) == "Cotton kurta · Store asha-store"
    assert meta(page, "og:title") == "Cotton kurta"
    assert meta(page, "og:type") == "product"
    assert meta(page, "og:description").startswith("From ₹499 (28% off ₹699)")
    assert meta(page, "og:image") == "https://dukaan.example" + image.large_url
    assert meta(page, "og:url") == f"https://dukaan.example/s/asha-store/p/{product.pk}/"


def test_store_without_logo_previews_its_newest_product_photo(client, store, product):
    page = client.get(f"/s/{store.slug}/").content.decode()

    assert meta(page, "og:image") == "https://dukaan.example" + product.images.get().large_url


def test_og_image_keeps_an_absolute_storage_url(client, store, product, monkeypatch):
    monkeypatch.setattr(
        "dukaan.catalog.snapshot.default_storage.url", lambda name: f"https://cdn.example/{name}"
    )

    page = client.get(f"/s/{store.slug}/p/{product.pk}/").content.decode()

    assert meta(page, "og:image") == f"https://cdn.example/{product.images.get().large}"


# --- The product page -----------------------------------------------------------------------------


def test_product_page_shows_every_image_the_description_and_a_variant_picker(client, store):
    item = make_product(
        store,
        name="Cotton kurta",
        price="499.00",
        description="Hand block printed.\nMachine wash cold.",
        variants=[
            services.VariantInput(options={"Size": "M"}, price=Decimal("499"), stock=3),
            services.VariantInput(options={"Size": "L"}, price=Decimal("529"), stock=0),
            services.VariantInput(options={"Size": "XL"}, price=Decimal("549"), stock=None),
        ],
        new_images=[png_upload("a.png"), png_upload("b.png", colour="red")],
    )

    page = client.get(f"/s/{store.slug}/p/{item.pk}/").content.decode()

    assert page.count('class="gallery"') == 1 and page.count("-720.webp 720w") == 2
    assert "Hand block printed.<br>Machine wash cold." in page
    radios = re.findall(r'<label class="opt">(.*?)</label>', page)
    assert len(radios) == 3
    medium, large, extra_large = radios
    assert "M</span>" in medium and "₹499" in medium and "3 left" in medium and "disabled" not in medium
    assert "₹529" in large and "Out of stock" in large and "disabled" in large
    assert "₹549" in extra_large and "In stock" in extra_large
    assert not any("checked" in radio for radio in radios)  # two sizes left: the buyer picks, we do not guess
    assert 'name="quantity"' in page and "Add to cart" in page


def test_product_page_preselects_the_only_variant_left(client, store, product):
    product.variants.filter(options__Size="L").update(stock=0)

    page = client.get(f"/s/{store.slug}/p/{product.pk}/").content.decode()

    medium, large = re.findall(r'<label class="opt">(.*?)</label>', page)
    assert "checked" in medium and "disabled" in large


def test_product_page_of_a_sold_out_product_offers_no_add_to_cart(client, store):
    item = make_product(store, name="Brass diya", stock=0)

    page = client.get(f"/s/{store.slug}/p/{item.pk}/").content.decode()

    assert "Add to cart" not in page and "out of stock" in page


# --- What never shows -----------------------------------------------------------------------------


def test_unknown_store_is_404(client, db):
    assert client.get("/s/no-such-store/").status_code == 404
    assert client.get("/s/no-such-store/p/1/").status_code == 404
    assert client.get("/s/no-such-store/search?q=kurta").status_code == 404


def test_hidden_product_is_404_and_listed_nowhere(client, store, product):
    hidden = make_product(store, name="Secret sample", is_active=False, category=product.category)

    assert client.get(f"/s/{store.slug}/p/{hidden.pk}/").status_code == 404
    for url in (
        f"/s/{store.slug}/",
        f"/s/{store.slug}/c/{product.category_id}/",
        f"/s/{store.slug}/search?q=secret",
    ):
        assert "Secret sample" not in client.get(url).content.decode(), url


def test_another_stores_product_or_category_under_this_slug_is_404(client, store, other_store, product):
    theirs = make_product(
        other_store, name="Their kurta", category=services.create_category(store=other_store, name="Theirs")
    )

    assert client.get(f"/s/{other_store.slug}/p/{theirs.pk}/").status_code == 200
    assert client.get(f"/s/{store.slug}/p/{theirs.pk}/").status_code == 404
    assert client.get(f"/s/{store.slug}/c/{theirs.category_id}/").status_code == 404
    assert client.get(f"/s/{store.slug}/p/999999/").status_code == 404
    assert client.get(f"/s/{store.slug}/c/999999/").status_code == 404


# --- Lists: pagination, categories, search ----------------------------------------------------------


def test_store_home_shows_24_products_a_page(client, store):
    bulk_catalog(store, 30, hidden_every=1000)

    first = client.get(f"/s/{store.slug}/").content.decode()
    second = client.get(f"/s/{store.slug}/?page=2").content.decode()
    junk = client.get(f"/s/{store.slug}/?page=banana").content.decode()

    assert len(product_names(first)) == 24 and len(product_names(second)) == 6
    assert product_names(first)[0] == "Product 030 hand block printed cotton kurta"  # newest first
    assert not set(product_names(first)) & set(product_names(second))
    assert 'rel="next" href="?page=2"' in first and "Page 1 of 2" in first
    assert 'rel="prev" href="?page=1"' in second and 'rel="next"' not in second
    assert meta(second, "og:url") == f"https://dukaan.example/s/{store.slug}/?page=2"
    assert product_names(junk) == product_names(first)


def test_category_page_lists_only_its_products_and_links_the_others(client, store, product):
    sarees = services.create_category(store=store, name="Sarees")
    services.create_category(store=store, name="Empty shelf")
    make_product(store, name="Silk saree", category=sarees)
    make_product(store, name="Plain tote")

    page = client.get(f"/s/{store.slug}/c/{sarees.pk}/").content.decode()

    assert product_names(page) == ["Silk saree"]
    assert title(page) == "Sarees · Store asha-store"
    assert f'href="/s/{store.slug}/c/{sarees.pk}/" aria-current="page">Sarees <small>1</small>' in page
    assert "Kurtas <small>1</small>" in page
    assert "Empty shelf" not in page  # nothing to buy there, so no link


def test_empty_category_of_this_store_says_so(client, store):
    empty = services.create_category(store=store, name="Empty shelf")

    response = client.get(f"/s/{store.slug}/c/{empty.pk}/")

    assert response.status_code == 200 and "Nothing in Empty shelf right now" in response.content.decode()


def test_search_finds_names_and_descriptions_ignoring_case(client, store, product):
    make_product(store, name="Silk saree", description="Pairs with a cotton KURTA.")
    make_product(store, name="Steel tiffin")
    run_pending()  # the `search` group indexes them

    page = client.get(f"/s/{store.slug}/search", {"q": "Kurta"}).content.decode()
    with_slash = client.get(f"/s/{store.slug}/search/", {"q": "Kurta"}).content.decode()

    assert product_names(page) == ["Cotton kurta", "Silk saree"]
    assert product_names(with_slash) == product_names(page)
    assert "2 results for “Kurta”" in page
    assert meta(page, "robots") == "noindex"


def test_search_with_nothing_found_or_nothing_typed_says_what_to_do(client, store, product):
    nothing = client.get(f"/s/{store.slug}/search", {"q": "bicycle"}).content.decode()
    empty = client.get(f"/s/{store.slug}/search").content.decode()

    assert "Nothing matches “bicycle”" in nothing
    assert "Type a product name above." in empty and product_names(empty) == []


def test_a_search_builds_one_catalog_and_ignores_a_category_the_store_lacks(client, store, product):
    make_product(store, name="Silk saree")
    run_pending()

    builds = catalog_cache.build_count()
    page = client.get(f"/s/{store.slug}/search", {"q": "saree"}).content.decode()
    built = catalog_cache.build_count() - builds
    elsewhere = client.get(f"/s/{store.slug}/search", {"q": "saree", "category": "999999"}).content.decode()

    assert product_names(page) == ["Silk saree"] == product_names(elsewhere)
    assert built == 1  # the store, its categories and the hits: one snapshot build for the page


def test_search_paginates_and_keeps_the_query_in_page_links(client, store):
    bulk_catalog(store, 30, hidden_every=1000)
    call_command("reindex")  # bulk_create sends no events

    page = client.get(f"/s/{store.slug}/search", {"q": "kurta"}).content.decode()

    assert len(product_names(page)) == 24
    assert 'href="?q=kurta&amp;page=2"' in page


# --- Cost: queries and bytes ----------------------------------------------------------------------


def test_store_home_takes_the_same_queries_for_10_and_500_products(client):
    # given
    small, big = small_and_big_store()

    # when
    counts = queries_by_store(client, (small, big), "/s/{slug}/")

    # then
    assert counts == {"small-store": PAGE_QUERY_BUDGET, "big-store": PAGE_QUERY_BUDGET}


@pytest.fixture
def full_store(store):
    """A store as big as a page gets: 60 products in 8 categories, and one product at every limit."""
    categories = [services.create_category(store=store, name=f"Category number {i}") for i in range(8)]
    for category in categories:
        bulk_catalog(store, 8, category=category, hidden_every=1000, prefix=category.name)
    widest = make_product(
        store,
        name="W" * 120,
        description="Long description. " * 277,  # just under the 5,000 characters allowed
        compare_at_price=Decimal("999"),
        category=categories[0],
        variants=[
            services.VariantInput(
                options={"Size": f"Size {i}", "Colour": "Indigo blue"}, price=Decimal(100 + i), stock=i
            )
            for i in range(50)
        ],
        new_images=[png_upload(f"{i}.png") for i in range(8)],
    )
    return store, categories[0], widest


def browsing_pages(full_store) -> dict[str, str]:
    """The full store's heaviest page of each kind, by name."""
    store, category, widest = full_store
    return {
        "home": f"/s/{store.slug}/",
        "category": f"/s/{store.slug}/c/{category.pk}/",
        "product": f"/s/{store.slug}/p/{widest.pk}/",
        "search": f"/s/{store.slug}/search?q=kurta",
    }


def test_every_browsing_page_weighs_under_50_kb_with_its_css(client, full_store, capsys):
    pages = browsing_pages(full_store)

    weights = {}
    for name, url in pages.items():
        response = client.get(url)
        assert response.status_code == 200
        weights[name] = page_weight(response)

    with capsys.disabled():
        print(f"\nstorefront page weights (bytes, HTML + CSS): {weights}")
    assert len(product_names(client.get(pages["home"]).content.decode())) == 24
    assert all(weight < PAGE_WEIGHT_LIMIT for weight in weights.values()), weights


def test_store_pages_show_the_cart_count(client, store, product):
    variant = product.variants.first()
    client.post(
        reverse("storefront:cart_add", args=[store.slug]),
        {"product": product.pk, "variant": variant.pk, "quantity": 3},
    )

    page = client.get(f"/s/{store.slug}/").content.decode()

    assert f'<a class="cartlink" href="/s/{store.slug}/cart/">Cart <b>3</b></a>' in page
