from django.apps import AppConfig


class ShippingConfig(AppConfig):
    name = "dukaan.shipping"
    label = "shipping"
