"""The event contract: every emitted type is declared, every declared type has a reader."""

import ast
import importlib
from collections.abc import Mapping
from pathlib import Path

import pytest
from django.db import transaction
from django.utils.module_loading import autodiscover_modules

from dukaan.events.consumers import consumer, registered_groups
from dukaan.events.contract import EventType, UndeclaredEvent, declare, declared_types
from dukaan.events.outbox import emit

PACKAGE = Path(__file__).resolve().parents[2]  # dukaan/
WRITERS = {"emit", "outbox_event"}


def emit_calls() -> list[tuple[str, ast.Call]]:
    """(module, call) for every call of emit() or outbox_event() in dukaan's own code."""
    calls = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE.parent)
        if {"tests", "migrations"} & set(relative.parts) or relative.parts[:2] == ("dukaan", "events"):
            continue  # tests emit made-up events; dukaan/events is the machinery itself
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Call):
                name = (
                    node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
                )
                if name in WRITERS:
                    calls.append((".".join(relative.with_suffix("").parts), node))
    return calls


def emitted_types(module_name: str, call: ast.Call) -> list[object]:
    """What the call's first argument names, looked up in its module: a constant, or every value of
    a module-level mapping it is looked up in (`STATUS_EVENTS[status]`)."""
    where = f"{module_name}:{call.lineno}"
    assert call.args, f"{where}: pass the declared event type as the first argument"
    argument = call.args[0]
    mapping = isinstance(argument, ast.Subscript)
    expression = argument.value if isinstance(argument, ast.Subscript) else argument
    try:
        value = eval(
            compile(ast.Expression(expression), where, "eval"), vars(importlib.import_module(module_name))
        )
    except NameError as error:
        pytest.fail(f"{where}: {ast.unparse(argument)} is not a module-level declared event type ({error})")
    if mapping:
        assert isinstance(value, Mapping), f"{where}: {ast.unparse(argument)} is not looked up in a mapping"
        return list(value.values())
    return [value]


def test_every_emitted_event_type_is_declared():
    autodiscover_modules("events")  # run alone, no consumer may have imported payments' events yet
    declared = declared_types()
    calls = emit_calls()
    assert len(calls) > 15, "the scan found too few emit() calls to be looking in the right place"
    for module_name, call in calls:
        for event_type in emitted_types(module_name, call):
            assert isinstance(event_type, EventType), (
                f"{module_name}:{call.lineno} emits {event_type!r}: use a constant from the app's events.py"
            )
            assert declared.get(event_type.name) == event_type, f"{module_name}:{call.lineno}: undeclared"


def test_every_declared_event_type_is_read_by_a_group_or_marked_external():
    autodiscover_modules("events")  # an events.py no consumer imports declares types too
    read = {event_type.name for group in registered_groups().values() for event_type in group.events}
    unread = [
        name for name, event_type in declared_types().items() if name not in read and not event_type.external
    ]
    assert unread == [], f"declared, never consumed and not marked external=True: {unread}"


def test_a_name_is_declared_once():
    with pytest.raises(ValueError, match="already declared"):
        declare("product.updated", aggregatetype="elsewhere", payload=dict)


@pytest.mark.django_db
def test_an_undeclared_event_type_is_refused_by_emit_and_by_consumers(store):
    made_up = EventType(name="product.sold", aggregatetype="catalog", payload=dict)
    with pytest.raises(UndeclaredEvent, match="declare it with declare"), transaction.atomic():
        emit(made_up, store_id=store.pk, data={})
    with pytest.raises(UndeclaredEvent):
        consumer("made-up", events={made_up})
