from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StaffingConfig(AppConfig):
    name = "nyeri.staffing"
    label = "staffing"
    verbose_name = _("Staffing")

    def ready(self) -> None:
        from nyeri.staffing import checks  # noqa: F401 - registers the staffing-rule check
