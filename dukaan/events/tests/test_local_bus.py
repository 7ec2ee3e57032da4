"""The embedded bus: committed events reach every group once, in order, surviving restarts and failures."""

import threading
import uuid
from decimal import Decimal
from itertools import pairwise

import pytest
from django.db import transaction

from dukaan.catalog import services
from dukaan.events import consumers
from dukaan.events.consumers import ConsumerGroup, Event
from dukaan.events.contract import types_on
from dukaan.events.local import EmbeddedWorkers, consume_once, prune_outbox, relay_once, replay, run_pending
from dukaan.events.models import ConsumerOffset, DeadLetter, OutboxEvent, ProcessedEvent

pytestmark = pytest.mark.django_db


class Recorder:
    """A consumer group whose effect is a list, and which can be told to fail."""

    def __init__(self, name: str, fail_on: set[str] = frozenset()):
        self.seen: list[Event] = []
        self.fail_on = set(fail_on)
        self.group = ConsumerGroup(name=name, handler=self.handle, events=types_on({"catalog"}))

    def handle(self, event: Event) -> None:
        if event.data.get("name") in self.fail_on:
            raise RuntimeError(f"cannot handle {event.data['name']}")
        self.seen.append(event)

    def drain(self) -> None:
        while relay_once():
            pass
        while consume_once(self.group):
            pass


@pytest.fixture(autouse=True)
def quick_retries(settings):
    settings.EVENT_MAX_ATTEMPTS = 3
    settings.EVENT_RETRY_BASE_SECONDS = 0.001


def test_every_committed_change_reaches_a_group_once_in_commit_order(store):
    recorder = Recorder("test-order")
    for number in range(30):
        services.create_product(store=store, name=f"P{number}", price=Decimal("1"))
    recorder.drain()
    recorder.drain()  # a second pass finds nothing new
    names = [e.data.get("name") for e in recorder.seen if e.type == "product.created"]
    assert names == [f"P{number}" for number in range(30)]
    assert recorder.seen[0].type == "store.created" and recorder.seen[0].store_id == store.pk


def test_a_rolled_back_change_is_never_delivered(store):
    recorder = Recorder("test-rollback")
    with pytest.raises(RuntimeError), transaction.atomic():
        services.create_product(store=store, name="Ghost", price=Decimal("1"))
        raise RuntimeError("rolled back")
    recorder.drain()
    assert "Ghost" not in [e.data.get("name") for e in recorder.seen]


def test_a_restarted_group_resumes_after_its_stored_offset(store):
    first = Recorder("test-resume")
    services.create_product(store=store, name="Before", price=Decimal("1"))
    first.drain()
    services.create_product(store=store, name="After", price=Decimal("1"))
    restarted = Recorder("test-resume")  # a new process: nothing in memory, the offset in the database
    restarted.drain()
    assert [e.data.get("name") for e in restarted.seen] == ["After"]


def test_a_redelivered_event_is_applied_once(store):
    recorder = Recorder("test-dedupe")
    recorder.drain()
    ConsumerOffset.objects.filter(group="test-dedupe").update(position=0)  # as if the offset write was lost
    recorder.drain()
    assert len(recorder.seen) == 1


def test_a_poison_event_is_dead_lettered_and_the_group_moves_on(store):
    recorder = Recorder("test-poison", fail_on={"Poison"})
    for name in ["Good 1", "Poison", "Good 2"]:
        services.create_product(store=store, name=name, price=Decimal("1"))
    recorder.drain()
    created = [e.data.get("name") for e in recorder.seen if e.type == "product.created"]
    assert list(dict.fromkeys(created)) == ["Good 1", "Good 2"]  # Good 1 again when its run fell back
    letter = DeadLetter.objects.get(group="test-poison")
    assert (
        letter.type == "product.created" and "cannot handle Poison" in letter.error and letter.attempts == 3
    )


def test_one_groups_failure_does_not_hold_up_another(store):
    failing = Recorder("test-failing", fail_on={"X"})
    healthy = Recorder("test-healthy")
    services.create_product(store=store, name="X", price=Decimal("1"))
    healthy.drain()
    assert "X" in [e.data.get("name") for e in healthy.seen]
    failing.drain()
    assert DeadLetter.objects.filter(group="test-failing").count() == 1


def test_replay_redelivers_from_a_position(store):
    recorder = Recorder("test-replay")
    services.create_product(store=store, name="A", price=Decimal("1"))
    services.create_product(store=store, name="B", price=Decimal("1"))
    recorder.drain()
    b = OutboxEvent.objects.get(payload__data__name="B")
    replay(recorder.group, from_position=b.position)
    recorder.drain()
    assert [e.data.get("name") for e in recorder.seen if e.type == "product.created"] == ["A", "B", "B"]


def test_prune_keeps_rows_until_every_registered_group_has_read_them(store, settings, monkeypatch):
    recorder = Recorder("test-prune")
    monkeypatch.setattr(consumers, "_groups", {"test-prune": recorder.group})
    settings.EVENT_OUTBOX_RETENTION_HOURS = 0
    relay_once()
    assert prune_outbox() == 0  # the group has not started
    recorder.drain()
    read = OutboxEvent.objects.count()
    assert prune_outbox() == read
    assert not OutboxEvent.objects.exists()
    assert not ProcessedEvent.objects.exists()


def test_every_registered_group_exists():
    assert {"analytics", "notifier"} <= set(consumers.registered_groups())


@pytest.mark.django_db(transaction=True)
def test_embedded_workers_are_woken_by_a_commit_not_by_polling(store, settings, monkeypatch):
    settings.EVENT_POLL_SECONDS = 30  # if the wake-up failed, the test would time out
    arrived = threading.Event()
    marker = f"wake-{uuid.uuid4().hex[:6]}"

    def handle(event: Event) -> None:
        if event.data.get("name") == marker:
            arrived.set()

    monkeypatch.setattr(
        consumers, "_groups", {"test-wake": ConsumerGroup("test-wake", handle, types_on({"catalog"}))}
    )
    workers = EmbeddedWorkers()
    monkeypatch.setattr("dukaan.events.local._workers", workers)
    workers.start()
    try:
        # Every loop waits before its first pass, so the event can only arrive within the 30 s poll
        # through the commit's wake-up.
        services.create_product(store=store, name=marker, price=Decimal("1"))
        assert arrived.wait(5), "the event did not arrive"
    finally:
        workers.stop()


def test_run_pending_feeds_the_real_groups(store):
    run_pending()
    assert ConsumerOffset.objects.filter(group__in=["analytics", "notifier"]).count() == 2


def test_events_status_shows_each_groups_lag(store, capsys):
    from django.core.management import call_command

    relay_once()
    call_command("events", "status")
    out = capsys.readouterr().out
    assert "analytics" in out and "notifier" in out and "lag 1" in out


@pytest.mark.parametrize(
    "command, message",
    [
        (["worker", "--group", "nope"], "There is no consumer group 'nope'"),
        (["events", "replay", "--group", "analytics", "--from", "yesterday"], "--from takes a position"),
    ],
)
def test_event_commands_explain_bad_input(command, message):
    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError, match=message):
        call_command(*command)


def test_a_thousand_updates_reach_two_groups_once_each_in_per_store_order(store, other_store):
    first, second = Recorder("test-first"), Recorder("test-second")
    products = [
        services.create_product(store=owner, name=f"Stock {owner.slug}", price=Decimal("1"), stock=10_000)
        for owner in (store, other_store)
    ]
    for number in range(1000):
        services.adjust_stock(product=products[number % 2], delta=-1)
    second.drain()
    ConsumerOffset.objects.filter(group="test-second").update(position=0)  # a redelivery of everything
    second.drain()
    first.drain()
    for recorder in (first, second):
        stock_events = [e for e in recorder.seen if e.type == "stock.changed"]
        assert len(stock_events) == 1000
        assert len({e.id for e in stock_events}) == 1000
        for owner in (store, other_store):
            versions = [e.data["version"] for e in stock_events if e.store_id == owner.pk]
            assert len(versions) == 500 and all(a < b for a, b in pairwise(versions))


def test_a_group_reads_as_many_rows_at_a_time_as_its_batch_says(store):
    for number in range(5):
        services.create_product(store=store, name=f"P{number}", price=Decimal("1"))
    while relay_once():
        pass
    recorder = Recorder("test-batch")
    two_at_a_time = ConsumerGroup(
        name="test-batch", handler=recorder.handle, events=recorder.group.events, batch=2
    )
    assert consume_once(two_at_a_time) == 2
    assert len(recorder.seen) == 2


def test_a_batch_of_less_than_one_event_is_refused():
    with pytest.raises(ValueError, match="batch must be 1 or more, not 0"):
        consumers.consumer("test-no-batch", events=types_on({"catalog"}), batch=0)(lambda event: None)
