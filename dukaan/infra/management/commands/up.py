"""`dukaan up`: migrate, load the demo store and serve the whole app on one port, on the embedded defaults.

The server is granian (WSGI) with a single worker process: the embedded cache and the in-process
event bus live in that process, so a second worker would see a different cache and bus.
"""

import os
import sys
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connections
from django.test.utils import override_settings
from rich.console import Console
from rich.markup import escape
from rich.panel import Panel

WSGI_APP = "dukaan.config.wsgi:application"
LOCAL_HOSTS = {"127.0.0.1", "localhost", "0.0.0.0", "::1", "::"}
DEMO_PHONE = "+91 99999 99999"
DEFAULT_SITE_URL = "http://localhost:8000"
# Granian's own advice for WSGI: at most two threads per core, plus one.
DEFAULT_THREADS = min(8, 2 * (os.cpu_count() or 1) + 1)


class Command(BaseCommand):
    help = "Migrate, load the demo store and serve everything on one port (embedded defaults)."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
        parser.add_argument("--port", type=int, default=8000, help="port to listen on (default 8000)")
        parser.add_argument(
            "--threads",
            type=int,
            default=DEFAULT_THREADS,
            help=f"threads serving requests in the one worker (default {DEFAULT_THREADS} on this machine)",
        )

    def handle(self, *args, host: str, port: int, threads: int, **options):
        if not 0 < port < 65536:
            raise CommandError(f"--port must be between 1 and 65535, not {port}.")
        if threads < 1:
            raise CommandError(f"--threads must be at least 1, not {threads}.")
        granian = self._granian_command(host=host, port=port, threads=threads)
        base_url = _base_url(host, port)
        # Share links and QR codes must point at the port really served, unless SITE_URL was set.
        site_url = base_url if settings.SITE_URL == DEFAULT_SITE_URL else settings.SITE_URL

        call_command("migrate", interactive=False, verbosity=0)
        with override_settings(SITE_URL=site_url):
            call_command("seed", demo=True)
        search_folder = urlsplit(settings.SEARCH_URL)
        if search_folder.scheme == "tantivy" and not Path(search_folder.path).exists():
            # A first start (or var/search removed): the embedded index learns the catalog so far.
            call_command("reindex", verbosity=0)
        if not settings.DEBUG:
            call_command("collectstatic", interactive=False, verbosity=0)

        self._print_welcome(base_url)
        # The server takes over this process, so Ctrl-C and a SIGTERM reach granian directly and
        # it stops its worker cleanly. Nothing of ours may stay open across the exec.
        connections.close_all()
        sys.stdout.flush()
        sys.stderr.flush()
        # The served process also runs the outbox relay and the consumer groups (embedded bus).
        env = {**os.environ, "DUKAAN_SITE_URL": site_url, "DUKAAN_RUN_EMBEDDED_WORKERS": "true"}
        os.execve(granian[0], granian, env)

    def _granian_command(self, *, host: str, port: int, threads: int) -> list[str]:
        executable = Path(sys.executable).with_name("granian")
        if executable.exists():
            command = [str(executable)]
        else:
            command = [sys.executable, "-m", "granian"]
        return [
            *command,
            "--interface",
            "wsgi",
            "--no-ws",
            "--workers",
            "1",
            "--blocking-threads",
            str(threads),
            "--host",
            host,
            "--port",
            str(port),
            "--working-dir",
            str(settings.BASE_DIR),
            WSGI_APP,
        ]

    def _print_welcome(self, base: str) -> None:
        if settings.SMS_BACKEND == "console":
            sms_log = escape(_shown_path(settings.SMS_CONSOLE_LOG))
            codes = f"Login codes appear in this terminal and in {sms_log}"
        else:
            codes = f"Login codes are sent as text messages (SMS_BACKEND={escape(settings.SMS_BACKEND)})"
        lines = [
            f"[bold]dukaan is up:[/bold] [link={base}/]{base}[/link]",
            f"Demo store: [link={base}/s/demo/]{base}/s/demo/[/link]",
            f"Log in with the demo phone [bold]{DEMO_PHONE}[/bold]",
            codes,
            "Press Ctrl-C to stop.",
        ]
        Console(file=sys.stdout).print(Panel("\n".join(lines), title="dukaan", expand=False))


def _base_url(host: str, port: int) -> str:
    if host in LOCAL_HOSTS:
        return f"http://localhost:{port}"
    if ":" in host:
        return f"http://[{host}]:{port}"
    return f"http://{host}:{port}"


def _shown_path(path) -> str:
    path = Path(path).resolve()
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)
