"""A patient's rights through the clinic: the export, correction and erasure requests."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.http import Http404
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from nyeri.accounts.models import User
from nyeri.audit.models import AuditAction, AuditEvent, AuditOutcome
from nyeri.clinical.models import Encounter, Patient, PatientEdit
from nyeri.privacy import selectors, services
from nyeri.privacy.collect import Section
from nyeri.privacy.legal import legal_basis, retention_ends
from nyeri.privacy.models import PatientDataRequest, RequestStatus
from nyeri.tenancy.scope import Scope

pytestmark = pytest.mark.django_db


def test_a_clinician_exports_everything_held_about_a_patient_as_json(
    clinician_client: Client, patient: Patient, encounter: Encounter
) -> None:
    response = clinician_client.get(
        f"/privacy/patients/{patient.pk}/export/", {"file_format": "json", "language": "en"}
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert "attachment" in response["Content-Disposition"]
    body = json.loads(response.content)
    sections = {s["key"]: s for s in body["sections"]}
    assert sections["clinical.patient"]["rows"][0]["full_name"] == "Dadang Suryana"
    assert sections["clinical.encounter"]["rows"][0]["id"] == encounter.pk
    assert "audit.processing" in sections
    # Labels in the language asked for; no secret column anywhere.
    assert sections["clinical.patient"]["labels"]["full_name"] == "full name"
    assert not any("password" in name or "digest" in name for s in body["sections"] for name in s["labels"])
    event = AuditEvent.objects.get(action=AuditAction.EXPORT, patient_id=patient.pk)
    assert event.object_type == "patient_data_export"
    assert event.reason.startswith("json, en")


def test_the_pdf_export_is_a_pdf_in_the_language_asked(
    clinician_client: Client, patient: Patient, encounter: Encounter
) -> None:
    response = clinician_client.get(f"/privacy/patients/{patient.pk}/export/", {"file_format": "pdf", "language": "id"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert AuditEvent.objects.filter(action=AuditAction.EXPORT, reason__startswith="pdf, id").count() == 1


def test_a_bad_export_format_is_refused_without_an_export(clinician_client: Client, patient: Patient) -> None:
    response = clinician_client.get(f"/privacy/patients/{patient.pk}/export/", {"file_format": "xml"})
    assert response.status_code == 302
    assert not AuditEvent.objects.filter(action=AuditAction.EXPORT).exists()


def test_another_organizations_patient_is_not_found(
    clinician_client: Client, clinician_scope: Scope, foreign_patient: Patient
) -> None:
    assert clinician_client.get(f"/privacy/patients/{foreign_patient.pk}/").status_code == 404
    export = clinician_client.get(
        f"/privacy/patients/{foreign_patient.pk}/export/", {"file_format": "json", "language": "en"}
    )
    assert export.status_code == 404
    with pytest.raises(Http404):
        services.request_erasure(
            scope=clinician_scope,
            acting_user=clinician_scope.user,
            patient_id=foreign_patient.pk,
            requested_by="x",
            what="",
            language="en",
        )
    assert not AuditEvent.objects.filter(action=AuditAction.EXPORT).exists()
    assert not PatientDataRequest.objects.exists()


def test_another_organizations_request_is_not_found(
    clinician_scope: Scope, clinician: User, patient: Patient, other_org: object, make_member: object
) -> None:
    row = services.request_correction(
        scope=clinician_scope,
        acting_user=clinician,
        patient_id=patient.pk,
        requested_by="Dadang",
        field="phone",
        what_is_wrong="old number",
        should_be="0812-1",
    )
    from nyeri.tenancy.roles import Role

    assert callable(make_member)
    stranger = make_member(other_org, Role.NURSE, username="lain")
    from tests.clinical.conftest import scope_of

    with pytest.raises(Http404):
        selectors.organization_request(scope_of(stranger), row.pk)
    with pytest.raises(Http404):
        services.answer_correction(
            scope=scope_of(stranger), acting_user=stranger, request_id=row.pk, accept=True, answer=""
        )


def test_an_accepted_correction_amends_the_record_and_keeps_the_earlier_version(
    clinician_scope: Scope, clinician: User, patient: Patient
) -> None:
    row = services.request_correction(
        scope=clinician_scope,
        acting_user=clinician,
        patient_id=patient.pk,
        requested_by="Dadang Suryana (the patient)",
        field="full_name",
        what_is_wrong="The name is misspelt",
        should_be="Dadang Suryadi",
    )
    assert row.status == RequestStatus.OPEN
    assert row.due_at == row.received_at + timedelta(hours=72)
    answered = services.answer_correction(
        scope=clinician_scope, acting_user=clinician, request_id=row.pk, accept=True, answer=""
    )
    patient.refresh_from_db()
    assert patient.full_name == "Dadang Suryadi"
    assert answered.status == RequestStatus.ACCEPTED
    edit = PatientEdit.objects.get(patient=patient)
    assert answered.edit_id == edit.pk
    change = edit.changes.get()
    assert (change.before, change.after) == ("Dadang Suryana", "Dadang Suryadi")
    assert AuditEvent.objects.filter(object_type="personal_data_request", object_id=str(row.pk)).count() == 2
    with pytest.raises(ValidationError):
        services.answer_correction(
            scope=clinician_scope, acting_user=clinician, request_id=row.pk, accept=False, answer="again"
        )


def test_a_refused_correction_needs_a_reason_and_changes_nothing(
    clinician_scope: Scope, clinician: User, patient: Patient
) -> None:
    row = services.request_correction(
        scope=clinician_scope,
        acting_user=clinician,
        patient_id=patient.pk,
        requested_by="Dadang",
        field="birth_date",
        what_is_wrong="wrong year",
        should_be="1971-01-02",
    )
    with pytest.raises(ValidationError) as refused:
        services.answer_correction(
            scope=clinician_scope, acting_user=clinician, request_id=row.pk, accept=False, answer=" "
        )
    assert "answer" in refused.value.message_dict
    services.answer_correction(
        scope=clinician_scope, acting_user=clinician, request_id=row.pk, accept=False, answer="The KTP shows 1970."
    )
    row.refresh_from_db()
    patient.refresh_from_db()
    assert row.status == RequestStatus.REFUSED
    assert patient.birth_date == date(1970, 1, 2)
    assert not PatientEdit.objects.exists()
    assert AuditEvent.objects.filter(object_type="personal_data_request", outcome=AuditOutcome.DENIED).count() == 1


def test_a_correction_request_names_what_is_wrong(clinician_scope: Scope, clinician: User, patient: Patient) -> None:
    with pytest.raises(ValidationError) as bad:
        services.request_correction(
            scope=clinician_scope,
            acting_user=clinician,
            patient_id=patient.pk,
            requested_by="",
            field="password",
            what_is_wrong="",
            should_be="x",
        )
    assert "field" in bad.value.message_dict
    assert not PatientDataRequest.objects.exists()


def test_an_erasure_before_the_retention_date_is_refused_with_the_legal_basis_in_the_persons_language(
    clinician_scope: Scope, clinician: User, patient: Patient, encounter: Encounter
) -> None:
    row = services.request_erasure(
        scope=clinician_scope,
        acting_user=clinician,
        patient_id=patient.pk,
        requested_by="Dadang Suryana",
        what="Semua data saya",
        language="id",
    )
    ends = retention_ends(timezone.localdate(encounter.starts_at))
    assert ends.year == timezone.localdate(encounter.starts_at).year + legal_basis().retention.years == ends.year
    assert row.status == RequestStatus.REFUSED
    assert "Permenkes 24/2022" in row.legal_basis
    assert "rekam medis disimpan paling singkat 25 tahun" in row.legal_basis
    assert "tidak dapat dihapus" in row.answer or str(ends.year) in row.answer
    refusal = AuditEvent.objects.get(object_type="personal_data_request", outcome=AuditOutcome.DENIED)
    assert f"retention until {ends.isoformat()}" in refusal.reason
    # The person's data is not copied into the trail.
    assert "Dadang" not in refusal.reason
    patient.refresh_from_db()
    assert Patient.objects.filter(pk=patient.pk).exists()


def test_an_erasure_after_the_retention_date_stays_open_for_the_clinic(
    clinician_scope: Scope, clinician: User, patient: Patient, encounter: Encounter
) -> None:
    row = services.request_erasure(
        scope=clinician_scope,
        acting_user=clinician,
        patient_id=patient.pk,
        requested_by="Dadang",
        what="",
        language="en",
        today=timezone.localdate() + timedelta(days=365 * 26),
    )
    assert row.status == RequestStatus.OPEN
    assert not AuditEvent.objects.filter(outcome=AuditOutcome.DENIED).exists()


def test_the_retention_date_of_a_leap_day_visit_is_the_28th_of_february() -> None:
    assert retention_ends(date(2024, 2, 29)) == date(2049, 2, 28)
    assert retention_ends(date(2026, 6, 1)) == date(2051, 6, 1)


def test_the_patient_page_records_requests_and_the_open_list_shows_the_deadline(
    clinician_client: Client, patient: Patient
) -> None:
    page = clinician_client.get(f"/privacy/patients/{patient.pk}/")
    assert page.status_code == 200
    response = clinician_client.post(
        f"/privacy/patients/{patient.pk}/",
        {
            "kind": "correction",
            "c-requested_by": "Dadang",
            "c-field": "phone",
            "c-what_is_wrong": "Nomor lama",
            "c-should_be": "0812-555",
        },
    )
    assert response.status_code == 302
    row = PatientDataRequest.objects.get()
    listing = clinician_client.get("/privacy/requests/")
    assert listing.status_code == 200
    assert f'data-testid="open-{row.pk}"' in listing.content.decode()
    answer = clinician_client.post(f"/privacy/requests/{row.pk}/answer/", {"decision": "accept", "answer": ""})
    assert answer.status_code == 302
    patient.refresh_from_db()
    assert patient.phone == "0812-555"


def test_a_bad_request_form_is_a_form_error_not_a_500(clinician_client: Client, patient: Patient) -> None:
    response = clinician_client.post(
        f"/privacy/patients/{patient.pk}/", {"kind": "correction", "c-requested_by": "", "c-field": "nope"}
    )
    assert response.status_code == 400
    assert "field-error" in response.content.decode()
    assert not PatientDataRequest.objects.exists()


def test_the_patient_page_links_to_the_rights_page(clinician_client: Client, patient: Patient) -> None:
    assert f"/privacy/patients/{patient.pk}/" in clinician_client.get(f"/patients/{patient.pk}/").content.decode()


def test_the_export_takes_as_many_queries_for_many_visits_as_for_one(
    clinician_scope: Scope, clinician: User, patient: Patient, encounter: Encounter
) -> None:
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            selectors.patient_export(clinician_scope, patient.pk, language="en", file_format="json")
        return len(captured)

    queries()  # the first audit append of the organization creates its chain head
    one = queries()
    for hours in range(1, 6):
        Encounter.objects.create(
            organization=patient.organization,
            patient=patient,
            facility=encounter.facility,
            kind=encounter.kind,
            starts_at=timezone.now() - timedelta(days=hours),
            created_by=clinician,
        )
    assert queries() == one


def test_each_open_request_has_its_own_answer_form_with_unique_ids(
    clinician_client: Client, clinician_scope: Scope, clinician: User, patient: Patient
) -> None:
    for field in ("phone", "address"):
        services.request_correction(
            scope=clinician_scope,
            acting_user=clinician,
            patient_id=patient.pk,
            requested_by="Dadang",
            field=field,
            what_is_wrong="old",
            should_be="new",
        )
    html = clinician_client.get(f"/privacy/patients/{patient.pk}/").content.decode()
    ids = re.findall(r'\bid="([^"]+)"', html)
    assert len(ids) == len(set(ids))
    assert html.count('data-testid="answer-form"') == 2


def test_the_pdf_shows_a_choice_by_its_label_and_a_json_column_as_it_is() -> None:
    part = Section(key="k", title="t", labels={"sex": "sex", "sites": "sites"}, choices={"sex": {"male": "Male"}})
    assert part.shown({"sex": "male", "sites": ["low_back", "neck"]}) == [
        ("sex", "Male"),
        ("sites", "['low_back', 'neck']"),
    ]
