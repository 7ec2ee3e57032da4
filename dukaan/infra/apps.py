from django.apps import AppConfig


class InfraConfig(AppConfig):
    name = "dukaan.infra"
    label = "infra"
