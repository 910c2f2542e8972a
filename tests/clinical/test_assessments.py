"""Pain assessments: recorded with computed scores, privileged by the engine, amended and
marked entered in error without losing history, behind the tenant wall, read in fixed queries."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from nyeri.accounts.models import User
from nyeri.audit.models import AuditAction, AuditEvent, AuditOutcome
from nyeri.clinical.assessments import selectors, services
from nyeri.clinical.assessments.services import BodySiteIn
from nyeri.clinical.models import (
    AssessmentAnswer,
    AssessmentBodySite,
    AssessmentScore,
    AssessmentStatus,
    Encounter,
    EncounterKind,
    EncounterStatus,
    PainAssessment,
    Patient,
)
from nyeri.tenancy.models import Facility, Organization
from nyeri.tenancy.refusals import ActionRefused
from nyeri.tenancy.roles import Role
from nyeri.tenancy.scope import Scope
from tests.clinical.conftest import make_patient, scope_of
from tests.conftest import MakeMember, log_in
from tests.queries import statements_of

PEG = {"pain_average": 7, "enjoyment": 5, "general_activity": 6}


def record(
    scope: Scope, patient: Patient, instrument: str = "nrs", answers: dict | None = None, **fields: object
) -> PainAssessment:  # type: ignore[type-arg]
    values: dict[str, object] = {"facility": patient.registered_at}
    values.update(fields)
    return services.record_assessment(
        scope=scope,
        acting_user=scope.user,
        patient=patient,
        instrument_code=instrument,
        answers=answers if answers is not None else {"intensity": 7},
        **values,  # type: ignore[arg-type]
    )


def nothing_saved() -> bool:
    return not (
        PainAssessment.objects.exists()
        or AssessmentAnswer.objects.exists()
        or AssessmentScore.objects.exists()
        or AssessmentBodySite.objects.exists()
    )


def test_a_rating_is_recorded_with_its_computed_score_band_and_body_sites(
    clinician_scope: Scope, patient: Patient, encounter: Encounter
) -> None:
    assessment = record(
        clinician_scope,
        patient,
        answers={"intensity": 7},
        encounter=encounter,
        facility=None,
        body_sites=[BodySiteIn("lower_back", "back", "midline"), BodySiteIn("thigh", "back", "left")],
        pain_character="mixed",
    )
    assert (assessment.instrument_code, assessment.instrument_version, assessment.status) == (
        "nrs",
        "2026.11-1",
        AssessmentStatus.CURRENT,
    )
    assert assessment.facility_id == encounter.facility_id
    assert list(assessment.scores.values_list("score_code", "value", "band_code")) == [("total", Decimal(7), "severe")]
    assert list(assessment.answers.values_list("item_code", "value")) == [("intensity", 7)]
    assert assessment.body_sites.count() == 2
    event = AuditEvent.objects.get(object_type="pain_assessment", object_id=str(assessment.pk))
    assert (event.action, event.patient_id) == (AuditAction.CREATE, patient.pk)
    # The decision relied on: the action, the pack, and the credentials (STR and SIP).
    assert "nrs@2026.11-1: total=7" in event.reason
    assert "record_assessment allowed for person" in event.reason
    assert "by ID@" in event.reason
    assert "relying on credentials" in event.reason


def test_the_bpi_records_two_scores_and_no_interference_with_three_answered(
    clinician_scope: Scope, patient: Patient
) -> None:
    answers = {"worst": 8, "least": 3, "average": 5, "now": 6, "mood": 5, "walking": 6, "sleep": 4}
    assessment = record(clinician_scope, patient, "bpi_sf", answers)
    assert list(assessment.scores.values_list("score_code", "value")) == [("severity", Decimal("5.5"))]
    answers["relations"] = 4
    amended = services.amend_assessment(
        scope=clinician_scope,
        acting_user=clinician_scope.user,
        assessment=assessment,
        reason="satu butir",
        answers=answers,
    )
    assert dict(amended.scores.values_list("score_code", "value")) == {
        "severity": Decimal("5.5"),
        "interference": Decimal("4.8"),
    }


def test_the_ort_is_scored_with_the_patients_sex(
    clinician_scope: Scope, patient: Patient, female_patient: Patient
) -> None:
    answers = {
        "family_alcohol": 1,
        "family_illegal_drugs": 0,
        "family_prescription_drugs": 0,
        "personal_alcohol": 1,
        "personal_illegal_drugs": 0,
        "personal_prescription_drugs": 0,
        "age_16_45": 0,
        "preadolescent_sexual_abuse": 1,
        "psychological_disease": 0,
        "depression": 1,
    }
    her = record(clinician_scope, female_patient, "ort", answers).scores.get()
    him = record(clinician_scope, patient, "ort", answers).scores.get()
    assert (her.value, her.band_code) == (Decimal(8), "high")
    assert (him.value, him.band_code) == (Decimal(7), "moderate")


@pytest.mark.parametrize(
    ("instrument", "answers", "sites", "fields"),
    [
        ("nrs", {"intensity": 11}, [], {"answers.intensity"}),
        ("peg", {"pain_average": 7, "enjoyment": 5}, [], {"answers.general_activity"}),
        ("peg", {**PEG, "general_activity": None}, [], {"answers.general_activity"}),
        ("vas", {"intensity": 5}, [], {"instrument"}),
        ("nrs", {"intensity": 5}, [("spleen", "front", "left")], {"body_sites"}),
        ("nrs", {"intensity": 5}, [("lower_back", "front", "midline")], {"body_sites"}),
        ("nrs", {"intensity": 5}, [("knee", "front", "midline")], {"body_sites"}),
        ("nrs", {"intensity": 5}, [("knee", "front", "")], {"body_sites"}),
        ("nrs", {"intensity": 5}, [("knee", "front", "left"), ("knee", "front", "right")], {"body_sites"}),
        ("nrs", {"mood": 5}, [], {"answers", "answers.intensity"}),
        ("odi", {"pain_intensity": 3, "lifting": 2}, [], {"answers"}),
        ("nrs", {"intensity": 11}, [("spleen", "front", "left")], {"answers.intensity", "body_sites"}),
    ],
)
def test_bad_input_is_refused_naming_the_field_and_nothing_is_saved(
    clinician_scope: Scope,
    patient: Patient,
    instrument: str,
    answers: dict[str, int | None],
    sites: list[tuple[str, str, str]],
    fields: set[str],
) -> None:
    with pytest.raises(ValidationError) as caught:
        record(clinician_scope, patient, instrument, answers, body_sites=[BodySiteIn(*s) for s in sites])
    assert set(caught.value.message_dict) == fields
    assert nothing_saved()


def test_the_errors_are_translated_and_name_the_range_and_the_region(clinician_scope: Scope, patient: Patient) -> None:
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        record(clinician_scope, patient, "nrs", {"intensity": 11}, body_sites=[BodySiteIn("spleen", "front", "left")])
    assert caught.value.message_dict == {
        "answers.intensity": ["Enter a whole number from 0 to 10."],
        "body_sites": ["spleen is not in the body map."],
    }
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        record(clinician_scope, patient, "vas", {"intensity": 5})
    assert caught.value.message_dict == {"instrument": ["Unknown instrument vas."]}


def test_a_time_in_the_future_a_bad_source_and_a_foreign_facility_are_refused(
    clinician_scope: Scope, patient: Patient, other_facility: Facility
) -> None:
    with pytest.raises(ValidationError) as caught:
        record(
            clinician_scope,
            patient,
            recorded_at=timezone.now() + timedelta(hours=1),
            source="diary",
            facility=other_facility,
            pain_character="burning",
        )
    assert set(caught.value.message_dict) == {"recorded_at", "source", "facility", "pain_character"}
    assert nothing_saved()


def test_an_assessment_in_a_cancelled_or_another_patients_encounter_is_refused(
    clinician_scope: Scope, patient: Patient, female_patient: Patient, encounter: Encounter
) -> None:
    with pytest.raises(ValidationError) as caught:
        record(clinician_scope, female_patient, encounter=encounter, facility=None)
    assert list(caught.value.message_dict) == ["encounter"]
    Encounter.objects.filter(pk=encounter.pk).update(
        status=EncounterStatus.CANCELLED, cancel_reason="x", cancelled_at=timezone.now()
    )
    encounter.refresh_from_db()
    with pytest.raises(ValidationError) as caught:
        record(clinician_scope, patient, encounter=encounter, facility=None)
    assert list(caught.value.message_dict) == ["encounter"]
    assert nothing_saved()


def test_a_nurse_without_a_practice_permit_is_refused_with_the_engines_reason(
    unlicensed_nurse: User, patient: Patient, facility: Facility
) -> None:
    with translation.override("en"), pytest.raises(ActionRefused) as caught:
        record(scope_of(unlicensed_nurse), patient)
    assert caught.value.reasons == ("No practice permit (SIP) for this facility.",)
    assert "No practice permit (SIP) for this facility." in caught.value.message
    assert nothing_saved()
    event = AuditEvent.objects.filter(object_type="pain_assessment").latest("pk")
    assert (event.action, event.outcome, event.actor_id, event.patient_id) == (
        AuditAction.PERMISSION_DENIED,
        AuditOutcome.DENIED,
        unlicensed_nurse.pk,
        patient.pk,
    )
    assert "permit_missing" in event.reason


def test_a_member_without_a_professional_record_is_refused(
    org: Organization, patient: Patient, make_member: MakeMember
) -> None:
    doctor = make_member(org, Role.PAIN_PHYSICIAN, username="andi")
    with pytest.raises(ActionRefused) as caught:
        record(scope_of(doctor), patient)
    assert len(caught.value.reasons) == 1
    assert nothing_saved()


def test_a_compliance_officer_cannot_record_or_read_assessments(
    org: Organization, patient: Patient, make_member: MakeMember
) -> None:
    officer = scope_of(make_member(org, Role.COMPLIANCE_OFFICER, username="hendra"))
    with pytest.raises(PermissionDenied):
        record(officer, patient)
    with pytest.raises(PermissionDenied):
        selectors.assessment_series(officer, patient)


def test_an_amendment_is_a_new_version_and_the_earlier_one_is_kept(clinician_scope: Scope, patient: Patient) -> None:
    first = record(clinician_scope, patient, "peg", PEG)
    with pytest.raises(ValidationError) as caught:
        services.amend_assessment(
            scope=clinician_scope, acting_user=clinician_scope.user, assessment=first, reason="", answers=PEG
        )
    assert list(caught.value.message_dict) == ["reason"]
    second = services.amend_assessment(
        scope=clinician_scope,
        acting_user=clinician_scope.user,
        assessment=first,
        reason="Salah ketik pada butir P",
        answers={**PEG, "pain_average": 4},
    )
    first.refresh_from_db()
    assert first.status == AssessmentStatus.AMENDED
    assert first.scores.get().value == Decimal("6.0")
    assert (second.amends_id, second.original_id, second.status) == (first.pk, first.pk, AssessmentStatus.CURRENT)
    assert second.scores.get().value == Decimal("5.0")
    assert second.recorded_at == first.recorded_at
    third = services.amend_assessment(
        scope=clinician_scope, acting_user=clinician_scope.user, assessment=second, reason="lagi", answers=PEG
    )
    assert third.original_id == first.pk
    # The earlier version cannot be amended again: only the current one is corrected.
    with pytest.raises(ValidationError) as caught:
        services.amend_assessment(
            scope=clinician_scope, acting_user=clinician_scope.user, assessment=first, reason="x", answers=PEG
        )
    assert list(caught.value.message_dict) == ["status"]
    history = selectors.assessment_detail(clinician_scope, first.pk)
    assert [v.pk for v in history.versions] == [first.pk, second.pk, third.pk]
    assert [v.amendment_reason for v in history.versions] == ["", "Salah ketik pada butir P", "lagi"]
    assert history.current is not None
    assert history.current.pk == third.pk
    event = AuditEvent.objects.get(object_type="pain_assessment", object_id=str(second.pk))
    assert event.action == AuditAction.AMEND
    assert f"amends {first.pk}: Salah ketik pada butir P" in event.reason


def test_entered_in_error_needs_a_reason_is_kept_and_is_hidden_from_the_series(
    clinician_scope: Scope, patient: Patient
) -> None:
    kept = record(clinician_scope, patient, answers={"intensity": 8})
    wrong = record(clinician_scope, patient, answers={"intensity": 2})
    with pytest.raises(ValidationError) as caught:
        services.mark_entered_in_error(
            scope=clinician_scope, acting_user=clinician_scope.user, assessment=wrong, reason=" "
        )
    assert list(caught.value.message_dict) == ["reason"]
    services.mark_entered_in_error(
        scope=clinician_scope, acting_user=clinician_scope.user, assessment=wrong, reason="Pasien lain"
    )
    wrong.refresh_from_db()
    assert (wrong.status, wrong.entered_in_error_reason, wrong.entered_in_error_by_id) == (
        AssessmentStatus.ENTERED_IN_ERROR,
        "Pasien lain",
        clinician_scope.user.pk,
    )
    assert wrong.scores.get().value == 2
    (series,) = selectors.assessment_series(clinician_scope, patient, instrument_code="nrs")
    assert [p.assessment_id for p in series.points] == [kept.pk]
    with pytest.raises(ValidationError):
        services.amend_assessment(
            scope=clinician_scope,
            acting_user=clinician_scope.user,
            assessment=wrong,
            reason="x",
            answers={"intensity": 3},
        )


def test_the_series_holds_current_versions_per_instrument_in_time_order(
    clinician_scope: Scope, patient: Patient
) -> None:
    now = timezone.now()
    later = record(clinician_scope, patient, answers={"intensity": 4}, recorded_at=now - timedelta(days=1))
    earlier = record(clinician_scope, patient, answers={"intensity": 8}, recorded_at=now - timedelta(days=10))
    peg = record(clinician_scope, patient, "peg", PEG, recorded_at=now - timedelta(days=5))
    amended = services.amend_assessment(
        scope=clinician_scope,
        acting_user=clinician_scope.user,
        assessment=earlier,
        reason="9, bukan 8",
        answers={"intensity": 9},
    )
    series = {s.instrument_code: s for s in selectors.assessment_series(clinician_scope, patient)}
    assert [(p.assessment_id, p.scores["total"][0]) for p in series["nrs"].points] == [
        (amended.pk, Decimal(9)),
        (later.pk, Decimal(4)),
    ]
    assert [p.assessment_id for p in series["peg"].points] == [peg.pk]
    assert series["nrs"].points[0].scores["total"][1] == "severe"


def test_the_series_takes_the_same_queries_for_one_assessment_or_many(clinician_scope: Scope, patient: Patient) -> None:
    record(clinician_scope, patient, answers={"intensity": 5})
    with CaptureQueriesContext(connection) as few:
        selectors.assessment_series(clinician_scope, patient)
    for rating in range(8):
        record(clinician_scope, patient, answers={"intensity": rating})
        record(clinician_scope, patient, "bpi_sf", {"worst": 8, "least": 3, "average": 5, "now": rating})
    with CaptureQueriesContext(connection) as many:
        series = selectors.assessment_series(clinician_scope, patient)
    assert sum(len(s.points) for s in series) == 17
    assert len(many) == len(few)


def test_the_series_api_pages_its_points_by_instrument_then_time_audited_in_constant_statements(
    clinician_scope: Scope,
    clinician_client: Client,
    patient: Patient,
    other_org: Organization,
    other_facility: Facility,
) -> None:
    first = record(clinician_scope, patient, answers={"intensity": 5})
    url = f"/api/patients/{patient.pk}/series"
    one = clinician_client.get(url).json()
    assert (one["count"], one["page"], one["pages"], one["page_size"]) == (1, 1, 1, 50)
    [point] = one["items"]
    assert (point["instrument"], point["assessment_id"], point["scores"][0]["value"]) == ("nrs", first.pk, 5.0)
    read = AuditEvent.objects.filter(action=AuditAction.READ, patient_id=patient.pk).latest("pk")
    assert read.reason.endswith("api: series")
    few = statements_of(lambda: clinician_client.get(url))
    for rating in range(4):
        record(clinician_scope, patient, answers={"intensity": rating})
        record(clinician_scope, patient, "bpi_sf", {"worst": 8, "least": 3, "average": 5, "now": rating})
    assert statements_of(lambda: clinician_client.get(url)) == few
    page = clinician_client.get(url, {"page": 2, "page_size": 3}).json()
    assert (page["count"], page["pages"]) == (9, 3)
    # BPI-SF's four first, then the five NRS: the second page ends BPI-SF and starts NRS.
    assert [p["instrument"] for p in page["items"]] == ["bpi_sf", "nrs", "nrs"]
    assert "severity" in {s["code"] for s in page["items"][0]["scores"]}
    assert clinician_client.get(url, {"instrument": "nrs"}).json()["count"] == 5
    # Another organization's patient is not found; its assessments are never counted.
    foreign = make_patient(other_org, other_facility, "RM-9", "Orang Lain")
    assert clinician_client.get(f"/api/patients/{foreign.pk}/series").status_code == 404


def test_the_history_and_the_patients_list_take_fixed_queries(clinician_scope: Scope, patient: Patient) -> None:
    first = record(clinician_scope, patient, "peg", PEG)
    with CaptureQueriesContext(connection) as few:
        selectors.assessment_detail(clinician_scope, first.pk)
        selectors.patient_assessment_rows(clinician_scope, patient, include_all=True)
    current = first
    for n in range(5):
        current = services.amend_assessment(
            scope=clinician_scope,
            acting_user=clinician_scope.user,
            assessment=current,
            reason=f"koreksi {n}",
            answers=PEG,
        )
    with CaptureQueriesContext(connection) as many:
        history = selectors.assessment_detail(clinician_scope, first.pk)
        listed = selectors.patient_assessment_rows(clinician_scope, patient, include_all=True).rows
    assert (len(history.versions), len(listed)) == (6, 6)
    assert len(many) == len(few)


# --- Pages --------------------------------------------------------------------------------


def test_the_form_is_generated_from_the_instrument_and_shows_the_scores_after_saving(
    clinician_client: Client, patient: Patient, encounter: Encounter
) -> None:
    url = f"/patients/{patient.pk}/assessments/new/?instrument=bpi_sf&encounter={encounter.pk}"
    page = clinician_client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="item_worst"' in html
    assert 'max="100"' in html  # the relief item, 0-100 % in steps of 10
    assert 'name="site_knee_front"' in html
    assert 'name="facility"' not in html  # in an encounter: its facility
    response = clinician_client.post(
        url,
        {
            "item_worst": "8",
            "item_least": "3",
            "item_average": "5",
            "item_now": "6",
            "item_mood": "5",
            "item_walking": "6",
            "item_sleep": "4",
            "item_relations": "4",
            "source": "patient",
            "site_lower_back_back": "on",
            "side_lower_back_back": "midline",
        },
    )
    assert response.status_code == 302, response.content
    assessment = PainAssessment.objects.get()
    assert (assessment.encounter_id, assessment.source) == (encounter.pk, "patient")
    detail = clinician_client.get(response["Location"])
    assert [(s.code, s.value) for s in detail.context["view"].scores] == [
        ("severity", Decimal("5.5")),
        ("interference", Decimal("4.8")),
    ]


def test_the_form_shows_each_error_under_its_field(
    clinician_client: Client, patient: Patient, facility: Facility
) -> None:
    response = clinician_client.post(
        f"/patients/{patient.pk}/assessments/new/?instrument=peg",
        {
            "facility": facility.pk,
            "item_pain_average": "11",
            "item_enjoyment": "3",
            "source": "clinician",
            "site_knee_front": "on",
        },
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert set(form.errors) == {"item_pain_average", "item_general_activity"}
    assert len(form.body_site_errors) == 1
    assert nothing_saved()


def test_an_unknown_instrument_on_the_page_offers_the_known_ones(clinician_client: Client, patient: Patient) -> None:
    response = clinician_client.get(f"/patients/{patient.pk}/assessments/new/?instrument=vas")
    assert response.status_code == 404
    assert "PHQ-9" in response.content.decode()


def test_the_page_shows_the_engines_reason_to_a_nurse_without_a_permit(
    unlicensed_nurse: User, patient: Patient, facility: Facility
) -> None:
    client = log_in(Client(), unlicensed_nurse)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    response = client.post(
        f"/patients/{patient.pk}/assessments/new/?instrument=nrs",
        {"facility": facility.pk, "item_intensity": "5", "source": "clinician"},
    )
    assert response.status_code == 403
    assert "No practice permit (SIP) for this facility." in response.content.decode()
    assert nothing_saved()


def test_the_amend_and_entered_in_error_pages_keep_the_history(
    clinician_client: Client, clinician_scope: Scope, patient: Patient
) -> None:
    first = record(clinician_scope, patient, "peg", PEG)
    page = clinician_client.get(f"/patients/assessments/{first.pk}/amend/")
    assert page.context["form"]["item_pain_average"].value() == 7
    response = clinician_client.post(
        f"/patients/assessments/{first.pk}/amend/",
        {"item_pain_average": "4", "item_enjoyment": "5", "item_general_activity": "6", "source": "clinician"},
    )
    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["reason"]
    response = clinician_client.post(
        f"/patients/assessments/{first.pk}/amend/",
        {
            "item_pain_average": "4",
            "item_enjoyment": "5",
            "item_general_activity": "6",
            "source": "clinician",
            "reason": "Salah ketik",
        },
    )
    assert response.status_code == 302
    second = PainAssessment.objects.get(status=AssessmentStatus.CURRENT)
    detail = clinician_client.get(f"/patients/assessments/{second.pk}/")
    assert [v.assessment.pk for v in detail.context["versions"]] == [second.pk, first.pk]
    assert "Salah ketik" in detail.content.decode()
    response = clinician_client.post(f"/patients/assessments/{second.pk}/entered-in-error/", {"reason": "Pasien lain"})
    assert response.status_code == 302
    second.refresh_from_db()
    assert second.status == AssessmentStatus.ENTERED_IN_ERROR
    timeline = clinician_client.get(f"/patients/{patient.pk}/care/")
    assert timeline.status_code == 200
    assert timeline.context["tables"] == []


# --- API ------------------------------------------------------------------------------------


def test_the_api_records_reads_amends_and_marks_assessments(
    clinician_client: Client, patient: Patient, facility: Facility
) -> None:
    response = clinician_client.post(
        f"/api/patients/{patient.pk}/assessments",
        {
            "instrument": "peg",
            "facility_id": facility.pk,
            "answers": PEG,
            "body_sites": [{"region": "knee", "view": "front", "laterality": "bilateral"}],
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    created = response.json()
    assert [(s["code"], s["value"], s["loinc"], s["loinc_verified"]) for s in created["scores"]] == [
        ("total", 6.0, "91147-9", False)
    ]
    assert created["body_sites"] == [{"region": "knee", "view": "front", "laterality": "bilateral"}]
    response = clinician_client.post(
        f"/api/assessments/{created['id']}/amend",
        {"reason": "koreksi", "answers": {**PEG, "enjoyment": 8}},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    amended = response.json()
    assert (amended["amends_id"], amended["scores"][0]["value"]) == (created["id"], 7.0)
    detail = clinician_client.get(f"/api/assessments/{amended['id']}").json()
    assert [v["status"] for v in detail["history"]] == ["amended", "current"]
    # The history is paged (docs/api.md): its assessments are the page's items.
    listed = clinician_client.get(f"/api/patients/{patient.pk}/assessments").json()["items"]
    assert [a["id"] for a in listed] == [amended["id"]]
    every = clinician_client.get(f"/api/patients/{patient.pk}/assessments", {"status": "all"}).json()
    assert (every["count"], len(every["items"])) == (2, 2)
    series = clinician_client.get(f"/api/patients/{patient.pk}/series", {"instrument": "peg"}).json()
    assert [(p["instrument"], p["assessment_id"], p["scores"]) for p in series["items"]] == [
        ("peg", amended["id"], [{"code": "total", "value": 7.0, "band": ""}])
    ]
    response = clinician_client.post(
        f"/api/assessments/{amended['id']}/entered-in-error",
        {"reason": "salah pasien"},
        content_type="application/json",
    )
    assert response.status_code == 200
    assert response.json()["status"] == "entered_in_error"
    assert clinician_client.get(f"/api/patients/{patient.pk}/series", {"instrument": "peg"}).json()["items"] == []


def test_the_api_refuses_bad_input_with_each_field_named(
    clinician_client: Client, patient: Patient, facility: Facility
) -> None:
    clinician_client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    response = clinician_client.post(
        f"/api/patients/{patient.pk}/assessments",
        {
            "instrument": "nrs",
            "facility_id": facility.pk,
            "answers": {"intensity": 11},
            "body_sites": [{"region": "tail", "view": "back", "laterality": "midline"}],
        },
        content_type="application/json",
    )
    assert response.status_code == 422
    fields = {f["field"]: f["message"] for f in response.json()["error"]["fields"]}
    assert fields == {
        "answers.intensity": "Enter a whole number from 0 to 10.",
        "body_sites": "tail is not in the body map.",
    }
    response = clinician_client.post(
        f"/api/patients/{patient.pk}/assessments",
        {"instrument": "nrs", "answers": {"intensity": 5}},
        content_type="application/json",
    )
    assert [f["field"] for f in response.json()["error"]["fields"]] == ["facility_id"]
    assert nothing_saved()


def test_the_api_refuses_a_nurse_without_a_permit_with_the_reason(
    unlicensed_nurse: User, patient: Patient, facility: Facility
) -> None:
    client = log_in(Client(), unlicensed_nurse)
    response = client.post(
        f"/api/patients/{patient.pk}/assessments",
        {"instrument": "nrs", "facility_id": facility.pk, "answers": {"intensity": 5}},
        content_type="application/json",
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"
    # In the user's language (Indonesian here), as the engine words it.
    assert "Tidak ada Surat Izin Praktik (SIP) untuk fasilitas ini." in response.json()["error"]["message"]


def test_the_api_lists_the_instruments_in_the_users_language(clinician_client: Client) -> None:
    listed = clinician_client.get("/api/instruments", HTTP_ACCEPT_LANGUAGE="id").json()
    instruments = {i["code"]: i for i in listed["items"]}
    assert (listed["count"], listed["page"], listed["pages"], listed["page_size"]) == (len(instruments), 1, 1, 50)
    second = clinician_client.get("/api/instruments", {"page": 2, "page_size": 2}).json()
    assert second["count"] == len(instruments)
    assert [i["code"] for i in second["items"]] == sorted(instruments)[2:4]
    # Shipped with the code: the same statements (the caller's) for a page of one as of all.
    assert statements_of(lambda: clinician_client.get("/api/instruments", {"page_size": 1})) == statements_of(
        lambda: clinician_client.get("/api/instruments")
    )
    assert instruments["nrs"]["scores"][0]["loinc"] == "72514-3"
    assert instruments["phq9"]["items"][0]["answers"][0]["label"] == "Tidak sama sekali"


def test_another_organizations_patient_and_assessment_are_not_found(
    clinician_client: Client, other_org: Organization, other_facility: Facility, make_member: MakeMember
) -> None:
    stranger = make_member(other_org, Role.NURSE, username="asing")
    foreign = make_patient(other_org, other_facility, "RM-9", "Orang Lain")
    theirs = PainAssessment.objects.create(
        organization=other_org,
        patient=foreign,
        facility=other_facility,
        instrument_code="nrs",
        instrument_version="2026.11-1",
        recorded_at=timezone.now(),
        recorded_by=stranger,
        source="clinician",
    )
    assert clinician_client.get(f"/patients/assessments/{theirs.pk}/").status_code == 404
    assert clinician_client.get(f"/patients/assessments/{theirs.pk}/amend/").status_code == 404
    assert clinician_client.get(f"/patients/{foreign.pk}/assessments/new/?instrument=nrs").status_code == 404
    assert clinician_client.get(f"/api/assessments/{theirs.pk}").status_code == 404
    assert clinician_client.get(f"/api/patients/{foreign.pk}/assessments").status_code == 404
    assert clinician_client.get(f"/api/patients/{foreign.pk}/series").status_code == 404
    response = clinician_client.post(
        f"/api/assessments/{theirs.pk}/entered-in-error", {"reason": "x"}, content_type="application/json"
    )
    assert response.status_code == 404
    response = clinician_client.post(
        f"/api/patients/{foreign.pk}/assessments",
        {"instrument": "nrs", "facility_id": other_facility.pk, "answers": {"intensity": 5}},
        content_type="application/json",
    )
    assert response.status_code == 404
    assert PainAssessment.objects.count() == 1
    assert not AuditEvent.objects.filter(patient_id=foreign.pk).exists()


def test_another_organizations_encounter_in_an_assessment_is_an_unknown_encounter(
    clinician_client: Client,
    patient: Patient,
    other_org: Organization,
    other_facility: Facility,
    make_member: MakeMember,
) -> None:
    stranger = make_member(other_org, Role.NURSE, username="asing")
    foreign = make_patient(other_org, other_facility, "RM-9", "Orang Lain")
    theirs = Encounter.objects.create(
        organization=other_org,
        patient=foreign,
        facility=other_facility,
        kind=EncounterKind.FIRST_VISIT,
        starts_at=timezone.now(),
        created_by=stranger,
    )
    response = clinician_client.post(
        f"/api/patients/{patient.pk}/assessments",
        {"instrument": "nrs", "encounter_id": theirs.pk, "answers": {"intensity": 5}},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert [f["field"] for f in response.json()["error"]["fields"]] == ["encounter_id"]
    assert (
        clinician_client.get(
            f"/patients/{patient.pk}/assessments/new/?instrument=nrs&encounter={theirs.pk}"
        ).status_code
        == 404
    )


@pytest.mark.postgres_only
@pytest.mark.parametrize(
    ("sql", "message"),
    [
        ("UPDATE clinical_assessmentanswer SET value = 1", "written once"),
        ("DELETE FROM clinical_assessmentscore", "written once"),
        ("DELETE FROM clinical_painassessment", "never deleted"),
        ("UPDATE clinical_painassessment SET recorded_at = recorded_at - interval '1 day'", "not edited in place"),
        ("UPDATE clinical_encounter SET kind = 'first_visit'", "not edited"),
        ("DELETE FROM clinical_encounter", "never deleted"),
    ],
)
def test_postgresql_refuses_to_edit_or_delete_clinical_rows(
    sql: str, message: str, clinician_scope: Scope, patient: Patient, encounter: Encounter
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the guard triggers are PostgreSQL's")
    from django.db import DatabaseError, transaction

    record(clinician_scope, patient, encounter=encounter, facility=None)
    with pytest.raises(DatabaseError, match=message), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql)
    assert AssessmentAnswer.objects.get().value == 7
