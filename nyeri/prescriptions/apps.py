from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PrescriptionsConfig(AppConfig):
    name = "nyeri.prescriptions"
    label = "prescriptions"
    verbose_name = _("Prescriptions")

    def ready(self) -> None:
        from nyeri.prescriptions import checks  # noqa: F401 - registers the catalogue check
        from nyeri.prescriptions.selectors import practitioner_prescriptions
        from nyeri.workforce.privileges.evaluation import register_practice_source

        # The committee's file shows the practitioner's prescribing (docs/privileges.md).
        register_practice_source(practitioner_prescriptions)
