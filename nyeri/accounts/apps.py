from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "nyeri.accounts"
    label = "accounts"
