"""`dukaan worker --group NAME`: run one consumer group in the foreground until Ctrl-C."""

import logging
import signal
import threading

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from prometheus_client import start_http_server

from dukaan.events.consumers import get_group, registered_groups

# Through the log formatter, not stdout: a deployed worker's output is JSON lines only.
logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Run one consumer group (one process per group) until stopped."

    def add_arguments(self, parser):
        parser.add_argument(
            "--group", required=True, help="the consumer group: " + ", ".join(registered_groups())
        )
        parser.add_argument(
            "--metrics-port",
            type=int,
            help="serve Prometheus metrics on 127.0.0.1:PORT (a worker has no web page)",
        )

    def handle(self, *args, group: str, metrics_port: int | None, **options):
        try:
            consumer_group = get_group(group)
        except LookupError as error:
            raise CommandError(str(error)) from error
        if metrics_port is not None:
            try:
                start_http_server(metrics_port, addr="127.0.0.1")
            except OSError as error:
                raise CommandError(f"--metrics-port {metrics_port}: {error.strerror}") from error
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        signal.signal(signal.SIGINT, lambda *_: stop.set())
        if settings.EVENT_BUS_URL.startswith("kafka:"):
            from dukaan.events.kafka import run_worker

            run_worker(consumer_group, stop=stop)
        else:
            from dukaan.events.local import EmbeddedWorkers

            workers = EmbeddedWorkers(groups=[consumer_group])
            workers.start()
            logger.info("Consumer group %s is running on the embedded bus. Ctrl-C stops it.", group)
            stop.wait()
            workers.stop()
        logger.info("Consumer group %s stopped.", group)
