"""The reliability tests use the clinical fixtures: a nurse who may record assessments, a patient."""

from tests.clinical.conftest import clinician, make_person, patient

__all__ = ["clinician", "make_person", "patient"]
