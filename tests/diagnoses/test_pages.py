"""Diagnosis pages: problem list, forms with the service's errors, refusals, tenant wall, code search."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from django.utils import timezone

from nyeri.accounts.models import User
from nyeri.audit.models import AuditAction, AuditEvent
from nyeri.clinical.diagnoses import services
from nyeri.clinical.diagnoses.models import Diagnosis, RecordStatus
from nyeri.clinical.models import Patient
from nyeri.tenancy.models import Facility, Organization
from nyeri.tenancy.roles import Role
from tests.conftest import MakeMember
from tests.diagnoses.conftest import client_of, licensed_staff, scope_of


def page(patient: Patient, suffix: str = "") -> str:
    return f"/patients/{patient.pk}/diagnoses/{suffix}"


def form_data(facility: Facility, **fields: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "icd10_code": "M54.5",
        "icd11_category": "",
        "clinical_status": "active",
        "body_site": "lower_back",
        "laterality": "midline",
        "onset_date": "2024-03-01",
        "suspected_cause": "",
        "facility": facility.pk,
    }
    data.update(fields)
    return data


def test_the_problem_list_shows_the_current_diagnoses_and_the_read_is_audited(
    physician: User, patient: Patient, low_back_pain: Diagnosis
) -> None:
    response = client_of(physician).get(page(patient))
    assert response.status_code == 200
    html = response.content.decode()
    assert "M54.5" in html
    assert "Low back pain" in html
    assert "Record a diagnosis" in html
    event = AuditEvent.objects.filter(action=AuditAction.READ).latest("pk")
    assert (event.patient_id, event.actor_id, event.reason) == (patient.pk, physician.pk, "diagnoses")


def test_the_problem_list_shows_indonesian_titles_on_an_indonesian_page(
    physician: User, patient: Patient, low_back_pain: Diagnosis
) -> None:
    client = client_of(physician)
    client.post("/i18n/setlang/", {"language": "id", "next": "/"})
    html = client.get(page(patient)).content.decode()
    assert "Nyeri punggung bawah (lumbago)" in html


def test_a_physician_records_a_diagnosis_through_the_form(
    physician: User, patient: Patient, facility: Facility
) -> None:
    client = client_of(physician)
    assert client.get(page(patient, "new/")).status_code == 200
    response = client.post(page(patient, "new/"), form_data(facility, icd10_code="g50.0", body_site="face"))
    assert response.status_code == 302
    assert response["Location"] == page(patient)
    diagnosis = Diagnosis.objects.get()
    assert (diagnosis.icd10_code, diagnosis.icd10_title, diagnosis.body_site) == (
        "G50.0",
        "Trigeminal neuralgia",
        "face",
    )
    assert "G50.0" in client.get(page(patient)).content.decode()


def test_the_form_shows_each_service_error_under_its_field_and_saves_nothing(
    physician: User, patient: Patient, facility: Facility
) -> None:
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    response = client_of(physician).post(
        page(patient, "new/"), form_data(facility, icd10_code="G89.29", onset_date=tomorrow)
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "G89.29 is not a code of WHO ICD-10 2019." in html
    assert "The onset cannot be in the future." in html
    assert not Diagnosis.objects.exists()


def test_a_nurse_sees_why_she_cannot_record_a_diagnosis_and_cannot_post_one(
    licensed_nurse: User, patient: Patient, facility: Facility
) -> None:
    client = client_of(licensed_nurse)
    html = client.get(page(patient)).content.decode()
    assert "Record a diagnosis" not in html
    assert "Needs one of these roles" in html
    response = client.post(page(patient, "new/"), form_data(facility))
    assert response.status_code == 403
    assert "Needs one of these roles" in response.content.decode()
    assert not Diagnosis.objects.exists()


def test_amending_through_the_form_adds_a_version_and_the_history_shows_both(
    physician: User, patient: Patient, facility: Facility, low_back_pain: Diagnosis
) -> None:
    client = client_of(physician)
    url = page(patient, f"{low_back_pain.pk}/amend/")
    form = client.get(url).content.decode()
    assert 'value="M54.5"' in form
    same = form_data(facility, suspected_cause=low_back_pain.suspected_cause)
    unchanged = client.post(url, {**same, "reason": "nothing"})
    assert "The amendment changes nothing" in unchanged.content.decode()
    response = client.post(url, {**same, "icd10_code": "M51.1", "laterality": "left", "reason": "MRI: L5 root"})
    assert response.status_code == 302
    history = client.get(page(patient, f"{low_back_pain.pk}/")).content.decode()
    assert "MRI: L5 root" in history
    assert "Low back pain" in history
    assert "Lumbar and other intervertebral disc disorders with radiculopathy" in history
    # The problem list links to the new version; the old one can no longer be amended.
    current = Diagnosis.objects.get(amends=low_back_pain)
    assert f"{current.pk}/amend/" in client.get(page(patient)).content.decode()
    stale = client.post(url, {**same, "laterality": "right", "reason": "again"})
    assert "amended since" in stale.content.decode()


def test_marking_entered_in_error_hides_the_diagnosis_and_says_so(
    physician: User, patient: Patient, low_back_pain: Diagnosis
) -> None:
    client = client_of(physician)
    url = page(patient, f"{low_back_pain.pk}/entered-in-error/")
    assert client.get(url).status_code == 200
    assert "This field is required." in client.post(url, {"reason": ""}).content.decode()
    assert client.post(url, {"reason": "Wrong patient"}).status_code == 302
    html = client.get(page(patient)).content.decode()
    assert 'id="diagnosis-' not in html
    assert "1 diagnosis entered in error is hidden" in html
    assert Diagnosis.objects.filter(record_status=RecordStatus.ENTERED_IN_ERROR).count() == 1


def test_another_organizations_patient_and_diagnoses_are_not_found(
    physician: User,
    patient: Patient,
    foreign_patient: Patient,
    other_org: Organization,
    other_facility: Facility,
    make_member: MakeMember,
) -> None:
    stranger = licensed_staff(make_member, other_org, other_facility, Role.PAIN_PHYSICIAN, "dr_lain")
    theirs = services.record_diagnosis(
        scope=scope_of(stranger), acting_user=stranger, patient=foreign_patient, icd10_code="G43.9"
    )
    client = client_of(physician)
    for url in (
        page(foreign_patient),
        page(foreign_patient, "new/"),
        page(foreign_patient, f"{theirs.pk}/"),
        page(foreign_patient, f"{theirs.pk}/amend/"),
        page(foreign_patient, f"{theirs.pk}/entered-in-error/"),
        # Our patient's page with their diagnosis: still not found.
        page(patient, f"{theirs.pk}/"),
        page(patient, f"{theirs.pk}/amend/"),
    ):
        assert client.get(url).status_code == 404, url
    assert client.post(page(patient, f"{theirs.pk}/entered-in-error/"), {"reason": "x"}).status_code == 404
    assert Diagnosis.objects.count() == 1


def test_the_problem_list_page_makes_the_same_number_of_queries_for_one_or_many_diagnoses(
    physician: User, patient: Patient, django_assert_max_num_queries: Any, django_assert_num_queries: Any
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_of(physician)
    scope = scope_of(physician)
    services.record_diagnosis(scope=scope, acting_user=physician, patient=patient, icd10_code="M54.5")
    with CaptureQueriesContext(connection) as one:
        assert client.get(page(patient)).status_code == 200
    for code in ("G43.9", "G44.2", "G50.0", "M79.1", "M17.1"):
        services.record_diagnosis(scope=scope, acting_user=physician, patient=patient, icd10_code=code)
    with django_assert_num_queries(len(one)):
        assert client.get(page(patient)).status_code == 200


def test_the_code_search_page_finds_codes_in_both_languages(physician: User) -> None:
    client = client_of(physician)
    html = client.get("/patients/diagnosis-codes/", {"q": "nyeri punggung"}).content.decode()
    assert "M54.5" in html
    assert "Nyeri punggung bawah" in html
    partial = client.get("/patients/diagnosis-codes/", {"q": "low back"}, HTTP_HX_REQUEST="true")
    body = partial.content.decode()
    assert body.lstrip().startswith('<ul class="codes" id="code-results"')
    assert 'data-code="M54.5"' in body


def test_the_add_form_lists_matching_codes_to_pick_and_prefills_the_picked_one(
    physician: User, patient: Patient
) -> None:
    client = client_of(physician)
    html = client.get(page(patient, "new/"), {"q": "M54"}).content.decode()
    assert 'href="?code=M54.5&amp;q=M54"' in html
    picked = client.get(page(patient, "new/"), {"code": "M54.5", "q": "M54"}).content.decode()
    assert re.search(r'name="icd10_code"[^>]*value="M54.5"', picked)


def test_the_pages_have_no_inline_script_or_style(physician: User, patient: Patient, low_back_pain: Diagnosis) -> None:
    client = client_of(physician)
    for url in (
        page(patient),
        page(patient, "new/"),
        page(patient, f"{low_back_pain.pk}/amend/"),
        "/patients/diagnosis-codes/",
    ):
        html = client.get(url).content.decode()
        assert not re.search(r"<script(?![^>]*\bsrc=)", html), url
        assert "<style" not in html, url
        assert " style=" not in html, url


def test_a_physician_of_another_facility_records_where_she_practises(
    make_member: MakeMember, org: Organization, patient: Patient
) -> None:
    branch = Facility.objects.create(
        organization=org,
        name="Klinik Nyeri Cabang",
        code="cabang",
        kind=Facility.Kind.PAIN_CLINIC,
        province="Jawa Barat",
        regency="Kota Bandung",
        regency_code="32.73",
    )
    doctor = licensed_staff(make_member, org, branch, Role.PAIN_PHYSICIAN, "dr_cabang")
    client = client_of(doctor)
    assert "Record a diagnosis" in client.get(page(patient)).content.decode()
    form = client.get(page(patient, "new/")).content.decode()
    assert re.search(rf'<option value="{branch.pk}" selected>', form)
    assert client.post(page(patient, "new/"), form_data(branch)).status_code == 302
    assert Diagnosis.objects.get().facility_id == branch.pk
    # At the patient's own facility she holds no practice permit: the engine refuses.
    refused = client.post(page(patient, "new/"), form_data(patient.registered_at))
    assert refused.status_code == 403
    assert "practice permit (SIP) is for another place" in refused.content.decode()
