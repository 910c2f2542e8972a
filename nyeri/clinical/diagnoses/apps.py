from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DiagnosesConfig(AppConfig):
    name = "nyeri.clinical.diagnoses"
    label = "diagnoses"
    verbose_name = _("Diagnoses")

    def ready(self) -> None:
        from nyeri.clinical.diagnoses import checks  # noqa: F401 - registers the catalogue check
