from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "dukaan.accounts"
    label = "accounts"
