from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "dukaan.orders"
    label = "orders"
