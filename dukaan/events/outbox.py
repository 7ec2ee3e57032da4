"""Writing events: the only way a service announces a change to the rest of the system."""

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction

from dukaan.infra.tracing import current_traceparent

from .contract import EventType, Payload, declared
from .local import notify_commit
from .models import OutboxEvent

ENVELOPE_VERSION = 1


class OutboxOutsideTransaction(RuntimeError):
    """An event was emitted outside transaction.atomic, so it could outlive a rolled-back change."""


def _jsonable(value: Any) -> Any:
    # Decimal stays exact as a string; dates become ISO 8601.
    if isinstance(value, dict):
        return {key: _jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(item) for item in value]
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return DjangoJSONEncoder().default(value)


def outbox_event(event_type: EventType[Payload], *, store_id: int, data: Payload) -> OutboxEvent:
    """An unsaved outbox row holding the event envelope; emit() saves one, bulk loads save many."""
    declared(event_type)
    event_id = uuid.uuid4()
    envelope = {
        "id": str(event_id),
        "type": event_type.name,
        "version": ENVELOPE_VERSION,
        "store_id": store_id,
        "occurred_at": datetime.now(UTC).isoformat(),
        "data": _jsonable(data),
    }
    return OutboxEvent(
        id=event_id,
        aggregatetype=event_type.aggregatetype,
        aggregateid=str(store_id),
        type=event_type.name,
        payload=envelope,
        traceparent=current_traceparent(),  # consumers continue the writer's trace (infra/tracing.py)
    )


def emit(event_type: EventType[Payload], *, store_id: int, data: Payload) -> OutboxEvent:
    """Write one outbox row holding the event envelope. Must run inside the change's transaction."""
    if not connection.in_atomic_block:
        raise OutboxOutsideTransaction(f"emit({event_type.name!r}) must be called inside transaction.atomic")
    event = outbox_event(event_type, store_id=store_id, data=data)
    event.save(force_insert=True)
    transaction.on_commit(notify_commit)
    return event
