from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BackgroundConfig(AppConfig):
    name = "nyeri.background"
    label = "background"
    verbose_name = _("Background jobs")

    def ready(self) -> None:
        # The platform's job definitions register themselves when imported.
        from nyeri.background import jobs  # noqa: F401
