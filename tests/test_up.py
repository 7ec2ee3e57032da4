"""`dukaan up` really serves: started as a person would, it gets ready, stays up and stops on Ctrl-C."""

import os
import signal
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings

from dukaan.infra.management.commands.web import WORKER_STOP_SECONDS
from tests.processes import wait_while_running

READY_TIMEOUT_SECONDS = 60
STOP_TIMEOUT_SECONDS = 20

pytestmark = pytest.mark.skipif(
    settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3",
    reason="`dukaan up` runs on its own embedded SQLite database, so it is tested in the SQLite pass only",
)


def up_command(port: int) -> list[str]:
    script = Path(sys.executable).with_name("dukaan")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "dukaan.cli"]
    return [*command, "up", "--port", str(port)]


def get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def port_is_open(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture
def dukaan_up(tmp_path, free_port):
    """A running `dukaan up` with its own var/ directory (and so its own SQLite file)."""
    env = {**os.environ, "DUKAAN_VAR_DIR": str(tmp_path / "var")}
    env.pop("DATABASE_URL", None)
    log_path = tmp_path / "up.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            up_command(free_port), env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT
        )
    process.port = free_port
    process.log_path = log_path
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=STOP_TIMEOUT_SECONDS)


def output_of(process) -> str:
    return process.log_path.read_text(errors="replace")[-4000:]


def wait_until_ready(process) -> None:
    wait_while_running(
        process,
        process.log_path,
        lambda: get(f"http://127.0.0.1:{process.port}/readyz")[0] == 200,
        what="`dukaan up` to answer /readyz with 200",
        timeout=READY_TIMEOUT_SECONDS,
        ignoring=(OSError,),  # not listening yet
    )


def test_dukaan_up_serves_until_it_is_told_to_stop(dukaan_up):
    wait_until_ready(dukaan_up)

    status, body = get(f"http://127.0.0.1:{dukaan_up.port}/healthz")
    assert status == 200
    assert b'"ok"' in body
    assert f"http://localhost:{dukaan_up.port}" in output_of(dukaan_up)

    # Ctrl-C, as a person would stop it, sent to the one process we started.
    dukaan_up.send_signal(signal.SIGINT)
    try:
        dukaan_up.wait(timeout=STOP_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        pytest.fail(f"`dukaan up` did not stop {STOP_TIMEOUT_SECONDS}s after Ctrl-C:\n{output_of(dukaan_up)}")
    # Its worker went with it: nothing listens on the port any more.
    assert not port_is_open(dukaan_up.port)


def test_dukaan_up_stops_even_when_its_worker_does_not(dukaan_up):
    """A worker that never answers the stop signal (here: frozen) is killed after WORKER_STOP_SECONDS, so
    Ctrl-C always ends `dukaan up`."""
    wait_until_ready(dukaan_up)
    worker = int(subprocess.check_output(["pgrep", "-P", str(dukaan_up.pid)], text=True).split()[0])
    os.kill(worker, signal.SIGSTOP)

    dukaan_up.send_signal(signal.SIGINT)
    try:
        dukaan_up.wait(timeout=WORKER_STOP_SECONDS + STOP_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        os.kill(worker, signal.SIGKILL)
        pytest.fail(
            f"`dukaan up` waited for its frozen worker past {WORKER_STOP_SECONDS}s:\n{output_of(dukaan_up)}"
        )
    assert "refused to gracefully stop" in output_of(dukaan_up)
    assert not port_is_open(dukaan_up.port)
