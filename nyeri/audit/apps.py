from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "nyeri.audit"
    label = "audit"
