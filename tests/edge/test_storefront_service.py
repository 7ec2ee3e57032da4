"""The storefront service for real: `dukaan storefront` (uvicorn workers) on a real Redis, behind a real
Varnish, against this test's database.

What a buyer and a shopkeeper must see: a page kept in a worker's memory is served again as it was,
and counted as a view; a price changed in the dashboard shows through Varnish within a bound; a
buyer with a cart always gets their own page; 200 buyers arriving at once at a cold store cost one
snapshot build; with Redis stopped the pages still answer 200; with the storefront stopped Varnish
still serves the pages it has.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.urls import reverse

from dukaan.dashboard.tests.test_views import product_post
from dukaan.events.local import run_pending
from dukaan.events.models import OutboxEvent
from tests.edge.conftest import add_to_cart, until_shown
from tests.waiting import wait_until

pytestmark = pytest.mark.django_db(transaction=True)

PRICE_BOUND_SECONDS = 2.0


def test_a_page_is_rendered_once_then_served_from_memory_and_still_counted(
    redis_cache, storefront_for, shop, fetch
):
    store, product = shop
    storefront = storefront_for(redis_cache)
    path = f"/s/{store.slug}/p/{product.pk}/"
    replies = [fetch(storefront.url, path) for _ in range(3)]
    assert [reply.status for reply in replies] == [200, 200, 200]
    assert replies[0].text == replies[2].text and "Brass lamp" in replies[0].text
    assert "public" in replies[2].headers["Cache-Control"]
    assert replies[2].headers["xkey"] == f"store-{store.pk} product-{product.pk}"  # the edge still tags it
    # The render's request id is its own; a copy answered from memory does not repeat it.
    assert "X-Request-ID" in replies[0].headers and "X-Request-ID" not in replies[2].headers
    stats = storefront.stats()
    assert (stats["rendered"], stats["page_hits"], stats["feed"]) == (1, 2, "up")
    # Prometheus sees the hits that never reached Django, and Django's own count of the one render.
    metrics = fetch(storefront.url, "/metrics").text
    assert "dukaan_storefront_page_hits_total 2.0" in metrics
    assert (
        'dukaan_http_requests_total{method="GET",route="s/<slug:slug>/p/<id:product_id>/",status="200"} 1.0'
        in metrics
    )

    storefront.stop()  # a clean stop writes the views counted in memory
    viewed = OutboxEvent.objects.filter(type="storefront.viewed", aggregateid=str(store.pk))
    data = [event.payload["data"] for event in viewed]
    assert sum(item["views"] for item in data) == 3
    assert sum(item["products"].get(str(product.pk), 0) for item in data) == 3


def test_a_price_changed_in_the_dashboard_shows_through_the_edge_within_the_bound(
    client, redis_cache, storefront_for, edge_for, shop, fetch, capsys
):
    store, product = shop
    storefront = storefront_for(redis_cache, workers=2)
    edge = edge_for(storefront)
    path = f"/s/{store.slug}/p/{product.pk}/"
    for _ in range(10):  # both workers keep the page; then the edge keeps it
        assert "₹250" in fetch(storefront.url, path).text
    assert fetch(edge, path).status == 200 and fetch(edge, path).cache == "HIT"

    client.force_login(store.owner)
    edit = client.post(
        reverse("dashboard:product_edit", args=[product.pk]),
        product_post(name="Brass lamp", description="", price="275", compare_at_price="", stock="10"),
    )
    assert edit.status_code == 302, edit.content.decode()[:2000]
    committed = time.monotonic()
    run_pending()  # the `cache` group: new generation in Redis, publish to the workers, PURGE the edge
    reply, delay_ms = until_shown(
        edge,
        path,
        "₹275",
        since=committed,
        what="storefront service: dashboard edit -> new price through Varnish",
        capsys=capsys,
    )
    assert reply, "the new price never showed through the edge"
    assert "₹250" not in reply.text and delay_ms < PRICE_BOUND_SECONDS * 1000
    # Every worker dropped its copy: nothing old comes from the service itself either.
    assert all("₹275" in fetch(storefront.url, path).text for _ in range(10))
    assert storefront.stats()["invalidations"] >= 1


def test_a_buyer_with_a_cart_always_gets_their_own_page(redis_cache, storefront_for, shop, fetch):
    store, product = shop
    storefront = storefront_for(redis_cache)
    home = f"/s/{store.slug}/"
    anonymous = fetch(storefront.url, home)
    assert "Cart <b>" not in anonymous.text

    added, session = add_to_cart(storefront.url, store, product, quantity=2)
    assert added.status == 302
    hits_before = storefront.stats()["page_hits"]
    for _ in range(2):
        mine = fetch(storefront.url, home, headers={"Cookie": session})
        assert "Cart <b>2</b>" in mine.text and "private" in mine.headers["Cache-Control"]
    assert storefront.stats()["page_hits"] == hits_before  # never the kept copy
    assert "Cart <b>" not in fetch(storefront.url, home).text  # and the kept copy has no cart


def test_200_buyers_at_once_on_a_cold_store_cost_one_snapshot_build(
    redis_cache, storefront_for, shop, fetch, capsys
):
    store, _ = shop
    storefront = storefront_for(redis_cache)
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=200) as pool:
        replies = list(pool.map(lambda _: fetch(storefront.url, f"/s/{store.slug}/"), range(200)))
    elapsed = time.monotonic() - started
    stats = storefront.stats()
    with capsys.disabled():
        print(
            f"\nstorefront service: 200 concurrent cold requests in {elapsed:.2f} s, "
            f"{stats['snapshot_builds']} snapshot build, {stats['rendered']} render(s)"
        )
    assert [reply.status for reply in replies] == [200] * 200
    assert stats["snapshot_builds"] == 1
    assert stats["rendered"] < 200  # the ones that came while it rendered waited for that render


def test_with_redis_stopped_pages_still_answer_200_through_the_edge(
    own_redis, storefront_for, edge_for, shop, fetch
):
    store, product = shop
    storefront = storefront_for(own_redis)
    edge = edge_for(storefront)
    assert fetch(edge, f"/s/{store.slug}/").status == 200

    own_redis.stop()
    wait_until(
        lambda: storefront.stats()["feed"] == "down", what="the worker to notice Redis went", timeout=5
    )
    not_at_the_edge_yet = {
        f"/s/{store.slug}/p/{product.pk}/": "Brass lamp",
        f"/s/{store.slug}/search?q=lamp": "Brass <mark>lamp</mark>",
    }
    for path, shown in not_at_the_edge_yet.items():
        reply = fetch(edge, path)
        assert reply.status == 200 and reply.cache == "MISS" and shown in reply.text, path
    direct = [fetch(storefront.url, f"/s/{store.slug}/") for _ in range(3)]
    assert {reply.status for reply in direct} == {200}
    stats = storefront.stats()
    assert stats["pages_kept"] == 0 and stats["snapshot_builds"] >= 1  # from the database, kept nowhere


def test_with_the_storefront_stopped_the_edge_serves_the_pages_it_has(
    redis_cache, storefront_for, edge_for, shop, fetch
):
    store, product = shop
    # Pages expire after 1 s, and no stale copies while the storefront is healthy: a hit on an
    # expired page can then only be grace.
    storefront = storefront_for(redis_cache, env={"STOREFRONT_S_MAXAGE": "1"})
    edge = edge_for(storefront, grace=0)
    path = f"/s/{store.slug}/p/{product.pk}/"
    assert fetch(edge, path).cache == "MISS"
    assert fetch(edge, path).cache == "HIT"

    storefront.stop()
    time.sleep(3.5)  # the page expires, and the /healthz probe (1 s, 2 of 3) calls the storefront sick
    reply = fetch(edge, path)
    assert reply.status == 200 and "Brass lamp" in reply.text
    assert reply.cache == "HIT" and int(reply.headers["Age"]) >= 2
    assert fetch(edge, f"/s/{store.slug}/").status == 503  # never cached: nothing to serve


def test_the_service_refuses_to_start_without_a_shared_cache_to_learn_of_changes():
    command = [str(Path(sys.executable).with_name("dukaan")), "storefront", "--port", "1"]
    result = subprocess.run(
        command, env={**os.environ, "CACHE_URL": "locmem://"}, capture_output=True, text=True, timeout=60
    )
    assert result.returncode != 0
    assert "CACHE_URL=redis://" in result.stderr and "Traceback" not in result.stderr
