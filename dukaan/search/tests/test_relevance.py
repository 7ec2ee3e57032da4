"""The relevance rules of docs/search.md, each a small example, checked on every engine adapter.

Tiers (every word first, then most words), the shopper's own word before a typo of it, typos
inside synonyms and the last word, "did you mean", what a product is for, and Devanagari.
"""

from decimal import Decimal

import pytest

from dukaan.search.analysis import RELATED_BELOW
from dukaan.search.backend import ProductDocument, SearchQuery

HOME = 1  # a home and furniture shop that also sells a few clothes, phones and groceries
PHONES = 2  # a phone shop
MEAT = 3  # a butcher, whose "lamb" is a word the home shop does not know
SHIRTS = 4  # a shop with many blue shirts

FURNITURE, DECOR, CLOTHING, PHONE, ACCESSORY, GROCERY = 10, 11, 12, 13, 14, 15
CATEGORY_NAMES = {
    FURNITURE: "Furniture",
    DECOR: "Home Decor",
    CLOTHING: "Clothing",
    PHONE: "Mobiles",
    ACCESSORY: "Mobile Accessories",
    GROCERY: "Groceries",
}


def product(id, store_id, name, category_id, *, description=""):
    return ProductDocument(
        id=id,
        store_id=store_id,
        version=1,
        name=name,
        description=description,
        category_id=category_id,
        category_name=CATEGORY_NAMES[category_id],
        price=Decimal(100 + id),
        in_stock=True,
        created_at=1_700_000_000 + id,
    )


CATALOG = [
    product(1, HOME, "Teak Dining Table", FURNITURE),
    product(2, HOME, "Sheesham Living Room Table", FURNITURE),
    product(3, HOME, "Wall Clock", DECOR),
    product(4, HOME, "Copper Water Bottle", DECOR, description="Keeps water cool, well made"),
    product(5, HOME, "Wooden Bed", FURNITURE),
    product(6, HOME, "Red Cotton Kurta", CLOTHING),
    product(7, HOME, "Brass Table Lamp", DECOR),
    product(8, HOME, "Folding Camp Chair", FURNITURE),
    product(9, HOME, "Marble Coaster Set", DECOR),
    product(10, HOME, "Coastal Cotton Sofa", FURNITURE),
    product(11, HOME, "Modern Linen Sofa", FURNITURE),
    product(12, HOME, "Coastal Linen Cushion Cover", DECOR),
    product(13, HOME, "Velvet Sofa", FURNITURE, description="Pairs well with our sofa cushions"),
    product(14, HOME, "Steel Tiffin", DECOR),
    product(15, HOME, "Nokia Keypad Phone", PHONE),
    product(16, HOME, "Leather Slipper", CLOTHING),
    product(17, HOME, "Banarasi Silk Saree (Red)", CLOTHING),
    product(18, HOME, "Basmati Rice 5 kg", GROCERY),
    product(20, PHONES, "Flip Cover for Samsung Galaxy M14 (Blue)", ACCESSORY),
    product(21, PHONES, "Samsung Galaxy M14 5G (Blue, 128 GB)", PHONE,
            description="6.6 inch display, 6000 mAh battery"),
    product(22, PHONES, "Tempered Glass for Samsung Galaxy M14", ACCESSORY),
    product(30, MEAT, "Lamb Keema 500 g", GROCERY),
    *(product(40 + n, SHIRTS, f"Blue Cotton Shirt No. {n}", CLOTHING) for n in range(RELATED_BELOW)),
    product(60, SHIRTS, "Blue Denim Jeans", CLOTHING),
]  # fmt: skip


@pytest.fixture
def engine(backend):
    """Each engine adapter in turn (conftest's `backend`), with the catalog indexed."""
    backend.index(CATALOG)
    return backend


def search(engine, text, store_id=HOME, **options):
    return engine.search(SearchQuery(store_id=store_id, text=text, **{"limit": 50, **options}))


def found(engine, text, store_id=HOME, **options) -> list[int]:
    return [hit.product_id for hit in search(engine, text, store_id, **options).hits]


def exact(engine, text, store_id=HOME) -> list[int]:
    """The products matching every word, in rank order."""
    return [hit.product_id for hit in search(engine, text, store_id).hits if not hit.related]


# --- The shopper's own word: no false friends -----------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("dining", [1]),  # not "Living Room Table"
        ("living", [2]),
        ("wall", [3]),  # not the bottle that is "well made"
        ("bed", [5]),  # not "Red Cotton Kurta"
        ("red", [17, 6]),  # the name's own bracket counts as the name
        ("lamp", [7]),  # not the camp chair
        ("camp", [8]),
        ("marble", [9]),  # not a table
    ],
)
def test_a_word_the_store_knows_finds_only_itself(engine, text, expected):
    assert sorted(found(engine, text)) == sorted(expected)


def test_a_word_the_store_does_not_know_is_forgiven_one_typo_first_letter_kept(engine):
    assert set(found(engine, "tabel")) == set(found(engine, "table")) == {1, 2, 7}
    assert set(found(engine, "lmap")) == {7}
    assert found(engine, "ramp") == []  # one typo from "lamp", but not its first letter
    assert found(engine, "bde") == []  # three letters: no typo allowed


def test_two_typos_only_from_eight_letters(engine):
    assert found(engine, "sheesam") == [2]  # 7 letters, 1 typo
    assert found(engine, "shisham") == []  # 7 letters, 2 typos
    assert found(engine, "bannaresi") == [17]  # 9 letters, 2 typos


def test_a_typo_is_forgiven_in_the_category_and_the_description_too(engine):
    assert found(engine, "grocries") == [18]  # the category "Groceries"
    assert found(engine, "cooll") == [4]  # "Keeps water cool"


def test_a_word_is_known_or_not_per_store(engine):
    assert found(engine, "lamb", store_id=MEAT) == [30]
    assert found(engine, "lamb", store_id=HOME) == [7]  # unknown here: a typo of "lamp"


# --- Tiers --------------------------------------------------------------------------------------------


def test_when_nothing_has_every_word_the_products_with_most_of_them_are_shown_as_related(engine):
    results = search(engine, "coastal linen sofa")
    assert {hit.product_id for hit in results.hits} == {10, 11, 12}  # two words of three each
    assert all(hit.related for hit in results.hits)
    assert results.related == results.total == 3


def test_products_with_every_word_come_before_the_related_ones(engine):
    results = search(engine, "linen sofa")
    assert results.hits[0].product_id == 11 and not results.hits[0].related
    assert {hit.product_id for hit in results.hits[1:]} == {10, 12, 13}
    assert all(hit.related for hit in results.hits[1:])
    assert (results.total, results.related) == (4, 3)


def test_related_products_follow_the_sort_order_after_the_exact_ones(engine):
    by_price = found(engine, "linen sofa", sort="price_desc")
    assert by_price == [11, 13, 12, 10]


def test_pages_run_over_both_tiers(engine):
    pages = [search(engine, "linen sofa", offset=offset, limit=2) for offset in (0, 2)]
    assert [hit.product_id for page in pages for hit in page.hits] == found(engine, "linen sofa")
    assert [page.total for page in pages] == [4, 4]


def test_facets_count_the_related_products_too(engine):
    results = search(engine, "coastal linen sofa")
    assert {facet.category_id: facet.count for facet in results.categories} == {FURNITURE: 2, DECOR: 1}


def test_enough_products_with_every_word_and_no_related_ones_are_added(engine):
    results = search(engine, "blue shirt", store_id=SHIRTS)
    assert results.total == RELATED_BELOW and results.related == 0
    assert 60 not in found(engine, "blue shirt", store_id=SHIRTS)


def test_a_single_word_is_never_relaxed(engine):
    assert set(found(engine, "sofa")) == {10, 11, 13}
    assert search(engine, "sofa").related == 0


# --- Typos inside synonyms and the last word, and "did you mean" -------------------------------------


def test_a_typo_inside_a_synonym_still_finds_its_pair(engine):
    results = search(engine, "lunhbox")  # "tiffin, lunchbox"
    assert [hit.product_id for hit in results.hits] == [14]
    assert results.did_you_mean == "lunchbox"


def test_a_typo_in_the_last_unfinished_word(engine):
    assert found(engine, "pohn") == [15]  # "phon…", typed toward "phone"
    assert found(engine, "sliop") == [16]  # "slipp…"
    assert found(engine, "nokia keyp") == [15]


def test_did_you_mean_corrects_the_unknown_words_only(engine):
    assert search(engine, "wodden bed").did_you_mean == "wooden bed"
    assert search(engine, "teak tabel").did_you_mean == "teak table"
    assert search(engine, "wooden bed").did_you_mean == ""
    assert search(engine, "zzzqx").did_you_mean == ""


def test_did_you_mean_keeps_a_word_that_found_nothing_while_the_others_found_products(engine):
    # The blue shirts are found for "blue"; nothing is found for "lunhbox" (a typo of "lunchbox", a
    # synonym of "tiffin"), so "blue lunchbox" would find nothing more.
    results = search(engine, "blue lunhbox", store_id=SHIRTS)
    assert results.hits and all(hit.related for hit in results.hits)
    assert results.did_you_mean == ""
    assert search(engine, "steel lunhbox").did_you_mean == "steel lunchbox"  # the Steel Tiffin


# --- What a product is, not what it is for ---------------------------------------------------------


def test_a_phone_ranks_above_what_is_made_for_it(engine):
    ranked = found(engine, "galaxy m14", store_id=PHONES)
    assert ranked[0] == 21 and set(ranked) == {20, 21, 22}
    assert found(engine, "samsung cover", store_id=PHONES)[0] == 20


# --- Devanagari ---------------------------------------------------------------------------------------


def test_a_devanagari_query_finds_latin_products_through_synonyms(engine):
    assert found(engine, "साड़ी") == [17]
    assert exact(engine, "लाल साड़ी") == [17]
    assert found(engine, "चावल") == [18]
