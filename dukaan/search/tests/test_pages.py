"""What a buyer sees of search: the store's search page and the API's search, on a real index."""

import html
import re
from decimal import Decimal

import pytest
from django.core.cache import caches
from django.core.management import call_command

from dukaan.catalog import services as catalog
from dukaan.events.local import run_pending
from dukaan.search import service
from dukaan.storefront.tests.conftest import bulk_catalog, page_weight

from . import test_service
from .test_service import ENGINE_DOWN

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"
shop = test_service.shop  # the same small shop, as a fixture here too


@pytest.fixture(autouse=True)
def fresh_search(settings, tmp_path):
    """A real index of this test's own, a closed circuit, and no catalog snapshot of an earlier test
    (on SQLite a rolled-back test's store ids come back)."""
    settings.SEARCH_URL = f"tantivy://{tmp_path / 'search'}"
    caches[settings.CATALOG_CACHE_ALIAS].clear()
    service.breaker.reset()
    yield
    service.breaker.reset()


def page(client, store, **params) -> str:
    response = client.get(f"/s/{store.slug}/search", params)
    assert response.status_code == 200
    return response.content.decode()


def names(text: str) -> list[str]:
    """Product names in the results, as a buyer reads them (without the highlighting)."""
    found = re.findall(r'<span class="name">(.*?)</span>', text)
    return [html.unescape(re.sub("</?mark>", "", name)) for name in found]


def category_id(store, name: str) -> int:
    return store.categories.get(name=name).pk


# --- The search page --------------------------------------------------------------------------------


def test_the_page_shows_matches_with_the_matched_words_marked(client, shop):
    text = page(client, shop, q="kurtas")

    assert "4 results for “kurtas”" in text
    assert sorted(names(text)) == ["Cotton kurta", "Kurta hanger", "Silk kurta", "Steel tiffin"]
    assert '<span class="name">Cotton <mark>kurta</mark></span>' in text
    assert "Secret kurta" not in text
    assert "From ₹1,200" in text and "Out of stock" in text


def test_a_name_with_markup_is_shown_as_text(client, store):
    catalog.create_product(store=store, name="<b>Bold</b> mug", price=Decimal("299"))
    run_pending()

    text = page(client, store, q="mug")

    assert '<span class="name">&lt;b&gt;Bold&lt;/b&gt; <mark>mug</mark></span>' in text
    assert "<b>Bold</b>" not in text


def test_a_typo_still_finds_the_product(client, shop):
    assert names(page(client, shop, q="tifin")) == ["Steel tiffin"]


def test_related_products_follow_those_with_every_word_under_their_own_heading(client, shop):
    text = page(client, shop, q="cotton kurta")

    assert "1 result for “cotton kurta”" in text
    exact, related = text.split('<h2 id="related">Related products</h2>')
    assert names(exact) == ["Cotton kurta"]
    assert sorted(names(related)) == ["Kurta hanger", "Silk kurta", "Steel tiffin"]


def test_when_nothing_has_every_word_the_page_says_so_and_shows_the_related_products(client, shop):
    text = page(client, shop, q="silk tiffin")

    assert "Nothing has every word of “silk tiffin”" in text
    assert "Here are 2 related products: each matches some of your words." in text
    assert sorted(names(text)) == ["Silk kurta", "Steel tiffin"]
    assert "Nothing matches" not in text


def test_a_typo_offers_the_corrected_search(client, shop):
    text = page(client, shop, q="steel tiffni")

    assert names(text) == ["Steel tiffin"]
    assert 'Did you mean <a href="?q=steel+tiffin">steel tiffin</a>?' in text
    assert "Did you mean" not in page(client, shop, q="steel tiffin")


def test_categories_of_the_matches_are_links_with_counts(client, shop):
    kurtas, kitchen = category_id(shop, "Kurtas"), category_id(shop, "Kitchen")

    text = page(client, shop, q="kurta")

    assert f'<a href="?q=kurta&amp;category={kurtas}">Kurtas <small>2</small></a>' in text
    assert f'<a href="?q=kurta&amp;category={kitchen}">Kitchen <small>2</small></a>' in text
    narrowed = page(client, shop, q="kurta", category=kitchen)
    assert sorted(names(narrowed)) == ["Kurta hanger", "Steel tiffin"]
    assert "2 results for “kurta” in Kitchen" in narrowed
    assert f'href="?q=kurta&amp;category={kitchen}" aria-current="page">Kitchen' in narrowed
    assert 'href="?q=kurta">All</a>' in narrowed


def test_price_stock_and_sort_filters_narrow_and_order_the_matches(client, shop):
    assert names(page(client, shop, q="kurta", sort="price_asc")) == [
        "Kurta hanger",
        "Steel tiffin",
        "Cotton kurta",
        "Silk kurta",
    ]
    assert names(page(client, shop, q="kurta", min_price="200", max_price="1200", sort="price_desc")) == [
        "Silk kurta",  # from ₹1,200: its cheapest size counts
        "Cotton kurta",
        "Steel tiffin",
    ]
    in_stock = page(client, shop, q="kurta", in_stock="1")
    assert sorted(names(in_stock)) == ["Cotton kurta", "Silk kurta", "Steel tiffin"]
    assert 'name="in_stock" value="1" checked' in in_stock
    assert '<details class="card" open>' in in_stock  # the filters the buyer set stay in view


def test_bad_parameters_are_ignored_and_the_rest_still_answers(client, shop):
    plain = names(page(client, shop, q="kurta"))

    assert names(page(client, shop, q="kurta", min_price="abc", max_price="NaN", sort="foo")) == plain
    assert names(page(client, shop, q="kurta", category="99999", page="-3")) == plain
    assert names(page(client, shop, q="kurta", category="1e5", min_price="-5", page="banana")) == plain
    assert names(page(client, shop, q="kurta", page="999999")) == plain  # past the end: the last page


def test_a_filter_with_no_words_lists_the_store_and_nothing_typed_says_what_to_do(client, shop):
    newest_first = names(page(client, shop, in_stock="1"))
    assert newest_first == ["Steel tiffin", "Silk kurta", "Cotton kurta"]

    empty = page(client, shop)
    assert "Type a product name above." in empty and names(empty) == []
    assert "Nothing matches “bicycle”" in page(client, shop, q="bicycle")


def test_pages_keep_the_filters_in_their_links(client, store):
    bulk_catalog(store, 30, hidden_every=1000)
    call_command("reindex", verbosity=0)

    first = page(client, store, q="kurta", sort="newest")
    second = page(client, store, q="kurta", sort="newest", page="2")

    assert len(names(first)) == 24 and len(names(second)) == 6
    assert not set(names(first)) & set(names(second))
    assert 'rel="next" href="?q=kurta&amp;sort=newest&amp;page=2"' in first and "Page 1 of 2" in first
    assert 'rel="prev" href="?q=kurta&amp;sort=newest&amp;page=1"' in second


def test_an_anonymous_buyers_search_page_is_kept_by_the_edge_and_tagged(client, shop):
    response = client.get(f"/s/{shop.slug}/search", {"q": "tiffin"})
    tiffin = shop.products.get(name="Steel tiffin")

    assert "public" in response["Cache-Control"] and "s-maxage" in response["Cache-Control"]
    assert response["xkey"] == f"store-{shop.pk} product-{tiffin.pk}"


def test_with_the_engine_down_the_page_answers_from_the_database_without_alarm(client, shop, settings):
    settings.SEARCH_URL = ENGINE_DOWN
    before = service.fallback_count()

    text = page(client, shop, q="KURTA", in_stock="1")

    assert service.fallback_count() == before + 1
    assert sorted(names(text)) == ["Cotton kurta", "Silk kurta", "Steel tiffin"]
    assert '<span class="name">Cotton <mark>kurta</mark></span>' in text
    said = re.search(r"<main>(.*)</main>", text, re.S)[1].casefold()
    for alarming in ("error", "unavailable", "sorry", "degraded", "try again"):
        assert alarming not in said


def test_the_search_page_weighs_under_50_kb_when_full(client, store, capsys):
    categories = [catalog.create_category(store=store, name=f"Category number {i}") for i in range(8)]
    for category in categories:
        bulk_catalog(store, 8, category=category, hidden_every=1000, prefix=category.name)
    call_command("reindex", verbosity=0)

    response = client.get(f"/s/{store.slug}/search", {"q": "kurta", "min_price": "1", "in_stock": "1"})

    weight = page_weight(response)
    with capsys.disabled():
        print(f"\nsearch page with 24 results, 8 categories and the filters: {weight} bytes")
    assert len(names(response.content.decode())) == 24
    assert weight < 50_000


# --- The API -----------------------------------------------------------------------------------------


def api(client, store, **params):
    return client.get(f"/api/v1/stores/{store.slug}/search", params)


def test_the_api_finds_with_highlights_totals_and_category_counts(client, shop):
    body = api(client, shop, q="kurtas", sort="price_asc").json()

    assert [item["name"] for item in body["items"]] == [
        "Kurta hanger",
        "Steel tiffin",
        "Cotton kurta",
        "Silk kurta",
    ]
    assert body["items"][0]["highlighted_name"] == "<mark>Kurta</mark> hanger"
    assert body["items"][3]["min_price"] == "1200.00"
    assert body["total"] == 4 and body["next_cursor"] is None
    assert sorted((c["name"], c["count"]) for c in body["categories"]) == [("Kitchen", 2), ("Kurtas", 2)]


def test_the_api_marks_related_products_and_offers_a_correction(client, shop):
    body = api(client, shop, q="silk tiffin").json()
    assert sorted(item["name"] for item in body["items"]) == ["Silk kurta", "Steel tiffin"]
    assert all(item["related"] for item in body["items"])
    assert (body["total"], body["related"], body["did_you_mean"]) == (2, 2, None)

    body = api(client, shop, q="tiffni").json()
    assert [(item["name"], item["related"]) for item in body["items"]] == [("Steel tiffin", False)]
    assert (body["related"], body["did_you_mean"]) == (0, "tiffin")


def test_the_api_filters_like_the_page(client, shop):
    kitchen = category_id(shop, "Kitchen")

    def found(**params):
        return [item["name"] for item in api(client, shop, q="kurta", **params).json()["items"]]

    assert found(category_id=kitchen, sort="price_desc") == ["Steel tiffin", "Kurta hanger"]
    assert found(min_price="200", max_price="500", sort="price_asc") == ["Steel tiffin", "Cotton kurta"]
    assert sorted(found(in_stock="true")) == ["Cotton kurta", "Silk kurta", "Steel tiffin"]


def test_the_api_walks_every_match_once_by_cursor(client, store):
    bulk_catalog(store, 30, hidden_every=1000)
    call_command("reindex", verbosity=0)

    seen, cursor = [], None
    while True:
        body = api(client, store, q="kurta", limit=20, **({"cursor": cursor} if cursor else {})).json()
        seen += [item["id"] for item in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break

    assert len(seen) == len(set(seen)) == 30


@pytest.mark.parametrize(
    "params, status, member",
    [
        ({"min_price": "abc"}, 422, "min_price"),
        ({"sort": "cheapest"}, 422, "sort"),
        ({"min_price": "-1"}, 422, "min_price"),
        ({"min_price": "500", "max_price": "100"}, 422, "min_price"),
        ({"cursor": "not-a-cursor"}, 400, None),
    ],
)
def test_the_api_refuses_bad_parameters_with_a_problem(client, shop, params, status, member):
    response = api(client, shop, q="kurta", **params)

    assert response.status_code == status and response["Content-Type"] == PROBLEM
    body = response.json()
    assert body["detail"]
    if member:
        assert member in [error["field"] for error in body["errors"]]


def test_a_cursor_of_another_search_is_refused(client, store):
    bulk_catalog(store, 30, hidden_every=1000)
    call_command("reindex", verbosity=0)
    cursor = api(client, store, q="kurta", limit=5).json()["next_cursor"]

    response = api(client, store, q="kurta", sort="newest", limit=5, cursor=cursor)

    assert response.status_code == 400 and response.json()["type"] == "/api/problems/invalid-cursor"


def test_with_the_engine_down_the_api_answers_from_the_database(client, shop, settings):
    settings.SEARCH_URL = ENGINE_DOWN

    body = api(client, shop, q="tiffin").json()

    assert [item["highlighted_name"] for item in body["items"]] == ["Steel <mark>tiffin</mark>"]
