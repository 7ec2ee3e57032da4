from django.apps import AppConfig


class StorefrontConfig(AppConfig):
    name = "dukaan.storefront"
    label = "storefront"
