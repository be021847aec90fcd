from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "fla.accounts"
    label = "accounts"
