from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "nyeri.web"
    label = "web"
