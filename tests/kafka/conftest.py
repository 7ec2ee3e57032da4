"""A real Kafka broker, Kafka Connect and Debezium's outbox router for the tests under tests/kafka.

`kafka_cluster` (session-scoped) runs `deploy/local/kafka.py start` with a temporary data directory,
pointed at the *test* database pytest-django created (test_<name>, on the throwaway server that
`deploy/local/with_postgres.py` starts for `make test-postgres`), and stops it when the session ends.

Debezium reads PostgreSQL's write-ahead log, so on SQLite these tests are skipped: the PostgreSQL
pass covers them. When CI=true and the database is PostgreSQL, a Kafka that does not start is a
failure, never a skip.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
KAFKA_PY = REPO / "deploy" / "local" / "kafka.py"
# Not the default slot name: a developer's own Connect may use that one on the same server.
TEST_SLOT = "dukaan_outbox_test"
START_TIMEOUT_S = 150

SQLITE_REASON = (
    "Debezium reads PostgreSQL's write-ahead log (a logical replication slot), which SQLite does not have; "
    "the PostgreSQL pass (make test-postgres) runs these tests"
)


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("true", "1", "yes")


@dataclass
class KafkaCluster:
    bootstrap_servers: str
    connect_url: str
    data_dir: Path
    start_seconds: float
    state: dict


def database_url(settings: dict) -> str:
    """postgres://user:password@host:port/name for a Django connection's settings."""
    user = urllib.parse.quote(settings.get("USER") or "postgres", safe="")
    password = settings.get("PASSWORD") or ""
    auth = f"{user}:{urllib.parse.quote(password, safe='')}" if password else user
    host = settings.get("HOST") or "127.0.0.1"
    port = settings.get("PORT") or "5432"
    return f"postgres://{auth}@{host}:{port}/{urllib.parse.quote(settings['NAME'], safe='')}"


def missing_tools() -> str | None:
    """Why Kafka cannot start on this machine at all, or None."""
    if not shutil.which("java"):
        return "no `java` on PATH (Kafka needs Java 17+: apt-get install -y openjdk-17-jdk-headless maven)"
    cache_home = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    fetched = list((Path(cache_home) / "dukaan").glob("kafka-*/broker/lib/.complete"))
    if not fetched and not shutil.which("mvn"):
        return "Kafka's jars are not fetched and there is no `mvn` to fetch them (apt-get install -y maven)"
    return None


def run_kafka_py(*args: str, timeout: float) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(KAFKA_PY), *args],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def drop_test_slot(connection) -> None:
    """Drop the test's replication slot, if idle: a slot holds WAL and blocks DROP DATABASE."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots "
            "WHERE slot_name = %s AND NOT active",
            [TEST_SLOT],
        )


@pytest.fixture(scope="session")
def kafka_cluster(request, tmp_path_factory) -> KafkaCluster:
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip(SQLITE_REASON)
    why_not = missing_tools()
    if why_not:
        if in_ci():
            pytest.fail(f"CI runs on PostgreSQL, so Kafka must start here, but: {why_not}")
        pytest.skip(f"cannot start Kafka on this machine: {why_not}")

    request.getfixturevalue("django_db_setup")  # the test database exists (and outlives this fixture)
    django_db_blocker = request.getfixturevalue("django_db_blocker")
    with django_db_blocker.unblock():
        drop_test_slot(connection)  # left behind by a run that was killed
        url = database_url(connection.settings_dict)

    data_dir = tmp_path_factory.mktemp("kafka")
    began = time.monotonic()
    try:
        result = run_kafka_py(
            "start",
            "--data",
            str(data_dir),
            "--pg-url",
            url,
            "--slot",
            TEST_SLOT,
            "--timeout",
            str(START_TIMEOUT_S),
            # If this pytest is killed, a watchdog stops the JVMs instead of leaving them running.
            "--stop-with-pid",
            str(os.getpid()),
            timeout=START_TIMEOUT_S + 120,  # + a first `fetch` from Maven Central
        )
        failure = None if result.returncode == 0 else f"exit {result.returncode}:\n{result.stderr}"
    except subprocess.TimeoutExpired as error:
        failure = f"did not return in {error.timeout:.0f} s:\n{error.stderr or ''}"
    start_seconds = time.monotonic() - began

    def stop_and_release_slot():
        stopped = run_kafka_py("stop", "--data", str(data_dir), timeout=120)
        with django_db_blocker.unblock():
            drop_test_slot(connection)
        if stopped.returncode != 0:
            print(stopped.stderr, file=sys.stderr)

    request.addfinalizer(stop_and_release_slot)
    if failure:
        # A failure, not a skip: the machine has Java and the database is PostgreSQL.
        pytest.fail(f"`kafka.py start` failed ({data_dir}/logs has the JVMs' logs), {failure}")

    state = json.loads((data_dir / "state.json").read_text())
    print(f"\nkafka: broker + Connect + Debezium connector RUNNING in {start_seconds:.1f} s", file=sys.stderr)
    return KafkaCluster(
        bootstrap_servers=state["bootstrap_servers"],
        connect_url=state["connect_url"],
        data_dir=data_dir,
        start_seconds=start_seconds,
        state=state,
    )
