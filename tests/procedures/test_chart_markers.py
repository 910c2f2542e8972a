"""Performed procedures appear as markers on the patient's chart trend."""

from __future__ import annotations

from django.utils import translation

from nyeri.clinical.chart.selectors import treatment_markers
from nyeri.clinical.models import Patient
from nyeri.procedures.models import ProcedurePerformance
from tests.procedures.conftest import Staff, client_of


def test_a_performed_procedure_is_a_marker_on_the_chart(
    performed: ProcedurePerformance, nurse: Staff, patient: Patient
) -> None:
    with translation.override("en"):
        markers = treatment_markers(nurse.scope, patient, since=None)
    assert [(m.kind, m.at) for m in markers] == [("procedure", performed.performed_at)]

    response = client_of(nurse.user, "en").get(f"/patients/{patient.pk}/?months=all")
    assert response.status_code == 200
    page = response.content.decode()
    assert 'class="marker marker-procedure"' in page
    assert markers[0].label in page
