from django.apps import AppConfig


class InfraConfig(AppConfig):
    name = "dukaan.infra"
    label = "infra"

    def ready(self) -> None:
        from django.urls import register_converter

        from . import tracing
        from .integers import IdConverter

        tracing.setup()
        # Before any URLconf is read: their <id:…> paths need it.
        register_converter(IdConverter, "id")
