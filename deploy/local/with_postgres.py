"""Run one command against a throwaway PostgreSQL server: `with_postgres.py -- CMD ARGS...`.

The server lives in a temporary directory, listens on 127.0.0.1 on a free port, trades durability
for speed (fsync off), and is stopped and deleted when the command ends, fails or is interrupted.
The command gets DATABASE_URL in its environment; this script exits with the command's exit code.
Standard library only, so any python3 can run it.
"""

from __future__ import annotations

import glob
import os
import pwd
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

PROG = "with_postgres"
DB_NAME = "dukaan"
DB_USER = "postgres"
SERVER_SETTINGS = {
    # A test cluster: losing it in a crash costs nothing, so skip every flush to disk.
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "shared_buffers": "32MB",
    "max_connections": "50",
    "log_min_messages": "warning",
    # Logical decoding, so Debezium (deploy/local/kafka.py, tests/kafka) can read the outbox from the WAL
    # through a replication slot. The user is the bootstrap superuser, which may replicate, and
    # initdb's pg_hba.conf already trusts replication connections from 127.0.0.1.
    "wal_level": "logical",
    "max_replication_slots": "4",
    "max_wal_senders": "4",
    # A slot whose reader is gone (Connect stopped) holds WAL back; past this much the server gives up
    # on the slot (it becomes `lost`) rather than fill the disk. See docs/kafka.md.
    "max_slot_wal_keep_size": "256MB",
}


class Refused(Exception):
    """An error a person can act on; printed as one message, without a traceback."""


def find_bindir() -> Path:
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda path: int(Path(path).parts[-3]) if Path(path).parts[-3].isdigit() else 0,
    )
    if candidates:
        return Path(candidates[-1]).parent
    on_path = shutil.which("initdb")
    if on_path and shutil.which("pg_ctl"):
        return Path(on_path).parent
    raise Refused(
        "PostgreSQL server programs (initdb, pg_ctl) were not found under /usr/lib/postgresql/*/bin "
        "or on PATH. Install them with `apt-get install -y postgresql` (as root), or run `make test`, "
        "which does that for you."
    )


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Cluster:
    """One PostgreSQL cluster in a temporary directory, run as `postgres` when we are root."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.as_root = os.geteuid() == 0
        self.root = Path(tempfile.mkdtemp(prefix="dukaan-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self.port = 0
        self.started = False
        if self.as_root:
            # initdb and postgres refuse to run as root; hand the directory to the postgres user.
            try:
                account = pwd.getpwnam("postgres")
            except KeyError:
                raise Refused(
                    "running as root, but there is no `postgres` OS user to run the server as. "
                    "Install the postgresql package (`apt-get install -y postgresql`), which creates it."
                ) from None
            os.chown(self.root, account.pw_uid, account.pw_gid)
            self.root.chmod(0o700)

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        command = [str(self.bindir / args[0]), *args[1:]]
        if self.as_root:
            command = ["runuser", "-u", "postgres", "--", *command]
        result = subprocess.run(
            command, cwd=self.root, stdin=subprocess.DEVNULL, capture_output=True, text=True
        )
        if check and result.returncode != 0:
            output = (result.stdout + result.stderr).strip()
            raise Refused(f"`{' '.join(args[:2])}` failed (exit {result.returncode}):\n{output}")
        return result

    def init(self) -> None:
        self._run(
            "initdb",
            "--pgdata",
            str(self.data),
            "--username",
            DB_USER,
            "--auth",
            "trust",
            "--encoding",
            "UTF8",
            "--locale",
            "C",
            "--no-sync",
            "--no-instructions",
        )

    def start(self) -> None:
        # The free port can be taken between our probe and the server's bind; try a few.
        for _attempt in range(3):
            self.port = free_port()
            options = [
                f"-c listen_addresses=127.0.0.1 -p {self.port}",
                f"-c unix_socket_directories={shlex.quote(str(self.root))}",
                *(f"-c {name}={value}" for name, value in SERVER_SETTINGS.items()),
            ]
            result = self._run(
                "pg_ctl",
                "start",
                "--pgdata",
                str(self.data),
                "--log",
                str(self.log),
                "--wait",
                "--timeout",
                "60",
                "-o",
                " ".join(options),
                check=False,
            )
            if result.returncode == 0:
                self.started = True
                return
            self._stop_quietly()
        raise Refused(f"PostgreSQL did not start. Its log says:\n{self._log_tail()}")

    def create_database(self) -> None:
        self._run("createdb", "--host", "127.0.0.1", "--port", str(self.port), "--username", DB_USER, DB_NAME)

    @property
    def url(self) -> str:
        return f"postgres://{DB_USER}@127.0.0.1:{self.port}/{DB_NAME}"

    def server_pid(self) -> int | None:
        try:
            return int((self.data / "postmaster.pid").read_text().split("\n", 1)[0])
        except (OSError, ValueError):
            return None

    def _stop_quietly(self) -> None:
        pid = self.server_pid()
        if pid is None:
            return
        stopped = self._run(
            "pg_ctl",
            "stop",
            "--pgdata",
            str(self.data),
            "--mode",
            "fast",
            "--wait",
            "--timeout",
            "30",
            check=False,
        )
        if stopped.returncode != 0:
            # The server we started did not stop in time: end exactly that process.
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def destroy(self) -> None:
        try:
            self._stop_quietly()
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def _log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no server log was written)"


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
    if "--" not in argv or argv.index("--") == len(argv) - 1:
        print(f"usage: {PROG}.py -- COMMAND [ARGS...]", file=sys.stderr)
        return 2
    command = argv[argv.index("--") + 1 :]
    cluster = None
    # Until the child runs, a SIGTERM should still clean up: treat it like Ctrl-C.
    signal.signal(signal.SIGTERM, interrupt)
    try:
        cluster = Cluster(find_bindir())
        cluster.init()
        cluster.start()
        cluster.create_database()
        print(f"{PROG}: PostgreSQL ready at {cluster.url}", file=sys.stderr, flush=True)
        return run_command(command, cluster.url)
    except Refused as error:
        print(f"{PROG}: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted; stopping PostgreSQL", file=sys.stderr)
        return 130
    finally:
        if cluster is not None:
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            cluster.destroy()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
