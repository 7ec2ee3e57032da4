"""Declared event types: the one list of what may be emitted and subscribed to.

Each producing app declares its types and their payloads in its own `events.py`:

    PRODUCT_UPDATED = declare("product.updated", aggregatetype=CATALOG, payload=ProductSnapshot)

`emit()` and `@consumer` take only declared types, so a type is spelled once. A payload is a
TypedDict: it types what a producer hands to `emit()` (Decimal and datetime values travel as
strings in the JSON a consumer reads).
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

Payload = TypeVar("Payload", bound=Mapping[str, object])


class UndeclaredEvent(LookupError):
    """An event type that no app's events.py declared."""


@dataclass(frozen=True)
class EventType(Generic[Payload]):
    """One declared event type; its aggregate type names its topic (`dukaan.<aggregatetype>`)."""

    name: str
    aggregatetype: str
    payload: type[Payload]
    # Read outside dukaan (integrators, the warehouse) rather than by one of our consumer groups.
    external: bool = False


_declared: dict[str, EventType[Any]] = {}


def declare(
    name: str, *, aggregatetype: str, payload: type[Payload], external: bool = False
) -> EventType[Payload]:
    """Declare an event type; a name declared twice (by two apps) is refused."""
    event_type = EventType(name=name, aggregatetype=aggregatetype, payload=payload, external=external)
    known = _declared.get(name)
    if known is not None and known != event_type:
        raise ValueError(f"event type {name!r} is already declared (topic dukaan.{known.aggregatetype})")
    _declared[name] = event_type
    return event_type


def declared(event_type: EventType[Any]) -> EventType[Any]:
    """`event_type` itself when it is the declaration of its name; UndeclaredEvent otherwise."""
    if not isinstance(event_type, EventType) or _declared.get(event_type.name) != event_type:
        raise UndeclaredEvent(
            f"{event_type!r} is not a declared event type: declare it with declare() in the producing "
            f"app's events.py and pass that constant"
        )
    return event_type


def declared_types() -> dict[str, EventType[Any]]:
    """Every declared type by name (all apps' events.py once Django has loaded the consumers)."""
    return dict(_declared)


def types_on(aggregatetypes: Iterable[str]) -> frozenset[EventType[Any]]:
    """The declared types published to these aggregate types' topics."""
    wanted = set(aggregatetypes)
    return frozenset(event_type for event_type in _declared.values() if event_type.aggregatetype in wanted)
