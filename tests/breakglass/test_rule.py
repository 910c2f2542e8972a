"""The care-access rule: who may open which patient, asked the same way by every path."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext

from nyeri.accounts.models import User
from nyeri.audit.models import AuditAction, AuditEvent, AuditOutcome
from nyeri.clinical.access import access_patient
from nyeri.clinical.breakglass.access import CareAccessRefused, CareBasis, care_access
from nyeri.clinical.models import Patient
from nyeri.clinical.selectors import search_patients
from nyeri.tenancy.models import Facility, Organization
from nyeri.tenancy.refusals import ActionRefused
from nyeri.tenancy.roles import Role
from tests.breakglass.conftest import make_patient, scope_of, visit
from tests.conftest import MakeMember

Queries = Callable[[int], AbstractContextManager[Any]]


def test_a_member_not_limited_to_facilities_has_care_access_to_every_patient_without_a_query(
    main_nurse: User, patient: Patient, django_assert_num_queries: Queries
) -> None:
    scope = scope_of(main_nurse)
    with django_assert_num_queries(0):
        access = care_access(scope, patient)
    assert (access.allowed, access.basis) == (True, CareBasis.ORGANIZATION)


def test_a_limited_member_has_care_access_to_a_patient_registered_at_their_facility(
    org: Organization, branch: Facility, branch_nurse: User, django_assert_num_queries: Queries
) -> None:
    theirs = make_patient(org, branch, "RM-7", "Ujang Cimahi")
    scope = scope_of(branch_nurse)
    with django_assert_num_queries(0):
        access = care_access(scope, theirs)
    assert (access.allowed, access.basis) == (True, CareBasis.REGISTERED)


def test_a_limited_member_has_care_access_to_a_patient_with_an_encounter_at_their_facility(
    branch: Facility, branch_nurse: User, main_nurse: User, patient: Patient, django_assert_num_queries: Queries
) -> None:
    visit(patient, branch, main_nurse)
    scope = scope_of(branch_nurse)
    with django_assert_num_queries(1):
        access = care_access(scope, patient)
    assert (access.allowed, access.basis) == (True, CareBasis.ENCOUNTER)
    # Remembered on the patient object: asking again costs nothing.
    with django_assert_num_queries(0):
        assert care_access(scope, patient).allowed


def test_a_limited_member_has_no_care_access_to_a_patient_neither_registered_nor_seen_there(
    facility: Facility, branch: Facility, branch_nurse: User, main_nurse: User, patient: Patient
) -> None:
    # A visit elsewhere, and a cancelled visit (it did not take place) at the branch, do not count.
    visit(patient, facility, main_nurse)
    visit(patient, branch, main_nurse, cancelled=True)
    access = care_access(scope_of(branch_nurse), patient)
    assert (access.allowed, access.basis) == (False, CareBasis.NONE)


def test_opening_a_patient_outside_ones_care_is_refused_and_the_refusal_is_audited(
    branch_nurse: User, patient: Patient
) -> None:
    with pytest.raises(CareAccessRefused) as refused:
        access_patient(scope_of(branch_nurse), patient.pk, purpose="chart")
    assert refused.value.patient.pk == patient.pk
    event = AuditEvent.objects.latest("id")
    assert (event.action, event.outcome, event.patient_id, event.actor_id) == (
        AuditAction.PERMISSION_DENIED,
        AuditOutcome.DENIED,
        patient.pk,
        branch_nurse.pk,
    )
    assert event.reason == "no care access: chart"
    assert not AuditEvent.objects.filter(action=AuditAction.READ, patient_id=patient.pk).exists()


def test_another_organizations_patient_is_not_found_never_refused(
    branch_nurse: User, main_nurse: User, foreign_patient: Patient
) -> None:
    for user in (branch_nurse, main_nurse):
        with pytest.raises(Http404):
            access_patient(scope_of(user), foreign_patient.pk)
    assert not AuditEvent.objects.filter(patient_id=foreign_patient.pk).exists()


def test_opening_a_patient_costs_no_query_more_for_a_limited_member(
    branch: Facility, branch_nurse: User, main_nurse: User, patient: Patient
) -> None:
    visit(patient, branch, main_nurse)
    access_patient(scope_of(main_nurse), patient.pk)  # the organization's audit chain exists from here
    with CaptureQueriesContext(connection) as unlimited:
        access_patient(scope_of(main_nurse), patient.pk)
    with CaptureQueriesContext(connection) as limited:
        access_patient(scope_of(branch_nurse), patient.pk)
    assert len(limited) == len(unlimited)


def test_the_search_finds_a_patient_outside_ones_care_by_name_or_record_number_only(
    org: Organization, branch: Facility, branch_nurse: User, patient: Patient
) -> None:
    theirs = make_patient(org, branch, "RM-7", "Ujang Cimahi")
    scope = scope_of(branch_nurse)
    by_name = search_patients(scope, "wahyuni")
    assert [(p.pk, p.in_care) for p in by_name] == [(patient.pk, False)]  # type: ignore[attr-defined]
    assert [p.pk for p in search_patients(scope, "RM-0042")] == [patient.pk]
    # The NIK, and the list of recent patients, find only patients in one's care.
    assert search_patients(scope, patient.nik) == []
    assert [(p.pk, p.in_care) for p in search_patients(scope, "")] == [(theirs.pk, True)]  # type: ignore[attr-defined]


def test_the_search_takes_the_same_queries_for_a_limited_member(
    org: Organization, facility: Facility, branch_nurse: User, main_nurse: User
) -> None:
    for n in range(5):
        make_patient(org, facility, f"RM-10{n}", f"Pasien {n}")
    search_patients(scope_of(main_nurse), "")  # the organization's audit chain exists from here
    with CaptureQueriesContext(connection) as unlimited:
        assert len(search_patients(scope_of(main_nurse), "pasien")) == 5
    with CaptureQueriesContext(connection) as limited:
        assert len(search_patients(scope_of(branch_nurse), "pasien")) == 5
    assert len(limited) == len(unlimited)


def test_a_member_with_no_clinical_role_is_refused_before_the_rule(
    org: Organization, make_member: MakeMember, patient: Patient
) -> None:
    admin = make_member(org, Role.ADMINISTRATOR, username="admin_rs")
    with pytest.raises(PermissionDenied) as refused:
        access_patient(scope_of(admin), patient.pk)
    # Plainly forbidden (the door's refusal), not the care-access refusal that offers
    # break-glass: break-glass is for clinical staff only.
    assert isinstance(refused.value, ActionRefused)
    assert not isinstance(refused.value, CareAccessRefused)
