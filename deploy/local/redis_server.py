"""Run a throwaway Redis on 127.0.0.1 for tests and local cluster-mode runs.

    python -m deploy.local redis start [--dir DIR] [--json]   # prints the URL (or JSON) on stdout
    python -m deploy.local redis status --dir DIR
    python -m deploy.local redis stop --dir DIR

`start` runs Debian's `redis-server` in the background on a free port of 127.0.0.1, as a cache: no
persistence (no RDB snapshots, no AOF), at most 256 MB with LRU eviction. Its PID file, log and
state.json live in DIR, a new temporary directory unless given; it waits until the server answers
PING, then prints `redis://127.0.0.1:<port>/0`, so `CACHE_URL=$(python -m deploy.local redis start)`
works. `stop` ends exactly the process in DIR's PID file (SIGTERM, then SIGKILL) after checking it is
still that server, and deletes DIR if `start` created it.
Standard library only, so any python3 can run it.
"""

from __future__ import annotations

import socket
from pathlib import Path

from deploy.local import throwaway

READY_TIMEOUT_S = 10.0
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


def ping(port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(64).startswith(b"+PONG")
    except OSError:
        return False


class RedisDir(throwaway.ServerDir):
    name = "redis"
    label = "a Redis"

    def answers(self, port: int) -> bool:
        return ping(port)

    def is_ours(self, command: str) -> bool:
        # redis-server sets its title to "redis-server 127.0.0.1:<port>".
        port = self.read_state().get("port")
        return "redis-server" in command and not (port and f":{port}" not in command)


def start(path: Path | None) -> dict:
    server = throwaway.program("redis-server", "redis-server")
    folder, created = RedisDir.claim(path)

    def arguments(port: int) -> list[str]:
        options = {**SERVER_SETTINGS, "bind": "127.0.0.1", "port": str(port), "dir": str(folder.path)}
        options["logfile"] = str(folder.log)
        return [server, *(item for name, value in options.items() for item in (f"--{name}", value))]

    return throwaway.launch(
        folder,
        created=created,
        arguments=arguments,
        state=lambda port: {"url": f"redis://127.0.0.1:{port}/0"},
        ready_timeout=READY_TIMEOUT_S,
    )


def main(argv: list[str]) -> int:
    return throwaway.command_line(argv, "redis", __doc__, RedisDir, lambda options: start(options.dir))
