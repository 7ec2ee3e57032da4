"""deliver_batch: a run of events in one transaction, and what happens when one of them fails."""

import uuid

import pytest

from dukaan.events.consumers import ConsumerGroup, Event, deliver_batch
from dukaan.events.contract import types_on
from dukaan.events.models import DeadLetter, ProcessedEvent

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def quick_retries(settings):
    settings.EVENT_MAX_ATTEMPTS = 2
    settings.EVENT_RETRY_BASE_SECONDS = 0.001


def event(name: str, event_id: str | None = None) -> Event:
    return Event(
        id=event_id or str(uuid.uuid4()),
        type="product.updated",
        version=1,
        store_id=1,
        occurred_at="2026-12-06T00:00:00+00:00",
        data={"name": name},
        aggregatetype="catalog",
    )


def group(name: str, handle, *, records_own_effects: bool = False) -> ConsumerGroup:
    return ConsumerGroup(
        name=name, handler=handle, events=types_on({"catalog"}), records_own_effects=records_own_effects
    )


def test_a_batch_applies_each_event_once_even_when_it_comes_twice():
    seen = []
    first, second = event("A"), event("B")
    outcomes = deliver_batch(group("batch-twice", seen.append), [first, second, first])
    assert outcomes == ["applied", "applied", "duplicate"]
    assert deliver_batch(group("batch-twice", seen.append), [second, first]) == ["duplicate", "duplicate"]
    assert [e.data["name"] for e in seen] == ["A", "B"]
    assert ProcessedEvent.objects.filter(group="batch-twice").count() == 2


def test_a_failing_event_is_parked_and_the_others_are_applied_once(settings):
    seen = []

    def handle(e: Event) -> None:
        if e.data["name"] == "Poison":
            raise RuntimeError("cannot handle Poison")
        seen.append(e.data["name"])

    offsets = []
    batch = [event("A"), event("Poison"), event("B"), event("C")]
    outcomes = deliver_batch(
        group("batch-poison", handle), batch, on_applied=lambda e: offsets.append(e.data["name"])
    )
    assert outcomes == ["applied", "dead-lettered", "applied", "applied"]
    # A ran again when the run fell back to one savepoint an event (effects outside the database must
    # be idempotent); in the database each of them is applied once, Poison not at all.
    assert list(dict.fromkeys(seen)) == ["A", "B", "C"]
    applied = set(ProcessedEvent.objects.filter(group="batch-poison").values_list("event_id", flat=True))
    assert {str(event_id) for event_id in applied} == {batch[0].id, batch[2].id, batch[3].id}
    assert DeadLetter.objects.get(group="batch-poison").attempts == 2
    # the offset moved with each transaction: A's batch, Poison's dead letter, then B and C together
    assert offsets == ["A", "Poison", "C"]


def test_when_another_worker_records_an_event_the_batch_is_delivered_one_by_one():
    racing = event("B")
    seen = []

    def handle(e: Event) -> None:
        seen.append(e.data["name"])
        if e.data["name"] == "A":  # another worker of the group applies B at this moment
            ProcessedEvent.objects.get_or_create(group="batch-race", event_id=racing.id)

    outcomes = deliver_batch(group("batch-race", handle), [event("A"), racing])
    assert outcomes == ["applied", "duplicate"]
    assert ProcessedEvent.objects.filter(group="batch-race").count() == 2
    assert seen == [
        "A",
        "B",
        "A",
    ]  # the batch's handlers ran, rolled back, then A alone: effects must be idempotent


def test_a_group_with_its_own_effects_gets_one_transaction_per_event():
    seen = []
    outcomes = deliver_batch(
        group("batch-own", seen.append, records_own_effects=True), [event("A"), event("B")]
    )
    assert outcomes == ["applied", "applied"] and len(seen) == 2


def batch_group(name: str, handle_batch) -> ConsumerGroup:
    return ConsumerGroup(
        name=name,
        handler=lambda e: handle_batch([e]),
        events=types_on({"catalog"}),
        handle_batch=handle_batch,
    )


def test_a_batch_handler_gets_the_new_events_of_a_run_in_one_call():
    runs = []
    first, second = event("A"), event("B")
    handling = batch_group("batch-all", lambda events: runs.append([e.data["name"] for e in events]))
    assert deliver_batch(handling, [first]) == ["applied"]
    outcomes = deliver_batch(handling, [first, second, second, event("C")])
    assert outcomes == ["duplicate", "applied", "duplicate", "applied"]
    assert runs == [["A"], ["B", "C"]]  # A applied before and B's repeat are not handed over again
    assert ProcessedEvent.objects.filter(group="batch-all").count() == 3


def test_when_a_batch_handler_fails_each_event_is_handled_on_its_own():
    runs = []

    def handle_batch(events) -> None:
        names = [e.data["name"] for e in events]
        if "Poison" in names:
            raise RuntimeError("cannot handle Poison")
        runs.append(names)

    outcomes = deliver_batch(
        batch_group("batch-fails", handle_batch), [event("A"), event("Poison"), event("B")]
    )
    assert outcomes == ["applied", "dead-lettered", "applied"]
    assert runs == [["A"], ["B"]]  # the failed run left no record: A and B once each, Poison parked
    assert DeadLetter.objects.get(group="batch-fails").attempts == 2
    assert ProcessedEvent.objects.filter(group="batch-fails").count() == 2
