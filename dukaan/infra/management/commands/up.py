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
from django.core.management.base import BaseCommand
from django.test.utils import override_settings
from rich.console import Console
from rich.markup import escape
from rich.panel import Panel

from .web import add_server_arguments, check_server_arguments, granian_command, serve

LOCAL_HOSTS = {"127.0.0.1", "localhost", "0.0.0.0", "::1", "::"}
DEMO_PHONE = "+91 99999 99999"
DEFAULT_SITE_URL = "http://localhost:8000"


class Command(BaseCommand):
    help = "Migrate, load the demo store and serve everything on one port (embedded defaults)."

    def add_arguments(self, parser):
        add_server_arguments(parser, default_port=8000)

    def handle(self, *args, host: str, port: int, threads: int, **options):
        check_server_arguments(port=port, threads=threads)
        granian = granian_command(host=host, port=port, threads=threads)
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
        # The served process also runs the outbox relay and the consumer groups (embedded bus).
        serve(granian, {**os.environ, "DUKAAN_SITE_URL": site_url, "DUKAAN_RUN_EMBEDDED_WORKERS": "true"})

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
