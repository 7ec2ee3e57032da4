"""search_products(): the engine SEARCH_URL names, and the database when that engine fails."""

import logging
from decimal import Decimal

import pytest
from django.core.exceptions import ImproperlyConfigured

from dukaan.catalog import services as catalog
from dukaan.catalog.models import Product
from dukaan.events.local import run_pending
from dukaan.search import service
from dukaan.search.backend import SearchQuery
from dukaan.search.tantivy_backend import TantivyBackend

pytestmark = pytest.mark.django_db

ENGINE_DOWN = "http://127.0.0.1:9"  # nothing listens on the discard port: connections are refused


@pytest.fixture
def shop(store):
    """Kurtas (one with variants, its M size sold out) and kitchen things, indexed by the bus; one hidden."""
    kurtas = catalog.create_category(store=store, name="Kurtas")
    kitchen = catalog.create_category(store=store, name="Kitchen")
    catalog.create_product(store=store, name="Cotton kurta", price=Decimal("499"), category=kurtas)
    catalog.create_product(
        store=store,
        name="Silk kurta",
        price=Decimal("1500"),
        category=kurtas,
        variants=[
            catalog.VariantInput(options={"Size": "M"}, price=Decimal("1200"), stock=0),
            catalog.VariantInput(options={"Size": "L"}, price=Decimal("1300"), stock=2),
        ],
    )
    catalog.create_product(store=store, name="Kurta hanger", price=Decimal("99"), category=kitchen, stock=0)
    catalog.create_product(
        store=store, name="Steel tiffin", price=Decimal("250"), category=kitchen, description="Holds a kurta"
    )
    catalog.create_product(store=store, name="Secret kurta", price=Decimal("10"), is_active=False)
    run_pending()
    return store


def names(results) -> list[str]:
    by_id = dict(Product.objects.values_list("pk", "name"))
    return [by_id[hit.product_id] for hit in results.hits]


def query(store, text="", **filters) -> SearchQuery:
    return SearchQuery(store_id=store.pk, text=text, **filters)


# --- The engine ------------------------------------------------------------------------------------


def test_the_engine_is_made_once_and_again_when_search_url_changes(settings, tmp_path):
    first = service.get_backend()

    assert isinstance(first, TantivyBackend) and first.path == tmp_path / "search"
    assert service.get_backend() is first
    settings.SEARCH_URL = f"tantivy://{tmp_path / 'elsewhere'}"
    assert service.get_backend().path == tmp_path / "elsewhere"


@pytest.mark.parametrize("url", ["ftp://example.com/index", "tantivy://var/search", "search"])
def test_a_search_url_naming_no_engine_says_what_to_write(settings, url):
    settings.SEARCH_URL = url

    with pytest.raises(ImproperlyConfigured, match="tantivy:///absolute/path") as error:
        service.get_backend()
    assert repr(url) in str(error.value)


def test_the_engine_answers_with_typos_word_forms_and_highlights(shop):
    results = service.search_products(query(shop, "kurtaa"))  # one typo: 6 letters

    assert results.engine == "tantivy"
    assert sorted(names(results)) == ["Cotton kurta", "Kurta hanger", "Silk kurta", "Steel tiffin"]
    assert "Secret kurta" not in names(results)
    highlighted = {hit.highlighted_name for hit in results.hits}
    assert "Cotton <mark>kurta</mark>" in highlighted


# --- The database, when the engine fails -------------------------------------------------------------


def test_an_engine_that_is_down_is_answered_from_the_database_and_counted(shop, settings):
    settings.SEARCH_URL = ENGINE_DOWN
    before = service.fallback_count()

    results = service.search_products(query(shop, "KURTA"))

    assert results.engine == "database"
    assert service.fallback_count() == before + 1
    assert names(results) == ["Kurta hanger", "Silk kurta", "Cotton kurta", "Steel tiffin"]  # names first
    assert results.total == 4
    assert results.hits[0].highlighted_name == "<mark>Kurta</mark> hanger"


def test_the_database_finds_a_devanagari_word_as_written_or_in_latin_letters(shop, settings):
    catalog.create_product(store=shop, name="लाल साड़ी", price=Decimal("900"))
    settings.SEARCH_URL = ENGINE_DOWN

    assert names(service.search_products(query(shop, "साड़ी"))) == ["लाल साड़ी"]
    assert names(service.search_products(query(shop, "कुर्ता"))) == [  # "kurta", names first
        "Kurta hanger",
        "Silk kurta",
        "Cotton kurta",
        "Steel tiffin",
    ]


def test_the_circuit_opens_so_an_outage_costs_no_time_per_search(shop, settings, caplog):
    settings.SEARCH_URL = ENGINE_DOWN
    failures = service.breaker.failure_threshold
    with caplog.at_level(logging.WARNING):
        for _ in range(failures):
            service.search_products(query(shop, "kurta"))
    assert service.breaker.state == "open"
    assert "circuit open" in caplog.text

    caplog.clear()
    with caplog.at_level(logging.WARNING):
        results = service.search_products(query(shop, "kurta"))

    assert results.engine == "database" and results.total == 4
    assert "search engine failed" not in caplog.text  # the engine was not asked, so not waited for


def test_the_engine_is_used_again_once_it_answers(shop, settings, monkeypatch):
    working = settings.SEARCH_URL
    settings.SEARCH_URL = ENGINE_DOWN
    for _ in range(service.breaker.failure_threshold):
        service.search_products(query(shop, "kurta"))
    monkeypatch.setattr(service.breaker, "reset_seconds", 0)
    settings.SEARCH_URL = working

    assert service.search_products(query(shop, "kurta")).engine == "tantivy"
    assert service.breaker.state == "closed"


@pytest.mark.parametrize(
    "text, filters",
    [
        ("kurta", {}),
        ("kurta", {"min_price": Decimal("100"), "max_price": Decimal("1250")}),
        ("kurta", {"in_stock": True}),
        ("kurta", {"sort": "price_asc"}),
        ("kurta", {"sort": "price_desc", "offset": 1, "limit": 2}),
        ("", {"sort": "newest"}),
        ("", {"category_id": "Kitchen"}),
        ("tiffin", {}),
    ],
)
def test_the_database_finds_filters_sorts_and_counts_as_the_engine_does(shop, text, filters):
    if "category_id" in filters:
        filters["category_id"] = shop.categories.get(name=filters["category_id"]).pk
    asked = query(shop, text, **filters)

    engine = service.get_backend().search(asked)
    database = service.database_search(asked)

    assert (database.engine, engine.engine) == ("database", "tantivy")
    if asked.sort == "relevance":  # the engines rank by their own scores; the database by names first
        assert sorted(names(database)) == sorted(names(engine))
    else:
        assert names(database) == names(engine)
    assert database.total == engine.total
    assert database.categories == engine.categories
