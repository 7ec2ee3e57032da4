"""The `search` consumer group keeps the index in step with what merchants change, as the bus delivers it."""

import time
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.urls import reverse

from dukaan.catalog import services as catalog
from dukaan.catalog.models import Product, Store
from dukaan.dashboard.tests.test_views import product_post
from dukaan.events.consumers import get_group
from dukaan.events.local import EmbeddedWorkers, replay, run_pending
from dukaan.events.models import DeadLetter
from dukaan.search import service
from dukaan.search.backend import SearchQuery
from tests.waiting import wait_until

pytestmark = pytest.mark.django_db(transaction=True)


def found(store, text: str = "", **filters) -> list[str]:
    """Names of what a buyer finds, straight from the engine (never the database fallback)."""
    results = service.get_backend().search(SearchQuery(store_id=store.pk, text=text, **filters))
    by_id = dict(Product.objects.values_list("pk", "name"))
    return [by_id.get(hit.product_id, f"deleted product {hit.product_id}") for hit in results.hits]


def simple(store, name: str, **fields) -> Product:
    return catalog.create_product(store=store, name=name, price=Decimal("499"), **fields)


@pytest.fixture
def running_indexer(monkeypatch):
    """The `search` group on the embedded bus, woken by each commit, as `dukaan up` runs it."""
    workers = EmbeddedWorkers(groups=[get_group("search")])
    monkeypatch.setattr("dukaan.events.local._workers", workers)
    workers.start()
    yield
    workers.stop()


def seconds_until(condition) -> float:
    """How long the index took to catch up (printed; bench/test_event_pipeline.py measures it)."""
    started = time.monotonic()
    wait_until(condition, what="the index to catch up", poll=0.01)
    return time.monotonic() - started


def test_a_product_edited_in_the_dashboard_is_found_by_its_new_name_within_a_bound(
    me, store, running_indexer, capsys
):
    product = simple(store, "Cotton kurta", stock=5)
    seconds_until(lambda: found(store, "kurta") == ["Cotton kurta"])

    response = me.post(
        reverse("dashboard:product_edit", args=[product.pk]),
        product_post(name="Indigo angrakha", **{"variants-TOTAL_FORMS": "0"}),
    )
    assert response.status_code == 302  # saved: the merchant sees their change made
    delay = seconds_until(lambda: found(store, "angrakha") == ["Indigo angrakha"])

    with capsys.disabled():
        print(f"\nedit saved -> found by its new name: {delay * 1000:.0f} ms")
    assert found(store, "cotton") == []


def test_a_product_deleted_in_the_dashboard_disappears_within_a_bound(me, store, running_indexer, capsys):
    product = simple(store, "Brass diya")
    simple(store, "Clay diya")
    seconds_until(lambda: len(found(store, "diya")) == 2)

    assert me.post(reverse("dashboard:product_delete", args=[product.pk])).status_code == 302
    delay = seconds_until(lambda: found(store, "diya") == ["Clay diya"])

    with capsys.disabled():
        print(f"\nproduct deleted -> gone from search: {delay * 1000:.0f} ms")


def test_hidden_products_are_never_found_and_come_back_when_shown(me, store):
    simple(store, "Secret sample", is_active=False)
    shown = simple(store, "Sample pack")
    run_pending()
    assert found(store, "sample") == ["Sample pack"]

    me.post(reverse("dashboard:product_visibility", args=[shown.pk]), {"show": "0"})
    run_pending()
    assert found(store, "sample") == []
    assert found(store) == []

    me.post(reverse("dashboard:product_visibility", args=[shown.pk]), {"show": "1"})
    run_pending()
    assert found(store, "sample") == ["Sample pack"]


def test_a_renamed_category_finds_its_products_by_the_new_name(me, store):
    category = catalog.create_category(store=store, name="Sarees")
    simple(store, "Banarasi silk", category=category)
    simple(store, "Steel tiffin")
    run_pending()
    assert found(store, "sarees") == ["Banarasi silk"]

    me.post(reverse("dashboard:category_rename", args=[category.pk]), {"name": "Handloom"})
    run_pending()
    assert found(store, "handloom") == ["Banarasi silk"]
    assert found(store, "sarees") == []

    me.post(reverse("dashboard:category_delete", args=[category.pk]))
    run_pending()
    assert found(store, "handloom") == []
    assert found(store, "banarasi") == ["Banarasi silk"]  # the product stays, without a category


def test_a_stock_change_moves_a_product_in_and_out_of_the_in_stock_filter(store):
    product = simple(store, "Steel tiffin", stock=3)
    run_pending()
    assert found(store, "tiffin", in_stock=True) == ["Steel tiffin"]

    catalog.adjust_stock(product=product, set_to=0)
    run_pending()
    assert found(store, "tiffin", in_stock=True) == []
    assert found(store, "tiffin") == ["Steel tiffin"]


def test_each_store_finds_only_its_own_products(store, other_store):
    simple(store, "Cotton kurta")
    simple(other_store, "Cotton kurta, theirs")
    run_pending()

    assert found(store, "kurta") == ["Cotton kurta"]
    assert found(other_store, "kurta") == ["Cotton kurta, theirs"]


def test_events_delivered_again_leave_the_newest_state(store):
    product = simple(store, "Cotton kurta")
    catalog.update_product(product=product, name="Linen kurta")
    catalog.update_product(product=product, name="Khadi kurta")
    run_pending()

    replay(get_group("search"), from_position=1)  # every event again, the oldest first
    run_pending()

    assert found(store, "kurta") == ["Khadi kurta"]


def test_a_bulk_import_is_indexed_store_by_store(db):
    call_command("seed", stores=2, products=5, seed=7, verbosity=0)
    run_pending()

    for store in Store.objects.all():
        assert len(found(store)) == store.products.filter(is_active=True).count() > 0


def test_an_engine_failure_is_retried_then_parked_as_a_dead_letter(store, settings):
    settings.EVENT_MAX_ATTEMPTS = 2
    settings.EVENT_RETRY_BASE_SECONDS = 0
    settings.SEARCH_URL = "tantivy:///dev/null/search"  # a folder that cannot be made

    simple(store, "Cotton kurta")
    run_pending([get_group("search")])

    letter = DeadLetter.objects.get(group="search", type="product.created")
    assert letter.attempts == 2
    assert "/dev/null/search" in letter.error


def test_a_run_of_changes_delivered_together_leaves_the_index_as_the_catalog_is(store):
    kurta, saree, shawl = (
        simple(store, name, stock=10) for name in ["Cotton kurta", "Silk saree", "Wool shawl"]
    )
    run_pending()
    for _ in range(5):
        catalog.adjust_stock(product=kurta, delta=-2)  # five changes of one product, then a rename
    catalog.update_product(product=kurta, name="Indigo kurta")
    catalog.update_product(product=saree, is_active=False)
    catalog.delete_product(product=shawl)
    run_pending()  # one batch for the search group
    assert found(store) == ["Indigo kurta"]
    assert found(store, in_stock=True) == []
