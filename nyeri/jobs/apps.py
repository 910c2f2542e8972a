from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class JobsConfig(AppConfig):
    name = "nyeri.jobs"
    label = "jobs"
    verbose_name = _("Jobs")

    def ready(self) -> None:
        from nyeri.jobs import checks  # noqa: F401 - registers the defaults-file check
