from django.apps import AppConfig


class TenancyConfig(AppConfig):
    name = "nyeri.tenancy"
    label = "tenancy"
