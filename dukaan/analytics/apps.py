from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "dukaan.analytics"
    label = "analytics"
