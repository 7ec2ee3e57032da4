"""Fixtures shared by the cross-app tests under tests/."""

from pathlib import Path

import pytest
from django.conf import settings

from dukaan.conftest import (  # noqa: F401 (autouse fixtures, as in dukaan/; dns_server)
    compiled_catalogues,
    default_language_between_tests,
    dns_server,
    fresh_domain_lookups,
    fresh_hourly_limits,
    fresh_view_counts,
    media_in_tmp,
    no_views_left_at_exit,
    search_in_tmp,
    spans,  # not autouse: the tracing tests ask for it
)
from tests.processes import find_free_port


@pytest.fixture
def free_port() -> int:
    return find_free_port()


# `make test` runs the suite on PostgreSQL and on SQLite. The suites below do not depend on the database
# backend (pages, browsers, the edge, files, deploy artefacts, permissions): only the SQLite pass, the
# shorter one, collects them. local_servers starts its own PostgreSQL pair and is about PostgreSQL: only
# the PostgreSQL pass collects it. Not skipped: not collected, as the other pass runs them (docs/testing.md).
BACKEND_NEUTRAL = {"browser", "edge", "deploy", "storage", "security", "i18n", "test_bench_report.py"}
POSTGRESQL_ONLY = {"local_servers"}


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    if collection_path.parent != Path(__file__).parent:
        return None
    on_sqlite = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3"
    return collection_path.name in (POSTGRESQL_ONLY if on_sqlite else BACKEND_NEUTRAL) or None
