from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules


class EventsConfig(AppConfig):
    name = "dukaan.events"
    label = "events"

    def ready(self) -> None:
        # Each app's consumers.py registers its consumer groups.
        autodiscover_modules("consumers")
