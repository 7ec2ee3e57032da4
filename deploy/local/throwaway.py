"""What deploy/local's throwaway servers (redis.py, varnish.py) share: a directory holding one
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
import time
from collections.abc import Callable
from pathlib import Path

STOP_TIMEOUT_S = 10.0
PORT_ATTEMPTS = 3  # a free port can be taken between our probe and the server's bind


class Refused(Exception):
    """An error a person can act on; printed as one message, without a traceback."""


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


def stop_pid(pid: int) -> None:
    """SIGTERM, then SIGKILL after STOP_TIMEOUT_S."""
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

    Subclasses say, from a process's command line, whether a PID is still their server.
    """

    name = "server"

    def __init__(self, path: Path) -> None:
        self.path = path.resolve()
        self.pid_file = self.path / f"{self.name}.pid"
        self.log = self.path / f"{self.name}.log"
        self.state_file = self.path / "state.json"

    def is_ours(self, command: str) -> bool:
        return True

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
    label: str,
    created: bool,
    arguments: Callable[[int], list[str]],
    state: Callable[[int], dict],
    answers: Callable[[int], bool],
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
            if answers(port):
                return recorded
            time.sleep(0.02)
        if process.poll() is None:
            stop_pid(process.pid)
            raise Refused(f"{label} did not answer within {ready_timeout:.0f} s:\n{folder.log_tail()}")
        if "Address already in use" not in folder.log_tail():
            break
    log = folder.log_tail()
    if created:
        shutil.rmtree(folder.path, ignore_errors=True)
    raise Refused(f"{label} did not start. Its log says:\n{log}")


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


def status(folder: ServerDir, answers: Callable[[int], bool]) -> dict:
    state = folder.read_state()
    pid = folder.running_pid()
    return {**state, "running": pid is not None, "answers": bool(pid and answers(state.get("port", 0)))}


def command_line(
    argv: list[str],
    *,
    prog: str,
    description: str,
    label: str,
    add_start_arguments: Callable[[argparse.ArgumentParser], None],
    start: Callable[[argparse.Namespace], dict],
    stop: Callable[[Path], bool],
    status: Callable[[Path], dict],
) -> int:
    """`start [--dir DIR] [--json] …`, `stop --dir DIR`, `status --dir DIR`; a Refused exits 2."""

    def say(message: str) -> None:
        print(f"{prog}: {message}", file=sys.stderr, flush=True)

    parser = argparse.ArgumentParser(prog=f"{prog}.py", description=description)
    commands = parser.add_subparsers(dest="command", required=True)
    start_parser = commands.add_parser("start", help=f"start a {label} in the background; print its URL")
    add_start_arguments(start_parser)
    start_parser.add_argument("--dir", type=Path, help="PID file, log, state (default: a new temp dir)")
    start_parser.add_argument("--json", action="store_true", help="print pid, port, url and dir as JSON")
    for name, text in (("stop", f"stop the {label} started in DIR"), ("status", "is it running?")):
        sub = commands.add_parser(name, help=text)
        sub.add_argument("--dir", type=Path, required=True, help="the directory `start` printed")
    options = parser.parse_args(argv)
    try:
        if options.command == "start":
            state = start(options)
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
