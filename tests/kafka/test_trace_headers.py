"""On Kafka, a merchant's edit stays one trace: the outbox row's traceparent rides in a Kafka header
(Debezium's outbox router places the column there) and the worker's delivery span continues it."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.test import Client
from opentelemetry.trace import SpanKind

from dukaan.accounts.services import create_api_token
from dukaan.catalog import services
from dukaan.conftest import make_store
from dukaan.events.models import OutboxEvent
from tests.waiting import wait_until

pytestmark = [pytest.mark.kafka]

TOPIC = "dukaan.catalog"


def test_the_traceparent_rides_in_a_kafka_header_and_the_worker_joins_the_trace(kafka_bus, spans):
    store = make_store("+919812347900", "traced-store")
    product = services.create_product(store=store, name="Chai", price=Decimal("99"), stock=5)
    merchant = Client(headers={"Authorization": f"Bearer {create_api_token(store=store, name='POS')[1]}"})
    recorder = kafka_bus.recorder("traced")
    kafka_bus.run(recorder)
    before = kafka_bus.end_offsets(TOPIC)
    spans.clear()

    response = merchant.patch(
        f"/api/v1/products/{product.pk}", json.dumps({"name": "Masala chai"}), content_type="application/json"
    )
    assert response.status_code == 200, response.content

    (server,) = [span for span in spans.get_finished_spans() if span.kind == SpanKind.SERVER]
    row = OutboxEvent.objects.get(type="product.updated")
    expected = f"00-{server.context.trace_id:032x}-{server.context.span_id:016x}-"
    assert row.traceparent.startswith(expected)

    *_, message = kafka_bus.read_until(
        TOPIC,
        before,
        lambda messages: messages and json.loads(messages[-1].value())["id"] == str(row.id),
        what=f"event {row.id} on {TOPIC}",
    )
    assert dict(message.headers())["traceparent"] == row.traceparent.encode()

    recorder.wait_for([row.id])
    (applied,) = [event for event in recorder.effects if event.id == str(row.id)]
    assert applied.traceparent == row.traceparent
    handled = wait_until(
        lambda: [
            s for s in spans.get_finished_spans() if s.name == f"{recorder.name} handle product.updated"
        ],
        what="the worker's delivery span",
    )
    (delivery,) = handled
    assert delivery.kind == SpanKind.CONSUMER
    assert delivery.context.trace_id == server.context.trace_id
    assert delivery.parent.span_id == server.context.span_id
    # The worker's own queries (recording the event as processed) are in the trace, under its span.
    assert any(
        "db.statement" in span.attributes and span.parent.span_id == delivery.context.span_id
        for span in spans.get_finished_spans()
    )
