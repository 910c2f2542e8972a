from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "nyeri.api"
    label = "api"
    verbose_name = "API"
