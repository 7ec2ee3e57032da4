from django.apps import AppConfig


class EventsConfig(AppConfig):
    name = "dukaan.events"
    label = "events"
