"""/metrics: what Prometheus would scrape from a web process after buyers and merchants used it."""

import pytest
from django.core.cache import cache
from prometheus_client import REGISTRY

from dukaan.accounts.services import LoginRefused, request_login_code
from dukaan.catalog import services as catalog
from dukaan.events.local import run_pending
from dukaan.infra.circuit import CircuitBreaker
from dukaan.orders.tests.conftest import line, order

pytestmark = pytest.mark.django_db


def value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def scraped(client) -> str:
    answer = client.get("/metrics")
    assert answer.status_code == 200 and answer["Content-Type"].startswith("text/plain")
    return answer.content.decode()


def test_requests_are_counted_and_timed_by_url_pattern_not_by_path(client, store):
    page = {"route": "s/<slug:slug>/", "method": "GET", "status": "200"}
    before = value("dukaan_http_requests_total", **page)
    timed_before = value("dukaan_http_request_duration_seconds_count", route=page["route"], method="GET")
    assert client.get(f"/s/{store.slug}/").status_code == 200
    assert client.get(f"/s/{store.slug}/").status_code == 200
    assert client.get("/no-such-page/").status_code == 404
    text = scraped(client)
    assert value("dukaan_http_requests_total", **page) == before + 2
    assert (
        value("dukaan_http_request_duration_seconds_count", route=page["route"], method="GET")
        == timed_before + 2
    )
    assert 'route="unmatched"' in text and "no-such-page" not in text  # no label per path


def test_the_catalog_cache_reports_hits_misses_and_builds(client, store, product):
    cache.clear()  # no snapshot left by an earlier test
    hits, misses = (
        value("dukaan_catalog_cache_reads_total", result="hit"),
        value("dukaan_catalog_cache_reads_total", result="miss"),
    )
    builds = value("dukaan_catalog_snapshot_builds_total")
    assert client.get(f"/s/{store.slug}/p/{product.pk}/").status_code == 200
    assert client.get(f"/s/{store.slug}/p/{product.pk}/").status_code == 200  # the page's catalog, cached
    assert value("dukaan_catalog_cache_reads_total", result="miss") >= misses + 1
    assert value("dukaan_catalog_snapshot_builds_total") >= builds + 1
    assert value("dukaan_catalog_cache_reads_total", result="hit") >= hits + 1


def test_orders_count_once_committed(store, product, django_capture_on_commit_callbacks):
    medium = product.variants.get(options={"Size": "M"})
    before = value("dukaan_orders_placed_total", payment_method="cod")
    with django_capture_on_commit_callbacks(execute=True):
        order(store, [line(product, medium, quantity=1)])
    assert value("dukaan_orders_placed_total", payment_method="cod") == before + 1


def test_login_codes_sent_and_refused_are_counted(settings):
    settings.OTP_RESEND_SECONDS = 30
    sent, refused = (
        value("dukaan_login_codes_total", outcome="sent"),
        value("dukaan_login_codes_total", outcome="refused"),
    )
    request_login_code(phone="+919812300077", ip="10.0.0.7")
    with pytest.raises(LoginRefused):
        request_login_code(phone="+919812300077", ip="10.0.0.7")  # again within the resend wait
    assert value("dukaan_login_codes_total", outcome="sent") == sent + 1
    assert value("dukaan_login_codes_total", outcome="refused") == refused + 1


def test_an_open_circuit_breaker_shows_as_one(client):
    breaker = CircuitBreaker("metrics test dependency", failure_threshold=1, reset_seconds=60)
    assert 'dukaan_circuit_open{breaker="metrics test dependency"} 0.0' in scraped(client)
    breaker.record_failure(RuntimeError("down"))
    assert 'dukaan_circuit_open{breaker="metrics test dependency"} 1.0' in scraped(client)


def test_each_event_a_group_handles_is_counted_by_outcome(store):
    run_pending()  # the store's own events first
    before = value("dukaan_events_handled_total", group="cache", outcome="applied")
    catalog.create_category(store=store, name="Lamps")
    run_pending()
    assert value("dukaan_events_handled_total", group="cache", outcome="applied") == before + 1


def test_the_embedded_bus_reports_its_backlog_and_each_groups_lag(client, store):
    from dukaan.events.local import relay_once

    run_pending()
    catalog.create_category(store=store, name="Lamps")
    text = scraped(client)
    assert "dukaan_outbox_backlog 1.0" in text
    relay_once()  # published, not yet handled by any group
    text = scraped(client)
    assert "dukaan_outbox_backlog 0.0" in text
    assert 'dukaan_consumer_lag_events{group="cache"} 1.0' in text
    run_pending()
    assert 'dukaan_consumer_lag_events{group="cache"} 0.0' in scraped(client)


def test_each_replication_slot_shows_the_wal_it_keeps(client, db):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("replication slots are PostgreSQL's; the PostgreSQL pass of make test runs this")
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_create_physical_replication_slot('metrics_test_slot', true)")
    try:
        assert 'dukaan_replication_slot_retained_bytes{slot="metrics_test_slot"}' in scraped(client)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_drop_replication_slot('metrics_test_slot')")


@pytest.mark.parametrize(
    "proxy, header",
    [
        ("127.0.0.1", {"HTTP_X_FORWARDED_FOR": "198.51.100.7"}),  # through a trusted proxy
        ("203.0.113.9", {"HTTP_X_FORWARDED_FOR": "198.51.100.7"}),  # through a proxy nobody listed
        ("127.0.0.1", {"HTTP_FORWARDED": "for=198.51.100.7"}),
    ],
)
def test_metrics_are_not_found_through_a_proxy_even_if_the_edge_lets_them_through(
    client, settings, proxy, header
):
    settings.TRUSTED_PROXIES = ["127.0.0.1"]

    answer = client.get("/metrics", REMOTE_ADDR=proxy, **header)

    assert answer.status_code == 404
    assert b"dukaan_http_requests" not in answer.content
    # Prometheus, scraping the process directly, still gets them.
    assert "dukaan_http_requests_total" in scraped(client)
