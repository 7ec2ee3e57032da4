"""Consumer groups: who reacts to which events, and the one way an event is applied.

Apps register handlers in their own `consumers.py`, loaded when Django starts, for declared event
types (`contract.py`); a group reads the topics of its types and is handed only those types:

    @consumer("notifier", events={ORDER_PLACED, ORDER_SHIPPED})
    def notify(event: Event) -> None: ...

Delivery is at-least-once, on the embedded bus and on Kafka alike; `apply()` makes the effect
happen once by recording the event id in the same transaction as the handler's database writes.
"""

import logging
import random
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from opentelemetry import trace
from opentelemetry.trace import SpanKind, StatusCode

from dukaan.infra import logs, tracing
from dukaan.infra.metrics import EVENTS_HANDLED
from dukaan.infra.queries import insert_each

from .contract import EventType, declared
from .models import DeadLetter, ProcessedEvent

logger = logging.getLogger(__name__)

# Events a worker delivers at most in one batch, unless its group says otherwise (ConsumerGroup.batch).
CONSUME_BATCH = 200


@dataclass(frozen=True)
class Event:
    """An event as consumers see it: the envelope written by `emit()` plus its aggregate type."""

    id: str
    type: str
    version: int
    store_id: int
    occurred_at: str
    data: dict[str, Any]
    aggregatetype: str
    # The W3C trace context of the span that emitted it ("" = none): the consumer's span continues it.
    traceparent: str = field(default="", compare=False)

    @classmethod
    def from_envelope(cls, envelope: dict[str, Any], aggregatetype: str, traceparent: str = "") -> "Event":
        return cls(
            id=envelope["id"],
            type=envelope["type"],
            version=envelope.get("version", 1),
            store_id=envelope["store_id"],
            occurred_at=envelope["occurred_at"],
            data=envelope.get("data", {}),
            aggregatetype=aggregatetype,
            traceparent=traceparent,
        )

    def is_a(self, *event_types: EventType[Any]) -> bool:
        """Whether the event is of one of these declared types."""
        return any(self.type == event_type.name for event_type in event_types)


Handler = Callable[[Event], None]
BatchHandler = Callable[[Sequence[Event]], None]


@dataclass(frozen=True)
class ConsumerGroup:
    name: str
    handler: Handler
    events: frozenset[EventType[Any]]
    # The handler commits a record of each outside effect as it makes it (the notifier: a row per
    # message sent), so it runs outside the event's transaction: a failure half-way through keeps
    # the record of what went out, and the retry makes only the rest.
    records_own_effects: bool = False
    # Applies a run of the group's events at once (the search group indexes their products in one
    # write); must have the same effect as `handler` on each in turn. See apply_batch.
    handle_batch: BatchHandler | None = None
    # How many events a worker (either bus) delivers at most in one batch (one transaction, one commit)
    # when not CONSUME_BATCH: more for a group whose cost is per batch, not per event (the search
    # group's index commit).
    batch: int | None = None

    @property
    def batch_size(self) -> int:
        return self.batch or CONSUME_BATCH

    @property
    def aggregatetypes(self) -> frozenset[str]:
        """The aggregate types (topics) the group's events are published to."""
        return frozenset(event_type.aggregatetype for event_type in self.events)

    def wants(self, event: Event) -> bool:
        return event.is_a(*self.events)

    @property
    def instance(self) -> str:
        """The group as this process's region runs it (`cache-r2`; DUKAAN_REGION): each region's copy
        has its own offsets and its own record of the events it applied, so each applies every event."""
        return f"{self.name}-{settings.DUKAAN_REGION}" if settings.DUKAAN_REGION else self.name


_groups: dict[str, ConsumerGroup] = {}


def consumer(
    name: str,
    *,
    events: Iterable[EventType[Any]],
    records_own_effects: bool = False,
    handle_batch: BatchHandler | None = None,
    batch: int | None = None,
) -> Callable[[Handler], Handler]:
    """Register the decorated function as the handler of consumer group `name`, for these declared
    event types (see ConsumerGroup.records_own_effects, handle_batch and batch)."""
    subscribed = frozenset(declared(event_type) for event_type in events)
    if not subscribed:
        raise ValueError(f"consumer group {name!r} subscribes to no event type")
    if batch is not None and batch < 1:
        raise ValueError(f"consumer group {name!r}: batch must be 1 or more, not {batch}")

    def register(handler: Handler) -> Handler:
        if name in _groups and _groups[name].handler is not handler:
            raise ValueError(f"consumer group {name!r} is registered twice")
        _groups[name] = ConsumerGroup(
            name=name,
            handler=handler,
            events=subscribed,
            records_own_effects=records_own_effects,
            handle_batch=handle_batch,
            batch=batch,
        )
        return handler

    return register


def registered_groups() -> dict[str, ConsumerGroup]:
    return dict(_groups)


def get_group(name: str) -> ConsumerGroup:
    try:
        return _groups[name]
    except KeyError:
        known = ", ".join(sorted(_groups)) or "none"
        raise LookupError(f"There is no consumer group {name!r}. Known groups: {known}.") from None


def apply(group: ConsumerGroup, event: Event, *, on_applied: Callable[[], None] | None = None) -> bool:
    """Run the handler once for this event id; False when the group had already applied it.

    `on_applied` runs inside the same transaction (the embedded bus stores its offset there).
    """
    own = group.records_own_effects
    if own and not ProcessedEvent.objects.filter(group=group.instance, event_id=event.id).exists():
        group.handler(event)
    try:
        with transaction.atomic():
            _, created = ProcessedEvent.objects.get_or_create(group=group.instance, event_id=event.id)
            if created and not own:
                group.handler(event)
            if on_applied is not None:
                on_applied()
    except IntegrityError:
        # Another worker of the group recorded the same event at the same moment: it is applied.
        # Any other integrity error is the handler's own (PostgreSQL checks foreign keys at
        # commit): the event was not applied, so it must be retried and then parked, not skipped.
        if ProcessedEvent.objects.filter(group=group.instance, event_id=event.id).exists():
            return False
        raise
    return created


def apply_batch(
    group: ConsumerGroup, events: Sequence[Event], *, on_applied: Callable[[Event], None] | None = None
) -> list[bool]:
    """Run the handler for each event id the group has not applied yet, in ONE transaction.

    The whole run is handled in one savepoint (the group's batch handler, or its handler on each
    event in turn); when that raises, it is rolled back and each event runs in a savepoint of its
    own, stopping before the first whose handler raises: the events before it are committed (with
    `on_applied(last of them)` in the transaction). Their effects outside the database (a cache
    forgotten, a document indexed) are then made twice: handlers must be idempotent.

    Returns, for that leading run of events, whether each was applied now (False: applied before,
    or earlier in this batch); shorter than `events` when one failed. Raises when the commit fails
    (another worker recorded one of the ids, a foreign key checked at commit): nothing of the batch
    is applied then. Not for groups that record their own effects (their handler runs outside the
    transaction).
    """
    if group.records_own_effects:
        raise ValueError(f"group {group.name!r} records its own effects: deliver its events one by one")
    with transaction.atomic():
        seen = {
            str(event_id)  # a UUID on PostgreSQL
            for event_id in ProcessedEvent.objects.filter(
                group=group.instance, event_id__in={event.id for event in events}
            ).values_list("event_id", flat=True)
        }
        applied = _apply_all(group, group.handle_batch or partial(_handle_each, group), events, set(seen))
        if applied is None:
            applied = _apply_each(group, events, seen)
        insert_each(
            ProcessedEvent,
            "event_id",
            [event.id for event, fresh in zip(events, applied, strict=False) if fresh],
            group=group.instance,
            processed_at=timezone.now(),
        )
        if on_applied is not None and applied:
            on_applied(events[len(applied) - 1])
    return applied


def _apply_all(
    group: ConsumerGroup, handle_batch: BatchHandler, events: Sequence[Event], seen: set[str]
) -> list[bool] | None:
    """The group's batch handler on the events not applied yet, in a savepoint; None when it raised
    (then each event runs on its own, which finds the one that fails)."""
    applied = []
    for event in events:
        applied.append(event.id not in seen)
        seen.add(event.id)
    try:
        with transaction.atomic():
            handle_batch([event for event, fresh in zip(events, applied, strict=True) if fresh])
    except Exception:
        logger.info("group %s: a batch handler failed on %d events; each on its own", group.name, len(events))
        return None
    return applied


def _handle_each(group: ConsumerGroup, events: Sequence[Event]) -> None:
    """A group without a batch handler, on a run of events: its handler on each in turn, each in a
    span that continues its event's trace (a batch handler's work shows in the batch's span, which
    links to every event's)."""
    for event in events:
        with _handling(group, event):
            group.handler(event)


@contextmanager
def _handling(group: ConsumerGroup, event: Event) -> Iterator[trace.Span]:
    """While the group handles one event: its log lines name it, and its span continues the event's trace."""
    with (
        logs.event_context(group, event),
        tracing.span(
            f"{group.name} handle {event.type}",
            kind=SpanKind.CONSUMER,
            traceparent=event.traceparent,
            **{"messaging.consumer.group.name": group.instance, "dukaan.event.id": event.id},
        ) as current,
    ):
        yield current


def _apply_each(group: ConsumerGroup, events: Sequence[Event], seen: set[str]) -> list[bool]:
    """Each event's handler in a savepoint, until one raises."""
    applied: list[bool] = []
    for event in events:
        fresh = event.id not in seen
        if fresh:
            try:
                with transaction.atomic(), logs.event_context(group, event):
                    group.handler(event)
            except Exception:  # delivered on its own next, with retries and a dead letter
                break
            seen.add(event.id)
        applied.append(fresh)
    return applied


# What deliver() calls to park an event its group gave up on: (group, event, error, attempts).
DeadLetterer = Callable[[ConsumerGroup, Event, Exception, int], None]


def deliver(
    group: ConsumerGroup,
    event: Event,
    *,
    on_applied: Callable[[], None] | None = None,
    dead_letter: DeadLetterer | None = None,
) -> str:
    """Apply with retries and backoff; an event that keeps failing becomes a dead letter.

    `dead_letter` parks it (the Kafka worker sends it to dukaan.dlq); by default it becomes a
    DeadLetter row, written with the embedded bus's offset so the group moves past it.

    Returns "applied", "duplicate" or "dead-lettered". Never raises for a handler's error, so one
    poison event cannot stop its group.
    """
    with _handling(group, event) as current:
        outcome = _deliver(group, event, on_applied=on_applied, dead_letter=dead_letter)
        current.set_attribute("dukaan.event.outcome", outcome)
        if outcome == "dead-lettered":
            current.set_status(StatusCode.ERROR, "the group gave up on the event: a dead letter")
    EVENTS_HANDLED.labels(group.instance, outcome).inc()
    return outcome


def deliver_batch(
    group: ConsumerGroup,
    events: Sequence[Event],
    *,
    on_applied: Callable[[Event], None] | None = None,
    dead_letter: DeadLetterer | None = None,
) -> list[str]:
    """Deliver `events` (in order, all wanted by the group): runs of them in one transaction each.

    The fast path is `apply_batch`; an event whose handler fails there goes through `deliver` on its
    own (retries, dead letter) and the batch goes on after it. When a batch's commit fails, or the
    group records its own effects, each event goes through `deliver`. `on_applied(event)` runs in the
    transaction that applied `event` (for a batch, its last). Returns each event's outcome, as
    `deliver` names them.
    """
    outcomes: list[str] = []
    rest = list(events)
    while len(rest) > 1 and not group.records_own_effects:
        try:
            with tracing.span(
                f"{group.name} handle {len(rest)} events",
                kind=SpanKind.CONSUMER,
                links=[event.traceparent for event in rest if event.traceparent],
                **{
                    "messaging.consumer.group.name": group.instance,
                    "messaging.batch.message_count": str(len(rest)),
                },
            ):
                applied = apply_batch(group, rest, on_applied=on_applied)
        except Exception as error:  # delivered one by one below, where failures are counted and parked
            logger.info(
                "group %s: a batch of %d did not commit (%r); one by one", group.name, len(rest), error
            )
            break
        for fresh in applied:
            outcome = "applied" if fresh else "duplicate"
            EVENTS_HANDLED.labels(group.instance, outcome).inc()
            outcomes.append(outcome)
        rest = rest[len(applied) :]
        if rest:  # its handler failed in the batch
            outcomes.append(_deliver_one(group, rest.pop(0), on_applied, dead_letter))
    outcomes += [_deliver_one(group, event, on_applied, dead_letter) for event in rest]
    return outcomes


def _deliver_one(
    group: ConsumerGroup,
    event: Event,
    on_applied: Callable[[Event], None] | None,
    dead_letter: DeadLetterer | None,
) -> str:
    return deliver(
        group,
        event,
        on_applied=None if on_applied is None else partial(on_applied, event),
        dead_letter=dead_letter,
    )


def _deliver(
    group: ConsumerGroup,
    event: Event,
    *,
    on_applied: Callable[[], None] | None,
    dead_letter: DeadLetterer | None,
) -> str:
    attempts = settings.EVENT_MAX_ATTEMPTS
    for attempt in range(1, attempts + 1):
        try:
            return "applied" if apply(group, event, on_applied=on_applied) else "duplicate"
        except Exception as error:  # a handler's failure of any kind is retried, then parked
            EVENTS_HANDLED.labels(group.instance, "failed-attempt").inc()
            if attempt == attempts:
                logger.error("group %s gives up on %s %s: %r", group.name, event.type, event.id, error)
                if dead_letter is not None:
                    dead_letter(group, event, error, attempts)
                else:
                    _dead_letter(group, event, error, attempts, on_applied)
                return "dead-lettered"
            delay = settings.EVENT_RETRY_BASE_SECONDS * 2 ** (attempt - 1)
            logger.warning("group %s failed on %s (attempt %d): %r", group.name, event.id, attempt, error)
            time.sleep(min(delay, 5.0) * random.uniform(0.5, 1.5))
    raise AssertionError("unreachable")


def error_text(error: Exception) -> str:
    """How a dead letter names what went wrong: the exception's class and message, cut to 2000."""
    return f"{type(error).__name__}: {error}"[:2000]


def record_dead_letter(group_name: str, event: Event, error: Exception, attempts: int) -> DeadLetter:
    """The row an operator reads for an event a group gave up on, in both buses."""
    return DeadLetter.objects.create(
        group=group_name,
        event_id=event.id,
        aggregatetype=event.aggregatetype,
        type=event.type,
        payload={"id": event.id, "type": event.type, "store_id": event.store_id, "data": event.data},
        error=error_text(error),
        attempts=attempts,
    )


def _dead_letter(
    group: ConsumerGroup, event: Event, error: Exception, attempts: int, on_applied: Callable[[], None] | None
) -> None:
    with transaction.atomic():
        record_dead_letter(group.instance, event, error, attempts)
        if on_applied is not None:
            on_applied()
