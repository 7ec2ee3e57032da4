"""What a shopper notices of search, checked on every engine adapter through the same cases."""

import multiprocessing
import os
import shutil
from collections import Counter
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest

from dukaan.search.backend import ProductDocument, SearchQuery, SearchUnavailable
from dukaan.search.tantivy_backend import TantivyBackend

SHOP = 1  # a shop selling phones, clothes, shoes, groceries and kitchen things
OTHER_SHOP = 2  # another shop with some products of the very same names

ELECTRONICS, CLOTHING, FOOTWEAR, GROCERIES, KITCHEN = 10, 11, 12, 13, 14
OTHER_PHONES, OTHER_CLOTHES = 20, 21
CATEGORY_NAMES = {
    ELECTRONICS: "Electronics",
    CLOTHING: "Clothing",
    FOOTWEAR: "Footwear",
    GROCERIES: "Groceries",
    KITCHEN: "Home & Kitchen",
    OTHER_PHONES: "Electronics",
    OTHER_CLOTHES: "Clothing",
}
DAY = 86_400


def product(id, store_id, name, category_id, price, *, in_stock=True, description="", variants=""):
    return ProductDocument(
        id=id,
        store_id=store_id,
        version=1,
        name=name,
        description=description,
        category_id=category_id,
        category_name=CATEGORY_NAMES.get(category_id, ""),
        price=Decimal(price),
        in_stock=in_stock,
        created_at=1_700_000_000 + id * DAY,  # a higher id is a newer product
        variant_labels=variants,
    )


CATALOG = [
    product(1, SHOP, "Samsung Galaxy M14 5G Smartphone", ELECTRONICS, "13999.00",
            description="6.6 inch display, 50 MP camera, 6000 mAh battery",
            variants="Colour: Blue, Colour: Silver"),
    product(2, SHOP, "Redmi Note 13 Smartphone", ELECTRONICS, "16999.00", in_stock=False,
            description="AMOLED display and a fast charger in the box"),
    product(3, SHOP, "Nokia 105 Keypad Phone", ELECTRONICS, "1299.00", description="Battery lasts for days"),
    product(4, SHOP, "Boat Wireless Earphones", ELECTRONICS, "1499.00",
            description="Bluetooth, 20 hours playback"),
    product(5, SHOP, "Cotton Kurta", CLOTHING, "799.00",
            description="Straight cut, breathable fabric", variants="Size: M, Size: L, Size: XL"),
    product(6, SHOP, "Banarasi Silk Saree", CLOTHING, "2499.00",
            description="Woven zari border, with blouse piece"),
    product(7, SHOP, "Printed Tee", CLOTHING, "399.00", description="Round neck, soft jersey"),
    product(8, SHOP, "Slim Fit Denim Jeans", CLOTHING, "1199.00", in_stock=False),
    product(9, SHOP, "Leather Slipper", FOOTWEAR, "499.00", description="Soft sole for home and outdoors"),
    product(10, SHOP, "Running Shoes", FOOTWEAR, "2199.00",
            description="Light mesh upper", variants="Size: 8, Size: 9"),
    product(11, SHOP, "Basmati Rice 5 kg", GROCERIES, "649.00", description="Aged long grain"),
    product(12, SHOP, "Toor Dal 1 kg", GROCERIES, "169.00", description="Unpolished split pigeon peas"),
    product(13, SHOP, "Whole Wheat Atta 10 kg", GROCERIES, "459.00", in_stock=False),
    product(14, SHOP, "Cold Pressed Mustard Oil", GROCERIES, "229.00"),
    product(15, SHOP, "<b>Bold</b> Coffee Mug", KITCHEN, "299.00", description="Ceramic, 350 ml"),
    product(16, SHOP, "Non-Stick Tawa", KITCHEN, "899.00", description="Induction friendly"),
    product(17, SHOP, "Shoe Rack", KITCHEN, "1599.00", description="Keeps your footwear tidy by the door"),
    product(18, SHOP, "Cotton Bedsheet", KITCHEN, "999.00", description="Double bed, two pillow covers"),
    product(19, SHOP, "Steel Tiffin", KITCHEN, "349.00", in_stock=False, description="Three compartments"),
    product(20, SHOP, "Handloom Dupatta", None, "599.00", description="Cotton, hand woven"),
    product(101, OTHER_SHOP, "Samsung Galaxy M14 5G Smartphone", OTHER_PHONES, "13499.00"),
    product(102, OTHER_SHOP, "Cotton Kurta", OTHER_CLOTHES, "699.00"),
    product(103, OTHER_SHOP, "Leather Slipper", OTHER_CLOTHES, "450.00"),
    product(104, OTHER_SHOP, "Printed Tee", OTHER_CLOTHES, "350.00"),
    product(105, OTHER_SHOP, "Samsung Charger 25W", OTHER_PHONES, "999.00"),
    product(106, OTHER_SHOP, "Apple iPhone 15", OTHER_PHONES, "69900.00"),
    product(107, OTHER_SHOP, "Silk Saree", OTHER_CLOTHES, "3999.00"),
    product(108, OTHER_SHOP, "Kids Kurti", OTHER_CLOTHES, "499.00"),
    product(109, OTHER_SHOP, "Basmati Rice 1 kg", None, "149.00"),
    product(110, OTHER_SHOP, "Mobile Cover", OTHER_PHONES, "199.00"),
]  # fmt: skip
SHOP_PRODUCTS = [document for document in CATALOG if document.store_id == SHOP]
OTHER_SHOP_IDS = {document.id for document in CATALOG if document.store_id == OTHER_SHOP}


@pytest.fixture
def engine(backend):
    """The engine with the catalog indexed."""
    backend.index(CATALOG)
    return backend


def search(engine, text="", store_id=SHOP, **options):
    return engine.search(SearchQuery(store_id=store_id, text=text, **options))


def found(engine, text="", store_id=SHOP, **options) -> list[int]:
    """The ids of every match, in the order the engine ranks them."""
    return [hit.product_id for hit in search(engine, text, store_id, limit=100, **options).hits]


def exact(engine, text, store_id=SHOP) -> list[int]:
    """The ids of the products matching every word (the related ones follow them)."""
    return [hit.product_id for hit in search(engine, text, store_id, limit=100).hits if not hit.related]


def names(product_ids) -> list[str]:
    by_id = {document.id: document.name for document in CATALOG}
    return [by_id[product_id] for product_id in product_ids]


# --- Finding what the shopper meant ---------------------------------------------------------------


def test_a_typo_finds_the_product(engine):
    assert found(engine, "samsng")[0] == 1
    assert found(engine, "samsng galxy") == [1]


def test_a_plural_finds_the_singular(engine):
    assert found(engine, "kurtas") == [5]
    assert 10 in found(engine, "shoe")  # and the singular the plural: "Running Shoes"


def test_a_synonym_finds_its_pair(engine):
    assert found(engine, "chappal") == [9]
    assert {1, 2, 3} <= set(found(engine, "mobile"))  # smartphones and a keypad phone
    assert found(engine, "chawal") == [11]


def test_a_store_synonym_works_for_the_query_that_carries_it(engine):
    assert found(engine, "tshirt", synonyms=(("tee", "tshirt"),)) == [7]
    assert found(engine, "tshirt") == []


def test_the_start_of_a_word_finds_it_as_the_shopper_types(engine):
    assert found(engine, "sams") == [1]
    assert found(engine, "cotton ku")[0] == 5


def test_the_word_as_typed_ranks_above_its_synonyms(engine):
    smartphone = found(engine, "smartphone")
    assert set(smartphone[:2]) == {1, 2}  # named "… Smartphone"
    assert smartphone[2:] == [3]  # "Nokia 105 Keypad Phone"
    assert found(engine, "phone")[0] == 3


def test_products_with_every_word_come_first_and_those_with_some_follow_as_related(engine):
    results = search(engine, "cotton kurta", limit=100)
    assert [(hit.product_id, hit.related) for hit in results.hits[:1]] == [(5, False)]
    assert {hit.product_id for hit in results.hits[1:]} == {18, 20}  # "cotton" only
    assert all(hit.related for hit in results.hits[1:]) and results.related == 2
    assert set(found(engine, "samsung kurta")) == {1, 5}


def test_a_word_in_the_name_ranks_above_one_in_the_category_and_that_above_the_description(engine):
    footwear = found(engine, "footwear")
    assert set(footwear[:2]) == {9, 10}  # in the Footwear category
    assert footwear[2:] == [17]  # "Shoe Rack … keeps your footwear tidy"
    cotton = found(engine, "cotton")
    assert set(cotton[:2]) == {5, 18}  # "Cotton" in the name
    assert cotton[2:] == [20]  # only in the description


def test_a_word_the_store_has_is_not_taken_for_a_typo_of_another(engine):
    assert found(engine, "bold") == [15]  # not "Cold Pressed Mustard Oil"
    assert found(engine, "cold") == [14]
    assert found(engine, "bolf") == [15]  # a word it does not have is forgiven a typo


def test_nothing_found_is_an_empty_page(engine):
    results = search(engine, "zxqvw")
    assert (results.hits, results.total, results.categories) == ([], 0, [])


# --- Filters, facets, sorting and paging -----------------------------------------------------------


def test_the_category_filter_keeps_that_category_only(engine):
    clothes = [document.id for document in SHOP_PRODUCTS if document.category_id == CLOTHING]
    assert sorted(found(engine, category_id=CLOTHING)) == clothes
    assert found(engine, "cotton", category_id=CLOTHING) == [5]


def test_the_price_range_includes_both_ends(engine):
    in_range = [
        document.id for document in SHOP_PRODUCTS if Decimal("399") <= document.price <= Decimal("799")
    ]
    assert sorted(found(engine, min_price=Decimal("399.00"), max_price=Decimal("799.00"))) == in_range
    assert 7 in in_range and 5 in in_range  # the ends themselves: 399.00 and 799.00
    cheap = [document.id for document in SHOP_PRODUCTS if document.price <= Decimal("400")]
    assert sorted(found(engine, max_price=Decimal("400"))) == cheap


def test_in_stock_leaves_out_what_cannot_be_bought(engine):
    assert set(found(engine, "smartphone")) == {1, 2, 3}
    assert set(found(engine, "smartphone", in_stock=True)) == {1, 3}
    in_stock = [document.id for document in SHOP_PRODUCTS if document.in_stock]
    assert sorted(found(engine, in_stock=True)) == in_stock


def test_facets_count_every_match_per_category_ignoring_the_category_filter(engine):
    results = search(engine, category_id=CLOTHING, max_price=Decimal("1000"), limit=2)
    matching = [document for document in SHOP_PRODUCTS if document.price <= Decimal("1000")]
    expected = Counter(document.category_id for document in matching if document.category_id is not None)
    assert {facet.category_id: facet.count for facet in results.categories} == expected
    counts = [facet.count for facet in results.categories]
    assert counts == sorted(counts, reverse=True)
    assert results.total == sum(1 for document in matching if document.category_id == CLOTHING)


def test_facets_follow_the_words_of_the_query(engine):
    results = search(engine, "cotton")
    assert {facet.category_id: facet.count for facet in results.categories} == {CLOTHING: 1, KITCHEN: 1}


@pytest.mark.parametrize(
    ("sort", "key"),
    [
        ("price_asc", lambda document: document.price),
        ("price_desc", lambda document: -document.price),
        ("newest", lambda document: -document.created_at),
    ],
)
def test_each_sort_order(engine, sort, key):
    assert found(engine, sort=sort) == [document.id for document in sorted(SHOP_PRODUCTS, key=key)]
    cotton = [
        document
        for document in SHOP_PRODUCTS
        if "cotton" in f"{document.name} {document.description}".lower()
    ]
    assert found(engine, "cotton", sort=sort) == [document.id for document in sorted(cotton, key=key)]


def test_without_words_the_newest_come_first(engine):
    newest_first = sorted(SHOP_PRODUCTS, key=lambda document: -document.created_at)
    assert found(engine) == [document.id for document in newest_first]
    assert found(engine, " -- ! ") == [document.id for document in newest_first]


def test_pages_together_hold_every_match_once(engine):
    pages = [search(engine, sort="price_asc", offset=offset, limit=6) for offset in (0, 6, 12, 18)]
    assert [len(page.hits) for page in pages] == [6, 6, 6, 2]
    assert {page.total for page in pages} == {len(SHOP_PRODUCTS)}
    everything = [hit.product_id for page in pages for hit in page.hits]
    assert everything == found(engine, sort="price_asc")
    assert search(engine, offset=100).hits == []


# --- One store never sees another's ----------------------------------------------------------------


@pytest.mark.parametrize(
    "text", ["", "Samsung Galaxy M14 5G Smartphone", "samsng", "sams", "mobile", "kurti", "rice"]
)
def test_another_stores_products_never_appear(engine, text):
    results = search(engine, text, limit=100)
    assert not {hit.product_id for hit in results.hits} & OTHER_SHOP_IDS
    assert not {facet.category_id for facet in results.categories} & {OTHER_PHONES, OTHER_CLOTHES}
    assert results.total == len(results.hits)


def test_each_store_finds_its_own_product_of_the_same_name(engine):
    assert found(engine, "Samsung Galaxy M14 5G Smartphone") == [1]
    assert found(engine, "Samsung Galaxy M14 5G Smartphone", store_id=OTHER_SHOP) == [101]
    assert found(engine, "Samsung Galaxy M14 5G Smartphone", store_id=3) == []


# --- Keeping the index in step with the catalog ----------------------------------------------------


def test_a_change_shows_at_once(engine):
    engine.index([replace(CATALOG[4], name="Cotton Kurta with Pockets", version=2)])
    assert found(engine, "pockets") == [5]


def test_a_newer_version_is_never_replaced_by_an_older_one(engine):
    renamed = replace(CATALOG[4], name="Linen Kurta", version=3)
    engine.index([renamed])
    engine.index([replace(CATALOG[4], name="Cotton Kurta", version=2)])  # a late event
    assert found(engine, "linen") == [5]
    assert 5 not in found(engine, "cotton")
    engine.index(
        [replace(renamed, name="Khadi Kurta", version=5), replace(renamed, name="Vintage Kurta", version=4)]
    )
    assert found(engine, "khadi") == [5]
    assert found(engine, "vintage") == []


def test_a_repeated_event_changes_nothing(engine):
    engine.index([CATALOG[4]])
    assert found(engine, "kurta") == [5]
    assert search(engine).total == len(SHOP_PRODUCTS)


def test_delete_removes_the_stores_products_only(engine):
    engine.delete(SHOP, [5, 9, 999])
    assert found(engine, "kurta") == []
    assert found(engine, "slipper") == []
    assert exact(engine, "cotton kurta", store_id=OTHER_SHOP) == [102]
    engine.delete(OTHER_SHOP, [1])  # not its product: nothing happens
    assert found(engine, "samsung") == [1]


def test_delete_store_removes_every_product_of_that_store(engine):
    engine.delete_store(OTHER_SHOP)
    assert search(engine, store_id=OTHER_SHOP).total == 0
    assert search(engine).total == len(SHOP_PRODUCTS)


def test_rebuild_replaces_everything_and_searches_answer_meanwhile(backend):
    backend.index(CATALOG)
    seen_during_rebuild = []

    def chunks():
        yield [replace(document, name=f"New {document.name}", version=2) for document in SHOP_PRODUCTS[:10]]
        seen_during_rebuild.append(found(backend, "kurta"))
        yield [replace(document, version=2) for document in CATALOG if document.store_id == OTHER_SHOP]

    assert backend.rebuild(chunks()) == 10 + len(OTHER_SHOP_IDS)
    assert seen_during_rebuild == [[5]]
    assert search(backend).total == 10
    assert found(backend, "kurta") == [5]
    assert found(backend, "rice") == []  # product 11 was not in the new index
    assert exact(backend, "cotton kurta", store_id=OTHER_SHOP) == [102]


def test_a_failed_rebuild_leaves_the_old_index_answering(backend):
    backend.index(CATALOG)

    def chunks():
        yield [replace(document, name="Something Else", version=2) for document in SHOP_PRODUCTS]
        raise DatabaseWentAway("connection lost")

    with pytest.raises(DatabaseWentAway):
        backend.rebuild(chunks())
    assert found(backend, "kurta") == [5]
    assert search(backend).total == len(SHOP_PRODUCTS)


class DatabaseWentAway(Exception):
    pass


# --- What the page shows ---------------------------------------------------------------------------


def test_the_matched_words_are_highlighted(engine):
    [hit] = search(engine, "kurtas").hits
    assert hit.highlighted_name == "Cotton <mark>Kurta</mark>"
    [hit] = search(engine, "samsng").hits
    assert hit.highlighted_name == "<mark>Samsung</mark> Galaxy M14 5G Smartphone"
    [hit] = search(engine, "chappal").hits
    assert hit.highlighted_name == "Leather <mark>Slipper</mark>"


def test_a_name_is_html_escaped_in_the_highlight(engine):
    [hit] = search(engine, "mug").hits
    assert hit.highlighted_name == "&lt;b&gt;Bold&lt;/b&gt; Coffee <mark>Mug</mark>"


def test_a_name_matched_elsewhere_is_shown_plain(engine):
    [hit] = search(engine, "ceramic").hits
    assert hit.highlighted_name == "&lt;b&gt;Bold&lt;/b&gt; Coffee Mug"


def test_healthy_engine_says_so(backend):
    assert backend.healthy() is True


# --- The embedded engine: one folder shared by several processes ----------------------------------


def index_one_at_a_time(path, documents):
    backend = TantivyBackend(Path(path), lock_timeout=30)
    for document in documents:
        backend.index([document])


def rebuild_with(path, documents):
    TantivyBackend(Path(path)).rebuild([documents])


def run_in_processes(target, *argument_lists):
    context = multiprocessing.get_context("spawn")
    processes = [context.Process(target=target, args=arguments) for arguments in argument_lists]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=60)
    assert [process.exitcode for process in processes] == [0] * len(processes)


def test_processes_writing_at_once_lose_nothing_and_readers_see_it(tantivy_backend):
    tantivy_backend.index(CATALOG[:1])
    assert search(tantivy_backend).total == 1  # this process has the index open from here on
    many = [product(1000 + n, SHOP, f"Handmade Diya {n}", KITCHEN, "49.00") for n in range(80)]
    run_in_processes(index_one_at_a_time, *[(tantivy_backend.path, many[n::4]) for n in range(4)])
    assert search(tantivy_backend, "diya").total == 80
    assert search(tantivy_backend).total == 81


def test_a_rebuild_by_another_process_shows_here(tantivy_backend):
    tantivy_backend.index(CATALOG)
    assert found(tantivy_backend, "kurta") == [5]
    run_in_processes(rebuild_with, (tantivy_backend.path, [product(1, SHOP, "Brass Diya", KITCHEN, "99.00")]))
    assert found(tantivy_backend, "kurta") == []
    assert found(tantivy_backend, "diya") == [1]
    tantivy_backend.index([product(2, SHOP, "Clay Diya", KITCHEN, "19.00")])  # writes go to the new index
    assert sorted(found(tantivy_backend, "diya")) == [1, 2]


def test_rebuilds_keep_only_the_live_index_and_the_one_before(tantivy_backend):
    for _ in range(4):
        tantivy_backend.rebuild([CATALOG])
    assert len(list(tantivy_backend.path.glob("index-*"))) == 2
    assert search(tantivy_backend).total == len(SHOP_PRODUCTS)


def test_a_write_that_waits_too_long_for_another_fails_clearly(tantivy_backend):
    tantivy_backend.index(CATALOG)
    impatient = TantivyBackend(tantivy_backend.path, lock_timeout=0.1)
    with tantivy_backend._file_lock(), pytest.raises(SearchUnavailable, match="busy for 0.1 s"):
        impatient.index([replace(CATALOG[4], name="Khadi Kurta", version=2)])
    assert exact(impatient, "cotton kurta") == [5]  # searching never waits for a writer


def test_a_folder_that_cannot_hold_an_index_is_unavailable_not_a_crash(tmp_path):
    not_a_folder = tmp_path / "search"
    not_a_folder.write_text("")
    backend = TantivyBackend(not_a_folder)
    assert backend.healthy() is False
    with pytest.raises(SearchUnavailable, match=str(not_a_folder)):
        search(backend, "kurta")
    with pytest.raises(SearchUnavailable, match=str(not_a_folder)):
        backend.index(CATALOG)


def test_an_index_deleted_from_under_the_engine_is_unavailable(tantivy_backend):
    tantivy_backend.index(CATALOG)
    shutil.rmtree(tantivy_backend.path / os.readlink(tantivy_backend.path / "current"))
    assert tantivy_backend.healthy() is False
    with pytest.raises(SearchUnavailable, match="failed"):
        search(tantivy_backend, "kurta")
