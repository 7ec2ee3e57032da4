from django.apps import AppConfig


class InfraConfig(AppConfig):
    name = "dukaan.infra"
    label = "infra"

    def ready(self) -> None:
        from django.contrib.admin.models import LogEntry
        from django.contrib.sessions.models import Session
        from django.urls import register_converter

        from . import tracing
        from .integers import IdConverter
        from .registry import add_not_copied

        tracing.setup()
        # Before any URLconf is read: their <id:…> paths need it.
        register_converter(IdConverter, "id")
        # Django's own tables; each app declares its own in its apps.py.
        add_not_copied(Session, "sessions: whoever holds one is logged in as that person")
        add_not_copied(LogEntry, "admin log: staff actions whose text names people")
