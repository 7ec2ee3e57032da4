"""What deploy/local's throwaway servers (redis_server.py, varnish.py, …) share: a directory holding one
server's PID file, log and state.json; starting it on a free port of 127.0.0.1 and waiting until it
answers; stopping exactly that process by its PID; and the start/stop/status command line.
Standard library only.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Self

REPO = Path(__file__).resolve().parents[2]
STOP_TIMEOUT_S = 10.0
PORT_ATTEMPTS = 3  # a free port can be taken between our probe and the server's bind


class Refused(Exception):
    """An error a person can act on; printed as one message, without a traceback."""


def command(*args: str) -> list[str]:
    """`python -m deploy.local ARGS…` with this interpreter; run it from REPO, where the package is."""
    return [sys.executable, "-m", "deploy.local", *args]


def program(name: str, packages: str) -> str:
    """The path of the program `name` (on PATH, else in an sbin folder); Refused saying what to install."""
    found = shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/local/sbin")
    if not found:
        raise Refused(f"`{name}` was not found. Install it with `apt-get install -y {packages}` (as root).")
    return found


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # As servers bind: connections of a crashed server left in TIME_WAIT do not keep it busy.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def port_to_use(preferred: int | None) -> int:
    """`preferred` (a server's port from its last start) when still free, so its address stays put."""
    return preferred if preferred and port_free(preferred) else free_port()


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


def stop_pid(pid: int, timeout: float = STOP_TIMEOUT_S) -> bool:
    """SIGTERM, then SIGKILL after `timeout` seconds; True when it had to be killed."""
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return False
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        reap(pid)
        if not process_alive(pid):
            return False
        time.sleep(0.02)
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        return False
    while process_alive(pid):
        reap(pid)
        time.sleep(0.02)
    return True


def reap(pid: int) -> None:
    """Collect the exit status of a child of ours (a server whose start failed), so that it is not left
    a zombie; nothing for another process's."""
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass


def read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def write_json(path: Path, data: dict) -> None:
    """Write through a staging file, so a reader never sees half a file."""
    staging = path.with_suffix(path.suffix + ".partial")
    staging.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
    staging.replace(path)


def java_17(needed_by: str, package: str) -> str:
    """The path of the `java` on PATH; Refused unless it is Java 17 or newer."""
    java = shutil.which("java")
    if not java:
        raise Refused(
            f"Java 17 or newer is needed to run {needed_by}. Install it with "
            f"`apt-get install -y {package}` (as root)."
        )
    result = subprocess.run([java, "-version"], capture_output=True, text=True)
    match = re.search(r'version "(\d+)', result.stderr + result.stdout)
    if not match or int(match.group(1)) < 17:
        said = match.group(0) if match else (result.stderr + result.stdout).strip()[:200]
        raise Refused(f"{needed_by} needs Java 17 or newer; `java -version` says {said!r}")
    return java


class ServerDir:
    """DIR: <name>.pid, <name>.log and state.json of one server.

    Subclasses say whether the server on a port answers, and, from a process's command line, whether a
    PID is still their server.
    """

    name = "server"
    label = "server"  # as a person calls it: "a Redis", "an nginx"

    @classmethod
    def claim(cls, path: Path | None) -> tuple[Self, bool]:
        """The folder for a new start: `path`, or a new temporary directory (then True); Refused while a
        server started there still runs."""
        created = path is None
        folder = cls(path if path is not None else Path(tempfile.mkdtemp(prefix=f"dukaan-{cls.name}-")))
        folder.path.mkdir(parents=True, exist_ok=True)
        if folder.running_pid():
            raise Refused(f"{folder.label} started from {folder.path} is already running; stop it first")
        return folder, created

    def __init__(self, path: Path) -> None:
        self.path = path.resolve()
        self.pid_file = self.path / f"{self.name}.pid"
        self.log = self.path / f"{self.name}.log"
        self.state_file = self.path / "state.json"

    def is_ours(self, command: str) -> bool:
        return True

    def answers(self, port: int) -> bool:
        raise NotImplementedError

    def read_state(self) -> dict:
        return read_json(self.state_file)

    def write_state(self, state: dict) -> None:
        write_json(self.state_file, state)

    def running_pid(self) -> int | None:
        """The PID in the PID file if that process is alive and is still the server started here."""
        try:
            pid = int(self.pid_file.read_text().strip())
        except (OSError, ValueError):
            return None
        if not process_alive(pid):
            return None
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            return pid
        return pid if self.is_ours(command) else None  # otherwise the PID was reused

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log was written)"


def launch(
    folder: ServerDir,
    *,
    created: bool,
    arguments: Callable[[int], list[str]],
    state: Callable[[int], dict],
    ready_timeout: float,
    output_to_log: bool = False,
    preferred_port: int | None = None,
) -> dict:
    """Start the server on a free port (`preferred_port` if free; else the port it had in `folder`
    before it crashed, so its clients find it again) in its own session, record it in `folder`, wait
    until it answers."""
    if preferred_port is None:
        preferred_port = folder.read_state().get("port")
    for attempt in range(PORT_ATTEMPTS):
        port = port_to_use(preferred_port if attempt == 0 else None)
        with open(os.devnull, "rb") as devnull, open(folder.log, "ab") as log:
            output = log if output_to_log else subprocess.DEVNULL
            process = subprocess.Popen(
                arguments(port),
                stdin=devnull,
                stdout=output,
                stderr=subprocess.STDOUT if output_to_log else subprocess.DEVNULL,
                cwd=REPO,
                start_new_session=True,  # outlives this script; Ctrl-C in the terminal does not reach it
            )
        folder.pid_file.write_text(f"{process.pid}\n")
        recorded = {
            "pid": process.pid,
            "port": port,
            **state(port),
            "dir": str(folder.path),
            "created_dir": created,
        }
        folder.write_state(recorded)
        deadline = time.monotonic() + ready_timeout
        while time.monotonic() < deadline and process.poll() is None:
            if folder.answers(port):
                return recorded
            time.sleep(0.02)
        if process.poll() is None:
            stop_pid(process.pid)
            raise Refused(f"{folder.label} did not answer within {ready_timeout:.0f} s:\n{folder.log_tail()}")
        if "Address already in use" not in folder.log_tail():
            break
    tail = folder.log_tail()
    if created:
        shutil.rmtree(folder.path, ignore_errors=True)
    raise Refused(f"{folder.label} did not start. Its log says:\n{tail}")


def stop(folder: ServerDir) -> bool:
    """Stop the server started in `folder`; True if one was running."""
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


def status(folder: ServerDir) -> dict:
    state = folder.read_state()
    pid = folder.running_pid()
    answers = bool(pid and folder.answers(state.get("port", 0)))
    return {**state, "running": pid is not None, "answers": answers}


def exit_code(work: Callable[[], int], say: Callable[[str], None], interrupted: str = "interrupted") -> int:
    """work()'s exit code; a Refused is said and exits 2, Ctrl-C exits 130."""
    try:
        return work()
    except Refused as error:
        say(str(error))
        return 2
    except KeyboardInterrupt:
        say(interrupted)
        return 130


def command_line(
    argv: list[str],
    prog: str,
    doc: str,
    folder: type[ServerDir],
    start: Callable[[argparse.Namespace], dict],
    add_start_arguments: Callable[[argparse.ArgumentParser], None] = lambda parser: None,
) -> int:
    """`python -m deploy.local <prog> start [--dir DIR] [--json] …`, `stop --dir DIR`, `status --dir DIR`
    for the server `folder` holds; `doc` is its module's docstring. A Refused exits 2."""

    def say(message: str) -> None:
        print(f"{prog}: {message}", file=sys.stderr, flush=True)

    parser = argparse.ArgumentParser(prog=f"python -m deploy.local {prog}", description=doc.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    start_parser = commands.add_parser("start", help=f"start {folder.label} in the background; print its URL")
    add_start_arguments(start_parser)
    start_parser.add_argument("--dir", type=Path, help="PID file, log, state (default: a new temp dir)")
    start_parser.add_argument("--json", action="store_true", help="print pid, port, url and dir as JSON")
    for name, text in (("stop", f"stop {folder.label} started in DIR"), ("status", "is it running?")):
        sub = commands.add_parser(name, help=text)
        sub.add_argument("--dir", type=Path, required=True, help="the directory `start` printed")
    options = parser.parse_args(argv)

    def run() -> int:
        if options.command == "start":
            state = start(options)
            say(f"ready at {state['url']} (pid {state['pid']}); to stop it: stop --dir {state['dir']}")
            print(json.dumps(state) if options.json else state["url"], flush=True)
        elif options.command == "stop":
            say("stopped" if stop(folder(options.dir)) else "was not running")
        else:
            state = status(folder(options.dir))
            print(json.dumps(state))
            return 0 if state["answers"] else 1
        return 0

    return exit_code(run, say)
