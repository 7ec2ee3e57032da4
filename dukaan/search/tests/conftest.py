"""Search engines for the tests: each a real engine with an empty index of its own."""

import pytest

from dukaan.search.tantivy_backend import TantivyBackend

from .elastic import elastic_backend, elasticsearch_node  # noqa: F401

BACKEND_FIXTURES = {"tantivy": "tantivy_backend", "elasticsearch": "elastic_backend"}


@pytest.fixture
def tantivy_backend(tmp_path):
    return TantivyBackend(tmp_path / "search")


@pytest.fixture(params=list(BACKEND_FIXTURES))
def backend(request):
    """Every engine adapter in turn, so one test case checks them all."""
    return request.getfixturevalue(BACKEND_FIXTURES[request.param])
