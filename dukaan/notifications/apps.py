from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "dukaan.notifications"
    label = "notifications"
