"""OpenTelemetry traces: one trace follows a change from the web request to every consumer that applies it.

A request's server span (TracingMiddleware) holds a span per SQL query; the outbox row written in it
keeps the W3C `traceparent` of that span (events/outbox.py), Debezium copies it into a Kafka header,
and `deliver()` opens the consumer's span under it, so the consumer's queries, cache and search work
and edge purges land in the same trace. DUKAAN_TRACES picks where spans go: `console` (the default in
dev) appends one JSON span a line to DUKAAN_TRACES_FILE, `otlp` sends them to a collector at
OTEL_EXPORTER_OTLP_ENDPOINT, `off` (the default elsewhere) records nothing. docs/observability.md.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager

from django.conf import settings
from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter
from opentelemetry.trace import SpanKind, Status, StatusCode
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from dukaan.infra.metrics import request_route

# Longer statements (a bulk insert of a thousand rows) are cut: the start names the query well enough.
STATEMENT_MAX_CHARS = 2000

_propagator = TraceContextTextMapPropagator()
# Where this module's spans go; set once by setup(), swapped by tests for an in-memory one.
_provider: trace.TracerProvider = trace.NoOpTracerProvider()


def service_name(argv: list[str] | None = None) -> str:
    """OTEL_SERVICE_NAME, or the kind of process this is: dukaan-worker-<group>, dukaan-storefront,
    or dukaan-web (granian's workers and everything else)."""
    if settings.OTEL_SERVICE_NAME:
        return settings.OTEL_SERVICE_NAME
    args = sys.argv if argv is None else argv
    command = args[1] if len(args) > 1 else ""
    if command == "worker":
        for number, arg in enumerate(args):
            if arg.startswith("--group="):
                return f"dukaan-worker-{arg.removeprefix('--group=')}"
            if arg == "--group" and number + 1 < len(args):
                return f"dukaan-worker-{args[number + 1]}"
    if command == "storefront":
        return "dukaan-storefront"
    return "dukaan-web"


def exporter(kind: str) -> SpanExporter:
    """The exporter DUKAAN_TRACES names (settings.py has refused any other value)."""
    if kind == "console":
        settings.DUKAAN_TRACES_FILE.parent.mkdir(parents=True, exist_ok=True)
        # Appending, one span a line: the web and its workers can share the file.
        out = open(settings.DUKAAN_TRACES_FILE, "a", encoding="utf-8")  # noqa: SIM115 (open for the process)
        return ConsoleSpanExporter(out=out, formatter=lambda span: span.to_json(indent=None) + "\n")
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    return OTLPSpanExporter(endpoint=settings.OTEL_EXPORTER_OTLP_ENDPOINT.rstrip("/") + "/v1/traces")


def setup() -> None:
    """Send this process's spans where DUKAAN_TRACES says (Django's ready() calls it once)."""
    from django.db.backends.signals import connection_created

    connection_created.connect(_trace_queries, dispatch_uid="dukaan-tracing")
    if settings.DUKAAN_TRACES == "off":
        return
    provider = TracerProvider(resource=Resource.create({"service.name": service_name()}))
    # Spans are written by a background thread in batches: a request never waits on the exporter.
    provider.add_span_processor(BatchSpanProcessor(exporter(settings.DUKAAN_TRACES)))
    use_provider(provider)
    trace.set_tracer_provider(provider)  # libraries that trace on their own report to it too


def use_provider(provider: trace.TracerProvider) -> None:
    global _provider
    _provider = provider


@contextmanager
def span(
    name: str,
    *,
    kind: SpanKind = SpanKind.INTERNAL,
    traceparent: str | None = None,
    links: Sequence[str] = (),
    **attributes,
) -> Iterator[trace.Span]:
    """A span around the block, a child of the current one, or of `traceparent` when given (an empty
    one starts a new trace). `links`: traceparents of the spans it works for without being their
    child (a consumer's batch of many requests' events). An exception leaving the block is recorded
    on it and marks it failed."""
    context = None if traceparent is None else extract({"traceparent": traceparent})
    linked = [trace.get_current_span(extract({"traceparent": parent})).get_span_context() for parent in links]
    tracer = _provider.get_tracer("dukaan")
    with tracer.start_as_current_span(
        name,
        context=context,
        kind=kind,
        attributes=attributes,
        links=[trace.Link(found) for found in linked if found.is_valid],
    ) as current:
        yield current


def current_traceparent() -> str:
    """The W3C traceparent of the current span ("00-<trace id>-<span id>-01"), or "" outside a trace."""
    carrier: dict[str, str] = {}
    _propagator.inject(carrier)
    return carrier.get("traceparent", "")


def extract(carrier: Mapping[str, str]):
    """The trace context in a `traceparent` header (HTTP request headers, a Kafka message's headers)."""
    return _propagator.extract(carrier)


class TracingMiddleware:
    """One server span per request, named by the URL pattern it matched; joins a caller's traceparent."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        tracer = _provider.get_tracer("dukaan")
        with tracer.start_as_current_span(
            f"{request.method}",
            context=extract(request.headers),
            kind=SpanKind.SERVER,
            # No url.path: a matched path can hold an order's secret link; the route names the page.
            attributes={"http.request.method": request.method},
        ) as current:
            response = self.get_response(request)
            route = request_route(request)
            current.update_name(f"{request.method} {route}")
            current.set_attribute("http.route", route)
            current.set_attribute("http.response.status_code", response.status_code)
            if response.status_code >= 500:
                current.set_status(Status(StatusCode.ERROR))
            return response


def _trace_queries(sender, connection, **kwargs) -> None:
    # Once per connection object: Django reconnects the same object (every request on SQLite).
    if _query_span not in connection.execute_wrappers:
        connection.execute_wrappers.append(_query_span)


def _query_span(execute, sql, params, many, context):
    """A client span per SQL statement, inside a traced request or consumer only (never a stray root);
    the statement without its parameter values, which may be personal data."""
    if not trace.get_current_span().is_recording():
        return execute(sql, params, many, context)
    connection = context["connection"]
    statement = str(sql)
    operation = statement.split(None, 1)[0].upper() if statement.strip() else "SQL"
    with span(
        operation,
        kind=SpanKind.CLIENT,
        **{
            "db.system": connection.vendor,
            "db.name": connection.alias,
            "db.statement": statement[:STATEMENT_MAX_CHARS],
        },
    ):
        return execute(sql, params, many, context)
