from django.apps import AppConfig


class OutcomesConfig(AppConfig):
    """The outcomes report (pages, API, CSV). No models: it reads the clinical and diagnoses tables."""

    name = "nyeri.clinical.outcomes"
    label = "outcomes"
    verbose_name = "Outcomes"
