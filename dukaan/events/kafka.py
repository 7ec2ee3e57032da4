"""Consumer groups on Kafka (EVENT_BUS_URL=kafka://host:port): Debezium publishes, workers consume.

No Python relay runs in this mode: Debezium reads the outbox from PostgreSQL's WAL and writes each
row's payload to `dukaan.<aggregatetype>`, keyed by store id. A worker commits a message's offset
only after `deliver()` applied it (or parked it in `dukaan.dlq`), so a crash redelivers, and the
dedupe in `apply()` keeps the effect single.
"""

import json
import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import cast
from urllib.parse import urlparse

from confluent_kafka import Consumer, KafkaError, KafkaException, Message, Producer, TopicPartition
from django.conf import settings
from django.db import close_old_connections
from django.utils import timezone

from dukaan.infra import metrics

from .consumers import ConsumerGroup, Event, deliver_batch, error_text, record_dead_letter
from .jobs import run_due_jobs_logged
from .models import ProcessedEvent

logger = logging.getLogger(__name__)

DLQ_TOPIC = "dukaan.dlq"
TOPIC_PREFIX = "dukaan."
REPLAY_READ_TIMEOUT_S = 60
# How often a worker measures its lag for /metrics, and how long it waits for the broker's answer.
LAG_MEASURE_SECONDS = 5
LAG_MEASURE_TIMEOUT_SECONDS = 1
# How long a worker waits for the first message of a batch.
POLL_SECONDS = 0.5


def bootstrap_servers() -> str:
    parsed = urlparse(settings.EVENT_BUS_URL)
    return parsed.netloc or parsed.path.lstrip("/")


def topics_for(group: ConsumerGroup) -> list[str]:
    return sorted(TOPIC_PREFIX + aggregatetype for aggregatetype in group.aggregatetypes)


def group_id(group: ConsumerGroup) -> str:
    """Kafka's name for the group; each region's copy has its own, so each sees every event."""
    return f"dukaan-{group.instance}"


def _consumer(group: ConsumerGroup, **overrides: object) -> Consumer:
    return Consumer(
        {
            "bootstrap.servers": bootstrap_servers(),
            "group.id": group_id(group),
            "enable.auto.commit": False,
            "auto.offset.reset": "earliest",
            "session.timeout.ms": 10_000,
            # A broker that does not answer a request within this long counts as failed (librdkafka
            # then retries on its own and reconnects with backoff).
            "socket.timeout.ms": int(settings.KAFKA_TIMEOUT_SECONDS * 1000),
            "logger": logger,  # librdkafka's own lines through our formatter (JSON where deployed)
            **overrides,
        }
    )


def group_lag(group: ConsumerGroup, timeout: float = LAG_MEASURE_TIMEOUT_SECONDS) -> int | None:
    """Messages on the group's topics past its committed offsets, asked of Kafka from any process
    (the staff /status page); None when Kafka does not answer in time."""
    consumer = _consumer(group)
    try:
        partitions = [
            TopicPartition(topic, number)
            for topic in topics_for(group)
            for number in consumer.list_topics(topic, timeout=timeout).topics[topic].partitions
        ]
        return _behind(consumer, consumer.committed(partitions, timeout=timeout), timeout)
    except KafkaException:
        return None
    finally:
        consumer.close()


def event_from_message(message: Message) -> Event:
    # Read from a message without an error, which has a topic. The stubs allow None for the value
    # too: a tombstone's None makes json.loads raise TypeError, and the worker parks it as unreadable.
    aggregatetype = cast(str, message.topic()).removeprefix(TOPIC_PREFIX)
    envelope = json.loads(cast(bytes, message.value()))
    if isinstance(envelope, str):  # a payload column read as text holds the JSON once more
        envelope = json.loads(envelope)
    # Debezium copies the outbox row's traceparent column into this header (debezium-outbox.json).
    headers = dict(message.headers() or [])
    # A consumed header's value is bytes (or None); the stubs allow str too, for produced ones.
    traceparent = cast(bytes, headers.get("traceparent") or b"").decode("ascii", errors="replace")
    return Event.from_envelope(envelope, aggregatetype, traceparent=traceparent)


class DeadLetterTopic:
    """Parks an event a group gave up on in `dukaan.dlq`, with the error, and in the DeadLetter table."""

    def __init__(self, producer: Producer, group: ConsumerGroup) -> None:
        self.producer, self.group = producer, group
        self.messages: dict[str, Message] = {}  # event id -> its message, for the batch being delivered

    def __call__(self, group: ConsumerGroup, event: Event, error: Exception, attempts: int) -> None:
        _produce_dead_letter(
            self.producer,
            self.messages[event.id],
            group=group.name,
            reason=error_text(error),
            attempts=attempts,
        )
        record_dead_letter(group.name, event, error, attempts)


class Offsets:
    """What the worker has handled, per partition, and the commits of it (at least once).

    Only offsets whose events are applied (or parked) are committed: after each batch,
    asynchronously; when partitions are revoked and when the worker stops, synchronously, so the
    next owner starts after what is done. A commit that fails is logged, never fatal: the effects
    are recorded in ProcessedEvent, so a redelivery is skipped.
    """

    def __init__(self, consumer: Consumer) -> None:
        self.consumer = consumer
        self.done: dict[tuple[str, int], int] = {}  # (topic, partition) -> the next offset to read

    def handled(self, messages: list[Message]) -> None:
        for message in messages:
            # consume() hands out a partition's messages in order: the last one counts
            self.done[(cast(str, message.topic()), cast(int, message.partition()))] = (
                cast(int, message.offset()) + 1
            )

    def commit(self, partitions: list[TopicPartition] | None = None, *, synchronous: bool = False) -> None:
        """Commit what is done (of `partitions`, default all); asynchronously unless told otherwise."""
        wanted = None if partitions is None else {(tp.topic, tp.partition) for tp in partitions}
        offsets = [
            TopicPartition(topic, partition, offset)
            for (topic, partition), offset in self.done.items()
            if wanted is None or (topic, partition) in wanted
        ]
        if not offsets:
            return
        try:
            if not synchronous:
                self.consumer.commit(offsets=offsets, asynchronous=True)  # on_commit reports it
                return
            committed = self.consumer.commit(offsets=offsets, asynchronous=False)
        except KafkaException as error:
            _log_refused(offsets, error.args[0] if error.args else error)
            return
        _log_refused([tp for tp in committed if tp.error is not None], None)

    def revoked(self, _consumer: Consumer, partitions: list[TopicPartition]) -> None:
        self.commit(partitions, synchronous=True)
        for tp in partitions:
            self.done.pop((tp.topic, tp.partition), None)


def committed(error: KafkaError | None, partitions: list[TopicPartition]) -> None:
    """on_commit: an asynchronous commit's result."""
    refused = [tp for tp in partitions if tp.error is not None]
    if error is not None or refused:
        _log_refused(refused or partitions, error)


def _log_refused(partitions: list[TopicPartition], error: object) -> None:
    for tp in partitions:
        logger.warning(
            "kafka: could not commit %s/%s/%s (it will be redelivered and skipped): %s",
            tp.topic,
            tp.partition,
            tp.offset - 1,
            error if error is not None else tp.error,
        )


def run_worker(
    group: ConsumerGroup,
    *,
    stop: threading.Event,
    log: Callable[[str], None] = logger.info,
    batch: int | None = None,
    synchronous_commits: bool = False,
) -> None:
    """Read the group's topics and deliver their events, up to `batch` at a time (deliver_batch;
    by default the group's batch size, as on the embedded bus).

    `batch=1, synchronous_commits=True` is the worker before batching (one event per transaction, a
    blocking commit after each): the Kafka bench measures it as its "before".
    """
    batch = group.batch_size if batch is None else batch
    if batch < 1:
        raise ValueError(f"batch must be at least 1, not {batch}")
    consumer = _consumer(group, on_commit=committed)
    producer = Producer(
        {
            "bootstrap.servers": bootstrap_servers(),
            "socket.timeout.ms": int(settings.KAFKA_TIMEOUT_SECONDS * 1000),
            # librdkafka retries a produce until this; past it the delivery report says it failed.
            "message.timeout.ms": int(settings.KAFKA_TIMEOUT_SECONDS * 1000),
            "logger": logger,
        }
    )
    dead_letters = DeadLetterTopic(producer, group)
    offsets = Offsets(consumer)
    consumer.subscribe(topics_for(group), on_revoke=offsets.revoked)
    log(f"Consumer group {group.name} reads {', '.join(topics_for(group))} from {bootstrap_servers()}.")
    lag_measured_at = jobs_run_at = 0.0
    try:
        while not stop.is_set():
            if time.monotonic() - lag_measured_at > LAG_MEASURE_SECONDS:
                lag_measured_at = time.monotonic()
                _measure_lag(consumer, group)
            # Every worker process runs due jobs; SKIP LOCKED gives each job to one of them.
            if time.monotonic() - jobs_run_at > settings.JOB_POLL_SECONDS:
                jobs_run_at = time.monotonic()
                run_due_jobs_logged()
            messages = _next_messages(consumer, batch)
            if not messages:
                continue
            _deliver_messages(group, messages, dead_letters)
            offsets.handled(messages)
            offsets.commit(synchronous=synchronous_commits)
            close_old_connections()
    finally:
        offsets.commit(synchronous=True)
        consumer.close()


def _next_messages(consumer: Consumer, most: int) -> list[Message]:
    """Wait for one message, then take what else has arrived, up to `most` (without waiting:
    consume() would wait for `most` or its timeout, a delay at a low rate). Errors are logged
    and left out."""
    first = consumer.poll(POLL_SECONDS)
    if first is None:
        return []
    messages = [first, *(consumer.consume(most - 1, 0) if most > 1 else [])]
    readable = []
    for message in messages:
        failed = message.error()
        if failed is None:
            readable.append(message)
        elif failed.code() != KafkaError._PARTITION_EOF:
            logger.warning("kafka: %s", failed)
    return readable


def _deliver_messages(group: ConsumerGroup, messages: list[Message], dead_letters: DeadLetterTopic) -> None:
    """Deliver the group's events of `messages` in order; an unreadable message goes to dukaan.dlq."""
    events = []
    dead_letters.messages = {}
    for message in messages:
        try:
            event = event_from_message(message)
        except (ValueError, KeyError, TypeError) as error:
            _park_unreadable(dead_letters, message, error)
            continue
        if group.wants(event):  # a topic carries other groups' types too
            events.append(event)
            dead_letters.messages[event.id] = message
    deliver_batch(group, events, dead_letter=dead_letters)


def _measure_lag(consumer: Consumer, group: ConsumerGroup) -> None:
    """Report how many messages of this worker's partitions it has not read yet (for /metrics).

    From the end offsets the last fetches brought (cached), not asked of the broker: asking took
    0.1-0.26 s per call on a busy machine, a pause of the worker every LAG_MEASURE_SECONDS that
    showed in the latency's p99. A partition not fetched from yet counts nothing.
    """
    try:
        # From the watermarks the consumer's fetches already brought back: asking the broker held this
        # loop, and every event behind it, about half of each 5 s in a 3-region cluster (py-spy;
        # docs/regions.md#where-a-price-edits-time-goes).
        position = consumer.position(consumer.assignment())
        behind = _behind(consumer, position, LAG_MEASURE_TIMEOUT_SECONDS, cached=True)
    except KafkaException as error:
        logger.debug("kafka: could not measure the lag of %s: %s", group.instance, error)
        return
    metrics.record_consumer_lag(group.instance, behind)


def _behind(
    consumer: Consumer, read_up_to: list[TopicPartition], timeout: float, cached: bool = False
) -> int:
    """Messages past each partition's offset (one not yet set counts from the partition's start);
    `cached`: from the last fetch, skipping a partition not fetched yet."""
    behind = 0
    for partition in read_up_to:
        low, high = consumer.get_watermark_offsets(partition, timeout=timeout, cached=cached)
        if high < 0:
            continue
        behind += high - (partition.offset if partition.offset >= 0 else max(low, 0))
    return behind


def _produce_dead_letter(
    producer: Producer, message: Message, *, group: str, reason: str, attempts: int
) -> None:
    """Write `message` to dukaan.dlq with headers saying which group gave up on it, why and where from."""
    headers: dict[str, str | bytes | None] = {
        "group": group,
        "error": reason,
        "attempts": str(attempts),
        "source": f"{message.topic()}/{message.partition()}/{message.offset()}",
    }
    failures: list[KafkaError] = []

    def delivered(error: KafkaError | None, _message: Message) -> None:
        if error is not None:
            failures.append(error)

    producer.produce(
        DLQ_TOPIC, key=message.key(), value=message.value(), headers=headers, on_delivery=delivered
    )
    if producer.flush(10) or failures:
        # The DeadLetter row (written next) still records it; say loudly that the topic has not.
        logger.error(
            "kafka: could not write %s/%s/%s to %s: %s",
            message.topic(),
            message.partition(),
            message.offset(),
            DLQ_TOPIC,
            failures[0] if failures else "not acknowledged within 10 s",
        )


def _park_unreadable(dead_letters: DeadLetterTopic, message: Message, error: Exception) -> None:
    logger.error(
        "unreadable message at %s/%s/%s: %r", message.topic(), message.partition(), message.offset(), error
    )
    _produce_dead_letter(
        dead_letters.producer,
        message,
        group=dead_letters.group.name,
        reason=f"unreadable: {error}"[:2000],
        attempts=0,
    )


def replay(group: ConsumerGroup, start: str, *, log: Callable[[str], None] = logger.info) -> None:
    """Move the group's committed offsets back to an offset or a time, and forget those events.

    Stop the group's workers first: Kafka only lets an idle group's offsets be set.
    """
    consumer = _consumer(group)
    try:
        partitions = []
        for topic in topics_for(group):
            metadata = consumer.list_topics(topic, timeout=10).topics[topic]
            partitions += [TopicPartition(topic, p) for p in metadata.partitions]
        if start.isdigit():
            wanted = [TopicPartition(tp.topic, tp.partition, int(start)) for tp in partitions]
        else:
            since = datetime.fromisoformat(start)
            since = timezone.make_aware(since) if timezone.is_naive(since) else since
            millis = int(since.timestamp() * 1000)
            times = [TopicPartition(tp.topic, tp.partition, millis) for tp in partitions]
            wanted = consumer.offsets_for_times(times, timeout=10)
        targets, ends = [], {}
        for tp in wanted:
            low, high = consumer.get_watermark_offsets(
                TopicPartition(tp.topic, tp.partition), timeout=10, cached=False
            )
            # An offset past the end (or -1: no message since that time) leaves nothing to replay
            # there. Committed as is, an offset past the end would be out of range, and the
            # worker's auto.offset.reset=earliest would then replay the whole partition.
            offset = high if tp.offset < 0 or tp.offset > high else max(tp.offset, low)
            targets.append(TopicPartition(tp.topic, tp.partition, offset))
            ends[(tp.topic, tp.partition)] = high
        ids = _event_ids_from(consumer, targets, ends)
        ProcessedEvent.objects.filter(group=group.name, event_id__in=ids).delete()
        consumer.commit(offsets=targets, asynchronous=False)
        log(f"Group {group.name} will re-read {len(ids)} events from {start}.")
    finally:
        consumer.close()


def _event_ids_from(
    consumer: Consumer, targets: list[TopicPartition], ends: dict[tuple[str, int], int]
) -> list[str]:
    """The event ids from `targets` up to `ends` (each partition's end when the replay began).

    Raises when it cannot read that far: a replay that forgot only some of the events would see
    the others skipped as duplicates.
    """
    ids: list[str] = []
    reading = [tp for tp in targets if tp.offset < ends[(tp.topic, tp.partition)]]
    left = {(tp.topic, tp.partition) for tp in reading}
    if not left:
        return ids
    consumer.assign(reading)
    deadline = time.monotonic() + REPLAY_READ_TIMEOUT_S
    while left:
        if time.monotonic() > deadline:
            raise RuntimeError(
                f"replay: could not read {', '.join(f'{t}/{p}' for t, p in sorted(left))} "
                f"to its end within {REPLAY_READ_TIMEOUT_S} s; nothing was changed"
            )
        message = consumer.poll(1)
        if message is None or message.error():
            continue
        where = (message.topic(), message.partition())
        if where not in left:
            continue
        if cast(int, message.offset()) + 1 >= ends[where]:  # a message without an error has one
            left.discard(where)
        try:
            ids.append(event_from_message(message).id)
        except (ValueError, KeyError, TypeError):
            continue
    consumer.unassign()
    return ids
