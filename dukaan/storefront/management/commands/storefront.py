"""`dukaan storefront`: serve the public store pages as their own process (storefront/service.py)."""

import os

import uvicorn
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connections

from dukaan.storefront.service import NotConfigured, check_settings

DEFAULT_WORKERS = max(1, os.cpu_count() or 1)


class Command(BaseCommand):
    help = (
        "Serve the store pages (/s/…) as the storefront service: uvicorn workers that keep rendered "
        "pages in memory, kept fresh through Redis. Needs CACHE_URL=redis://…."
    )

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
        parser.add_argument("--port", type=int, default=8001, help="port to listen on (default 8001)")
        parser.add_argument(
            "--workers",
            type=int,
            default=DEFAULT_WORKERS,
            help=f"worker processes, each with its own page cache (default {DEFAULT_WORKERS}: one per core)",
        )

    def handle(self, *args, host: str, port: int, workers: int, **options):
        if not 0 < port < 65536:
            raise CommandError(f"--port must be between 1 and 65535, not {port}.")
        if workers < 1:
            raise CommandError(f"--workers must be at least 1, not {workers}.")
        try:
            check_settings()
        except NotConfigured as error:
            raise CommandError(f"cannot start: {error}.") from None
        connections.close_all()  # the workers open their own
        uvicorn.run(
            "dukaan.storefront.service:create_app",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            loop="uvloop",
            http="httptools",
            lifespan="on",
            # uvicorn's lines through our formatter, warnings only; RequestIdMiddleware logs the requests.
            log_config=settings.LOGGING,
            access_log=False,
            log_level="warning",
            server_header=False,
            # Behind the edge, many idle keep-alive connections are normal.
            timeout_keep_alive=30,
        )
