"""Run a throwaway nginx on 127.0.0.1 serving a directory of static files, for benches and local runs.

    python -m deploy.local nginx start --root DIR [--dir STATE_DIR] [--json]
    python -m deploy.local nginx status --dir STATE_DIR
    python -m deploy.local nginx stop --dir STATE_DIR

`start` fills the port, the root and the state directory into deploy/nginx/static.conf, writes the
result to STATE_DIR/nginx.conf and runs Debian's `nginx` in the foreground of its own session
(`daemon off`) on a free port of 127.0.0.1: one worker per core, no access log, its PID file, error
log and temp files inside STATE_DIR (a new temporary directory unless given), so it touches nothing
under /etc/nginx or /var. It waits until nginx answers, then prints `http://127.0.0.1:<port>`.
`stop` ends exactly the master process in STATE_DIR's PID file (SIGTERM: its workers go with it) after
checking it is still that nginx, and deletes STATE_DIR if `start` created it.

Started as root, the workers run as root too (`user root;`): otherwise nginx drops them to `nobody`,
which cannot read a root inside a caller's private directory (pytest's tmp_path is 0700) nor the
temp paths in STATE_DIR. Either way the workers can read what the person who started nginx can.
Standard library only.
"""

from __future__ import annotations

import argparse
import http.client
import os
from pathlib import Path

from deploy.local import throwaway
from deploy.local.throwaway import Refused

CONFIG_DIR = Path(__file__).resolve().parents[1] / "nginx"
READY_TIMEOUT_S = 10.0
TEMP_PATHS = ("body", "proxy", "fastcgi", "uwsgi", "scgi")


def find_nginx() -> str:
    return throwaway.program("nginx", "nginx")


def answers(port: int, timeout: float = 0.5) -> bool:
    """Does nginx answer at all? Any status will do: the root may have no index."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("HEAD", "/")
        return connection.getresponse().status > 0
    except (OSError, http.client.HTTPException):
        return False
    finally:
        connection.close()


def render_config(template: str, values: dict[str, object]) -> str:
    """deploy/nginx/<template> with each @NAME@ replaced by values[NAME]."""
    text = (CONFIG_DIR / template).read_text()
    for name, value in values.items():
        text = text.replace(f"@{name}@", str(value))
    return text


class NginxDir(throwaway.ServerDir):
    name = "nginx"
    label = "an nginx"

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.config = self.path / "nginx.conf"

    def is_ours(self, command: str) -> bool:
        # The master sets its title to "nginx: master process <its command line>".
        return "nginx" in command and str(self.config) in command

    def answers(self, port: int) -> bool:
        return answers(port)


def start(root: Path, path: Path | None) -> dict:
    nginx = find_nginx()
    root = root.resolve()
    if not root.is_dir():
        raise Refused(f"--root {root} is not a directory")
    folder, created = NginxDir.claim(path)
    for name in TEMP_PATHS:
        (folder.path / "temp" / name).mkdir(parents=True, exist_ok=True)
    user = "user root;" if os.geteuid() == 0 else "# not root: the workers run as whoever started nginx"

    def arguments(port: int) -> list[str]:
        # The port is in the configuration, not on the command line: write it for each attempt.
        values = {"USER": user, "PORT": port, "ROOT": root, "DIR": folder.path}
        folder.config.write_text(render_config("static.conf", values))
        return [
            nginx,
            "-c", str(folder.config),
            "-p", f"{folder.path}/",
            "-e", str(folder.log),
            "-g", "daemon off;",
        ]  # fmt: skip

    return throwaway.launch(
        folder,
        created=created,
        arguments=arguments,
        state=lambda port: {"url": f"http://127.0.0.1:{port}", "root": str(root)},
        ready_timeout=READY_TIMEOUT_S,
        output_to_log=True,
    )


def _start_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--root", type=Path, required=True, help="the directory to serve")


def main(argv: list[str]) -> int:
    return throwaway.command_line(
        argv,
        "nginx",
        __doc__,
        NginxDir,
        lambda options: start(options.root, options.dir),
        add_start_arguments=_start_arguments,
    )
