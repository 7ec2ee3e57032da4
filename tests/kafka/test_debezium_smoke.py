"""End to end: an outbox row committed through dukaan.events.outbox.emit reaches Kafka through Debezium.

PostgreSQL's WAL -> replication slot (pgoutput) -> Debezium PostgreSQL connector -> outbox event router
-> topic dukaan.<aggregatetype>, key = store id, value = the envelope JSON, headers id and type.
"""

from __future__ import annotations

import json
import sys
import time
import uuid
from decimal import Decimal

import pytest
from confluent_kafka import Consumer, TopicPartition
from django.db import transaction

from dukaan.catalog.events import PRODUCT_CREATED, PRODUCT_DELETED, STOCK_CHANGED
from dukaan.events.outbox import emit
from dukaan.orders.events import ORDER_PLACED
from tests.waiting import wait_until

pytestmark = [pytest.mark.kafka]

DELIVERY_TIMEOUT_S = 30


class Reader:
    """A consumer that reads the given topics from their current end: only what the test writes next."""

    def __init__(self, bootstrap_servers: str, *topics: str) -> None:
        self.consumer = Consumer(
            {
                "bootstrap.servers": bootstrap_servers,
                "group.id": f"dukaan-smoke-{uuid.uuid4()}",
                "enable.auto.commit": False,
                "auto.offset.reset": "earliest",
            }
        )
        self.partitions = {}
        assignment = []
        metadata = self.consumer.list_topics(timeout=10)
        for topic in topics:
            self.partitions[topic] = sorted(metadata.topics[topic].partitions)
            for partition in self.partitions[topic]:
                _low, high = self.consumer.get_watermark_offsets(TopicPartition(topic, partition), timeout=10)
                assignment.append(TopicPartition(topic, partition, high))
        self.consumer.assign(assignment)

    def read(self, count: int) -> list:
        messages = []

        def read_one() -> bool:
            message = self.consumer.poll(0.05)
            if message is not None:
                assert message.error() is None, message.error()
                messages.append(message)
            return len(messages) >= count

        wait_until(read_one, what=f"{count} messages", timeout=DELIVERY_TIMEOUT_S, poll=0)
        return messages

    def close(self) -> None:
        self.consumer.close()


@pytest.fixture
def reader(kafka_cluster):
    readers = []

    def make(*topics: str) -> Reader:
        readers.append(Reader(kafka_cluster.bootstrap_servers, *topics))
        return readers[-1]

    yield make
    for item in readers:
        item.close()


def test_topics_have_three_partitions(kafka_cluster, reader):
    outbox_reader = reader("dukaan.catalog", "dukaan.order", "dukaan.store", "dukaan.dlq")
    assert {topic: len(parts) for topic, parts in outbox_reader.partitions.items()} == {
        "dukaan.catalog": 3,
        "dukaan.order": 3,
        "dukaan.store": 3,
        "dukaan.dlq": 3,
    }


def test_committed_outbox_row_is_published_keyed_by_store(kafka_cluster, reader, transactional_db):
    catalog = reader("dukaan.catalog")
    store_id = 4242
    with transaction.atomic():
        event = emit(
            PRODUCT_CREATED,
            store_id=store_id,
            data={
                "id": 7,
                "name": "Masala chai — 250 g",
                "price": Decimal("499.00"),
                "logo": None,
                "tags": [],
                "variants": [{"id": 1, "stock": 3}, {"id": 2, "stock": None}],
            },
        )
    committed = time.monotonic()

    messages = catalog.read(1)
    latency = time.monotonic() - committed
    message = messages[0]
    print(
        f"\nkafka: commit -> consume latency {latency * 1000:.0f} ms "
        f"(start took {kafka_cluster.start_seconds:.1f} s)",
        file=sys.stderr,
    )

    assert message.topic() == "dukaan.catalog"
    assert message.key() == str(store_id).encode()
    envelope = json.loads(message.value())
    assert envelope == event.payload
    assert set(envelope) == {"id", "type", "version", "store_id", "occurred_at", "data"}
    assert envelope["data"]["price"] == "499.00"
    headers = dict(message.headers())
    assert headers["id"] == str(event.id).encode()
    assert headers["type"] == b"product.created"


def test_rolled_back_event_is_never_published_and_one_store_stays_in_order(
    kafka_cluster, reader, transactional_db
):
    catalog, orders = reader("dukaan.catalog"), reader("dukaan.order")
    store_id = 77

    class Abort(Exception):
        pass

    with pytest.raises(Abort), transaction.atomic():
        emit(PRODUCT_DELETED, store_id=store_id, data={"id": 1})
        raise Abort
    emitted = []
    for stock in range(5):
        with transaction.atomic():
            emitted.append(
                emit(
                    STOCK_CHANGED,
                    store_id=store_id,
                    data={"id": 1, "variant_id": None, "stock": stock, "version": stock + 1},
                )
            )
    with transaction.atomic():
        placed = emit(ORDER_PLACED, store_id=store_id, data={"id": 9})

    catalog_messages = catalog.read(5)
    assert [json.loads(m.value())["id"] for m in catalog_messages] == [str(e.id) for e in emitted]
    assert {m.partition() for m in catalog_messages} == {catalog_messages[0].partition()}, (
        "one store's events must share a partition"
    )
    # One store's partition keeps order: whatever was published after the five comes before this fence.
    with transaction.atomic():
        fence = emit(
            STOCK_CHANGED, store_id=store_id, data={"id": 1, "variant_id": None, "stock": 5, "version": 6}
        )
    assert [json.loads(m.value())["id"] for m in catalog.read(1)] == [str(fence.id)], (
        "the rolled-back event (or a duplicate) was published"
    )

    order_messages = orders.read(1)
    assert [m.key() for m in order_messages] == [str(store_id).encode()]
    assert json.loads(order_messages[0].value()) == placed.payload
