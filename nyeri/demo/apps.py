from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "nyeri.demo"
    label = "demo"
