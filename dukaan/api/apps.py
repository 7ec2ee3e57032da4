from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "dukaan.api"
    label = "api"
