from django.apps import AppConfig


class InvoicesConfig(AppConfig):
    name = "dukaan.invoices"
    label = "invoices"
