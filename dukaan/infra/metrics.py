"""This process's Prometheus metrics, served at /metrics (prometheus-client's text format).

Counters and histograms are updated where things happen (the request middleware below, the catalog
cache, search, checkout, login codes); gauges of state (circuit breakers, replica lag) are read when
Prometheus scrapes. Labels are bounded: a route is its URL pattern (`s/<slug:slug>/`), never a path.
Metrics live per process; Prometheus sums the processes it scrapes. docs/observability.md lists them.
"""

from __future__ import annotations

import time

from django.http import Http404, HttpResponse
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

# Seconds; a page answered from memory takes about a millisecond, a cold build tens of them.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1.0, 2.5, 5.0)

HTTP_REQUESTS = Counter(
    "dukaan_http_requests",
    "Requests answered, by URL pattern, method and status",
    ["route", "method", "status"],
)
HTTP_DURATION = Histogram(
    "dukaan_http_request_duration_seconds",
    "Time from the request reaching Django to the response leaving it",
    ["route", "method"],
    buckets=LATENCY_BUCKETS,
)
CATALOG_CACHE_READS = Counter(
    "dukaan_catalog_cache_reads", "Catalog snapshot reads: hit, or miss (built or waited for)", ["result"]
)
SNAPSHOT_BUILDS = Counter("dukaan_catalog_snapshot_builds", "Catalog snapshots built from the database")
SEARCH_DURATION = Histogram(
    "dukaan_search_duration_seconds",
    "Store searches, by who answered",
    ["answered_by"],
    buckets=LATENCY_BUCKETS,
)
ORDERS_PLACED = Counter("dukaan_orders_placed", "Orders placed, by payment method", ["payment_method"])
EVENTS_HANDLED = Counter(
    "dukaan_events_handled",
    "Events a consumer group handled: applied, duplicate, failed-attempt (retried), dead-lettered",
    ["group", "outcome"],
)
JOBS_RUN = Counter(
    "dukaan_jobs_run",
    "Scheduled jobs run: done, retry (failed, will run again), failed (given up)",
    ["job", "outcome"],
)
LOGIN_CODES = Counter("dukaan_login_codes", "Login codes asked for: sent, or refused (limits)", ["outcome"])
SMS_OVER_CAP = Counter(
    "dukaan_sms_over_cap", "Order texts not sent: their number had SMS_MAX_PER_PHONE_PER_HOUR this hour"
)


class StateCollector(Collector):
    """Gauges read at scrape time from the objects that hold the state."""

    def collect(self):
        from dukaan.infra import circuit, db_routing

        breakers = GaugeMetricFamily(
            "dukaan_circuit_open",
            "1 while a circuit breaker is open or half-open (its dependency skipped)",
            labels=["breaker"],
        )
        for breaker in circuit.all_breakers():
            breakers.add_metric([breaker.name], 0.0 if breaker.state == circuit.CLOSED else 1.0)
        yield breakers
        lag = GaugeMetricFamily(
            "dukaan_replica_lag_seconds",
            "How far each read replica is behind the primary",
            labels=["replica"],
        )
        usable = GaugeMetricFamily(
            "dukaan_replica_usable",
            "1 if reads may go to the replica (up, lag under the threshold)",
            labels=["replica"],
        )
        if db_routing.replica_aliases():
            primary = GaugeMetricFamily(
                "dukaan_primary_up", "0 while this process's replica monitor cannot reach the primary"
            )
            primary.add_metric([], 1.0 if db_routing.primary_reachable() else 0.0)
            yield primary
        for alias, state in db_routing.replica_states().items():
            if state.lag_seconds is not None:
                lag.add_metric([alias], state.lag_seconds)
            usable.add_metric([alias], 1.0 if state.usable else 0.0)
        yield lag
        yield usable


REGISTRY.register(StateCollector())


class DatabaseCollector(Collector):
    """Gauges read from the database when the web's /metrics is scraped (never from a worker's thread).

    Each app's (registry.add_database_metrics: the embedded bus's outbox backlog and consumer lag), then
    the WAL each replication slot keeps on the primary (Debezium's slot and the replicas'): a slot whose
    reader stopped keeps WAL until the disk fills. A database that does not answer leaves these gauges
    out of the scrape; the request metrics stay.
    """

    def describe(self):
        return []  # nothing to check at registration; collect() reads the database

    def collect(self):
        from django.db import DatabaseError

        from . import registry, status

        try:
            for collect in registry.database_metrics():
                yield from collect()
            retained = GaugeMetricFamily(
                "dukaan_replication_slot_retained_bytes",
                "WAL the primary keeps for each replication slot",
                labels=["slot"],
            )
            for slot, kept in status.replication_slots().items():
                retained.add_metric([slot], kept)
            yield retained
        except DatabaseError:
            return


# Served by the /metrics view only: a worker's metrics thread has no business holding a connection.
DATABASE_REGISTRY = CollectorRegistry(auto_describe=False)
DATABASE_REGISTRY.register(DatabaseCollector())
_consumer_lag: Gauge | None = None


def record_consumer_lag(group: str, events: int) -> None:
    """A Kafka worker's lag (its partitions' end offsets minus its position), made on first use so that
    a web process, which reports the embedded bus's lag under the same name, never declares it twice."""
    global _consumer_lag
    if _consumer_lag is None:
        _consumer_lag = Gauge(
            "dukaan_consumer_lag_events", "Published events the group has not handled yet", ["group"]
        )
    _consumer_lag.labels(group).set(events)


def request_route(request) -> str:
    """The URL pattern a handled request matched (`s/<slug:slug>/`), or "unmatched" (a 404)."""
    match = getattr(request, "resolver_match", None)
    return match.route if match is not None and match.route else "unmatched"


class MetricsMiddleware:
    """Counts and times every request by the URL pattern it matched."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        route = request_route(request)
        HTTP_DURATION.labels(route, request.method).observe(time.perf_counter() - started)
        HTTP_REQUESTS.labels(route, request.method, str(response.status_code)).inc()
        return response


def metrics(request) -> HttpResponse:
    """Prometheus's scrape target, for Prometheus only: it scrapes each process directly, never through
    a proxy. Every shipped edge refuses /metrics; should one let it through anyway, the request carries
    the proxy's X-Forwarded-For (from a listed proxy or not) and is answered as if there were none."""
    if "HTTP_X_FORWARDED_FOR" in request.META or "HTTP_FORWARDED" in request.META:
        raise Http404
    body = generate_latest(REGISTRY) + generate_latest(DATABASE_REGISTRY)
    return HttpResponse(body, content_type=CONTENT_TYPE_LATEST)
