"""How an app plugs into infra: its rows on /status, its gauges on /metrics, its personal data for
sanitize-copy, and its answer when the database is down.

infra is the bottom layer and imports no domain app; each app adds its parts here from its
AppConfig.ready() (dukaan/<app>/apps.py), and infra composes them with its own. docs/architecture.md,
"How an app plugs into infra".
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum

from django.core.exceptions import FieldDoesNotExist, ImproperlyConfigured
from django.db import models
from django.http import HttpRequest, HttpResponse
from prometheus_client.metrics_core import Metric

OK, DEGRADED, DOWN = "ok", "degraded", "down"


@dataclass
class Check:
    """One row of /status: a part, its state (OK, DEGRADED: serving with a fallback, DOWN) and what to
    look at."""

    part: str
    state: str
    detail: str


class Personal(StrEnum):
    """The kinds of a person's details; sanitize-copy replaces each with a fake of its kind."""

    NAME = "name"
    PHONE = "phone"
    ADDRESS = "address"
    UPI = "upi"
    PASSWORD = "password"


StatusSection = Callable[[], list[Check]]
DatabaseMetrics = Callable[[], Iterable[Metric]]
UnavailableRenderer = Callable[[HttpRequest, str], HttpResponse]

_status_sections: dict[StatusSection, int] = {}
_database_metrics: dict[DatabaseMetrics, None] = {}
_unavailable_renderers: dict[str, UnavailableRenderer] = {}
# "app_label.Model" → {field name: kind}, and "app_label.Model" → why its rows are not copied.
personal_fields: dict[str, dict[str, Personal]] = {}
not_copied: dict[str, str] = {}


def add_status_section(section: StatusSection, *, order: int) -> None:
    """Rows for /status, read on each visit. They stand between infra's own (the databases first,
    replication slots and circuit breakers last), sections of a lower `order` first."""
    _status_sections[section] = order


def status_sections() -> list[StatusSection]:
    return sorted(_status_sections, key=_status_sections.__getitem__)


def add_database_metrics(collect: DatabaseMetrics) -> None:
    """Gauges read from the database when the web's /metrics is scraped (never from a worker's thread),
    before infra's replication slots. A DatabaseError leaves them and every later one out of that scrape."""
    _database_metrics[collect] = None


def database_metrics() -> list[DatabaseMetrics]:
    return list(_database_metrics)


def add_personal_fields(model: type[models.Model], **fields: Personal) -> None:
    """Fields of `model` that hold a person's details, each with the kind of fake that replaces it.
    sanitize-copy also finds their values in every other text and JSON column and replaces them there."""
    label = model._meta.label
    for name, kind in fields.items():
        try:
            model._meta.get_field(name)
        except FieldDoesNotExist:
            raise ImproperlyConfigured(f"{label} has no field {name!r} to declare as personal data") from None
        personal_fields.setdefault(label, {})[name] = Personal(kind)


def add_not_copied(model: type[models.Model], why: str) -> None:
    """A table sanitize-copy leaves empty, because its rows cannot be faked safely; `why` says so."""
    not_copied[model._meta.label] = why


def add_unavailable_renderer(path_prefix: str, render: UnavailableRenderer) -> None:
    """How requests under `path_prefix` are answered while the database is down: `render(request,
    message)` returns the 503 (infra adds Retry-After and Cache-Control). Other paths get the HTML page."""
    if _unavailable_renderers.get(path_prefix, render) is not render:
        raise ImproperlyConfigured(f"Two renderers of the unavailable page for {path_prefix!r}")
    _unavailable_renderers[path_prefix] = render


def unavailable_renderer(path: str) -> UnavailableRenderer | None:
    return next(
        (render for prefix, render in _unavailable_renderers.items() if path.startswith(prefix)), None
    )
