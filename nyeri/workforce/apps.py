from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkforceConfig(AppConfig):
    name = "nyeri.workforce"
    label = "workforce"
    verbose_name = _("Workforce")

    def ready(self) -> None:
        from nyeri.workforce import (
            checks,  # noqa: F401 - registers the policy-pack check
            door,  # noqa: F401 - registers the professional facts with the scope
        )
