from django.apps import AppConfig


class DashboardConfig(AppConfig):
    name = "dukaan.dashboard"
    label = "dashboard"
