"""The embedded engine's own part of the relevance rules: pages that start in one tier and end in the
other, and typos that keep the first letter however many edits a word may have."""

import pytest

from dukaan.search.backend import SearchQuery

from .test_relevance import CATALOG, HOME, product


@pytest.fixture
def engine(tantivy_backend):
    tantivy_backend.index(CATALOG)
    return tantivy_backend


def page(engine, text, offset, limit, **options):
    return engine.search(SearchQuery(store_id=HOME, text=text, offset=offset, limit=limit, **options))


def test_a_page_starts_among_the_exact_products_and_ends_among_the_related_ones(engine):
    everything = page(engine, "linen sofa", 0, 50, sort="price_desc").hits
    assert [(hit.product_id, hit.related) for hit in everything] == [
        (11, False),
        (13, True),
        (12, True),
        (10, True),
    ]
    pages = [page(engine, "linen sofa", offset, 2, sort="price_desc") for offset in (0, 1, 3)]
    assert [[hit.product_id for hit in found.hits] for found in pages] == [[11, 13], [13, 12], [10]]
    assert {(found.total, found.related) for found in pages} == {(4, 3)}


def test_a_page_of_exact_products_still_counts_the_related_ones(engine):
    found = page(engine, "linen sofa", 0, 1)
    assert [hit.product_id for hit in found.hits] == [11]
    assert (found.total, found.related) == (4, 3)
    assert {facet.count for facet in found.categories} == {3, 1}  # furniture 3, decor 1


def test_two_typos_never_change_the_first_letter(tantivy_backend):
    # "handloon" is one typo from "handloom" and two from "sandloom": one too many, the first letter
    tantivy_backend.index([product(70, HOME, "Handloom Durrie", 10), product(71, HOME, "Sandloom Mat", 10)])
    search = tantivy_backend.search
    assert [hit.product_id for hit in search(SearchQuery(store_id=HOME, text="handloon")).hits] == [70]
    assert [hit.product_id for hit in search(SearchQuery(store_id=HOME, text="sandloon")).hits] == [71]


def test_the_start_of_a_word_being_typed_is_not_taken_for_a_typo(engine):
    found = page(engine, "keyp", 0, 10)
    assert [hit.product_id for hit in found.hits] == [15]  # "keypad", not "Keeps water cool"
    assert found.did_you_mean == ""
