from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules

from dukaan.infra.registry import add_database_metrics, add_status_section


class EventsConfig(AppConfig):
    name = "dukaan.events"
    label = "events"

    def ready(self) -> None:
        from . import monitoring

        # Each app's consumers.py registers its consumer groups, and its jobs.py its scheduled jobs.
        autodiscover_modules("consumers")
        autodiscover_modules("jobs")
        add_status_section(monitoring.status_rows, order=30)
        add_database_metrics(monitoring.database_metrics)
