"""deploy/local/postgres.py for real: a PostgreSQL primary, its streaming replica and PgBouncer.

One pair serves the whole module (started with --apply-delay 0 in a directory of its own, stopped and
deleted at the end); the last test stops and starts it again. Without PostgreSQL or PgBouncer
installed the tests are skipped, except under CI=true, where that is a failure.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import psycopg
import pytest

from tests.local_servers.pair import running_pair, script
from tests.waiting import wait_until

ARRIVAL_TIMEOUT_S = 10.0
CLIENTS = 60

POOL_SIZE = int(script.PGBOUNCER_SETTINGS["default_pool_size"])


@pytest.fixture(scope="module")
def pair():
    with running_pair("the replication tests") as started:
        with psycopg.connect(started.primary, autocommit=True) as connection:
            connection.execute("CREATE TABLE notes (id serial PRIMARY KEY, note text NOT NULL)")
        with psycopg.connect(started.replica, autocommit=True) as connection:
            wait_until(
                lambda: connection.execute("SELECT to_regclass('notes')").fetchone()[0],
                what="the table to reach the replica",
                timeout=ARRIVAL_TIMEOUT_S,
            )
        yield started


def write_note(url: str) -> str:
    note = uuid.uuid4().hex
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("INSERT INTO notes (note) VALUES (%s)", [note])
    return note


def has_note(url: str, note: str) -> bool:
    with psycopg.connect(url, autocommit=True) as connection:
        return connection.execute("SELECT 1 FROM notes WHERE note = %s", [note]).fetchone() is not None


def arrives(url: str, note: str, timeout: float = ARRIVAL_TIMEOUT_S) -> bool:
    return wait_until(lambda: has_note(url, note), what=f"note {note} on {url}", timeout=timeout)


def test_a_row_written_on_the_primary_is_read_on_the_replica(pair):
    note = write_note(pair.primary)

    assert arrives(pair.replica, note)


def test_a_replica_with_an_apply_delay_shows_a_row_only_after_it(pair):
    pair.set_apply_delay(2)
    try:
        note = write_note(pair.primary)
        committed = time.monotonic()
        time.sleep(max(0.0, committed + 0.5 - time.monotonic()))

        assert not has_note(pair.replica, note)
        behind = pair.status()["replicas"][0]
        assert behind["apply_delay"] == 2.0
        assert behind["lag_seconds"] > 0
        assert arrives(pair.replica, note, timeout=6)
    finally:
        pair.set_apply_delay(0)
    assert pair.status()["replicas"][0]["apply_delay"] == 0.0


def test_the_replica_refuses_writes(pair):
    with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
        write_note(pair.replica)


def test_pgbouncer_serves_60_clients_on_at_most_its_pool_of_server_connections(pair):
    all_connected = threading.Barrier(CLIENTS, timeout=60)
    backends, errors, most_server_connections = [], [], []
    done = threading.Event()

    def client() -> None:
        try:
            with psycopg.connect(pair.pgbouncer) as connection:
                all_connected.wait()
                with connection.transaction():
                    backend = connection.execute("SELECT pg_backend_pid(), pg_sleep(0.2)").fetchone()[0]
                    connection.execute("INSERT INTO notes (note) VALUES (%s)", [f"client {backend}"])
                backends.append(backend)
        except Exception as error:  # reported by the assertion below
            errors.append(error)

    def watch_the_primary() -> None:
        with psycopg.connect(pair.primary, autocommit=True) as connection:
            while not done.is_set():
                count = connection.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = 'dukaan'"
                    " AND backend_type = 'client backend' AND pid <> pg_backend_pid()"
                ).fetchone()[0]
                most_server_connections.append(count)
                time.sleep(0.01)

    watcher = threading.Thread(target=watch_the_primary)
    watcher.start()
    clients = [threading.Thread(target=client) for _ in range(CLIENTS)]
    for thread in clients:
        thread.start()
    for thread in clients:
        thread.join()
    done.set()
    watcher.join()

    assert errors == []
    assert len(backends) == CLIENTS
    assert len(set(backends)) <= POOL_SIZE
    assert 0 < max(most_server_connections) <= POOL_SIZE


def test_django_migrates_through_pgbouncer(pair):
    dukaan = Path(sys.executable).with_name("dukaan")

    migrated = subprocess.run(
        [str(dukaan), "migrate", "--noinput"],
        env={**os.environ, "DATABASE_URL": pair.pgbouncer},
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert migrated.returncode == 0, migrated.stderr[-3000:]
    with psycopg.connect(pair.primary) as connection:
        assert connection.execute("SELECT count(*) FROM django_migrations").fetchone()[0] > 0


def test_stop_ends_every_process_and_start_again_keeps_the_data(pair):
    note = write_note(pair.primary)
    assert arrives(pair.replica, note)
    ours = pair.processes()

    pair.stop()

    assert [pid for pid in ours if script.throwaway.process_alive(pid)] == []
    pair.start()
    assert has_note(pair.primary, note)
    assert arrives(pair.replica, note)


# dukaan/infra/db_routing.py's monitor, in a process of its own pointed at this pair: it writes one row,
# then says every 0.2 s whether the replica is usable for reads.
MONITOR_SNIPPET = """
import json, time
from django.db import connection
from dukaan.infra import db_routing
monitor = db_routing.monitor()
monitor.usable()
with connection.cursor() as cursor:
    cursor.execute("INSERT INTO notes (note) VALUES ('routing')")
seen = []
deadline = time.monotonic() + 9
while time.monotonic() < deadline:
    state = monitor.states["replica_0"]
    seen.append([state.usable, round(state.lag_seconds or 0, 1)])
    time.sleep(0.2)
print(json.dumps(seen))
"""


def test_the_router_skips_a_replica_lagging_past_the_threshold_until_it_catches_up(pair, tmp_path):
    pair.set_apply_delay(4)
    try:
        result = subprocess.run(
            [str(Path(sys.executable).with_name("dukaan")), "shell", "-c", MONITOR_SNIPPET],
            env={
                **os.environ,
                "DATABASE_URL": pair.primary,
                "DATABASE_REPLICA_URLS": pair.replica,
                "DB_REPLICA_MAX_LAG_SECONDS": "2",
                "DB_READ_YOUR_WRITES_SECONDS": "5",
                "DUKAAN_VAR_DIR": str(tmp_path),
            },
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        pair.set_apply_delay(0)
    assert result.returncode == 0, result.stderr[-2000:]
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    usable = [entry[0] for entry in seen]
    # Usable at first (nothing to replay), skipped once the unreplayed write is older than 2 s, and
    # usable again after the replica applied it (4 s after the commit).
    assert usable[0], seen
    skipped = [index for index, ok in enumerate(usable) if not ok]
    assert skipped, f"the replica was never skipped: {seen}"
    assert usable[-1] and max(entry[1] for entry in seen) > 2, seen
    assert all(not ok for ok in usable[skipped[0] : skipped[-1] + 1]), seen
