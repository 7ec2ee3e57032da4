"""A PostgreSQL primary, its streaming replica and PgBouncer from deploy/local/postgres.py, for a test module.

Without PostgreSQL or PgBouncer installed the module is skipped, except under CI=true, where that is a
failure.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from deploy.local import postgres as script
from tests.processes import deploy_local, in_ci


def run_script(*args: str) -> subprocess.CompletedProcess:
    return deploy_local("postgres", *args, timeout=180)


@dataclass
class Pair:
    dir: Path
    state: dict

    def start(self) -> None:
        result = run_script("start", "--dir", str(self.dir), "--apply-delay", "0", "--json")
        assert result.returncode == 0, result.stderr
        self.state = json.loads(result.stdout)

    def stop(self, *extra: str) -> None:
        result = run_script("stop", "--dir", str(self.dir), *extra)
        assert result.returncode == 0, result.stderr

    def status(self) -> dict:
        return json.loads(run_script("status", "--dir", str(self.dir)).stdout)

    def set_apply_delay(self, seconds: float) -> None:
        result = run_script("apply-delay", "--dir", str(self.dir), "--seconds", str(seconds))
        assert result.returncode == 0, result.stderr

    @property
    def primary(self) -> str:
        return self.state["primary"]["url"]

    @property
    def replica(self) -> str:
        return self.state["replicas"][0]["url"]

    @property
    def pgbouncer(self) -> str:
        return self.state["pgbouncer"]["url"]

    def processes(self) -> set[int]:
        """Every server's PID and those of its children (PostgreSQL's backends and workers)."""
        servers = {self.state[name]["pid"] for name in ("primary", "pgbouncer")}
        servers |= {replica["pid"] for replica in self.state["replicas"]}
        children = set()
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            if int(fields[1]) in servers:
                children.add(int(stat.parent.name))
        return servers | children


@contextmanager
def running_pair(needed_by: str) -> Iterator[Pair]:
    """A started pair with --apply-delay 0, stopped and deleted afterwards."""
    try:
        script.find_bindir()
        script.find_pgbouncer()
    except script.Refused as error:
        if in_ci():
            pytest.fail(f"CI must run {needed_by}, but {error}")
        pytest.skip(str(error))
    # A directory the `postgres` OS user can reach (pytest's tmp_path is closed to it when we are root).
    started = Pair(Path(tempfile.mkdtemp(prefix="dukaan-pair-test-")), {})
    started.start()
    try:
        yield started
    finally:
        started.stop("--delete")
