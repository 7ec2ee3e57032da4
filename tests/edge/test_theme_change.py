"""A theme saved in the dashboard reaches buyers through the storefront service (uvicorn workers that
keep pages in memory) and Varnish: the `cache` group's purge drops the old look everywhere, and the new
page's Content-Security-Policy allows its new stylesheet."""

from __future__ import annotations

import re
import time

import pytest
from django.urls import reverse

from dukaan.catalog.themes import THEMES
from dukaan.events.local import run_pending
from dukaan.infra.security import source_hash
from tests.edge.conftest import until_shown

pytestmark = pytest.mark.django_db(transaction=True)

BOUND_SECONDS = 2.0
NEW = ":root{--brand:#0b3d91;--on-brand:#ffffff}"


def test_a_theme_saved_in_the_dashboard_shows_through_the_service_and_the_edge(
    client, redis_cache, storefront_for, edge_for, shop, fetch, capsys
):
    store, _ = shop
    storefront = storefront_for(redis_cache, workers=2)
    edge = edge_for(storefront)
    path = f"/s/{store.slug}/"
    # The rule that sets the store's colour, last in the stylesheet (store.css's own defaults come first).
    old = f":root{{--brand:{THEMES['classic'].colour};--on-brand:#ffffff}}"
    for _ in range(10):  # both workers keep the page; then the edge keeps it
        assert old in fetch(storefront.url, path).text
    assert fetch(edge, path).status == 200 and fetch(edge, path).cache == "HIT"

    client.force_login(store.owner)
    saved = client.post(
        reverse("dashboard:store_theme"),
        {
            "theme": "kirana",
            "colour": "#0b3d91",
            "announcement": "Fresh stock today",
            "announcement_link": "",
        },
    )
    assert saved.status_code == 302, saved.content.decode()[:2000]
    committed = time.monotonic()
    run_pending()  # the `cache` group: new generation in Redis, publish to the workers, PURGE the edge
    reply, delay_ms = until_shown(
        edge,
        path,
        NEW,
        since=committed,
        what="storefront service: theme saved -> new look through Varnish",
        capsys=capsys,
    )

    assert old not in reply.text and '<p class="announce">Fresh stock today</p>' in reply.text
    assert delay_ms < BOUND_SECONDS * 1000
    css = re.search(r"<style>(.*?)</style>", reply.text, re.S)[1]
    assert source_hash(css) in reply.headers["Content-Security-Policy"]
    # Every worker dropped its copy: nothing old comes from the service itself either.
    assert all(NEW in fetch(storefront.url, path).text for _ in range(10))
