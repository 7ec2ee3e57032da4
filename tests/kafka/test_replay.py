"""`dukaan events replay --group NAME --from <offset|time>` on Kafka re-delivers the group's events.

The replay moves the group's committed offsets back and forgets those events in ProcessedEvent, so
the worker applies them again. The group's own aggregate type gets a topic of its own here, so the
offsets of its partitions are this test's alone.
"""

from __future__ import annotations

import io
import uuid
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from dukaan.conftest import make_store
from dukaan.events.contract import declare
from dukaan.events.outbox import emit
from tests.waiting import wait_until

pytestmark = [pytest.mark.kafka]


def replay(group_name: str, start: str) -> str:
    out = io.StringIO()
    call_command("events", "replay", "--group", group_name, "--from", start, stdout=out)
    return out.getvalue()


def test_replay_from_an_offset_or_a_time_redelivers(kafka_bus):
    store = make_store("+919812347300", "kafka-replay")
    aggregatetype = f"replay{uuid.uuid4().hex[:6]}"
    numbered = declare(f"test.{aggregatetype}", aggregatetype=aggregatetype, payload=dict, external=True)
    recorder = kafka_bus.recorder("replay", aggregatetypes=[aggregatetype])

    def emit_some(count: int) -> list[str]:
        ids = []
        for number in range(count):
            with transaction.atomic():
                ids.append(str(emit(numbered, store_id=store.pk, data={"n": number}).id))
        return ids

    worker = kafka_bus.run(recorder)
    early = emit_some(6)  # one store: one partition, offsets 0-5
    recorder.wait_for(early)
    # Kafka stamps a message to the millisecond. Each early event was published before the recorder
    # applied it, so 1 ms from now is past their stamps; the late ones are written once the clock is past it.
    since = timezone.now() + timedelta(milliseconds=1)
    wait_until(lambda: timezone.now() > since, what="the clock to pass the boundary")
    late = emit_some(4)  # offsets 6-9
    recorder.wait_for(late)
    worker.stop()  # Kafka lets only an idle group's offsets be set
    assert recorder.counts() == dict.fromkeys(early + late, 1)

    assert "will re-read 4 events" in replay(recorder.name, since.isoformat())
    worker = kafka_bus.run(recorder)
    wait_until(lambda: len(recorder.effects) == 14, what="the 4 events since that time again", timeout=30)
    worker.stop()
    assert recorder.counts() == {**dict.fromkeys(early, 1), **dict.fromkeys(late, 2)}

    assert "will re-read 8 events" in replay(recorder.name, "2")
    worker = kafka_bus.run(recorder)
    wait_until(lambda: len(recorder.effects) == 22, what="the 8 events from offset 2 again", timeout=30)
    worker.stop()
    assert recorder.counts() == {
        **dict.fromkeys(early[:2], 1),
        **dict.fromkeys(early[2:], 2),
        **dict.fromkeys(late, 3),
    }

    # Past the end of every partition: nothing to re-read, and not the whole topic either.
    assert "will re-read 0 events" in replay(recorder.name, "1000")
    worker = kafka_bus.run(recorder)
    fence = emit_some(1)
    recorder.wait_for(fence)
    assert len(recorder.effects) == 23
