"""Consumer groups on Kafka (EVENT_BUS_URL=kafka://host:port): Debezium publishes, workers consume.

No Python relay runs in this mode: Debezium reads the outbox from PostgreSQL's WAL and writes each
row's payload to `dukaan.<aggregatetype>`, keyed by store id. A worker commits a message's offset
only after `deliver()` applied it (or parked it in `dukaan.dlq`), so a crash redelivers, and the
dedupe in `apply()` keeps the effect single.
"""

import json
import logging
import threading
from collections.abc import Callable
from datetime import datetime
from urllib.parse import urlparse

from confluent_kafka import OFFSET_END, Consumer, KafkaError, Producer, TopicPartition
from django.conf import settings
from django.db import close_old_connections
from django.utils import timezone

from .consumers import ConsumerGroup, Event, deliver
from .models import DeadLetter, ProcessedEvent

logger = logging.getLogger(__name__)

DLQ_TOPIC = "dukaan.dlq"
TOPIC_PREFIX = "dukaan."


def bootstrap_servers() -> str:
    parsed = urlparse(settings.EVENT_BUS_URL)
    return parsed.netloc or parsed.path.lstrip("/")


def topics_for(group: ConsumerGroup) -> list[str]:
    return sorted(TOPIC_PREFIX + aggregatetype for aggregatetype in group.aggregatetypes)


def _consumer(group: ConsumerGroup, **overrides) -> Consumer:
    return Consumer(
        {
            "bootstrap.servers": bootstrap_servers(),
            "group.id": f"dukaan-{group.name}",
            "enable.auto.commit": False,
            "auto.offset.reset": "earliest",
            "session.timeout.ms": 10_000,
            **overrides,
        }
    )


def event_from_message(message) -> Event:
    aggregatetype = message.topic().removeprefix(TOPIC_PREFIX)
    envelope = json.loads(message.value())
    if isinstance(envelope, str):  # a payload column read as text holds the JSON once more
        envelope = json.loads(envelope)
    return Event.from_envelope(envelope, aggregatetype)


class DeadLetterTopic:
    """Parks an event a group gave up on in `dukaan.dlq`, with the error, and in the DeadLetter table."""

    def __init__(self, producer: Producer, group: ConsumerGroup) -> None:
        self.producer, self.group = producer, group
        self.message = None

    def __call__(self, group: ConsumerGroup, event: Event, error: Exception, attempts: int) -> None:
        headers = {
            "group": group.name,
            "error": f"{type(error).__name__}: {error}"[:2000],
            "attempts": str(attempts),
            "source": f"{self.message.topic()}/{self.message.partition()}/{self.message.offset()}",
        }
        self.producer.produce(DLQ_TOPIC, key=self.message.key(), value=self.message.value(), headers=headers)
        self.producer.flush(10)
        DeadLetter.objects.create(
            group=group.name,
            event_id=event.id,
            aggregatetype=event.aggregatetype,
            type=event.type,
            payload={"id": event.id, "type": event.type, "store_id": event.store_id, "data": event.data},
            error=headers["error"],
            attempts=attempts,
        )


def run_worker(
    group: ConsumerGroup, *, stop: threading.Event, log: Callable[[str], None] = logger.info
) -> None:
    consumer = _consumer(group)
    dead_letters = DeadLetterTopic(Producer({"bootstrap.servers": bootstrap_servers()}), group)
    consumer.subscribe(topics_for(group))
    log(f"Consumer group {group.name} reads {', '.join(topics_for(group))} from {bootstrap_servers()}.")
    try:
        while not stop.is_set():
            message = consumer.poll(0.5)
            if message is None:
                continue
            if message.error():
                if message.error().code() != KafkaError._PARTITION_EOF:
                    logger.warning("kafka: %s", message.error())
                continue
            dead_letters.message = message
            try:
                event = event_from_message(message)
            except (ValueError, KeyError, TypeError) as error:
                _park_unreadable(dead_letters, message, error)
            else:
                deliver(group, event, dead_letter=dead_letters)
            consumer.commit(message=message, asynchronous=False)
            close_old_connections()
    finally:
        consumer.close()


def _park_unreadable(dead_letters: DeadLetterTopic, message, error: Exception) -> None:
    logger.error(
        "unreadable message at %s/%s/%s: %r", message.topic(), message.partition(), message.offset(), error
    )
    headers = {"group": dead_letters.group.name, "error": f"unreadable: {error}"[:2000], "attempts": "0"}
    dead_letters.producer.produce(DLQ_TOPIC, key=message.key(), value=message.value(), headers=headers)
    dead_letters.producer.flush(10)


def replay(group: ConsumerGroup, start: str, *, log: Callable[[str], None] = logger.info) -> None:
    """Move the group's committed offsets back to an offset or a time, and forget those events.

    Stop the group's workers first: Kafka only lets an idle group's offsets be set.
    """
    consumer = _consumer(group, **{"enable.partition.eof": True})
    try:
        partitions = []
        for topic in topics_for(group):
            metadata = consumer.list_topics(topic, timeout=10).topics[topic]
            partitions += [TopicPartition(topic, p) for p in metadata.partitions]
        if start.isdigit():
            targets = [TopicPartition(tp.topic, tp.partition, int(start)) for tp in partitions]
        else:
            since = datetime.fromisoformat(start)
            since = timezone.make_aware(since) if timezone.is_naive(since) else since
            millis = int(since.timestamp() * 1000)
            wanted = [TopicPartition(tp.topic, tp.partition, millis) for tp in partitions]
            targets = consumer.offsets_for_times(wanted, timeout=10)
        targets = [
            tp if tp.offset >= 0 else TopicPartition(tp.topic, tp.partition, OFFSET_END) for tp in targets
        ]
        ids = _event_ids_from(consumer, targets)
        ProcessedEvent.objects.filter(group=group.name, event_id__in=ids).delete()
        consumer.commit(offsets=targets, asynchronous=False)
        log(f"Group {group.name} will re-read {len(ids)} events from {start}.")
    finally:
        consumer.close()


def _event_ids_from(consumer: Consumer, targets: list[TopicPartition]) -> list[str]:
    """Read from `targets` to the current end of each partition, collecting event ids."""
    ids: list[str] = []
    open_partitions = {(tp.topic, tp.partition) for tp in targets if tp.offset != OFFSET_END}
    if not open_partitions:
        return ids
    consumer.assign(targets)
    while open_partitions:
        message = consumer.poll(5)
        if message is None:
            break
        if message.error():
            if message.error().code() == KafkaError._PARTITION_EOF:
                open_partitions.discard((message.topic(), message.partition()))
            continue
        try:
            ids.append(event_from_message(message).id)
        except (ValueError, KeyError, TypeError):
            continue
    consumer.unassign()
    return ids
