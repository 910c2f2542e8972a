from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PrescriptionsConfig(AppConfig):
    name = "nyeri.prescriptions"
    label = "prescriptions"
    verbose_name = _("Prescriptions")

    def ready(self) -> None:
        from nyeri.prescriptions import checks  # noqa: F401 - registers the catalogue check
