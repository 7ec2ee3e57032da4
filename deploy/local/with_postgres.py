"""Run one command against a throwaway PostgreSQL server: `python -m deploy.local with-postgres -- CMD …`.

The server lives in a temporary directory, listens on 127.0.0.1 on a free port, trades durability
for speed (fsync off), and is stopped and deleted when the command ends, fails or is interrupted.
The command gets DATABASE_URL in its environment; this script exits with the command's exit code.
The server is deploy/local/postgres.py's primary (same settings, same initdb and pg_ctl code), alone.
Standard library only, so any python3 can run it.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from deploy.local.postgres import SERVER_SETTINGS, Server, find_bindir, hand_over
from deploy.local.throwaway import Refused

PROG = "with-postgres"


def run_command(command: list[str], database_url: str) -> int:
    """Run the command in the foreground; forward termination requests to it and return its exit code."""
    env = {**os.environ, "DATABASE_URL": database_url}
    try:
        child = subprocess.Popen(command, env=env)
    except OSError as error:
        raise Refused(f"could not start {command[0]!r}: {error.strerror}") from None

    def forward(signum, _frame):
        if child.poll() is None:
            child.send_signal(signum)

    # Ctrl-C reaches the child through the terminal's process group, like with system(3);
    # a SIGTERM or SIGHUP aimed at us alone is passed on so the child can stop cleanly.
    previous = {
        signal.SIGINT: signal.signal(signal.SIGINT, signal.SIG_IGN),
        signal.SIGTERM: signal.signal(signal.SIGTERM, forward),
        signal.SIGHUP: signal.signal(signal.SIGHUP, forward),
    }
    try:
        code = child.wait()
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    return 128 - code if code < 0 else code


def interrupt(_signum, _frame):
    raise KeyboardInterrupt


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog=f"python -m deploy.local {PROG}",
        usage="%(prog)s -- COMMAND [ARGS...]",
        description=__doc__.split("\n\n")[0],
    )
    parser.add_argument("command", nargs=argparse.REMAINDER, help="the command to run, after --")
    command = parser.parse_args(argv).command
    if command[:1] == ["--"]:
        command = command[1:]
    if not command:
        parser.error("give the command to run after --")
    root = None
    server = None
    # Until the child runs, a SIGTERM should still clean up: treat it like Ctrl-C.
    signal.signal(signal.SIGTERM, interrupt)
    try:
        bindir = find_bindir()
        root = Path(tempfile.mkdtemp(prefix="dukaan-pg-"))
        hand_over(root)
        server = Server(bindir, root, "data")
        server.init()
        server.start(SERVER_SETTINGS)
        server.create_database()
        print(f"{PROG}: PostgreSQL ready at {server.url}", file=sys.stderr, flush=True)
        return run_command(command, server.url)
    except Refused as error:
        print(f"{PROG}: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted; stopping PostgreSQL", file=sys.stderr)
        return 130
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        if server is not None:
            server.stop()
        if root is not None:
            shutil.rmtree(root, ignore_errors=True)
