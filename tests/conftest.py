"""Fixtures shared by the cross-app tests under tests/."""

import pytest

from dukaan.conftest import (  # noqa: F401 (autouse fixtures, as in dukaan/)
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
