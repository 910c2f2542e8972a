from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FacilitiesConfig(AppConfig):
    name = "nyeri.facilities"
    label = "facilities"
    verbose_name = _("Facilities")

    def ready(self) -> None:
        from nyeri.facilities import checks  # noqa: F401 - registers the service-catalogue check
