"""What only the Elasticsearch adapter has: an alias swapped by a rebuild, Elasticsearch's own version
checks, where a page's related products start, which words "did you mean" corrects, and a node
that stops or hangs. The behaviour every engine shares is in test_backends.py and test_relevance.py."""

import os
import signal
import threading
import time
from decimal import Decimal
from pathlib import Path

import pytest
from elasticsearch import Elasticsearch

from dukaan.search.backend import ProductDocument, SearchQuery, SearchUnavailable
from dukaan.search.elastic_backend import ElasticBackend
from tests.waiting import wait_until

from .elastic import start_node

STORE = 1
TIMEOUT = 0.5  # SEARCH_TIMEOUT_SECONDS's default
# Not a hang: ten times the timeout, and half the Elasticsearch client's own default (10 s) that would
# apply if ours were not passed on.
UNAVAILABLE_WITHIN = 10 * TIMEOUT


def product(id, name, *, version=1, category_name="Clothing") -> ProductDocument:
    return ProductDocument(
        id=id,
        store_id=STORE,
        version=version,
        name=name,
        description="",
        category_id=11,
        category_name=category_name,
        price=Decimal("499.00"),
        in_stock=True,
        created_at=1_700_000_000 + id,
    )


def found(backend, text="") -> list[int]:
    return sorted(hit.product_id for hit in backend.search(SearchQuery(STORE, text, limit=100)).hits)


def concrete_indices(backend) -> list[str]:
    with Elasticsearch(backend.url) as client:
        return sorted(client.indices.get(index=f"{backend.alias}-*").body)


def test_searches_answer_from_the_old_index_until_the_alias_moves(elastic_backend):
    old = [product(id, f"Cotton Kurta {id}") for id in range(1, 21)]
    new = [product(id, f"Silk Saree {id}", version=2) for id in range(1, 31)]
    elastic_backend.index(old)
    totals, errors, rebuilding = [], [], threading.Event()

    def search_all_along():
        while True:
            done = not rebuilding.is_set()
            try:
                totals.append(elastic_backend.search(SearchQuery(STORE, "")).total)
            except SearchUnavailable as error:
                errors.append(error)
            if done:
                return

    def between_searches():
        for start in range(0, len(new), 5):
            yield new[start : start + 5]
            searched = len(totals) + len(errors)
            wait_until(lambda n=searched: len(totals) + len(errors) > n, what="a search during the rebuild")

    rebuilding.set()
    searcher = threading.Thread(target=search_all_along)
    searcher.start()
    elastic_backend.rebuild(between_searches())
    rebuilding.clear()
    searcher.join(timeout=30)
    assert errors == []
    assert totals[0] == 20 and totals[-1] == 30
    assert set(totals) == {20, 30}  # never empty, never a half-built index
    assert found(elastic_backend, "saree") == list(range(1, 31))
    assert len(concrete_indices(elastic_backend)) == 1  # the old index is gone


def test_a_change_made_during_a_rebuild_is_kept_after_the_swap(elastic_backend):
    elastic_backend.index([product(1, "Cotton Kurta"), product(2, "Printed Tee")])

    def chunks():
        yield [product(2, "Printed Tee")]
        # Events applied while the new index is half-filled: a rename, and a product added.
        elastic_backend.index([product(1, "Khadi Kurta", version=2), product(3, "Silk Saree")])
        yield [product(1, "Cotton Kurta")]  # read from the database before the rename

    elastic_backend.rebuild(chunks())
    assert found(elastic_backend, "khadi") == [1]
    assert found(elastic_backend, "cotton") == []
    assert found(elastic_backend, "saree") == [3]


def test_the_first_rebuild_keeps_a_change_another_process_made_meanwhile(elastic_backend):
    """Nothing indexed yet (a new deployment's `dukaan search rebuild`) while the search consumer, in
    its own process, writes its first event: that process makes the alias on an index of its own."""
    consumer = ElasticBackend(elastic_backend.url, elastic_backend.alias, timeout=elastic_backend.timeout)

    def chunks():
        yield [product(1, "Cotton Kurta")]
        consumer.index([product(2, "Silk Saree")])
        yield [product(3, "Printed Tee")]

    assert elastic_backend.rebuild(chunks()) == 2
    assert found(elastic_backend) == [1, 2, 3]
    assert found(consumer, "saree") == [2]
    assert len(concrete_indices(elastic_backend)) == 1


def test_a_rebuilt_index_is_searched_as_one_segment(elastic_backend):
    """A word with a typo is looked for in each segment's words: the rebuild merges the segments its
    load and the writes meanwhile made before the alias moves to it."""
    elastic_backend.index([product(100, "Silk Saree")])

    def chunks():
        for id in range(1, 6):
            yield [product(id, f"Cotton Kurta {id}")]
            elastic_backend.index([product(100 + id, f"Silk Saree {id}")])  # refreshed: a segment each

    elastic_backend.rebuild(chunks())
    with Elasticsearch(elastic_backend.url) as client:
        segments = client.cat.segments(index=elastic_backend.alias, format="json")
    assert len(segments) == 1
    assert found(elastic_backend, "kurtta") == [1, 2, 3, 4, 5]


def test_an_older_version_is_refused_and_the_same_version_written_again(elastic_backend):
    elastic_backend.rebuild([[product(1, "Khadi Kurta", version=3)]])
    elastic_backend.index([product(1, "Cotton Kurta", version=2)])  # a late event
    assert found(elastic_backend, "khadi") == [1]
    # A category renamed changes no product's version: the same version must still be written.
    elastic_backend.index([product(1, "Khadi Kurta", version=3, category_name="Ethnic Wear")])
    assert found(elastic_backend, "ethnic") == [1]


def test_two_adapters_starting_on_a_new_alias_at_once_share_one_index(elastic_backend):
    twin = ElasticBackend(elastic_backend.url, elastic_backend.alias, elastic_backend.timeout)
    start = threading.Barrier(2)

    def first_use(backend, document):
        start.wait()
        backend.index([document])

    writers = [
        threading.Thread(target=first_use, args=(elastic_backend, product(1, "Cotton Kurta"))),
        threading.Thread(target=first_use, args=(twin, product(2, "Silk Kurta"))),
    ]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join(timeout=30)
    assert found(elastic_backend, "kurta") == found(twin, "kurta") == [1, 2]
    assert len(concrete_indices(elastic_backend)) == 1


def test_pages_run_over_a_few_products_with_every_word_then_many_related_ones(elastic_backend):
    # A page's related products start where the strict ones end: after 5, offset 30 is related #26.
    elastic_backend.index(
        [product(id, f"Linen Sofa {id}") for id in range(1, 6)]
        + [product(id, f"Velvet Sofa {id}") for id in range(100, 140)]
    )

    def search(offset, limit):
        query = SearchQuery(STORE, "linen sofa", sort="newest", offset=offset, limit=limit)
        return elastic_backend.search(query)

    everything = search(0, 100)
    assert [hit.product_id for hit in everything.hits[:5]] == [5, 4, 3, 2, 1]
    assert [hit.product_id for hit in everything.hits[5:]] == list(range(139, 99, -1))
    assert [hit.related for hit in everything.hits] == [False] * 5 + [True] * 40
    pages = [search(offset, 7) for offset in range(0, 49, 7)]
    assert [hit for page in pages for hit in page.hits] == everything.hits
    assert {(page.total, page.related) for page in pages} == {(45, 40)}
    assert search(30, 1).hits[0].product_id == 139 - 25  # the 26th newest related


def test_did_you_mean_offers_only_a_correction_that_found_something(elastic_backend):
    elastic_backend.index([product(1, "Steel Tiffin"), product(2, "Steel Glass")])

    def did_you_mean(text):
        return elastic_backend.search(SearchQuery(STORE, text)).did_you_mean

    assert did_you_mean("steel lunhbox") == "steel lunchbox"  # "tiffin, lunchbox"
    elastic_backend.delete(STORE, [1])
    # The steel glass is found for "steel", nothing for "lunhbox": no "lunchbox" is offered.
    assert did_you_mean("steel lunhbox") == ""


# --- A node that hangs, then stops --------------------------------------------------------------------


@pytest.fixture
def own_node():
    """A node of this test's own, which it may freeze and stop."""
    node = start_node()
    yield node
    node.stop()


def server_jvm(launcher_pid: int) -> int:
    """The Elasticsearch server's PID: the only child of the launcher that the script started."""
    tasks = Path(f"/proc/{launcher_pid}/task").glob("*/children")  # any launcher thread may have forked
    [child] = [pid for task in tasks for pid in task.read_text().split()]
    return int(child)


def unavailable_within(seconds: float, call) -> None:
    began = time.monotonic()
    with pytest.raises(SearchUnavailable, match="Elasticsearch at http://127.0.0.1"):
        call()
    assert time.monotonic() - began < seconds


def answers_again(backend) -> bool:
    """A JVM just thawed may miss a short timeout or two while it catches up; then it answers."""
    return wait_until(
        lambda: found(backend, "kurta") == [1] and backend.healthy(),
        what="the thawed node to answer",
        timeout=15,
        ignoring=(SearchUnavailable,),
    )


def test_a_hung_or_stopped_node_is_unavailable_within_the_timeout(own_node):
    backend = ElasticBackend(own_node.url, "dukaan-products", TIMEOUT)
    backend.index([product(1, "Cotton Kurta")])
    server = server_jvm(own_node.pid)
    os.kill(server, signal.SIGSTOP)  # accepts connections, answers nothing
    try:
        unavailable_within(UNAVAILABLE_WITHIN, lambda: backend.search(SearchQuery(STORE, "kurta")))
        began = time.monotonic()
        assert backend.healthy() is False
        assert time.monotonic() - began < UNAVAILABLE_WITHIN
    finally:
        os.kill(server, signal.SIGCONT)
    assert answers_again(backend)

    own_node.stop()
    unavailable_within(UNAVAILABLE_WITHIN, lambda: backend.search(SearchQuery(STORE, "kurta")))
    unavailable_within(UNAVAILABLE_WITHIN, lambda: backend.index([product(2, "Silk Saree")]))
    assert backend.healthy() is False
