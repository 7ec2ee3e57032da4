"""Run a throwaway Varnish (the edge cache) on 127.0.0.1 in front of a storefront, for tests and local runs.

    python deploy/local/varnish.py start --backend 127.0.0.1:8000 [--dir DIR] [--grace 60] [--json]
    python deploy/local/varnish.py status --dir DIR
    python deploy/local/varnish.py stop --dir DIR

`start` fills the backend and the healthy-backend grace into deploy/varnish/default.vcl, writes the
result to DIR/default.vcl and runs Debian's `varnishd` in the foreground of its own session (-F) on a
free port of 127.0.0.1 with `-n DIR/work`, `-s malloc,64m` and no management port. DIR (a new
temporary directory unless given) holds varnishd.pid, varnishd.log and state.json. It waits until
Varnish answers (a PURGE without tags, which it refuses itself without asking the backend), then
prints `http://127.0.0.1:<port>`, so `EDGE_PURGE_URL=$(python deploy/local/varnish.py start …)` works.
`stop` ends exactly the process in DIR's PID file (SIGTERM, then SIGKILL) after checking it is still
that varnishd, and deletes DIR if `start` created it. Standard library only.
"""

from __future__ import annotations

import argparse
import http.client
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

PROG = "varnish"
VCL_TEMPLATE = Path(__file__).resolve().parents[1] / "varnish" / "default.vcl"
READY_TIMEOUT_S = 20.0
STOP_TIMEOUT_S = 10.0
STORAGE = "malloc,64m"


class Refused(Exception):
    """An error a person can act on; printed as one message, without a traceback."""


def say(message: str) -> None:
    print(f"{PROG}: {message}", file=sys.stderr, flush=True)


def find_varnishd() -> str:
    found = shutil.which("varnishd") or next(
        (path for path in ("/usr/sbin/varnishd", "/usr/local/sbin/varnishd") if os.access(path, os.X_OK)),
        None,
    )
    if not found:
        raise Refused(
            "`varnishd` was not found. Install it with "
            "`apt-get install -y varnish varnish-modules` (as root)."
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
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rsplit(")", 1)[1].split()[0] != "Z"  # a zombie has ended
    except (OSError, IndexError):
        return True


def answers(port: int, timeout: float = 0.5) -> bool:
    """Does Varnish itself answer? A PURGE without tags is refused in vcl_recv, never sent to the backend."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("PURGE", "/")
        return connection.getresponse().status == 400
    except (OSError, http.client.HTTPException):
        return False
    finally:
        connection.close()


def render_vcl(backend_host: str, backend_port: int, grace: int) -> str:
    text = VCL_TEMPLATE.read_text()
    for name, value in (
        ("BACKEND_HOST", backend_host),
        ("BACKEND_PORT", backend_port),
        ("FRESH_GRACE", grace),
    ):
        text = text.replace(f"@{name}@", str(value))
    return text


class ServerDir:
    def __init__(self, path: Path) -> None:
        self.path = path.resolve()
        self.pid_file = self.path / "varnishd.pid"
        self.log = self.path / "varnishd.log"
        self.state_file = self.path / "state.json"
        self.vcl = self.path / "default.vcl"
        self.work = self.path / "work"

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
        """The PID in varnishd.pid if that process is alive and is still the varnishd started here."""
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
        if "varnishd" not in command or str(self.work) not in command:
            return None  # the PID was reused by some other process
        return pid

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log was written)"


def start(backend: str, path: Path | None, grace: int = 60) -> dict:
    varnishd = find_varnishd()
    host, _, port_text = backend.rpartition(":")
    if not host or not port_text.isdigit():
        raise Refused(f"--backend must be HOST:PORT, not {backend!r}")
    created = path is None
    folder = ServerDir(Path(tempfile.mkdtemp(prefix="dukaan-varnish-")) if created else path)
    folder.path.mkdir(parents=True, exist_ok=True)
    if folder.running_pid():
        raise Refused(f"a Varnish started from {folder.path} is already running; stop it first")
    # varnishd's workers drop root for its own users: they must be able to read the VCL and workdir.
    folder.path.chmod(0o755)
    folder.vcl.write_text(render_vcl(host, int(port_text), grace))
    for _attempt in range(3):
        port = free_port()
        arguments = [
            varnishd,
            "-F",
            "-a", f"127.0.0.1:{port}",
            "-n", str(folder.work),
            "-f", str(folder.vcl),
            "-s", STORAGE,
            "-T", "none",
        ]  # fmt: skip
        with open(os.devnull, "rb") as devnull, open(folder.log, "ab") as log:
            process = subprocess.Popen(
                arguments, stdin=devnull, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        folder.pid_file.write_text(f"{process.pid}\n")
        state = {
            "pid": process.pid,
            "port": port,
            "url": f"http://127.0.0.1:{port}",
            "backend": backend,
            "dir": str(folder.path),
            "created_dir": created,
        }
        folder.write_state(state)
        deadline = time.monotonic() + READY_TIMEOUT_S
        while time.monotonic() < deadline and process.poll() is None:
            if answers(port):
                return state
            time.sleep(0.05)
        if process.poll() is None:
            stop_pid(process.pid)
            raise Refused(f"Varnish did not answer within {READY_TIMEOUT_S:.0f} s:\n{folder.log_tail()}")
        if "Address already in use" not in folder.log_tail():
            break
    log = folder.log_tail()
    if created:
        shutil.rmtree(folder.path, ignore_errors=True)
    raise Refused(f"Varnish did not start. Its log says:\n{log}")


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
    """Stop the Varnish started in `path`; True if one was running."""
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
    return {**state, "running": pid is not None, "answers": bool(pid and answers(state.get("port", 0)))}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="varnish.py", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    start_parser = commands.add_parser("start", help="start a Varnish in the background; print its URL")
    start_parser.add_argument("--backend", required=True, help="the storefront, HOST:PORT")
    start_parser.add_argument("--dir", type=Path, help="PID file, log, VCL, state (default: a new temp dir)")
    start_parser.add_argument(
        "--grace", type=int, default=60, help="seconds of stale pages while the backend is healthy"
    )
    start_parser.add_argument("--json", action="store_true", help="print pid, port, url and dir as JSON")
    for name, text in (("stop", "stop the Varnish started in DIR"), ("status", "is it running?")):
        sub = commands.add_parser(name, help=text)
        sub.add_argument("--dir", type=Path, required=True, help="the directory `start` printed")
    options = parser.parse_args(argv)
    try:
        if options.command == "start":
            state = start(options.backend, options.dir, options.grace)
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
