from django.apps import AppConfig


class InfraConfig(AppConfig):
    name = "dukaan.infra"
    label = "infra"

    def ready(self) -> None:
        from . import tracing

        tracing.setup()
