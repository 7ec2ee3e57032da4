"""Run a PostgreSQL primary, its streaming replica(s) and PgBouncer on 127.0.0.1, as throwaway servers.

    python -m deploy.local postgres start [--dir DIR] [--replicas N] [--apply-delay SECONDS] [--json]
    python -m deploy.local postgres status --dir DIR
    python -m deploy.local postgres apply-delay --dir DIR --seconds S [--replica I]
    python -m deploy.local postgres stop --dir DIR [--delete]

`start` makes a primary (initdb, database `dukaan`, user `postgres`, trust from 127.0.0.1, logical
WAL for Debezium), N replicas by `pg_basebackup -R`, each streaming through its own physical slot,
and PgBouncer in transaction pooling mode in front of the primary; each on a free port. It waits
until the primary answers, every replica streams and PgBouncer answers, then prints the PgBouncer
URL (or, with --json, every server's pid, port and URL). Data, configs, logs, PIDs and state.json
live in DIR (a new temp dir unless given). When DIR holds servers from an earlier `start`, they are
started again on their data. `stop` ends exactly those processes and keeps DIR unless --delete (or
`start` made it). See docs/replication.md. The Server class is also what with_postgres.py runs.
Standard library only, so any python3 can run it.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import pwd
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from deploy.local import throwaway
from deploy.local.throwaway import Refused

PROG = "postgres"
DB_NAME = "dukaan"
DB_USER = "postgres"
MAX_REPLICAS = 8
STREAMING_TIMEOUT_S = 60.0
PGBOUNCER_READY_TIMEOUT_S = 10.0
SERVER_SETTINGS = {
    # A local stand-in: losing it in a crash costs nothing, so skip every flush to disk.
    "fsync": "off",
    # On, as in production: a commit's WAL is written at once, so Debezium (which decodes only flushed
    # WAL) sees it at once. Off, it waited for the WAL writer's next round (wal_writer_delay, 200 ms):
    # commit -> on Kafka p50 292 ms off, 41 ms on (docs/benchmarks/events.md). With fsync off a commit
    # costs no more either way (pgbench -N, 8 clients: 1,948 tps off, 2,654 on, medians of 3, noisy).
    "synchronous_commit": "on",
    "full_page_writes": "off",
    "shared_buffers": "32MB",
    "max_connections": "100",
    "log_min_messages": "warning",
    # Django's sessions use UTC; a server in UTC spares each new connection a SET TIME ZONE.
    "timezone": "UTC",
    # Logical decoding, so Debezium (deploy/local/kafka.py, tests/kafka) can read the outbox from the WAL
    # through a replication slot. The user is the bootstrap superuser, which may replicate, and
    # initdb's pg_hba.conf already trusts replication connections from 127.0.0.1.
    "wal_level": "logical",
    # Debezium's slot and sender, one per replica, and two more while pg_basebackup makes a replica.
    "max_replication_slots": "16",
    "max_wal_senders": "16",
    # A slot whose reader is gone (Connect or a replica stopped) holds WAL back; past this much the
    # server gives up on the slot (it becomes `lost`) rather than fill the disk. See docs/kafka.md.
    "max_slot_wal_keep_size": "256MB",
    "unix_socket_directories": "",  # TCP on 127.0.0.1 only: a long DIR cannot overflow a socket path
}
# Synchronous commits (SERVER_SETTINGS) reach the replicas in ~2 ms instead of on the WAL writer's next
# round (~150 ms); with fsync off they cost nothing measurable (2,000 commits in 0.5 s either way).
PAIR_SETTINGS = SERVER_SETTINGS
REPLICA_SETTINGS = {**PAIR_SETTINGS, "hot_standby": "on", "hot_standby_feedback": "on"}
PGBOUNCER_SETTINGS = {
    "pool_mode": "transaction",
    "max_client_conn": "500",
    "default_pool_size": "20",
    "auth_type": "trust",
    "admin_users": DB_USER,
    # JDBC clients send it; PgBouncer would otherwise refuse them.
    "ignore_startup_parameters": "extra_float_digits",
    # After a failed login to the server (the primary was down) PgBouncer refuses clients this long;
    # its default 15 s would keep the shop shut well after the primary is back.
    "server_login_retry": "1",
    "unix_socket_dir": "",
}
# The replica's lag, measured the standard way: nothing when it replayed all it received, else the age
# of the last transaction it replayed.
LAG_SQL = (
    "SELECT coalesce((SELECT status FROM pg_stat_wal_receiver), 'stopped'),"
    " CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0"
    " ELSE extract(epoch FROM now() - pg_last_xact_replay_timestamp()) END"
)


def say(message: str) -> None:
    print(f"{PROG}: {message}", file=sys.stderr, flush=True)


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
        "or on PATH. Install them with `apt-get install -y postgresql` (as root), or run `make sysdeps`."
    )


def as_server_user(command: list[str]) -> list[str]:
    """The command run as `postgres` when we are root: initdb, postgres and PgBouncer refuse root.

    setpriv execs the command in place (runuser would stay as its parent), so the PID we start is
    the server's own.
    """
    if os.geteuid() != 0:
        return command
    return ["setpriv", "--reuid", DB_USER, "--regid", DB_USER, "--init-groups", "--", *command]


def hand_over(folder: Path) -> None:
    """Make `folder` the server user's own, so the servers can write there."""
    if os.geteuid() != 0:
        return
    try:
        account = pwd.getpwnam(DB_USER)
    except KeyError:
        raise Refused(
            "running as root, but there is no `postgres` OS user to run the servers as. "
            "Install the postgresql package (`apt-get install -y postgresql`), which creates it."
        ) from None
    os.chown(folder, account.pw_uid, account.pw_gid)
    folder.chmod(0o700)
    if subprocess.run(as_server_user(["test", "-w", str(folder)])).returncode != 0:
        raise Refused(
            f"the `postgres` OS user cannot reach {folder}: a parent directory is closed to it. "
            "Use a directory under /tmp, or leave out --dir."
        )


def url(port: int) -> str:
    return f"postgres://{DB_USER}@127.0.0.1:{port}/{DB_NAME}"


class Server:
    """One PostgreSQL server: data directory ROOT/NAME and log ROOT/NAME.log, run with pg_ctl."""

    def __init__(self, bindir: Path, root: Path, name: str) -> None:
        self.bindir = bindir
        self.root = root
        self.name = name
        self.data = root / name
        self.log = root / f"{name}.log"
        self.port = 0

    def run(self, program: str, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        command = as_server_user([str(self.bindir / program), *args])
        result = subprocess.run(
            command, cwd=self.root, stdin=subprocess.DEVNULL, capture_output=True, text=True
        )
        if check and result.returncode != 0:
            last = (result.stdout + result.stderr).strip().splitlines() or ["(no output)"]
            raise Refused(f"{self.name}: `{program}` failed (exit {result.returncode}): {last[-1]}")
        return result

    def init(self) -> None:
        self.run(
            "initdb",
            *("--pgdata", str(self.data), "--username", DB_USER, "--auth", "trust"),
            *("--encoding", "UTF8", "--locale", "C", "--no-sync", "--no-instructions"),
        )

    def start(self, settings: dict[str, str]) -> None:
        """Start on 127.0.0.1, on its last port if that is free, else a free one; wait until it accepts
        connections."""
        for attempt in range(throwaway.PORT_ATTEMPTS):  # the port can be taken before the server binds it
            self.port = throwaway.port_to_use(self.port if attempt == 0 else None)
            options = {**settings, "listen_addresses": "127.0.0.1", "port": str(self.port)}
            # pg_ctl hands -o to a shell.
            line = " ".join(f"-c {shlex.quote(f'{name}={value}')}" for name, value in options.items())
            started = self.run(
                "pg_ctl",
                *("start", "--pgdata", str(self.data), "--log", str(self.log)),
                *("--wait", "--timeout", "60", "-o", line),
                check=False,
            )
            if started.returncode == 0:
                return
            self.stop()
            if "Address already in use" not in self.log_tail():
                break
        raise Refused(f"{self.name} did not start: {self.log_tail(1)} (its log: {self.log})")

    def create_database(self) -> None:
        self.run("createdb", "--host", "127.0.0.1", "--port", str(self.port), "--username", DB_USER, DB_NAME)

    @property
    def url(self) -> str:
        return url(self.port)

    def pid(self) -> int | None:
        """The postmaster's PID if it runs on this data directory."""
        try:
            pid = int((self.data / "postmaster.pid").read_text().split("\n", 1)[0])
            command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except (OSError, ValueError):
            return None
        return pid if throwaway.process_alive(pid) and str(self.data) in command else None

    def stop(self) -> bool:
        """pg_ctl stop --mode fast; SIGKILL to exactly that postmaster if it does not stop in time."""
        pid = self.pid()
        if pid is None:
            return False
        stopped = self.run(
            "pg_ctl",
            *("stop", "--pgdata", str(self.data), "--mode", "fast", "--wait", "--timeout", "30"),
            check=False,
        )
        if stopped.returncode != 0:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        return True

    def query(self, sql: str, port: int | None = None) -> str | None:
        """One row of `sql`, fields joined by |; None when the server does not answer."""
        result = subprocess.run(
            [str(self.bindir / "psql"), "-XAtq", "-v", "ON_ERROR_STOP=1", "-c", sql, self.conninfo(port)],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
        )
        return result.stdout.strip() if result.returncode == 0 else None

    def conninfo(self, port: int | None = None) -> str:
        return f"host=127.0.0.1 port={port or self.port} user={DB_USER} dbname={DB_NAME} connect_timeout=3"

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no server log was written)"


class PgBouncerDir(throwaway.ServerDir):
    """DIR/pgbouncer.{ini,pid,log,json}; DIR/state.json is the whole cluster's."""

    name = "pgbouncer"
    label = "PgBouncer"

    def __init__(self, path: Path, primary: Server) -> None:
        super().__init__(path)
        self.primary = primary
        self.state_file = self.path / "pgbouncer.json"
        self.ini = self.path / "pgbouncer.ini"
        self.users = self.path / "pgbouncer-users.txt"

    def is_ours(self, command: str) -> bool:
        return "pgbouncer" in command and str(self.ini) in command

    def answers(self, port: int) -> bool:
        return self.primary.query("SELECT 1", port) == "1"


def find_pgbouncer() -> str:
    return throwaway.program("pgbouncer", "pgbouncer")


class Pair:
    """The servers of one DIR: primary, replicaN and PgBouncer."""

    def __init__(self, path: Path) -> None:
        self.path = path.resolve()
        self.state_file = self.path / "state.json"
        self.bindir = find_bindir()
        self.primary = Server(self.bindir, self.path, "primary")
        self.pgbouncer = PgBouncerDir(self.path, self.primary)

    def exists(self) -> bool:
        return (self.primary.data / "PG_VERSION").is_file()

    def replicas(self) -> list[Server]:
        """The replicas made so far, in order."""
        made = [
            folder.name
            for folder in self.path.glob("replica*")
            if re.fullmatch(r"replica\d+", folder.name) and (folder / "PG_VERSION").is_file()
        ]
        return [Server(self.bindir, self.path, name) for name in sorted(made, key=lambda name: int(name[7:]))]

    def read_state(self) -> dict:
        return throwaway.read_json(self.state_file)

    def replica(self, number: int) -> Server:
        replicas = self.replicas()
        if not 1 <= number <= len(replicas):
            raise Refused(f"{self.path} has {len(replicas)} replica(s); --replica counts from 1")
        server = replicas[number - 1]
        recorded = [entry for entry in self.read_state().get("replicas", []) if entry["name"] == server.name]
        server.port = recorded[0]["port"] if recorded else 0
        return server

    def refuse_to_start(self, replicas: int | None) -> int:
        """How many replicas `start` runs; Refused when it must not touch this DIR."""
        if any(self.path.iterdir()) and not self.exists():
            raise Refused(f"{self.path} holds files that `start` did not make; use an empty or new --dir")
        made = len(self.replicas())
        wanted = (made if self.exists() else 1) if replicas is None else replicas
        if wanted < made:
            raise Refused(
                f"{self.path} has {made} replicas; start them all (leave out --replicas) or use a new --dir"
            )
        return wanted

    def start(self, *, replicas: int, apply_delay: float | None, created: bool, pgbouncer: str) -> dict:
        existing = self.replicas()
        hand_over(self.path)
        # Servers restart on the ports they had, so what was configured with their URLs still works.
        recorded = self.read_state()
        self.primary.port = recorded.get("primary", {}).get("port", 0)
        recorded_replicas = {entry["name"]: entry["port"] for entry in recorded.get("replicas", [])}
        for server in existing:
            server.port = recorded_replicas.get(server.name, 0)
        if self.primary.pid():
            pass  # `start` again starts only what is not running (a replica that crashed, say)
        elif self.exists():
            self.primary.start(PAIR_SETTINGS)
        else:
            say(f"primary: initdb in {self.primary.data}")
            self.primary.init()
            self.primary.start(PAIR_SETTINGS)
            self.primary.create_database()
        say(f"primary ready at {self.primary.url} (pid {self.primary.pid()})")
        servers = [
            *existing,
            *(Server(self.bindir, self.path, f"replica{n}") for n in range(len(existing) + 1, replicas + 1)),
        ]
        for server in servers:
            if not (server.data / "PG_VERSION").is_file():
                self.make_replica(server)
            if not server.pid():
                self.start_replica(server)
            if apply_delay is not None:
                self.set_apply_delay(server, apply_delay)
            delay = self.apply_delay(server)
            say(f"{server.name} streaming at {server.url} (pid {server.pid()}, apply delay {delay} s)")
        if self.pgbouncer.running_pid():
            bouncer = recorded["pgbouncer"]
        else:
            bouncer = self.start_pgbouncer(pgbouncer, recorded.get("pgbouncer", {}).get("port"))
        say(f"pgbouncer ready at {bouncer['url']} (pid {bouncer['pid']}), transaction pooling")
        state = {
            "dir": str(self.path),
            "created_dir": created,
            "primary": {"pid": self.primary.pid(), "port": self.primary.port, "url": self.primary.url},
            "replicas": [
                {
                    "name": server.name,
                    "pid": server.pid(),
                    "port": server.port,
                    "url": server.url,
                    "apply_delay": self.apply_delay(server),
                }
                for server in servers
            ],
            "pgbouncer": {"pid": bouncer["pid"], "port": bouncer["port"], "url": bouncer["url"]},
        }
        throwaway.write_json(self.state_file, state)
        return state

    def make_replica(self, server: Server) -> None:
        say(f"{server.name}: base backup of the primary into {server.data}")
        partial = (
            self.path / f"{server.name}.partial"
        )  # renamed once complete: a half-made replica is never started
        shutil.rmtree(partial, ignore_errors=True)
        slot = server.name
        created = self.primary.query(
            f"SELECT pg_create_physical_replication_slot('{slot}', true) "
            f"WHERE NOT EXISTS (SELECT FROM pg_replication_slots WHERE slot_name = '{slot}')"
        )
        if created is None:
            raise Refused(
                f"could not create the replication slot {slot} on the primary; see {self.primary.log}"
            )
        server.run(
            "pg_basebackup",
            *("--host", "127.0.0.1", "--port", str(self.primary.port), "--username", DB_USER),
            *("--pgdata", str(partial), "--write-recovery-conf", "--wal-method", "stream", "--slot", slot),
            *("--checkpoint", "fast", "--no-sync"),
        )
        partial.rename(server.data)

    def start_replica(self, server: Server) -> None:
        # On the command line, so a primary on a new port after a restart is still found.
        conninfo = f"host=127.0.0.1 port={self.primary.port} user={DB_USER} application_name={server.name}"
        server.start({**REPLICA_SETTINGS, "primary_conninfo": conninfo, "primary_slot_name": server.name})
        deadline = time.monotonic() + STREAMING_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.primary.query(
                "SELECT 1 FROM pg_stat_replication"
                f" WHERE application_name = '{server.name}' AND state = 'streaming'"
            ):
                return
            time.sleep(0.05)
        raise Refused(
            f"{server.name} did not start streaming within {STREAMING_TIMEOUT_S:.0f} s; see {server.log}"
        )

    def set_apply_delay(self, server: Server, seconds: float) -> None:
        """recovery_min_apply_delay in the replica's postgresql.auto.conf, reloaded; kept across restarts."""
        milliseconds = round(seconds * 1000)
        done = server.query(f"ALTER SYSTEM SET recovery_min_apply_delay = {milliseconds}")
        if done is None or server.query("SELECT pg_reload_conf()") is None:
            raise Refused(f"{server.name} did not accept the new apply delay; is it running? (status --dir)")
        deadline = time.monotonic() + 5
        while self.apply_delay(server) != milliseconds / 1000 and time.monotonic() < deadline:
            time.sleep(0.02)  # the reload is asynchronous

    def apply_delay(self, server: Server) -> float | None:
        found = server.query("SELECT setting FROM pg_settings WHERE name = 'recovery_min_apply_delay'")
        return int(found) / 1000 if found else None

    def start_pgbouncer(self, program: str, preferred_port: int | None) -> dict:
        folder = self.pgbouncer
        folder.users.write_text(f'"{DB_USER}" ""\n')

        def arguments(port: int) -> list[str]:
            settings = {
                **PGBOUNCER_SETTINGS,
                "listen_addr": "127.0.0.1",
                "listen_port": str(port),
                "auth_file": str(folder.users),
            }
            lines = [
                "[databases]",
                # Any database name (test_dukaan too) goes to the same-named database on the primary.
                f"* = host=127.0.0.1 port={self.primary.port}",
                "[pgbouncer]",
                *(f"{name} = {value}" for name, value in settings.items()),
            ]
            folder.ini.write_text("\n".join(lines) + "\n")
            return as_server_user([program, str(folder.ini)])

        return throwaway.launch(
            folder,
            created=False,
            arguments=arguments,
            state=lambda port: {"url": url(port)},
            ready_timeout=PGBOUNCER_READY_TIMEOUT_S,
            output_to_log=True,
            preferred_port=preferred_port,
        )

    def stop(self) -> bool:
        """Replicas and PgBouncer first, then the primary; True if anything was running."""
        stopped = [server.stop() for server in self.replicas()]
        if self.pgbouncer.path.is_dir():
            stopped.append(throwaway.stop(self.pgbouncer))
        stopped.append(self.primary.stop())
        return any(stopped)

    def status(self) -> dict:
        state = self.read_state()
        if not state:
            raise Refused(f"{self.path} holds no servers from `start` (no state.json)")
        self.primary.port = state["primary"]["port"]
        primary = {**state["primary"], "running": self.primary.pid() is not None}
        primary["answers"] = primary["running"] and self.primary.query("SELECT 1") == "1"
        replicas = []
        for entry in state["replicas"]:
            server = Server(self.bindir, self.path, entry["name"])
            server.port = entry["port"]
            found = server.query(LAG_SQL) if server.pid() else None
            receiver, lag = found.split("|") if found else (None, None)
            replicas.append(
                {
                    **entry,
                    "running": server.pid() is not None,
                    "answers": found is not None,
                    "streaming": receiver == "streaming",
                    "lag_seconds": round(float(lag), 3) if lag else None,
                }
            )
        bouncer = throwaway.status(self.pgbouncer)
        pgbouncer = {**state["pgbouncer"], "running": bouncer["running"], "answers": bouncer["answers"]}
        return {**state, "primary": primary, "replicas": replicas, "pgbouncer": pgbouncer}


def start(options: argparse.Namespace) -> dict:
    if not 0 <= (options.replicas or 0) <= MAX_REPLICAS:
        raise Refused(f"--replicas must be between 0 and {MAX_REPLICAS}")
    if options.apply_delay is not None and options.apply_delay < 0:
        raise Refused("--apply-delay must be 0 or more seconds")
    pgbouncer = find_pgbouncer()
    find_bindir()  # refused before a temp dir is made
    created = options.dir is None
    path = Path(tempfile.mkdtemp(prefix="dukaan-postgres-")) if created else options.dir
    if path.exists() and not path.is_dir():
        raise Refused(f"{path} is a file, not a directory")
    path.mkdir(parents=True, exist_ok=True)
    pair = Pair(path)
    replicas = pair.refuse_to_start(options.replicas)
    was_running = pair.primary.pid() is not None
    try:
        return pair.start(
            replicas=replicas, apply_delay=options.apply_delay, created=created, pgbouncer=pgbouncer
        )
    except BaseException:
        if not was_running:
            pair.stop()  # whatever this start started; data already there is kept
        if created:
            shutil.rmtree(pair.path, ignore_errors=True)
        raise


def ours(path: Path) -> Pair:
    pair = Pair(path)
    if not pair.exists():
        raise Refused(f"{pair.path} holds no PostgreSQL started by `start`; check --dir")
    return pair


def apply_delay(options: argparse.Namespace) -> dict:
    if options.seconds < 0:
        raise Refused("--seconds must be 0 or more")
    pair = ours(options.dir)
    server = pair.replica(options.replica)
    if server.pid() is None:
        raise Refused(f"{server.name} is not running; start it first (start --dir {pair.path})")
    pair.set_apply_delay(server, options.seconds)
    state = pair.read_state()
    for entry in state["replicas"]:
        if entry["name"] == server.name:
            entry["apply_delay"] = pair.apply_delay(server)
    throwaway.write_json(pair.state_file, state)
    return state


def stop(options: argparse.Namespace) -> bool:
    pair = ours(options.dir)
    stopped = pair.stop()
    if options.delete or pair.read_state().get("created_dir"):
        shutil.rmtree(pair.path, ignore_errors=True)
    return stopped


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog=f"python -m deploy.local {PROG}", description=__doc__.split("\n\n")[0]
    )
    commands = parser.add_subparsers(dest="command", required=True)
    start_parser = commands.add_parser(
        "start", help="start (or start again) the primary, replicas and PgBouncer"
    )
    start_parser.add_argument("--dir", type=Path, help="data, configs, logs, state (default: a new temp dir)")
    start_parser.add_argument(
        "--replicas", type=int, help="how many streaming replicas (default 1, or those in DIR)"
    )
    start_parser.add_argument(
        "--apply-delay", type=float, help="recovery_min_apply_delay of the replicas, in seconds"
    )
    start_parser.add_argument(
        "--json", action="store_true", help="print every server's pid, port and url as JSON"
    )
    status_parser = commands.add_parser("status", help="is each server running and answering; replica lag")
    delay_parser = commands.add_parser("apply-delay", help="change a running replica's apply delay")
    delay_parser.add_argument("--seconds", type=float, required=True)
    delay_parser.add_argument("--replica", type=int, default=1, help="which replica, from 1 (default 1)")
    stop_parser = commands.add_parser("stop", help="stop the servers started in DIR")
    stop_parser.add_argument("--delete", action="store_true", help="also delete DIR and all its data")
    for sub in (status_parser, delay_parser, stop_parser):
        sub.add_argument("--dir", type=Path, required=True, help="the directory `start` used")
    options = parser.parse_args(argv)

    def run() -> int:
        if options.command == "start":
            state = start(options)
            say(f"to stop them: stop --dir {state['dir']}")
            print(json.dumps(state) if options.json else state["pgbouncer"]["url"], flush=True)
        elif options.command == "status":
            state = Pair(options.dir).status()
            print(json.dumps(state))
            servers = [state["primary"], *state["replicas"], state["pgbouncer"]]
            return 0 if all(server["answers"] for server in servers) else 1
        elif options.command == "apply-delay":
            apply_delay(options)
            say(f"replica{options.replica} now applies changes {options.seconds:g} s after they commit")
        else:
            say("stopped" if stop(options) else "was not running")
        return 0

    return throwaway.exit_code(run, say, "interrupted; stopped what this start had started")
