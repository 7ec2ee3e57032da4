"""The edge cache for real: Varnish (deploy/varnish/default.vcl) in front of a live storefront.

What it must do: keep anonymous buyers' store pages and answer them itself (MISS, then HIT); show
a new price as soon as the `cache` consumer group purges the store's tag; never keep or share a
page of a buyer with a session (their cart) nor any cart, checkout or order page. The live server
here is the monolith's storefront views (the fallback route); test_storefront_service.py puts the
storefront service behind the same Varnish, and tests grace there.
"""

from __future__ import annotations

import time
from decimal import Decimal

import pytest

from dukaan.catalog import services
from dukaan.events.local import run_pending
from tests.edge.conftest import add_to_cart, until_shown
from tests.waiting import wait_until

pytestmark = pytest.mark.django_db(transaction=True)


def test_store_pages_are_public_tagged_and_set_no_cookie_for_an_anonymous_buyer(live_server, shop, fetch):
    store, product = shop
    for path in (f"/s/{store.slug}/", f"/s/{store.slug}/p/{product.pk}/", f"/s/{store.slug}/search?q=lamp"):
        reply = fetch(live_server.url, path)
        assert reply.status == 200, path
        assert "Set-Cookie" not in reply.headers, (path, reply.headers.get_all("Set-Cookie"))
        control = {part.strip() for part in reply.headers["Cache-Control"].split(",")}
        assert {"public", "max-age=0", "s-maxage=300", "stale-while-revalidate=60"} <= control, path
        assert reply.headers["xkey"].split() == [f"store-{store.pk}", f"product-{product.pk}"], path


def test_a_store_page_is_a_miss_then_a_hit(live_server, edge_for, shop, fetch):
    store, product = shop
    edge = edge_for(live_server)
    for path in (f"/s/{store.slug}/", f"/s/{store.slug}/p/{product.pk}/"):
        first = fetch(edge, path)
        second = fetch(edge, path, headers={"Cookie": "csrftoken=abc; _ga=GA1.2.3"})  # stripped, same copy
        assert (first.status, first.cache) == (200, "MISS"), path
        assert (second.status, second.cache) == (200, "HIT"), path
        assert second.text == first.text
        assert "xkey" not in second.headers  # the tags stay inside the edge


def test_a_price_change_reaches_the_edge_once_the_cache_group_purges(
    live_server, edge_for, shop, fetch, capsys, settings
):
    store, product = shop
    settings.EDGE_REPURGE_SECONDS = 0.3
    edge = edge_for(live_server)
    path = f"/s/{store.slug}/p/{product.pk}/"
    fetch(edge, path)
    stale = fetch(edge, path)
    assert stale.cache == "HIT" and "250" in stale.text

    services.update_product(product=product, price=Decimal("275.00"))
    committed = time.monotonic()
    run_pending()  # the `cache` group: forget the snapshot, PURGE xkey: store-<id> product-<id>
    reply, _delay_ms = until_shown(
        edge, path, "275", since=committed, what="edge: commit -> new price through Varnish", capsys=capsys
    )
    assert reply.status == 200 and "275" in reply.text and "250.00" not in reply.text
    assert reply.cache == "MISS"
    assert fetch(edge, f"/s/{store.slug}/").cache == "MISS"  # the listing pages went with the store tag
    assert fetch(edge, path).cache == "HIT"
    # EDGE_REPURGE_SECONDS later the tags are purged again, in case an old page slipped in between: the
    # page stays a HIT until then (a timer thread, late by seconds on a loaded machine), then a MISS.
    wait_until(
        lambda: fetch(edge, path).cache == "MISS",
        what="the second purge",
        timeout=settings.EDGE_REPURGE_SECONDS + 15,
        poll=0.2,
    )


def test_a_failed_purge_raises_so_the_event_is_retried(settings, shop):
    from dukaan.storefront import consumers

    settings.EDGE_PURGE_URL = "http://127.0.0.1:9"  # nothing listens on the discard port
    with pytest.raises(consumers.EdgePurgeFailed):
        consumers.purge_edge(shop[0].pk, [])


def test_a_buyer_with_a_cart_never_gets_or_fills_a_shared_page(live_server, edge_for, shop, fetch):
    store, product = shop
    edge = edge_for(live_server)
    home = f"/s/{store.slug}/"
    added, session = add_to_cart(edge, store, product, quantity=2)
    assert added.status == 302 and added.cache == "PASS"  # no CSRF token needed (see views.cart_add)
    buyer = {"Cookie": f"csrftoken=abc; {session}"}

    for _ in range(2):
        mine = fetch(edge, home, headers=buyer)
        assert mine.cache == "PASS" and "Cart <b>2</b>" in mine.text
        assert "private" in mine.headers["Cache-Control"]
        cart = fetch(edge, f"/s/{store.slug}/cart/", headers=buyer)
        assert cart.status == 200 and cart.cache == "PASS" and "Brass lamp" in cart.text
        assert "no-store" in cart.headers["Cache-Control"]

    # Another buyer: the first one's visits stored nothing, and what is stored shows no cart.
    others = [fetch(edge, home), fetch(edge, home)]
    assert [reply.cache for reply in others] == ["MISS", "HIT"]
    assert all("Cart <b>" not in reply.text for reply in others)
    assert fetch(edge, f"/s/{store.slug}/cart/").cache == "PASS"
    # The first buyer still sees their own cart after the page was cached for everyone else.
    assert "Cart <b>2</b>" in fetch(edge, home, headers=buyer).text


def test_cart_checkout_and_order_pages_are_never_cached(live_server, edge_for, shop, fetch):
    store, _ = shop
    edge = edge_for(live_server)
    for path in (f"/s/{store.slug}/cart/", f"/s/{store.slug}/checkout/", f"/s/{store.slug}/o/no-such-order/"):
        replies = [fetch(edge, path) for _ in range(3)]
        assert {reply.cache for reply in replies} == {"PASS"}, path
    assert fetch(edge, "/healthz").cache == "PASS"  # and nothing outside the storefront


def test_purge_is_refused_from_elsewhere_and_needs_tags(live_server, edge_for, fetch):
    edge = edge_for(live_server)
    assert fetch(edge, "/", method="PURGE").status == 400
    reply = fetch(edge, "/", method="PURGE", headers={"xkey": "store-999999"})
    assert reply.status == 200 and reply.text.strip() == "purged 0"


def test_the_edge_keeps_a_copy_of_a_page_per_language(live_server, edge_for, shop, fetch):
    """The buyer's language cookie is the one cookie the edge keeps: a page in Hindi never goes to a
    buyer reading English, whatever other cookies either has (docs/i18n.md#caches)."""
    store, product = shop
    edge = edge_for(live_server)
    path = f"/s/{store.slug}/p/{product.pk}/"
    english = fetch(edge, path)
    hindi = fetch(edge, path, headers={"Cookie": "_ga=GA1.2.3; django_language=hi"})
    hindi_again = fetch(edge, path, headers={"Cookie": "django_language=hi"})
    english_again = fetch(edge, path, headers={"Cookie": "csrftoken=abc", "Accept-Language": "hi"})
    assert [reply.cache for reply in (english, hindi, hindi_again, english_again)] == [
        "MISS",
        "MISS",
        "HIT",
        "HIT",
    ]
    assert '<html lang="en-in">' in english.text and "Add to cart" in english.text
    assert '<html lang="hi">' in hindi.text and "कार्ट में डालें" in hindi.text
    assert (hindi_again.text, english_again.text) == (hindi.text, english.text)
