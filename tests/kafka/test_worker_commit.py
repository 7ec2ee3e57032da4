"""`run_worker` outlives an offset commit Kafka refuses (no broker needed: a stand-in consumer).

A commit raises while the broker is away (`_WAIT_COORD`) or the group rebalances
(`REBALANCE_IN_PROGRESS`). The effects are already applied and recorded, so the worker logs it and
goes on; the uncommitted messages are redelivered later and skipped (test_worker_crash, test_outage).
The worker commits each batch's offsets (asynchronously unless run_worker is told otherwise), and
what it has done once more, synchronously, as it stops.
"""

from __future__ import annotations

import json
import logging
import threading
import uuid
from datetime import UTC, datetime

from confluent_kafka import KafkaError, KafkaException

from dukaan.events import kafka
from dukaan.events.consumers import CONSUME_BATCH, ConsumerGroup
from dukaan.events.contract import types_on
from dukaan.events.models import ProcessedEvent


class Message:
    def __init__(self, offset: int) -> None:
        self._offset = offset
        self.event_id = str(uuid.uuid4())
        self._value = json.dumps(
            {
                "id": self.event_id,
                "type": "stock.changed",
                "version": 1,
                "store_id": 1,
                "occurred_at": datetime.now(UTC).isoformat(),
                "data": {"version": offset},
            }
        ).encode()

    def topic(self):
        return "dukaan.catalog"

    def partition(self):
        return 0

    def offset(self):
        return self._offset

    def key(self):
        return b"1"

    def value(self):
        return self._value

    def headers(self):
        return []

    def error(self):
        return None


class RefusingConsumer:
    """Hands out the batches (poll: the first message, consume: the rest), then stops the worker;
    refuses the commits that would move the partition to one of `refuse`."""

    def __init__(self, batches: list[list[Message]], refuse: set[int], stop: threading.Event) -> None:
        self.batches, self.refuse, self.stop = [list(batch) for batch in batches], refuse, stop
        self.committed: list[tuple[int, bool]] = []  # (next offset, asynchronous)
        self.asked: list[int] = []  # how many messages each consume() asked for
        self.closed = False

    def subscribe(self, topics, on_revoke=None):
        pass

    def assignment(self):  # the worker measures its lag: no partitions, no lag
        return []

    def position(self, partitions):
        return partitions

    def poll(self, timeout):
        while self.batches and not self.batches[0]:  # a batch of one: consume() is not asked for the rest
            self.batches.pop(0)
        if self.batches:
            return self.batches[0].pop(0)
        self.stop.set()
        return None

    def consume(self, num_messages, timeout):
        assert timeout == 0
        self.asked.append(num_messages)
        return self.batches.pop(0)[:num_messages]

    def commit(self, offsets, asynchronous):
        [offset] = [tp.offset for tp in offsets]
        if offset in self.refuse:
            raise KafkaException(KafkaError(KafkaError.REBALANCE_IN_PROGRESS))
        self.committed.append((offset, asynchronous))
        return offsets

    def close(self):
        self.closed = True


def test_a_refused_offset_commit_does_not_end_the_worker(transactional_db, monkeypatch, caplog):
    applied = []
    group = ConsumerGroup("commit-refused", lambda event: applied.append(event.id), types_on({"catalog"}))
    messages = [Message(offset) for offset in range(3)]
    stop = threading.Event()
    consumer = RefusingConsumer([messages[:2], messages[2:]], refuse={2}, stop=stop)
    monkeypatch.setattr(kafka, "_consumer", lambda _group, **_overrides: consumer)
    monkeypatch.setattr(kafka, "Producer", lambda _config: None)

    with caplog.at_level(logging.WARNING, logger="dukaan.events.kafka"):
        kafka.run_worker(group, stop=stop)

    assert applied == [message.event_id for message in messages]
    assert consumer.committed == [(3, True), (3, False)]
    assert consumer.closed
    assert ProcessedEvent.objects.filter(group=group.name).count() == 3
    assert "could not commit dukaan.catalog/0/1" in caplog.text


def test_a_worker_told_to_commit_synchronously_blocks_on_each_commit(transactional_db, monkeypatch):
    group = ConsumerGroup("commit-sync", lambda event: None, types_on({"catalog"}))
    stop = threading.Event()
    consumer = RefusingConsumer([[Message(offset) for offset in range(3)]], refuse=set(), stop=stop)
    monkeypatch.setattr(kafka, "_consumer", lambda _group, **_overrides: consumer)
    monkeypatch.setattr(kafka, "Producer", lambda _config: None)

    kafka.run_worker(group, stop=stop, batch=1, synchronous_commits=True)

    # one event a transaction, each offset committed before the next is read; once more on stopping
    assert consumer.committed == [(1, False), (2, False), (3, False), (3, False)]


def test_a_worker_takes_as_many_messages_at_a_time_as_its_group_says(transactional_db, monkeypatch):
    """The search group's cost is per batch (one index write): it reads 1,000 at a time on Kafka too."""
    stop = threading.Event()
    monkeypatch.setattr(kafka, "Producer", lambda _config: None)
    asked = {}
    for name, batch in (("batch-default", None), ("batch-own", 1_000)):
        group = ConsumerGroup(name, lambda event: None, types_on({"catalog"}), batch=batch)
        consumer = RefusingConsumer([[Message(offset) for offset in range(3)]], refuse=set(), stop=stop)
        monkeypatch.setattr(kafka, "_consumer", lambda _group, consumer=consumer, **_overrides: consumer)
        stop.clear()
        kafka.run_worker(group, stop=stop)
        asked[name] = consumer.asked
    # the first message comes from poll(), the rest of the batch from one consume()
    assert asked == {"batch-default": [CONSUME_BATCH - 1], "batch-own": [999]}
