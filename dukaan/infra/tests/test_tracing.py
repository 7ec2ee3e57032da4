"""Traces: a merchant's edit is one trace from the request through its queries and outbox row to the
consumers that apply it; and DUKAAN_TRACES sends spans to a file or to an OTLP collector, or refuses."""

import json
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.db import connection
from django.test import Client
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.trace import SpanKind

from dukaan.accounts.services import create_api_token
from dukaan.events.local import run_pending
from dukaan.events.models import OutboxEvent
from dukaan.infra import tracing

CALLER_TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
CALLER_SPAN_ID = "00f067aa0ba902b7"


@pytest.fixture
def merchant(store):
    return Client(headers={"Authorization": f"Bearer {create_api_token(store=store, name='POS')[1]}"})


def names(traceparent: str, span) -> bool:
    """Whether a W3C traceparent names this span (its trace and its id; the flags may vary)."""
    return traceparent.startswith(f"00-{span.context.trace_id:032x}-{span.context.span_id:016x}-")


def rename(merchant, product, **headers):
    response = merchant.patch(
        f"/api/v1/products/{product.pk}",
        json.dumps({"name": "Silk kurta"}),
        content_type="application/json",
        headers=headers,
    )
    assert response.status_code == 200, response.content
    return response


def request_span(spans):
    (server,) = [span for span in spans.get_finished_spans() if span.kind == SpanKind.SERVER]
    return server


def test_a_product_edit_is_one_trace_from_request_to_queries_to_its_outbox_row(spans, merchant, product):
    rename(merchant, product)

    server = request_span(spans)
    assert server.name == "PATCH api/v1/products/<product_id>"
    assert server.attributes["http.response.status_code"] == 200
    # Named by its route; the path (an order page's holds its secret link) is never recorded.
    assert f"/{product.pk}" not in json.dumps(dict(server.attributes))
    queries = [span for span in spans.get_finished_spans() if "db.statement" in span.attributes]
    assert len(queries) >= 3  # the token, the product, the update and the outbox row at least
    assert {span.context.trace_id for span in queries} == {server.context.trace_id}
    assert all(span.parent.span_id == server.context.span_id for span in queries)
    assert {span.attributes["db.system"] for span in queries} == {connection.vendor}
    (update,) = [
        span
        for span in queries
        if span.name == "UPDATE" and '"catalog_product" SET' in span.attributes["db.statement"]
    ]
    # The statement, never the values: a customer's name or phone must not end up in a trace.
    assert "Silk kurta" not in update.attributes["db.statement"]
    assert "%s" in update.attributes["db.statement"]

    outbox = OutboxEvent.objects.get(type="product.updated")
    assert names(outbox.traceparent, server)


def test_the_consumers_of_that_event_continue_the_request_s_trace(spans, merchant, product):
    rename(merchant, product)
    server = request_span(spans)
    spans.clear()

    # The relay and every consumer group, in this thread, as the embedded bus runs them. The event is
    # one of a run (the store's and product's creation too): cache and search handle a run in one
    # batch, whose span links to every event's trace.
    run_pending()

    finished = spans.get_finished_spans()
    batches = {span.name.split()[0]: span for span in finished if span.name.endswith(" events")}
    assert {"cache", "search"} <= set(batches)
    for batch in (batches["cache"], batches["search"]):
        assert batch.kind == SpanKind.CONSUMER
        assert server.context.span_id in {link.context.span_id for link in batch.links}
        assert server.context.trace_id in {link.context.trace_id for link in batch.links}
        # The group's own queries are under its batch's span.
        assert any(
            "db.statement" in span.attributes and span.parent.span_id == batch.context.span_id
            for span in finished
        )


def test_a_single_event_s_consumer_is_a_child_of_the_request_s_span(spans, merchant, product):
    run_pending()  # the store's and product's creation, before the request
    rename(merchant, product)
    server = request_span(spans)
    spans.clear()

    run_pending()

    handled = [span for span in spans.get_finished_spans() if span.name.endswith(" handle product.updated")]
    assert {span.name for span in handled} >= {
        "cache handle product.updated",
        "search handle product.updated",
    }
    for span in handled:
        assert span.kind == SpanKind.CONSUMER
        assert span.context.trace_id == server.context.trace_id
        assert span.parent.span_id == server.context.span_id
        assert span.attributes["dukaan.event.outcome"] == "applied"


def test_a_caller_s_traceparent_is_continued(spans, merchant, product):
    rename(merchant, product, traceparent=f"00-{CALLER_TRACE_ID}-{CALLER_SPAN_ID}-01")

    server = request_span(spans)
    assert f"{server.context.trace_id:032x}" == CALLER_TRACE_ID
    assert f"{server.parent.span_id:016x}" == CALLER_SPAN_ID
    assert OutboxEvent.objects.get(type="product.updated").traceparent.startswith(f"00-{CALLER_TRACE_ID}-")


def test_queries_outside_a_traced_request_or_consumer_make_no_spans(spans, store):
    assert OutboxEvent.objects.count() > 0  # a query, with no span around it
    with tracing.span("inside"):
        OutboxEvent.objects.count()

    names = [span.name for span in spans.get_finished_spans()]
    assert names == ["SELECT", "inside"]


def test_a_consumer_that_gives_up_marks_its_span_failed(spans, settings, store):
    from dukaan.events.consumers import ConsumerGroup, Event, deliver
    from dukaan.events.contract import types_on

    settings.EVENT_MAX_ATTEMPTS = 1

    def broken(event):
        raise RuntimeError("the printer is on fire")

    event = Event("7f6c1f52-3c1e-4a47-9d55-0c51e1bb0fd6", "store.updated", 1, store.pk, "", {}, "catalog")
    assert deliver(ConsumerGroup("broken", broken, types_on({"catalog"})), event) == "dead-lettered"

    (handled,) = [span for span in spans.get_finished_spans() if span.kind == SpanKind.CONSUMER]
    assert handled.name == "broken handle store.updated"
    assert not handled.status.is_ok
    assert handled.parent is None  # an event written outside a trace starts its own


@pytest.mark.parametrize(
    ("argv", "name"),
    [
        (["dukaan", "worker", "--group", "search"], "dukaan-worker-search"),
        (["dukaan", "worker", "--group=cache", "--metrics-port", "9101"], "dukaan-worker-cache"),
        (["dukaan", "storefront", "--port", "8001"], "dukaan-storefront"),
        (["granian", "--interface", "wsgi", "dukaan.config.wsgi:application"], "dukaan-web"),
    ],
)
def test_each_process_names_its_service(settings, argv, name):
    settings.OTEL_SERVICE_NAME = ""
    assert tracing.service_name(argv) == name
    settings.OTEL_SERVICE_NAME = "shop-eu"
    assert tracing.service_name(argv) == "shop-eu"


# --- DUKAAN_TRACES as an operator sets it: a fresh process each ---------------------------------------

ONE_SPAN = """
import django
django.setup()
from dukaan.infra import tracing
with tracing.span("checkout", store_id=7):
    pass
"""


def run_with(tmp_path, **environment: str) -> subprocess.CompletedProcess:
    """A new process with only `environment` set, making one span and exiting (which flushes them)."""
    env = {
        "PATH": os.environ["PATH"],
        "DUKAAN_VAR_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "dukaan.config.settings",
        **environment,
    }
    return subprocess.run(
        [sys.executable, "-c", ONE_SPAN], env=env, capture_output=True, text=True, timeout=60
    )


def test_an_unknown_exporter_is_refused_with_the_choices(tmp_path):
    result = run_with(tmp_path, DUKAAN_TRACES="zipkin")

    assert result.returncode != 0
    message = result.stderr.split("ImproperlyConfigured: ", 1)[1]
    assert message.startswith("DUKAAN_TRACES must be one of off, console, otlp, not 'zipkin'.")
    assert "OTEL_EXPORTER_OTLP_ENDPOINT" in message


def test_console_traces_append_one_json_span_a_line_to_the_file(tmp_path):
    result = run_with(tmp_path, DUKAAN_TRACES="console", DUKAAN_TRACES_FILE=str(tmp_path / "t.jsonl"))
    assert result.returncode == 0, result.stderr

    (line,) = (tmp_path / "t.jsonl").read_text().splitlines()
    span = json.loads(line)
    assert span["name"] == "checkout"
    assert span["attributes"] == {"store_id": 7}
    assert span["resource"]["attributes"]["service.name"] == "dukaan-web"
    assert result.stdout == ""  # the terminal stays readable


def test_dev_writes_traces_to_var_by_default_and_off_writes_nothing(tmp_path):
    assert run_with(tmp_path).returncode == 0
    assert "checkout" in (tmp_path / "traces.jsonl").read_text()

    (tmp_path / "traces.jsonl").unlink()
    assert run_with(tmp_path, DUKAAN_TRACES="off").returncode == 0
    assert run_with(tmp_path, DUKAAN_ENV="test").returncode == 0
    assert not (tmp_path / "traces.jsonl").exists()


class Collector(BaseHTTPRequestHandler):
    """The part of an OpenTelemetry collector that takes OTLP/HTTP traces: POST /v1/traces."""

    received: list[ExportTraceServiceRequest] = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if self.path == "/v1/traces" and self.headers["Content-Type"] == "application/x-protobuf":
            Collector.received.append(ExportTraceServiceRequest.FromString(body))
            self.send_response(200)
        else:
            self.send_response(404)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def test_otlp_sends_the_spans_to_the_collector_at_the_endpoint(tmp_path):
    server = ThreadingHTTPServer(("127.0.0.1", 0), Collector)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    Collector.received = []
    try:
        endpoint = f"http://127.0.0.1:{server.server_address[1]}"
        result = run_with(tmp_path, DUKAAN_TRACES="otlp", OTEL_EXPORTER_OTLP_ENDPOINT=endpoint)
    finally:
        server.shutdown()
        server.server_close()
    assert result.returncode == 0, result.stderr

    (export,) = Collector.received
    (resource_spans,) = export.resource_spans
    service = {kv.key: kv.value.string_value for kv in resource_spans.resource.attributes}["service.name"]
    assert service == "dukaan-web"
    assert [span.name for scope in resource_spans.scope_spans for span in scope.spans] == ["checkout"]


def test_an_otlp_endpoint_that_is_not_an_address_is_refused(tmp_path):
    result = run_with(tmp_path, DUKAAN_TRACES="otlp", OTEL_EXPORTER_OTLP_ENDPOINT="collector:4318")

    assert result.returncode != 0
    assert "OTEL_EXPORTER_OTLP_ENDPOINT must be the collector's http(s) address" in result.stderr
    assert "'collector:4318'" in result.stderr
