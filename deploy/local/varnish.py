"""Run a throwaway Varnish (the edge cache) on 127.0.0.1 in front of a storefront, for tests and local runs.

    python -m deploy.local varnish start --backend 127.0.0.1:8000 [--dir DIR] [--grace 60] [--json]
    python -m deploy.local varnish status --dir DIR
    python -m deploy.local varnish stop --dir DIR

`start` fills the backend and the healthy-backend grace into deploy/varnish/default.vcl, writes the
result to DIR/default.vcl and runs Debian's `varnishd` in the foreground of its own session (-F) on a
free port of 127.0.0.1 with `-n DIR/work`, `-s malloc,64m`, no management port and the
PARAMETERS below. DIR (a new temporary directory unless given) holds varnishd.pid, varnishd.log
and state.json. It waits until Varnish answers (a PURGE without tags, which it refuses itself
without asking the backend), then prints `http://127.0.0.1:<port>`, so
`EDGE_PURGE_URL=$(python -m deploy.local varnish start …)` works.
`stop` ends exactly the process in DIR's PID file (SIGTERM, then SIGKILL) after checking it is still
that varnishd, and deletes DIR if `start` created it. Standard library only.
"""

from __future__ import annotations

import argparse
import http.client
from pathlib import Path

from deploy.local import throwaway
from deploy.local.throwaway import Refused

VCL_TEMPLATE = Path(__file__).resolve().parents[1] / "varnish" / "default.vcl"
READY_TIMEOUT_S = 20.0
STORAGE = "malloc,64m"
# Tuned for a hit path near the machine's ceiling (measured on 2 cores, wrk -c64, ratio to nginx
# serving the same file: 0.58x as shipped, 0.70x so): one thread pool (two pools only add hand-offs
# on two cores), threads made before a crowd arrives, and no shared-memory log records of each
# client request (varnishlog still shows backend fetches, health and errors).
CLIENT_LOG_TAGS = (
    "SessOpen SessClose ReqMethod ReqURL ReqProtocol ReqStatus ReqReason ReqHeader ReqUnset "
    "RespMethod RespURL RespProtocol RespStatus RespReason RespHeader RespUnset VCL_acl VCL_call "
    "VCL_return ReqStart Hit HitMiss HitPass Link Begin End Timestamp ReqAcct Length Filters Hash "
    "Storage ObjHeader"
)
PARAMETERS = {
    "thread_pools": "1",
    "thread_pool_min": "300",
    "vsl_mask": ",".join(f"-{tag}" for tag in CLIENT_LOG_TAGS.split()),
}


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


class VarnishDir(throwaway.ServerDir):
    name = "varnishd"
    label = "a Varnish"

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.vcl = self.path / "default.vcl"
        self.work = self.path / "work"

    def is_ours(self, command: str) -> bool:
        return "varnishd" in command and str(self.work) in command

    def answers(self, port: int) -> bool:
        return answers(port)


def start(backend: str, path: Path | None, grace: int = 60) -> dict:
    varnishd = throwaway.program("varnishd", "varnish varnish-modules")
    host, _, port_text = backend.rpartition(":")
    if not host or not port_text.isdigit():
        raise Refused(f"--backend must be HOST:PORT, not {backend!r}")
    folder, created = VarnishDir.claim(path)
    # varnishd's workers drop root for its own users: they must be able to read the VCL and workdir.
    folder.path.chmod(0o755)
    folder.vcl.write_text(render_vcl(host, int(port_text), grace))

    def arguments(port: int) -> list[str]:
        return [
            varnishd,
            "-F",
            "-a", f"127.0.0.1:{port}",
            "-n", str(folder.work),
            "-f", str(folder.vcl),
            "-s", STORAGE,
            "-T", "none",
            *(part for name, value in PARAMETERS.items() for part in ("-p", f"{name}={value}")),
        ]  # fmt: skip

    return throwaway.launch(
        folder,
        created=created,
        arguments=arguments,
        state=lambda port: {"url": f"http://127.0.0.1:{port}", "backend": backend},
        ready_timeout=READY_TIMEOUT_S,
        output_to_log=True,
    )


def _start_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--backend", required=True, help="the storefront, HOST:PORT")
    parser.add_argument(
        "--grace", type=int, default=60, help="seconds of stale pages while the backend is healthy"
    )


def main(argv: list[str]) -> int:
    return throwaway.command_line(
        argv,
        "varnish",
        __doc__,
        VarnishDir,
        lambda options: start(options.backend, options.dir, options.grace),
        add_start_arguments=_start_arguments,
    )
