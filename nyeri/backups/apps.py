from django.apps import AppConfig


class BackupsConfig(AppConfig):
    name = "nyeri.backups"
    label = "backups"
    verbose_name = "Backups"
