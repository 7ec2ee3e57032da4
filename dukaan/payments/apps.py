from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "dukaan.payments"
    label = "payments"
