from django.apps import AppConfig


class EvaluationConfig(AppConfig):
    """Ongoing professional practice evaluation (OPPE). No models: it reads the procedures,
    prescriptions, assessments, break-glass and audit tables (docs/oppe.md)."""

    name = "nyeri.evaluation"
    label = "evaluation"
    verbose_name = "Practice evaluation"
