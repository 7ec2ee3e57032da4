from django.apps import AppConfig


class FulfilmentConfig(AppConfig):
    name = "dukaan.fulfilment"
    label = "fulfilment"
