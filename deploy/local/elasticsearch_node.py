"""Run a throwaway Elasticsearch node on 127.0.0.1 for tests and local runs.

    .venv/bin/python -m deploy.local elasticsearch start [--dir DIR] [--json]   # prints the URL
    .venv/bin/python -m deploy.local elasticsearch status --dir DIR
    .venv/bin/python -m deploy.local elasticsearch stop --dir DIR

`start` first makes sure Elasticsearch's integ-test-zip distribution (the server with only its core
modules, no bundled JDK) is unpacked: it downloads the zip from Maven Central once into
${XDG_CACHE_HOME:-~/.cache}/dukaan/elasticsearch/, checks it against the SHA-512 published beside it
and unpacks it next to it (as root: into /var/cache/dukaan/elasticsearch/, see below). Then it writes
deploy/elasticsearch/'s configuration into DIR/config (a new temporary directory unless given) and
runs the node with the machine's Java 17+ on a free HTTP port of 127.0.0.1, single-node, security
off, a 256 MB heap (HEAP), data and logs in DIR. DIR also holds elasticsearch.pid, elasticsearch.log and
state.json. It waits until the cluster is yellow or green, then prints `http://127.0.0.1:<port>`, so
`SEARCH_URL=$(.venv/bin/python -m deploy.local elasticsearch start)` works.
`stop` ends exactly the process in DIR's PID file (SIGTERM, then SIGKILL) after checking it is still
that node, and deletes DIR if `start` created it.

Elasticsearch refuses to run as root. As root, the node runs as the system user `dukaan-es` (made
with useradd when missing), DIR is handed to it, and the distribution is unpacked outside root's
private home, where that user can read it.
"""

from __future__ import annotations

import json
import os
import pwd
import shutil
import subprocess
import time
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

from rich.console import Console

from deploy.local import throwaway
from deploy.local.downloads import cached_download
from deploy.local.throwaway import Refused

VERSION = "8.19.21"
DOWNLOAD_URL = (
    "https://repo1.maven.org/maven2/org/elasticsearch/distribution/integ-test-zip/elasticsearch/"
    f"{VERSION}/elasticsearch-{VERSION}.zip"
)
CONFIG_TEMPLATES = Path(__file__).resolve().parents[1] / "elasticsearch"
HEAP = "256m"
NODE_USER = "dukaan-es"
READY_TIMEOUT_S = 90.0
CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "dukaan" / "elasticsearch"
# Root's home is private, so as root the node's user could not read a distribution unpacked there.
SHARED_CACHE = Path("/var/cache/dukaan/elasticsearch")

console = Console(stderr=True)


def running_as_root() -> bool:
    return os.geteuid() == 0


# --- The distribution: downloaded, checked and unpacked once ---------------------------------------


def distribution() -> Path:
    """The unpacked distribution (ES_HOME), fetched first if it is not there yet."""
    home = (SHARED_CACHE if running_as_root() else CACHE) / f"elasticsearch-{VERSION}"
    if (home / ".complete").is_file():
        return home
    archive = cached_download(
        DOWNLOAD_URL, CACHE / f"elasticsearch-{VERSION}.zip", f"Elasticsearch {VERSION}"
    )
    unpack(archive, home)
    return home


def unpack(archive: Path, home: Path) -> None:
    """Unzip into a staging folder renamed into place at the end, so a half-unpacked tree is never used."""
    console.print(f"unpacking {archive.name} into {home.parent}")
    staging = home.with_name(home.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    top = f"elasticsearch-{VERSION}/"
    with zipfile.ZipFile(archive) as zipped:
        for member in zipped.infolist():
            if not member.filename.startswith(top) or ".." in Path(member.filename).parts:
                raise Refused(f"{archive} holds an unexpected entry {member.filename!r}; delete it and retry")
            target = staging / member.filename.removeprefix(top)
            if member.is_dir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            with zipped.open(member) as source, target.open("wb") as out:
                shutil.copyfileobj(source, out)
            # zipfile drops the file modes; the launch scripts must stay executable.
            target.chmod((member.external_attr >> 16) & 0o777 or 0o644)
    (staging / ".complete").write_text(f"{VERSION}\n")
    shutil.rmtree(home, ignore_errors=True)
    staging.rename(home)


# --- Java and the node's user -----------------------------------------------------------------------


def java_home() -> Path:
    """The home of the `java` on PATH, which must be Java 17 or newer (the zip has no JDK of its own)."""
    java = throwaway.java_17(f"Elasticsearch {VERSION}", "openjdk-17-jre-headless")
    return Path(java).resolve().parents[1]


def node_user() -> pwd.struct_passwd:
    """As root: the unprivileged user the node runs as, made once."""
    try:
        return pwd.getpwnam(NODE_USER)
    except KeyError:
        pass
    command = [
        "useradd", "--system", "--user-group", "--no-create-home",
        "--home-dir", "/nonexistent", "--shell", "/usr/sbin/nologin", NODE_USER,
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise Refused(
            f"Elasticsearch does not run as root, and making the user {NODE_USER!r} for it failed: "
            f"{result.stderr.strip()}"
        )
    return pwd.getpwnam(NODE_USER)


def hand_over(path: Path, user: pwd.struct_passwd) -> None:
    """Give DIR to the node's user, and check that user can reach it (every parent searchable)."""
    for parent in path.parents:
        if not parent.stat().st_mode & 0o001:
            raise Refused(
                f"the node runs as {user.pw_name}, which cannot enter {parent}; "
                "choose a --dir under /tmp or leave it out"
            )
    for folder, _subfolders, files in os.walk(path):
        os.chown(folder, user.pw_uid, user.pw_gid)
        for name in files:
            os.chown(Path(folder) / name, user.pw_uid, user.pw_gid)


# --- The node ---------------------------------------------------------------------------------------


def answers(port: int, timeout: float = 0.5) -> bool:
    """Is the node up with its cluster state recovered (health yellow or green)?"""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/_cluster/health", timeout=timeout) as response:
            return json.loads(response.read()).get("status") in ("yellow", "green")
    except (OSError, ValueError, urllib.error.URLError):
        return False


class ElasticsearchDir(throwaway.ServerDir):
    name = "elasticsearch"
    label = "an Elasticsearch"

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.config = self.path / "config"
        self.data = self.path / "data"
        self.logs = self.path / "logs"
        self.tmp = self.path / "tmp"

    def is_ours(self, command: str) -> bool:
        # The launcher JVM (the PID we hold) carries -Des.path.conf=<its config dir>.
        return "java" in command and f"-Des.path.conf={self.config}" in command

    def answers(self, port: int) -> bool:
        return answers(port)

    def write_config(self, port: int) -> None:
        values = {"HTTP_PORT": port, "DATA_DIR": self.data, "LOGS_DIR": self.logs, "HEAP": HEAP}
        for folder in (self.config, self.data, self.logs, self.tmp):
            folder.mkdir(parents=True, exist_ok=True)
        for template in ("elasticsearch.yml", "jvm.options", "log4j2.properties"):
            text = (CONFIG_TEMPLATES / template).read_text()
            for name, value in values.items():
                text = text.replace(f"@{name}@", str(value))
            (self.config / template).write_text(text)


def start(path: Path | None) -> dict:
    java = java_home()
    home = distribution()
    user = node_user() if running_as_root() else None
    folder, created = ElasticsearchDir.claim(path)

    def arguments(port: int) -> list[str]:
        folder.write_config(port)
        run_as = []
        if user:
            hand_over(folder.path, user)
            run_as = ["setpriv", f"--reuid={user.pw_uid}", f"--regid={user.pw_gid}", "--clear-groups"]
        environment = [f"ES_JAVA_HOME={java}", f"ES_PATH_CONF={folder.config}", f"ES_TMPDIR={folder.tmp}"]
        # env and setpriv replace themselves with the launcher, so the PID recorded is the node's.
        return ["env", "-u", "JAVA_HOME", *environment, *run_as, str(home / "bin" / "elasticsearch")]

    began = time.monotonic()
    with console.status(f"starting Elasticsearch {VERSION} (heap {HEAP})"):
        state = throwaway.launch(
            folder,
            created=created,
            arguments=arguments,
            state=lambda port: {"url": f"http://127.0.0.1:{port}", "version": VERSION, "heap": HEAP},
            ready_timeout=READY_TIMEOUT_S,
            output_to_log=True,
        )
    state["startup_seconds"] = round(time.monotonic() - began, 1)
    folder.write_state(state)
    return state


def main(argv: list[str]) -> int:
    return throwaway.command_line(
        argv, "elasticsearch", __doc__, ElasticsearchDir, lambda options: start(options.dir)
    )
