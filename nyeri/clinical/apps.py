from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ClinicalConfig(AppConfig):
    name = "nyeri.clinical"
    label = "clinical"
    verbose_name = _("Clinical care")

    def ready(self) -> None:
        from nyeri.clinical.instruments import checks  # noqa: F401 - registers the instrument-file check
