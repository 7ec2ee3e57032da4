from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "dukaan.catalog"
    label = "catalog"
