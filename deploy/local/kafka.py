"""Run real Apache Kafka (KRaft mode) and Kafka Connect with Debezium's outbox router on this machine.

    python -m deploy.local kafka fetch                       # download the jars once (Maven Central)
    python -m deploy.local kafka start [--data DIR] [--pg-url URL]
    python -m deploy.local kafka status [--data DIR] [--json]
    python -m deploy.local kafka stop [--data DIR]

`fetch` copies the Maven artifacts named in deploy/kafka/pom.xml into
${XDG_CACHE_HOME:-~/.cache}/dukaan/kafka-<version>/ (outside the repository), only when missing.
`start` runs one broker+controller JVM and one Connect worker JVM (standalone mode) in the background,
on free ports of 127.0.0.1, with their PIDs, configs, logs and data under the data directory
(default: var/kafka), creates the dukaan.* topics, registers the Debezium PostgreSQL connector that
reads the `outbox` table from the WAL (pgoutput, replication slot dukaan_outbox) and waits until its
task is RUNNING. The ports and addresses go to <data>/state.json, which `status` and tests read.
Standard library only, so any python3 can run it. See docs/kafka.md.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import re
import shutil
import socket
import struct
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from datetime import UTC, datetime
from pathlib import Path

from deploy.local import throwaway
from deploy.local.postgres import find_bindir
from deploy.local.throwaway import Refused, process_alive, read_json, write_json

PROG = "kafka"
REPO = throwaway.REPO
KAFKA_DIR = REPO / "deploy" / "kafka"
POM = KAFKA_DIR / "pom.xml"
DEFAULT_DATA = REPO / "var" / "kafka"

CONNECTOR_NAME = "dukaan-outbox"
DEFAULT_SLOT = "dukaan_outbox"
# Topics made at start: one per aggregate type the outbox writes (docs/events.md) and the dead-letter
# topic consumers send poison events to. Any other aggregate type gets its topic from Connect on first
# use, with the same partition count (debezium-outbox.json).
TOPICS = {"dukaan.catalog": 3, "dukaan.order": 3, "dukaan.store": 3, "dukaan.dlq": 3}
REPLICATION_FACTOR = 1

BROKER_HEAP = "384m"
CONNECT_HEAP = "384m"
BROKER_MAIN = "kafka.Kafka"
STORAGE_TOOL_MAIN = "kafka.tools.StorageTool"
CONNECT_MAIN = "org.apache.kafka.connect.cli.ConnectStandalone"
POSTGRES_CONNECTOR_CLASS = "io.debezium.connector.postgresql.PostgresConnector"


def say(message: str) -> None:
    print(f"{PROG}: {message}", file=sys.stderr, flush=True)


# --- Versions and the cache ------------------------------------------------------------------------


def versions() -> tuple[str, str]:
    """(Kafka version, Debezium version) as pinned in deploy/kafka/pom.xml."""
    text = POM.read_text()
    found = {}
    for name in ("kafka.version", "debezium.version"):
        match = re.search(rf"<{re.escape(name)}>([^<]+)</{re.escape(name)}>", text)
        if not match:
            raise Refused(f"{POM} has no <{name}> property")
        found[name] = match.group(1).strip()
    return found["kafka.version"], found["debezium.version"]


class Layout:
    """Where the fetched jars live: ${XDG_CACHE_HOME:-~/.cache}/dukaan/kafka-<version>/."""

    def __init__(self) -> None:
        self.kafka_version, self.debezium_version = versions()
        cache_home = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
        self.root = Path(cache_home) / "dukaan" / f"kafka-{self.kafka_version}"
        self.broker_lib = self.root / "broker" / "lib"
        self.connect_lib = self.root / "connect" / "lib"
        # plugin.path names a folder of plugins; each plugin is one sub-folder (its own class loader).
        self.plugin_path = self.root / "plugins" / f"debezium-{self.debezium_version}"
        self.debezium_lib = self.plugin_path / "debezium-connector-postgres"

    def parts(self) -> list[tuple[str, str, Path]]:
        """(what, Maven profile, folder) for each piece `fetch` makes."""
        return [
            (f"Kafka {self.kafka_version} broker", "broker", self.broker_lib),
            (f"Kafka Connect {self.kafka_version}", "connect", self.connect_lib),
            (f"Debezium {self.debezium_version} PostgreSQL connector", "debezium", self.debezium_lib),
        ]

    def missing(self) -> list[tuple[str, str, Path]]:
        return [part for part in self.parts() if not (part[2] / ".complete").is_file()]


def fetch(layout: Layout, maven_repo: str | None = None) -> float:
    """Copy the missing pieces from Maven Central; returns the seconds it took (0: nothing was missing)."""
    missing = layout.missing()
    if not missing:
        return 0.0
    mvn = shutil.which("mvn")
    if not mvn:
        raise Refused(
            "Maven (`mvn`) is needed once, to fetch Kafka's and Debezium's jars from Maven Central. "
            "Install it with `apt-get install -y maven openjdk-17-jdk-headless` (as root)."
        )
    began = time.monotonic()
    for what, profile, folder in missing:
        say(f"fetching {what} from Maven Central into {folder} (first time only) ...")
        part_began = time.monotonic()
        staging = folder.with_name(folder.name + ".partial")
        shutil.rmtree(staging, ignore_errors=True)
        shutil.rmtree(folder, ignore_errors=True)
        staging.parent.mkdir(parents=True, exist_ok=True)
        command = [
            mvn,
            "--batch-mode",
            "--quiet",
            "--no-transfer-progress",
            "-Dstyle.color=never",
            "-f",
            str(POM),
            "-P",
            profile,
            "dependency:copy-dependencies",
            f"-DoutputDirectory={staging}",
        ]
        if maven_repo:
            command.insert(1, f"-Dmaven.repo.local={maven_repo}")
        result = subprocess.run(
            command, cwd=KAFKA_DIR, stdin=subprocess.DEVNULL, capture_output=True, text=True
        )
        jars = sorted(path.name for path in staging.glob("*.jar")) if staging.is_dir() else []
        if result.returncode != 0 or not jars:
            output = "\n".join((result.stdout + result.stderr).strip().splitlines()[-25:])
            shutil.rmtree(staging, ignore_errors=True)
            raise Refused(
                f"`mvn -P {profile} dependency:copy-dependencies` failed (exit {result.returncode}):"
                f"\n{output}"
            )
        (staging / ".complete").write_text("\n".join(jars) + "\n")
        staging.rename(folder)
        size = sum(path.stat().st_size for path in folder.glob("*.jar")) / 1e6
        say(f"  {len(jars)} jars, {size:.0f} MB in {time.monotonic() - part_began:.1f} s")
    took = time.monotonic() - began
    say(f"fetched in {took:.1f} s; cached in {layout.root}")
    return took


def check_java() -> str:
    return throwaway.java_17(f"Kafka {versions()[0]}", "openjdk-17-jdk-headless maven")


# --- The data directory: configs, PIDs, logs, state.json ------------------------------------------


class DataDir:
    def __init__(self, path: Path) -> None:
        self.path = path.resolve()
        self.config = self.path / "config"
        self.logs = self.path / "logs"
        self.broker_data = self.path / "broker-data"
        self.connect = self.path / "connect"
        self.state_file = self.path / "state.json"
        self.offsets_file = self.connect / "offsets.dat"

    def make(self) -> None:
        for folder in (self.config, self.logs, self.broker_data, self.connect):
            folder.mkdir(parents=True, exist_ok=True)

    def pid_file(self, component: str) -> Path:
        return self.path / f"{component}.pid"

    def read_state(self) -> dict:
        return read_json(self.state_file)

    def write_state(self, state: dict) -> None:
        write_json(self.state_file, state)

    def read_pid(self, component: str) -> int | None:
        try:
            return int(self.pid_file(component).read_text().strip())
        except (OSError, ValueError):
            return None

    def marker(self) -> str:
        """A JVM option every process started for this data directory carries, to recognise it by PID."""
        return f"-Ddukaan.kafka.data={self.path}"

    def running_pid(self, component: str) -> int | None:
        """The PID in <component>.pid if that process is alive and is the one started for this directory."""
        pid = self.read_pid(component)
        if pid is None or not process_alive(pid):
            return None
        cmdline = Path(f"/proc/{pid}/cmdline")
        if cmdline.exists():
            try:
                arguments = cmdline.read_bytes().split(b"\0")
            except OSError:
                return None
            if self.marker().encode() not in arguments:
                return None  # the PID was reused by some other process
        return pid


def render(template: Path, values: dict[str, object]) -> str:
    text = template.read_text()

    def fill(match: re.Match) -> str:
        name = match.group(1)
        if name not in values:
            raise Refused(f"{template} uses {{{{{name}}}}}, which kafka.py does not fill")
        return str(values[name])

    return re.sub(r"\{\{\s*(\w+)\s*\}\}", fill, text)


def free_port(taken: set[int]) -> int:
    while (port := throwaway.free_port()) in taken:
        pass
    return port


def choose_ports(previous: dict, names: list[str], keep: dict[str, int]) -> dict[str, int]:
    """Ports for `names`: the last start's when still free (stable addresses), else new free ones."""
    chosen = dict(keep)
    for name in names:
        port = previous.get(name)
        if isinstance(port, int) and port not in chosen.values() and throwaway.port_free(port):
            chosen[name] = port
        else:
            chosen[name] = free_port(set(chosen.values()))
    return chosen


def slot_wal_status(pg_url: str, slot: str) -> str | None:
    """The replication slot's wal_status (reserved, extended, unreserved, lost), None if there is none."""
    result = subprocess.run(
        [str(find_bindir() / "psql"), "-XAtq", "-v", "ON_ERROR_STOP=1", "-v", f"slot={slot}", "-d", pg_url],
        input="SELECT wal_status FROM pg_replication_slots WHERE slot_name = :'slot';",
        capture_output=True,
        text=True,
        timeout=30,
    )
    if result.returncode != 0:
        raise Refused(f"could not read the replication slots of {redacted(pg_url)}: {result.stderr.strip()}")
    return result.stdout.strip() or None


def tail(path: Path, lines: int = 25) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log was written)"


def log_problems(path: Path, lines: int = 15) -> str:
    """The last warnings and errors of a JVM's log (else its tail), with a hint when one is known."""
    try:
        text = path.read_text(errors="replace").splitlines()
    except OSError:
        return "(no log was written)"
    problems = [line for line in text if re.search(r"\] (WARN|ERROR|FATAL) |^Caused by:", line)]
    shown = "\n".join((problems or text)[-lines:])
    if any("Cannot obtain valid replication slot" in line for line in problems[-lines:]):
        shown += (
            "\n\nThe replication slot is unusable: most likely PostgreSQL invalidated it "
            "(wal_status = 'lost') "
            "after it held more WAL than max_slot_wal_keep_size while Connect was down. Drop it "
            "(SELECT pg_drop_replication_slot('<slot>')), start again, and rebuild the projections "
            "(see docs/kafka.md, 'When Connect is down')."
        )
    return shown


# --- The Kafka wire protocol, just enough for a health check and topic creation ---------------------

API_CREATE_TOPICS = 19
API_VERSIONS = 18
API_METADATA = 3
# Codes worth waiting out while the broker registers itself with its controller.
RETRIABLE_ERRORS = {
    5: "LEADER_NOT_AVAILABLE",
    7: "REQUEST_TIMED_OUT",
    15: "COORDINATOR_NOT_AVAILABLE",
    38: "INVALID_REPLICATION_FACTOR",
    41: "NOT_CONTROLLER",
}
TOPIC_ALREADY_EXISTS = 36


class Reader:
    def __init__(self, data: bytes) -> None:
        self.data, self.at = data, 0

    def take(self, fmt: str):
        values = struct.unpack_from(fmt, self.data, self.at)
        self.at += struct.calcsize(fmt)
        return values[0] if len(values) == 1 else values

    def string(self) -> str | None:
        length = self.take(">h")
        if length < 0:
            return None
        value = self.data[self.at : self.at + length].decode()
        self.at += length
        return value

    def array(self, item):
        return [item(self) for _ in range(max(self.take(">i"), 0))]


def kstring(value: str) -> bytes:
    raw = value.encode()
    return struct.pack(">h", len(raw)) + raw


def kafka_request(port: int, api_key: int, api_version: int, body: bytes, timeout: float = 5.0) -> Reader:
    """One request on a new connection (header v1, non-flexible versions); a reader past the header."""
    correlation = int(time.monotonic_ns() % 2**31)
    message = struct.pack(">hhi", api_key, api_version, correlation) + kstring("dukaan-kafka.py") + body
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(struct.pack(">i", len(message)) + message)
        size = struct.unpack(">i", receive(sock, 4))[0]
        response = Reader(receive(sock, size))
    if response.take(">i") != correlation:
        raise OSError("the broker answered another request")
    return response


def receive(sock: socket.socket, size: int) -> bytes:
    chunks, left = [], size
    while left:
        chunk = sock.recv(min(left, 65536))
        if not chunk:
            raise OSError("the broker closed the connection")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def broker_api_versions(port: int, timeout: float = 3.0) -> dict[int, tuple[int, int]]:
    response = kafka_request(port, API_VERSIONS, 0, b"", timeout)
    error = response.take(">h")
    if error:
        raise OSError(f"ApiVersions error {error}")
    return {key: (low, high) for key, low, high in response.array(lambda r: r.take(">hhh"))}


def broker_topics(port: int) -> dict[str, int]:
    """Topic name -> partition count, from a Metadata v4 request (all topics)."""
    body = struct.pack(">i?", -1, False)
    response = kafka_request(port, API_METADATA, 4, body)
    response.take(">i")  # throttle_time_ms
    response.array(lambda r: (r.take(">i"), r.string(), r.take(">i"), r.string()))  # brokers
    response.string()  # cluster id
    response.take(">i")  # controller id

    def partition(r: Reader):
        r.take(">hii")  # error, index, leader
        r.array(lambda q: q.take(">i"))  # replicas
        r.array(lambda q: q.take(">i"))  # in-sync replicas
        return 1

    def topic(r: Reader):
        _error, name, _internal = r.take(">h"), r.string(), r.take(">?")
        return name, len(r.array(partition))

    return dict(response.array(topic))


def create_topics(port: int, topics: dict[str, int], deadline: float) -> list[str]:
    """Create the topics that do not exist yet (CreateTopics v2); returns the names it created."""
    created: list[str] = []
    pending = dict(topics)
    last_problem = ""
    while pending:
        body = struct.pack(">i", len(pending))
        for name, partitions in pending.items():
            body += kstring(name) + struct.pack(">ihii", partitions, REPLICATION_FACTOR, 0, 0)
        body += struct.pack(">i?", 15000, False)
        try:
            response = kafka_request(port, API_CREATE_TOPICS, 2, body, timeout=20)
            response.take(">i")  # throttle_time_ms
            results = response.array(lambda r: (r.string(), r.take(">h"), r.string()))
        except OSError as error:
            results, last_problem = [], str(error)
        for name, error, message in results:
            if error == 0:
                created.append(name)
                pending.pop(name, None)
            elif error == TOPIC_ALREADY_EXISTS:
                pending.pop(name, None)
            elif error in RETRIABLE_ERRORS:
                last_problem = f"{name}: {RETRIABLE_ERRORS[error]} {message or ''}".strip()
            else:
                raise Refused(f"creating topic {name} failed: error {error} {message or ''}".strip())
        if pending:
            if time.monotonic() > deadline:
                raise Refused(f"the broker did not create {', '.join(pending)} in time ({last_problem})")
            time.sleep(0.3)
    return created


# --- Kafka Connect's REST API ------------------------------------------------------------------------


def http(method: str, url: str, body: object | None = None, timeout: float = 10.0) -> tuple[int, object]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("Accept", "application/json")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, raw = error.code, error.read()
    try:
        return status, json.loads(raw) if raw else None
    except ValueError:
        return status, raw.decode(errors="replace")


# --- PostgreSQL connection URL -> connector settings -------------------------------------------------


def parse_pg_url(url: str) -> dict[str, str]:
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql", "pgsql"):
        raise Refused(f"--pg-url must be a postgres:// URL (Debezium reads PostgreSQL's WAL), not {url!r}")
    if not parts.hostname:
        raise Refused("--pg-url needs a host: Debezium connects over TCP (use 127.0.0.1, not a socket path)")
    query = urllib.parse.parse_qs(parts.query)
    return {
        "db_host": parts.hostname,
        "db_port": str(parts.port or 5432),
        "db_user": urllib.parse.unquote(parts.username or "postgres"),
        "db_password": urllib.parse.unquote(parts.password or ""),
        "db_name": urllib.parse.unquote(parts.path.lstrip("/")) or "postgres",
        "db_sslmode": query.get("sslmode", ["prefer"])[0],
    }


def redacted(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urllib.parse.urlunsplit(parts._replace(netloc=netloc))


# --- Starting the JVMs ------------------------------------------------------------------------------


def java_command(
    java: str, data: DataDir, component: str, lib: Path, heap: str, main: str, *args: str
) -> list[str]:
    return [
        java,
        "-Xms64m",
        f"-Xmx{heap}",
        "-XX:+UseG1GC",
        "-XX:MaxGCPauseMillis=20",
        "-XX:+ExitOnOutOfMemoryError",
        "-Djava.awt.headless=true",
        f"-Dlog4j2.configurationFile={KAFKA_DIR / 'log4j2.properties'}",
        f"-Dkafka.logs.dir={data.logs}",
        f"-Ddukaan.component={component}",
        data.marker(),
        "-cp",
        f"{lib}/*",
        main,
        *args,
    ]


def spawn(data: DataDir, component: str, command: list[str]) -> subprocess.Popen:
    """Start a JVM in its own session (a Ctrl-C here does not reach it), output to logs/<component>.out."""
    with open(data.logs / f"{component}.out", "ab") as out:
        process = subprocess.Popen(
            command,
            cwd=data.path,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    data.pid_file(component).write_text(f"{process.pid}\n")
    return process


def format_storage(java: str, layout: Layout, data: DataDir) -> None:
    if (data.broker_data / "meta.properties").exists():
        return
    cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
    command = java_command(
        java,
        data,
        "storage-tool",
        layout.broker_lib,
        "256m",
        STORAGE_TOOL_MAIN,
        "format",
        # One argument: an id may start with "-" (base64url), which argparse would take for an option.
        f"--cluster-id={cluster_id}",
        "--config",
        str(data.config / "server.properties"),
        "--ignore-formatted",
    )
    result = subprocess.run(command, cwd=data.path, stdin=subprocess.DEVNULL, capture_output=True, text=True)
    if result.returncode != 0:
        raise Refused(f"formatting the KRaft storage failed:\n{(result.stdout + result.stderr).strip()}")
    say(f"formatted KRaft storage in {data.broker_data} (cluster id {cluster_id})")


def wait_for(what: str, check, deadline: float, process: subprocess.Popen | None, log: Path):
    """Call check() until it returns something truthy; fail early when the process died."""
    last_error = ""
    while True:
        if process is not None and process.poll() is not None:
            out = log.with_suffix(".out")
            raise Refused(
                f"{what} exited with code {process.returncode} while starting. "
                f"{log} says:\n{log_problems(log)}"
                f"\n{out} says:\n{tail(out, 10)}"
            )
        try:
            result = check()
            if result:
                return result
        except (OSError, ValueError, struct.error) as error:
            last_error = str(error)
        if time.monotonic() > deadline:
            raise Refused(
                f"{what} was not ready in time ({last_error or 'not yet'}). {log} says:\n{log_problems(log)}"
            )
        time.sleep(0.25)


def connector_config(pg_url: str, slot: str) -> dict:
    values = {**parse_pg_url(pg_url), "slot_name": slot, "publication_name": slot}
    # Render first, then parse: the template is JSON with {{...}} fields inside its strings.
    escaped = {key: json.dumps(value)[1:-1] for key, value in values.items()}
    return json.loads(render(KAFKA_DIR / "debezium-outbox.json", escaped))


def register_connector(connect_url: str, pg_url: str, slot: str, deadline: float) -> None:
    """PUT the connector's config; a worker already running it with the same config is left alone."""
    config = connector_config(pg_url, slot)
    status, current = http("GET", f"{connect_url}/connectors/{CONNECTOR_NAME}/config", timeout=10)
    if status == 200 and isinstance(current, dict):
        current = {key: value for key, value in current.items() if key != "name"}
        if current == config:
            return
    while True:
        status, answer = http("PUT", f"{connect_url}/connectors/{CONNECTOR_NAME}/config", config, timeout=30)
        if status in (200, 201):
            return
        if status not in (409, 503) or time.monotonic() > deadline:
            raise Refused(f"Connect refused the connector config (HTTP {status}): {answer}")
        time.sleep(0.5)


def connector_status(connect_url: str) -> dict | None:
    status, answer = http("GET", f"{connect_url}/connectors/{CONNECTOR_NAME}/status", timeout=5)
    return answer if status == 200 and isinstance(answer, dict) else None


def first_lines(trace: str | None, lines: int = 12) -> str:
    return "\n".join((trace or "").strip().splitlines()[:lines])


def wait_connector_running(
    connect_url: str, deadline: float, connect: subprocess.Popen | None, log: Path
) -> None:
    def check():
        answer = connector_status(connect_url)
        if not answer:
            return False
        connector = answer.get("connector", {})
        tasks = answer.get("tasks", [])
        for item in [connector, *tasks]:
            if item.get("state") == "FAILED":
                trace = item.get("trace") or ""
                hint = ""
                if "no longer available on the server" in trace:
                    hint = (
                        "\n\nConnect's offsets point at WAL the replication slot no longer has (the slot was "
                        "dropped and made again). Start with --reset-offsets; the events committed in "
                        "between are not published, so rebuild the projections (docs/kafka.md)."
                    )
                raise Refused(f"the Debezium connector failed:\n{first_lines(trace)}{hint}")
        return (
            connector.get("state") == "RUNNING"
            and bool(tasks)
            and all(t.get("state") == "RUNNING" for t in tasks)
        )

    wait_for(f"connector {CONNECTOR_NAME}", check, deadline, connect, log)


def start(args) -> int:
    layout = Layout()
    java = check_java()
    fetch(layout)
    data = DataDir(args.data)
    data.make()
    previous = data.read_state()
    began = time.monotonic()
    deadline = began + args.timeout
    started: list[str] = []
    pg_url = args.pg_url if args.pg_url is not None else os.environ.get("DATABASE_URL", "")
    if pg_url and not pg_url.startswith(("postgres://", "postgresql://", "pgsql://")):
        say(f"not registering the Debezium connector: {redacted(pg_url)} is not PostgreSQL")
        pg_url = ""

    try:
        broker_pid = data.running_pid("broker")
        connect_pid = data.running_pid("connect")
        # Connect's offsets hold a WAL position (LSN) of one server and slot: they mean nothing for
        # another one, and a slot made anew no longer has the WAL they point at.
        before = previous.get("connector") or {}
        source_changed = bool(pg_url and before) and (
            before.get("database"),
            before.get("slot"),
        ) != (redacted(pg_url), args.slot)
        # After a crash Connect's offsets (flushed every few seconds) can be older than the slot's
        # confirmed position (Debezium, and the driver on keepalives, confirm only what was published),
        # and Debezium then refuses to start. The slot knows where to resume: an existing slot makes
        # the offsets redundant, so a Connect that is not running starts from the slot.
        slot_kept = (
            bool(pg_url) and not connect_pid and slot_wal_status(pg_url, args.slot) not in {None, "lost"}
        )
        if args.reset_offsets or source_changed or slot_kept:
            if connect_pid:
                stop_component(data, "connect", args.stop_timeout)
                connect_pid = None
            if data.offsets_file.exists():
                data.offsets_file.unlink()
                why = (
                    "as asked"
                    if args.reset_offsets
                    else f"they were {before.get('database')}'s"
                    if source_changed
                    else f"slot {args.slot} holds the position"
                )
                say(f"forgot Connect's offsets ({why}): Debezium starts from the slot's current position")
        ports: dict[str, int] = {}
        if broker_pid:
            ports = {name: previous[name] for name in ("broker_port", "controller_port")}
            say(f"broker already running (pid {broker_pid}) on 127.0.0.1:{ports['broker_port']}")
        else:
            ports = choose_ports(previous, ["broker_port", "controller_port"], {})
        if connect_pid and broker_pid:
            ports["connect_port"] = previous["connect_port"]
            say(f"connect already running (pid {connect_pid}) on 127.0.0.1:{ports['connect_port']}")
        else:
            if connect_pid:  # a worker pointed at a broker that is gone: start it afresh
                stop_component(data, "connect", args.stop_timeout)
                connect_pid = None
            ports = choose_ports(previous, ["connect_port"], ports)

        values = {**ports, "data_dir": data.path, "plugin_path": layout.plugin_path}
        state = {
            "kafka_version": layout.kafka_version,
            "debezium_version": layout.debezium_version,
            "data_dir": str(data.path),
            "cache_dir": str(layout.root),
            **ports,
            "bootstrap_servers": f"127.0.0.1:{ports['broker_port']}",
            "connect_url": f"http://127.0.0.1:{ports['connect_port']}",
            "topics": TOPICS,
            "connector": previous.get("connector"),
            "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        }

        broker = None
        if not broker_pid:
            (data.config / "server.properties").write_text(render(KAFKA_DIR / "server.properties", values))
            format_storage(java, layout, data)
            broker = spawn(
                data,
                "broker",
                java_command(
                    java,
                    data,
                    "broker",
                    layout.broker_lib,
                    BROKER_HEAP,
                    BROKER_MAIN,
                    str(data.config / "server.properties"),
                ),
            )
            started.append("broker")
            say(
                f"broker starting (pid {broker.pid}) on 127.0.0.1:{ports['broker_port']}, "
                f"controller on 127.0.0.1:{ports['controller_port']}"
            )
        data.write_state(state)
        wait_for(
            "the broker",
            lambda: broker_api_versions(ports["broker_port"]),
            deadline,
            broker,
            data.logs / "broker.log",
        )
        created = create_topics(ports["broker_port"], TOPICS, deadline)
        say(
            f"broker up after {time.monotonic() - began:.1f} s"
            + (f"; created {', '.join(created)}" if created else "; topics already there")
        )

        connect = None
        if not connect_pid:
            (data.config / "connect-standalone.properties").write_text(
                render(KAFKA_DIR / "connect-standalone.properties", values)
            )
            connect = spawn(
                data,
                "connect",
                java_command(
                    java,
                    data,
                    "connect",
                    layout.connect_lib,
                    CONNECT_HEAP,
                    CONNECT_MAIN,
                    str(data.config / "connect-standalone.properties"),
                ),
            )
            started.append("connect")
            say(f"connect starting (pid {connect.pid}), REST API on {state['connect_url']}")

        def plugins_loaded():
            status, answer = http("GET", f"{state['connect_url']}/connector-plugins", timeout=3)
            if status != 200 or not isinstance(answer, list):
                return False
            if not any(plugin.get("class") == POSTGRES_CONNECTOR_CLASS for plugin in answer):
                raise Refused(
                    f"Connect does not see the Debezium connector; is {layout.debezium_lib} complete?"
                )
            return True

        wait_for("Kafka Connect", plugins_loaded, deadline, connect, data.logs / "connect.log")
        say(f"connect up after {time.monotonic() - began:.1f} s")

        if pg_url:
            register_connector(state["connect_url"], pg_url, args.slot, deadline)
            state["connector"] = {
                "name": CONNECTOR_NAME,
                "database": redacted(pg_url),
                "slot": args.slot,
                "publication": args.slot,
            }
            data.write_state(state)
            wait_connector_running(state["connect_url"], deadline, connect, data.logs / "connect.log")
            say(
                f"connector {CONNECTOR_NAME} RUNNING after {time.monotonic() - began:.1f} s "
                f"(slot {args.slot} on {redacted(pg_url)})"
            )
        else:
            say(
                "no PostgreSQL URL (--pg-url or DATABASE_URL): "
                "Kafka and Connect run without the Debezium connector"
            )
        data.write_state(state)
    except BaseException:
        for component in reversed(started):
            stop_component(data, component, args.stop_timeout, quiet=True)
        if started:
            say(f"start failed: stopped the {' and '.join(started)} it had started; logs are in {data.logs}")
        raise

    if args.stop_with_pid:
        stop_component(data, "watchdog", 5, quiet=True)  # one watchdog per data directory
        spawn_watchdog(data, args.stop_with_pid, args.stop_timeout)
    say(
        f"ready in {time.monotonic() - began:.1f} s: bootstrap servers {state['bootstrap_servers']}, "
        f"Connect {state['connect_url']}; state in {data.state_file}"
    )
    return 0


# --- Stopping -----------------------------------------------------------------------------------------


def stop_component(data: DataDir, component: str, timeout: float, quiet: bool = False) -> bool:
    """TERM the component's JVM, KILL it after `timeout` seconds; True if one was running."""
    pid = data.running_pid(component)
    if pid is None:
        data.pid_file(component).unlink(missing_ok=True)
        return False
    if not quiet:
        say(f"stopping {component} (pid {pid})")
    if throwaway.stop_pid(pid, timeout):
        say(f"{component} (pid {pid}) did not stop within {timeout:.0f} s: killed it")
    data.pid_file(component).unlink(missing_ok=True)
    return True


def stop(args) -> int:
    data = DataDir(args.data)
    if not data.path.is_dir():
        say(f"nothing to stop: {data.path} does not exist")
        return 0
    watchdog = data.running_pid("watchdog")
    if watchdog and watchdog != os.getpid():
        stop_component(data, "watchdog", 5, quiet=True)
    # Connect first: it writes its last offsets to the file, Debezium confirms that LSN to PostgreSQL and
    # closes the replication connection; then the broker, which Connect would otherwise keep retrying.
    any_running = False
    for component in ("connect", "broker"):
        any_running |= stop_component(data, component, args.stop_timeout)
    state = data.read_state()
    if state:
        state["stopped_at"] = datetime.now(UTC).isoformat(timespec="seconds")
        data.write_state(state)
    say("stopped" if any_running else "nothing was running")
    return 0


def spawn_watchdog(data: DataDir, parent_pid: int, stop_timeout: float) -> None:
    """A small detached process that runs `stop` when parent_pid ends (a test run that was killed)."""
    command = throwaway.command(
        "kafka", "watch", "--data", str(data.path), "--pid", str(parent_pid),
        "--stop-timeout", str(stop_timeout), "--", data.marker(),
    )  # fmt: skip
    with open(data.logs / "watchdog.out", "ab") as out:
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            cwd=throwaway.REPO,
        )
    data.pid_file("watchdog").write_text(f"{process.pid}\n")


def watch(args) -> int:
    data = DataDir(args.data)
    while process_alive(args.pid):
        if not (data.running_pid("broker") or data.running_pid("connect")):
            return 0  # stopped by someone else
        time.sleep(1)
    say(f"process {args.pid} ended: stopping Kafka")
    for component in ("connect", "broker"):
        stop_component(data, component, args.stop_timeout)
    data.pid_file("watchdog").unlink(missing_ok=True)
    return 0


# --- Status -------------------------------------------------------------------------------------------


def gather_status(data: DataDir) -> dict:
    state = data.read_state()
    report = {"data_dir": str(data.path), "state": state, "healthy": False}
    broker_pid, connect_pid = data.running_pid("broker"), data.running_pid("connect")
    broker = {"pid": broker_pid, "port": state.get("broker_port"), "health": "down"}
    if broker_pid and state.get("broker_port"):
        try:
            broker_api_versions(state["broker_port"])
            topics = broker_topics(state["broker_port"])
            broker["topics"] = {
                name: count for name, count in sorted(topics.items()) if not name.startswith("__")
            }
            broker["health"] = "up"
        except (OSError, struct.error) as error:
            broker["health"] = f"not answering ({error})"
    connect = {"pid": connect_pid, "port": state.get("connect_port"), "health": "down"}
    connector = {"name": CONNECTOR_NAME, "state": "not registered"}
    if connect_pid and state.get("connect_url"):
        try:
            status, answer = http("GET", state["connect_url"] + "/", timeout=3)
            if status == 200 and isinstance(answer, dict):
                connect["health"] = f"up (Kafka Connect {answer.get('version')})"
                found = connector_status(state["connect_url"])
                if found:
                    tasks = found.get("tasks", [])
                    connector["state"] = found.get("connector", {}).get("state", "?")
                    connector["tasks"] = [task.get("state") for task in tasks]
                    traces = [first_lines(t.get("trace"), 3) for t in tasks if t.get("state") == "FAILED"]
                    if traces:
                        connector["error"] = traces[0]
            else:
                connect["health"] = f"HTTP {status}"
        except OSError as error:
            connect["health"] = f"not answering ({error})"
    if state.get("connector"):
        connector.update({key: state["connector"][key] for key in ("slot", "database")})
    report.update(broker=broker, connect=connect, connector=connector)
    connector_ok = connector["state"] == "RUNNING" and all(t == "RUNNING" for t in connector.get("tasks", []))
    report["healthy"] = (
        broker["health"] == "up"
        and connect["health"].startswith("up")
        and (connector_ok or not state.get("connector"))
    )
    return report


def status(args) -> int:
    data = DataDir(args.data)
    report = gather_status(data)
    if args.json:
        print(json.dumps(report, indent=2, sort_keys=True))
        return 0 if report["healthy"] else 1
    state, broker, connect, connector = (
        report["state"],
        report["broker"],
        report["connect"],
        report["connector"],
    )
    if not state:
        print(f"no Kafka started from {data.path} (no state.json); run `python -m deploy.local kafka start`")
        return 3

    def pid(value):
        return f"pid {value}" if value else "not running"

    print(
        f"data        {data.path}  "
        f"(Kafka {state.get('kafka_version')}, Debezium {state.get('debezium_version')})"
    )
    print(
        f"broker      {pid(broker['pid']):<12} 127.0.0.1:{broker['port']:<6} {broker['health']}"
        f"  controller 127.0.0.1:{state.get('controller_port')}"
    )
    if broker.get("topics") is not None:
        topics = ", ".join(f"{name} ({count} partitions)" for name, count in broker["topics"].items())
        print(f"topics      {topics or '(none)'}")
    print(f"connect     {pid(connect['pid']):<12} 127.0.0.1:{connect['port']:<6} {connect['health']}")
    tasks = ", ".join(connector.get("tasks", [])) or "-"
    where = f"  slot {connector.get('slot')} on {connector.get('database')}" if connector.get("slot") else ""
    print(f"connector   {connector['name']}: {connector['state']} (tasks: {tasks}){where}")
    if connector.get("error"):
        print(f"            {connector['error']}")
    print(f"logs        {data.logs}")
    return 0 if report["healthy"] else 1


# --- Command line ---------------------------------------------------------------------------------------


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m deploy.local kafka", description=__doc__.split("\n\n")[0]
    )
    commands = parser.add_subparsers(dest="command", required=True)

    def with_data(sub):
        sub.add_argument(
            "--data",
            type=Path,
            default=DEFAULT_DATA,
            help=f"data directory: configs, PIDs, logs, state.json (default: {DEFAULT_DATA})",
        )
        sub.add_argument(
            "--stop-timeout",
            type=float,
            default=30.0,
            help="seconds to wait after SIGTERM before SIGKILL (default: 30)",
        )
        return sub

    fetch_parser = commands.add_parser("fetch", help="download the jars into the cache, only when missing")
    fetch_parser.add_argument("--maven-repo", help="a Maven local repository other than ~/.m2/repository")
    start_parser = with_data(
        commands.add_parser("start", help="start the broker and Connect, register Debezium")
    )
    start_parser.add_argument("--pg-url", help="PostgreSQL to read the outbox from (default: $DATABASE_URL)")
    start_parser.add_argument(
        "--slot",
        default=DEFAULT_SLOT,
        help=f"replication slot and publication name (default: {DEFAULT_SLOT})",
    )
    start_parser.add_argument(
        "--timeout", type=float, default=180.0, help="seconds to wait for everything to be up (default: 180)"
    )
    start_parser.add_argument(
        "--reset-offsets",
        action="store_true",
        help="forget Connect's offsets: Debezium starts at the slot's position (after a slot was dropped)",
    )
    start_parser.add_argument(
        "--stop-with-pid", type=int, help="stop Kafka by itself when this process ends (used by the tests)"
    )
    with_data(commands.add_parser("stop", help="stop Connect, then the broker (SIGTERM, then SIGKILL)"))
    status_parser = with_data(commands.add_parser("status", help="each component, its PID, port and health"))
    status_parser.add_argument("--json", action="store_true", help="print the report as JSON")
    watch_parser = with_data(commands.add_parser("watch", help=argparse.SUPPRESS))
    watch_parser.add_argument("--pid", type=int, required=True)
    watch_parser.add_argument("marker", nargs="?", help=argparse.SUPPRESS)

    args = parser.parse_args(argv)

    def run() -> int:
        if args.command == "fetch":
            layout = Layout()
            if not layout.missing():
                say(f"already fetched: {layout.root}")
            else:
                fetch(layout, args.maven_repo)
            return 0
        return {"start": start, "stop": stop, "status": status, "watch": watch}[args.command](args)

    return throwaway.exit_code(run, say)
