from django.apps import AppConfig


class EvaluationConfig(AppConfig):
    """Ongoing professional practice evaluation (OPPE). No models: it reads the procedures,
    prescriptions, assessments, break-glass and audit tables (docs/oppe.md)."""

    name = "nyeri.evaluation"
    label = "evaluation"
    verbose_name = "Practice evaluation"

    def ready(self) -> None:
        from nyeri.evaluation.committee import committee_comparisons
        from nyeri.workforce.privileges.evaluation import register_review_source

        # The committee's file of a privilege request shows the practitioner beside their
        # peers (docs/privileges.md); the workforce app cannot import this one.
        register_review_source(committee_comparisons)
