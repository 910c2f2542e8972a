from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProceduresConfig(AppConfig):
    name = "nyeri.procedures"
    label = "procedures"
    verbose_name = _("Procedures")

    def ready(self) -> None:
        from nyeri.procedures import checks  # noqa: F401 - registers the catalogue check
        from nyeri.procedures.selectors import practitioner_procedures
        from nyeri.workforce.privileges.evaluation import register_practice_source

        # The committee's file shows the practitioner's procedures (docs/privileges.md).
        register_practice_source(practitioner_procedures)
