"""The storefront service's rules, without a server: which requests may share a page, and which pages
a worker may keep. The service itself runs for real in tests/edge/test_storefront_service.py."""

import pytest

from dukaan.storefront.service import (
    Page,
    PageCache,
    Rendered,
    _kept_by_no_one,
    _page_key,
    _shared_page_request,
)


def scope(path: str, method: str = "GET", **headers: str) -> dict:
    return {
        "type": "http",
        "method": method,
        "path": path,
        "query_string": b"",
        "headers": [(name.replace("_", "-").encode(), value.encode()) for name, value in headers.items()],
    }


@pytest.mark.parametrize(
    "request_scope",
    [
        scope("/s/demo/"),
        scope("/s/demo/p/3/", method="HEAD"),
        scope("/s/demo/search"),
        scope("/s/demo/c/2/", cookie="csrftoken=abc; _ga=GA1.2.3"),  # cookies that change nothing
        scope("/s/demo/", host="localhost:8000"),
        # A store's own domain: every path is the store's.
        scope("/", host="shop.asha.in"),
        scope("/p/3/", host="shop.asha.in"),
        scope("/sitemap.xml", host="shop.asha.in"),
    ],
)
def test_anonymous_store_pages_may_be_shared(request_scope):
    assert _shared_page_request(request_scope)


@pytest.mark.parametrize(
    "request_scope",
    [
        scope("/s/demo/", cookie="csrftoken=abc; sessionid=s3cret"),  # a buyer with a cart
        scope("/s/demo/", cookie="messages=flash"),  # a message meant for this buyer
        scope("/s/demo/", cookie='broken="; sessionid=s3cret'),  # as leniently read as Django does
        scope("/s/demo/", authorization="Bearer x"),
        scope("/s/demo/cart/"),
        scope("/s/demo/checkout/"),
        scope("/s/demo/o/token/"),
        scope("/s/demo/cart/add/", method="POST"),
        scope("/s/demo/feeds/google.xml"),  # megabytes for a big store: the edge keeps it, not each worker
        scope("/dashboard/"),
        scope("/dashboard/", host="localhost"),
        scope("/s/"),
        scope("/cart/", host="shop.asha.in"),
        scope("/o/token/", host="shop.asha.in"),
        scope("/", host="shop.asha.in", cookie="sessionid=s3cret"),
    ],
)
def test_personal_pages_and_everything_else_are_never_shared(request_scope):
    assert not _shared_page_request(request_scope)


def test_the_same_address_on_two_hosts_is_two_pages():
    assert _page_key(scope("/", host="shop.asha.in")) != _page_key(scope("/", host="shop.bala.in"))
    assert _page_key(scope("/s/demo/", host="localhost")) != _page_key(scope("/s/demo/", host="127.0.0.1"))


def page(store_id: int, rendered_at: int) -> Page:
    return Page(store_id, 200, [], f"store {store_id}".encode(), (store_id, None), rendered_at)


@pytest.fixture
def pages() -> PageCache:
    cache = PageCache(capacity=3)
    cache.forget_all(subscribed=True)
    return cache


def test_a_change_drops_only_that_stores_pages(pages):
    assert pages.keep("/s/a/", page(1, pages.clock))
    assert pages.keep("/s/a/p/1/", page(1, pages.clock))
    assert pages.keep("/s/b/", page(2, pages.clock))
    pages.forget_store(1)
    assert pages.get("/s/a/") is None and pages.get("/s/a/p/1/") is None
    assert pages.get("/s/b/").body == b"store 2"


def test_a_page_rendered_before_its_store_changed_is_not_kept(pages):
    started = pages.clock
    pages.forget_store(1)  # the change arrives while the render runs
    assert not pages.keep("/s/a/", page(1, started))
    assert pages.keep("/s/b/", page(2, started))  # another store's render is still good
    assert pages.keep("/s/a/", page(1, pages.clock))


def test_nothing_is_kept_while_the_invalidation_feed_is_lost(pages):
    pages.keep("/s/a/", page(1, pages.clock))
    pages.forget_all(subscribed=False)
    assert pages.get("/s/a/") is None
    assert not pages.keep("/s/a/", page(1, pages.clock))
    started = pages.clock
    pages.forget_all(subscribed=True)
    assert not pages.keep("/s/a/", page(1, started))  # begun while unsubscribed: it may be old
    assert pages.keep("/s/a/", page(1, pages.clock))


def test_the_least_recently_used_page_goes_first(pages):
    for store_id, key in enumerate(("/s/a/", "/s/b/", "/s/c/"), start=1):
        pages.keep(key, page(store_id, pages.clock))
    pages.get("/s/a/")
    pages.keep("/s/d/", page(4, pages.clock))
    assert pages.get("/s/b/") is None
    assert all(pages.get(key) for key in ("/s/a/", "/s/c/", "/s/d/"))
    assert 2 not in pages.by_store  # an evicted page leaves no trace to invalidate


def test_a_page_that_raced_a_change_is_answered_but_marked_for_no_cache():
    rendered = Rendered(
        200,
        [(b"content-type", b"text/html"), (b"cache-control", b"public, s-maxage=300"), (b"xkey", b"store-1")],
        b"<html>",
        (1, None),
        1,
        True,
    )
    answered = _kept_by_no_one(rendered)
    assert not answered.shareable and answered.body == b"<html>"
    assert dict(answered.headers) == {b"content-type": b"text/html", b"cache-control": b"no-cache, max-age=0"}
