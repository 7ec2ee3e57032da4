"""`dukaan web`: serve the Django app (dashboard, API, checkout, admin) with granian (WSGI), nothing else.

One of the `web` processes of the cluster (`dukaan cluster up` runs several behind nginx), of the
Compose file and of the Kubernetes Deployment. It does not migrate or load data: `dukaan up` does that
first for the laptop, a migration job does it in a cluster.
"""

import json
import os
import sys
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connections

WSGI_APP = "dukaan.config.wsgi:application"
# Granian's own advice for WSGI: at most two threads per core, plus one.
DEFAULT_THREADS = min(8, 2 * (os.cpu_count() or 1) + 1)
# Ctrl-C or SIGTERM asks the worker to stop; one that has not stopped after this long is killed. Granian
# can deadlock tearing a worker down while other threads (our embedded consumers) wait for the GIL
# (emmett-framework/granian#875), and without a bound the whole server then hangs. Killing it loses
# nothing: the event bus keeps its outbox and offsets in the database.
WORKER_STOP_SECONDS = 10


def granian_command(*, host: str, port: int, threads: int) -> list[str]:
    executable = Path(sys.executable).with_name("granian")
    command = [str(executable)] if executable.exists() else [sys.executable, "-m", "granian"]
    return [
        *command,
        "--interface", "wsgi",
        "--no-ws",
        "--workers", "1",
        "--blocking-threads", str(threads),
        "--workers-kill-timeout", str(WORKER_STOP_SECONDS),
        "--host", host,
        "--port", str(port),
        "--working-dir", str(settings.BASE_DIR),
        # granian's own lines (start, workers, errors) through our formatter; our access lines suffice.
        "--log-config", str(granian_log_config()),
        "--no-access-log",
        WSGI_APP,
    ]  # fmt: skip


def granian_log_config() -> Path:
    """settings.LOGGING as a file for granian, replaced whole so a granian starting beside us never
    reads half of it."""
    path = settings.VAR_DIR / "granian-logging.json"
    partial = path.with_name(f"{path.name}.{os.getpid()}")
    partial.write_text(json.dumps(settings.LOGGING), encoding="utf-8")
    partial.replace(path)
    return path


def add_server_arguments(parser, *, default_port: int) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument(
        "--port", type=int, default=default_port, help=f"port to listen on (default {default_port})"
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=DEFAULT_THREADS,
        help=f"threads serving requests in the one worker (default {DEFAULT_THREADS} on this machine)",
    )


def check_server_arguments(*, port: int, threads: int) -> None:
    if not 0 < port < 65536:
        raise CommandError(f"--port must be between 1 and 65535, not {port}.")
    if threads < 1:
        raise CommandError(f"--threads must be at least 1, not {threads}.")


def serve(granian: list[str], env: dict[str, str]) -> None:
    """Become the server: Ctrl-C and a SIGTERM reach granian directly and it stops its worker cleanly.
    Nothing of ours may stay open across the exec."""
    connections.close_all()
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(granian[0], granian, env)


class Command(BaseCommand):
    help = "Serve the Django app with granian (WSGI); no migrations, no embedded event workers."

    def add_arguments(self, parser):
        add_server_arguments(parser, default_port=8000)

    def handle(self, *args, host: str, port: int, threads: int, **options):
        check_server_arguments(port=port, threads=threads)
        serve(granian_command(host=host, port=port, threads=threads), dict(os.environ))
