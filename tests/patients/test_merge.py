"""Merging two records of one person: everything moves, the merged record stays and points on."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.test import Client
from django.utils import timezone

from nyeri.accounts.models import User
from nyeri.audit.models import AuditAction, AuditEvent
from nyeri.clinical.models import Encounter, Patient, PatientConsent, PatientEdit, PatientMerge
from nyeri.clinical.services import merge_patients, patient_links, update_patient
from nyeri.tenancy.models import Facility, Organization
from nyeri.tenancy.roles import Role
from nyeri.tenancy.scope import Scope
from tests.conftest import MakeMember
from tests.patients.conftest import asep, client_of, euis, register, scope_of


@pytest.fixture
def twins(scope: Scope, facility: Facility) -> tuple[Patient, Patient]:
    survivor = register(scope, facility, **euis())
    duplicate = register(
        scope,
        facility,
        **euis(nik="", no_nik_reason="unknown", other_identifier_kind="other", other_identifier="KK-77"),
        confirm_possible_duplicate=True,
    )
    return survivor, duplicate


def encounter(patient: Patient, user: User) -> Encounter:
    return Encounter.objects.create(
        organization=patient.organization,
        patient=patient,
        facility=patient.registered_at,
        kind="first_visit",
        starts_at=timezone.now(),
        created_by=user,
    )


def consent(patient: Patient, user: User, kind: str) -> PatientConsent:
    return PatientConsent.objects.create(
        organization=patient.organization,
        patient=patient,
        kind=kind,
        given_at=timezone.now(),
        how="signed_form",
        facility=patient.registered_at,
        recorded_by=user,
    )


def test_every_foreign_key_to_the_patient_is_found_in_every_app() -> None:
    labels = {link.label for link in patient_links()}
    assert {
        "clinical.Encounter.patient",
        "clinical.PainAssessment.patient",
        "clinical.PatientConsent.patient",
        "clinical.DiaryLink.patient",
        "diagnoses.Diagnosis.patient",
        "prescriptions.Prescription.patient",
    } <= labels
    assert not any(label.startswith(("clinical.PatientEdit.", "clinical.PatientMerge.")) for label in labels)


def test_a_merge_moves_everything_keeps_unique_conflicts_and_is_audited(
    twins: tuple[Patient, Patient], nurse: User, admin: User, admin_scope: Scope
) -> None:
    survivor, duplicate = twins
    visit = encounter(duplicate, nurse)
    consent(survivor, nurse, "treatment")
    kept_consent = consent(duplicate, nurse, "treatment")  # the survivor has one given: it stays
    moved_consent = consent(duplicate, nurse, "research")
    update_patient(scope=scope_of(nurse), acting_user=nurse, patient_id=duplicate.pk, changes={"phone": "0811 22"})

    merge = merge_patients(
        scope=admin_scope, acting_user=admin, survivor_id=survivor.pk, merged_id=duplicate.pk, reason="one person"
    )

    visit.refresh_from_db()
    assert visit.patient_id == survivor.pk
    assert PatientConsent.objects.get(pk=moved_consent.pk).patient_id == survivor.pk
    assert PatientConsent.objects.get(pk=kept_consent.pk).patient_id == duplicate.pk
    assert merge.moved == {"clinical.Encounter.patient": 1, "clinical.PatientConsent.patient": 1}
    assert merge.kept == {"clinical.PatientConsent.patient": 1}
    # Whatever the app: nothing but the kept rows still points to the merged record.
    for link in patient_links():
        left = link.model._default_manager.filter(**{link.field.attname: duplicate.pk}).count()
        assert left == merge.kept.get(link.label, 0), link.label
    duplicate.refresh_from_db()
    assert (duplicate.merged_into_id, duplicate.merged_at) == (survivor.pk, merge.merged_at)
    # The merged record's own history stays with it.
    assert PatientEdit.objects.get().patient_id == duplicate.pk
    events = AuditEvent.objects.filter(object_type="patient_merge", action=AuditAction.UPDATE)
    assert sorted(e.patient_id for e in events) == sorted([survivor.pk, duplicate.pk])


def test_a_merge_is_for_administrators_and_a_refusal_is_audited(twins: tuple[Patient, Patient], nurse: User) -> None:
    survivor, duplicate = twins
    with pytest.raises(PermissionDenied):
        merge_patients(
            scope=scope_of(nurse), acting_user=nurse, survivor_id=survivor.pk, merged_id=duplicate.pk, reason="x"
        )
    assert AuditEvent.objects.filter(action=AuditAction.PERMISSION_DENIED, object_type="patient_merge").exists()
    assert not PatientMerge.objects.exists()


def test_a_merge_needs_a_reason_two_records_and_no_earlier_merge(
    twins: tuple[Patient, Patient], admin: User, admin_scope: Scope
) -> None:
    survivor, duplicate = twins
    kwargs: dict[str, Any] = {"scope": admin_scope, "acting_user": admin}
    with pytest.raises(ValidationError) as exc:
        merge_patients(**kwargs, survivor_id=survivor.pk, merged_id=duplicate.pk, reason=" ")
    assert "reason" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        merge_patients(**kwargs, survivor_id=survivor.pk, merged_id=survivor.pk, reason="x")
    assert "merged_id" in exc.value.message_dict
    merge_patients(**kwargs, survivor_id=survivor.pk, merged_id=duplicate.pk, reason="x")
    with pytest.raises(ValidationError) as exc:
        merge_patients(**kwargs, survivor_id=duplicate.pk, merged_id=survivor.pk, reason="x")
    assert "survivor_id" in exc.value.message_dict
    with pytest.raises(ValidationError):
        update_patient(**kwargs, patient_id=duplicate.pk, changes={"phone": "0811"})


def test_a_merge_with_another_organizations_patient_is_not_found(
    twins: tuple[Patient, Patient],
    admin: User,
    admin_scope: Scope,
    other_org: Organization,
    other_facility: Facility,
    make_member: MakeMember,
) -> None:
    foreign = register(scope_of(make_member(other_org, Role.NURSE)), other_facility, **asep())
    with pytest.raises(Http404):
        merge_patients(scope=admin_scope, acting_user=admin, survivor_id=twins[0].pk, merged_id=foreign.pk, reason="x")
    foreign.refresh_from_db()
    assert foreign.merged_into_id is None


def test_the_merge_page_merges_and_both_records_show_it(
    twins: tuple[Patient, Patient], admin: User, nurse_client: Client
) -> None:
    survivor, duplicate = twins
    client = client_of(admin)
    page = client.get(f"/patients/{duplicate.pk}/merge/")
    assert page.status_code == 200
    response = client.post(
        f"/patients/{duplicate.pk}/merge/",
        {"survivor_mrn": survivor.mrn, "reason": "registered twice", "confirm": "on"},
    )
    assert response.status_code == 302
    merged_page = nurse_client.get(f"/patients/{duplicate.pk}/")
    assert b'data-testid="merged-banner"' in merged_page.content
    assert f"/patients/{survivor.pk}/".encode() in merged_page.content
    survivor_page = nurse_client.get(f"/patients/{survivor.pk}/")
    assert b'data-testid="merged-in"' in survivor_page.content
    assert duplicate.mrn.encode() in survivor_page.content


def test_the_merge_page_is_refused_to_a_nurse(twins: tuple[Patient, Patient], nurse_client: Client) -> None:
    assert nurse_client.get(f"/patients/{twins[1].pk}/merge/").status_code == 403
