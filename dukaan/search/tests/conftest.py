"""Search engines for the tests: each a real engine with an empty index of its own."""

import pytest

from dukaan.search.tantivy_backend import TantivyBackend


@pytest.fixture
def tantivy_backend(tmp_path):
    return TantivyBackend(tmp_path / "search")


@pytest.fixture(params=["tantivy"])
def backend(request):
    """Every engine adapter in turn, so one test case checks them all."""
    return request.getfixturevalue(f"{request.param}_backend")
