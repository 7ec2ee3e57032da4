"""Run a throwaway Redis on 127.0.0.1 for tests and local cluster-mode runs.

    python deploy/local/redis.py start [--dir DIR] [--json]   # prints the URL (or JSON) on stdout
    python deploy/local/redis.py status --dir DIR
    python deploy/local/redis.py stop --dir DIR

`start` runs Debian's `redis-server` in the background on a free port of 127.0.0.1, as a cache: no
persistence (no RDB snapshots, no AOF), at most 256 MB with LRU eviction. Its PID file, log and
state.json live in DIR, a new temporary directory unless given; it waits until the server answers
PING, then prints `redis://127.0.0.1:<port>/0`, so `CACHE_URL=$(python deploy/local/redis.py start)`
works. `stop` ends exactly the process in DIR's PID file (SIGTERM, then SIGKILL) after checking it is
still that server, and deletes DIR if `start` created it.
Standard library only, so any python3 can run it.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROG = "redis"
READY_TIMEOUT_S = 10.0
STOP_TIMEOUT_S = 10.0
SERVER_SETTINGS = {
    # A cache: losing it costs a rebuild from the database, so never write it to disk.
    "save": "",
    "appendonly": "no",
    "maxmemory": "256mb",
    "maxmemory-policy": "allkeys-lru",
    "protected-mode": "yes",
    "daemonize": "no",
    "loglevel": "warning",
}


class Refused(Exception):
    """An error a person can act on; printed as one message, without a traceback."""


def say(message: str) -> None:
    print(f"{PROG}: {message}", file=sys.stderr, flush=True)


def find_server() -> str:
    found = shutil.which("redis-server")
    if not found:
        raise Refused(
            "`redis-server` was not found on PATH. Install it with `apt-get install -y redis-server` "
            "(as root), or run `make test`, which does that for you."
        )
    return found


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        # A zombie has ended; only its parent has not collected it yet.
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def ping(port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(64).startswith(b"+PONG")
    except OSError:
        return False


class ServerDir:
    """DIR: redis.pid, redis.log and state.json of one server."""

    def __init__(self, path: Path) -> None:
        self.path = path.resolve()
        self.pid_file = self.path / "redis.pid"
        self.log = self.path / "redis.log"
        self.state_file = self.path / "state.json"

    def read_state(self) -> dict:
        try:
            return json.loads(self.state_file.read_text())
        except (OSError, ValueError):
            return {}

    def write_state(self, state: dict) -> None:
        staging = self.state_file.with_suffix(".json.partial")
        staging.write_text(json.dumps(state, indent=2, sort_keys=True) + "\n")
        staging.replace(self.state_file)

    def running_pid(self) -> int | None:
        """The PID in redis.pid if that process is alive and is still the server started here."""
        try:
            pid = int(self.pid_file.read_text().strip())
        except (OSError, ValueError):
            return None
        if not process_alive(pid):
            return None
        port = self.read_state().get("port")
        try:
            # redis-server sets its title to "redis-server 127.0.0.1:<port>".
            title = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            return pid
        if "redis-server" not in title or (port and f":{port}" not in title):
            return None  # the PID was reused by some other process
        return pid

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log was written)"


def start(path: Path | None) -> dict:
    server = find_server()
    created = path is None
    folder = ServerDir(Path(tempfile.mkdtemp(prefix="dukaan-redis-")) if created else path)
    folder.path.mkdir(parents=True, exist_ok=True)
    if folder.running_pid():
        raise Refused(f"a Redis started from {folder.path} is already running; stop it first")
    # The free port can be taken between our probe and the server's bind; try a few.
    for _attempt in range(3):
        port = free_port()
        options = {
            **SERVER_SETTINGS,
            "bind": "127.0.0.1",
            "port": str(port),
            "dir": str(folder.path),
            "logfile": str(folder.log),
        }
        arguments = [server, *(item for name, value in options.items() for item in (f"--{name}", value))]
        with open(os.devnull, "rb") as devnull:
            process = subprocess.Popen(
                arguments,
                stdin=devnull,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,  # outlives this script; Ctrl-C in the terminal does not reach it
            )
        folder.pid_file.write_text(f"{process.pid}\n")
        state = {
            "pid": process.pid,
            "port": port,
            "url": f"redis://127.0.0.1:{port}/0",
            "dir": str(folder.path),
            "created_dir": created,
        }
        folder.write_state(state)
        deadline = time.monotonic() + READY_TIMEOUT_S
        while time.monotonic() < deadline and process.poll() is None:
            if ping(port):
                return state
            time.sleep(0.02)
        if process.poll() is None:
            stop_pid(process.pid)
            raise Refused(f"Redis did not answer PING within {READY_TIMEOUT_S:.0f} s:\n{folder.log_tail()}")
        if "Address already in use" not in folder.log_tail():
            break
    log = folder.log_tail()
    if created:
        shutil.rmtree(folder.path, ignore_errors=True)
    raise Refused(f"Redis did not start. Its log says:\n{log}")


def stop_pid(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + STOP_TIMEOUT_S
    while time.monotonic() < deadline:
        if not process_alive(pid):
            return
        time.sleep(0.02)
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def stop(path: Path) -> bool:
    """Stop the server started in `path`; True if one was running."""
    folder = ServerDir(path)
    if not folder.path.is_dir():
        raise Refused(f"{folder.path} does not exist: nothing to stop")
    pid = folder.running_pid()
    if pid is not None:
        stop_pid(pid)
    if folder.read_state().get("created_dir"):
        shutil.rmtree(folder.path, ignore_errors=True)
    else:
        for leftover in (folder.pid_file, folder.state_file):
            leftover.unlink(missing_ok=True)
    return pid is not None


def status(path: Path) -> dict:
    folder = ServerDir(path)
    state = folder.read_state()
    pid = folder.running_pid()
    return {**state, "running": pid is not None, "answers": bool(pid and ping(state.get("port", 0)))}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="redis.py", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    start_parser = commands.add_parser("start", help="start a Redis in the background; print its URL")
    start_parser.add_argument("--dir", type=Path, help="PID file, log, state (default: a new temp dir)")
    start_parser.add_argument("--json", action="store_true", help="print pid, port, url and dir as JSON")
    for name, text in (("stop", "stop the server started in DIR"), ("status", "is it running?")):
        sub = commands.add_parser(name, help=text)
        sub.add_argument("--dir", type=Path, required=True, help="the directory `start` printed")
    options = parser.parse_args(argv)
    try:
        if options.command == "start":
            state = start(options.dir)
            say(f"ready at {state['url']} (pid {state['pid']}); to stop it: stop --dir {state['dir']}")
            print(json.dumps(state) if options.json else state["url"], flush=True)
        elif options.command == "stop":
            say("stopped" if stop(options.dir) else "was not running")
        else:
            state = status(options.dir)
            print(json.dumps(state))
            return 0 if state["answers"] else 1
    except Refused as error:
        say(str(error))
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
