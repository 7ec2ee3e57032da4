from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "dukaan.search"
    label = "search"
