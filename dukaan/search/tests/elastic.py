"""A real Elasticsearch node for the search tests: one per test session, started and stopped by
deploy/local/elasticsearch_node.py, and an `ElasticBackend` on an alias of each test's own. Conftests import
the fixtures by name."""

import json
import subprocess
import uuid
from dataclasses import dataclass

import pytest
from elasticsearch import Elasticsearch

from dukaan.search.elastic_backend import ElasticBackend
from tests.processes import deploy_local, in_ci

# The first start on a machine downloads the distribution (107 MB) before the node's ~10 s start.
START_TIMEOUT_SECONDS = 900
# These tests check what matches and how it ranks, not speed: a search on a busy CI machine may take
# longer than SEARCH_TIMEOUT_SECONDS without anything being wrong.
TEST_TIMEOUT_SECONDS = 10.0


@dataclass
class ElasticsearchNode:
    """One node started by `python -m deploy.local elasticsearch`, stopped by its PID file."""

    url: str
    pid: int  # Elasticsearch's launcher; the server JVM is its child and ends with it
    dir: str

    def stop(self) -> None:
        deploy_local("elasticsearch", "stop", "--dir", self.dir, timeout=60)


def start_node() -> ElasticsearchNode:
    """A node of its own; skipped (or, under CI=true, failed) when it cannot start, saying why."""
    try:
        result = deploy_local("elasticsearch", "start", "--json", timeout=START_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        result = None
    if result is None or result.returncode != 0:
        why = (
            f"python -m deploy.local elasticsearch start failed:\n{result.stderr.strip()}"
            if result
            else f"python -m deploy.local elasticsearch start took more than {START_TIMEOUT_SECONDS} s"
        )
        if in_ci():
            pytest.fail(f"CI must run the Elasticsearch tests, but {why}")
        pytest.skip(why)
    state = json.loads(result.stdout)
    return ElasticsearchNode(url=state["url"], pid=state["pid"], dir=state["dir"])


@pytest.fixture(scope="session")
def elasticsearch_node():
    """One node for the whole session."""
    node = start_node()
    yield node
    node.stop()


@pytest.fixture
def elastic_backend(elasticsearch_node) -> ElasticBackend:
    """An ElasticBackend on an alias of this test's own; its indices are deleted afterwards."""
    alias = f"dukaan-test-{uuid.uuid4().hex[:12]}"
    yield ElasticBackend(elasticsearch_node.url, alias, timeout=TEST_TIMEOUT_SECONDS)
    with Elasticsearch(elasticsearch_node.url, request_timeout=30) as client:
        client.indices.delete(index=f"{alias}-*", ignore_unavailable=True)
