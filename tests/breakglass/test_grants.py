"""Breaking the glass: a reason, a time-limited grant, an audit row, the compliance officers told."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.test import override_settings
from django.utils import timezone, translation

from nyeri.accounts.models import User
from nyeri.audit.models import AuditAction, AuditEvent, AuditOutcome
from nyeri.clinical.access import access_patient
from nyeri.clinical.assessments.selectors import assessment_series
from nyeri.clinical.breakglass import services
from nyeri.clinical.breakglass.access import CareAccessRefused, CareBasis, care_access
from nyeri.clinical.breakglass.models import BreakGlassGrant
from nyeri.clinical.encounters.selectors import encounter_detail
from nyeri.clinical.models import Patient
from nyeri.notifications.models import Notification, NotificationKind
from nyeri.tenancy.models import Facility, Organization
from nyeri.tenancy.roles import Role
from tests.breakglass.conftest import REASON, scope_of, visit
from tests.conftest import MakeMember


def break_glass(user: User, patient: Patient, reason: str = REASON, **kwargs: object) -> BreakGlassGrant:
    return services.break_glass(scope=scope_of(user), acting_user=user, patient=patient, reason=reason, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("reason", ["", "   ", "darurat", "x" * 19])
def test_a_reason_of_at_least_twenty_characters_is_required_and_nothing_is_saved(
    branch_nurse: User, patient: Patient, officers: list[User], reason: str
) -> None:
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        break_glass(branch_nurse, patient, reason)
    assert refused.value.message_dict == {"reason": ["Give the reason for emergency access, at least 20 characters."]}
    assert not BreakGlassGrant.objects.exists()
    assert not Notification.objects.exists()
    assert not AuditEvent.objects.filter(action=AuditAction.BREAK_GLASS).exists()


def test_breaking_the_glass_grants_sixty_minutes_by_default_and_is_audited_with_the_reason(
    branch_nurse: User, patient: Patient, officers: list[User]
) -> None:
    now = timezone.now()
    grant = break_glass(branch_nurse, patient, f"  {REASON}  ", now=now)
    assert (grant.user_id, grant.patient_id, grant.reason) == (branch_nurse.pk, patient.pk, REASON)
    assert (grant.starts_at, grant.ends_at) == (now, now + timedelta(minutes=60))
    assert not grant.is_reviewed
    event = AuditEvent.objects.get(action=AuditAction.BREAK_GLASS)
    assert (event.actor_id, event.patient_id, event.object_type, event.object_id, event.outcome) == (
        branch_nurse.pk,
        patient.pk,
        "break_glass_grant",
        str(grant.pk),
        AuditOutcome.SUCCESS,
    )
    assert REASON in event.reason
    assert "2 compliance officer(s) notified" in event.reason


@override_settings(BREAK_GLASS_DURATION=timedelta(minutes=15))
def test_the_length_of_a_grant_comes_from_the_setting(branch_nurse: User, patient: Patient) -> None:
    grant = break_glass(branch_nurse, patient)
    assert grant.ends_at - grant.starts_at == timedelta(minutes=15)


def test_every_compliance_officer_of_this_organization_and_no_one_else_is_notified_in_the_app_and_by_email(
    org: Organization,
    branch_nurse: User,
    main_nurse: User,
    patient: Patient,
    officers: list[User],
    foreign_officer: User,
    make_member: MakeMember,
    django_capture_on_commit_callbacks: object,
) -> None:
    administrator = make_member(org, Role.ADMINISTRATOR, username="admin_rs")
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        grant = break_glass(branch_nurse, patient)
    notices = Notification.objects.filter(kind=NotificationKind.BREAK_GLASS).order_by("recipient_id")
    assert [n.recipient_id for n in notices] == [officers[0].pk, officers[1].pk]
    assert foreign_officer.pk not in {n.recipient_id for n in Notification.objects.all()}
    assert administrator.pk not in {n.recipient_id for n in Notification.objects.all()}
    notice = notices[0]
    assert (notice.organization_id, notice.object_id, notice.reference, notice.link) == (
        org.pk,
        grant.pk,
        "RM-0042",
        f"/break-glass/reviews/{grant.pk}/",
    )
    assert notice.message("en") == (
        "Ns_Cimahi used emergency access (break-glass) to the record of patient RM-0042. It is marked for your review."
    )
    # Each notice is audited like any other notification.
    assert AuditEvent.objects.filter(object_type="notification", action=AuditAction.CREATE).count() == 2
    # And sent by e-mail once the grant is committed, in each officer's language.
    assert sorted(m.to[0] for m in mail.outbox) == ["officer0@sehat.example", "officer1@sehat.example"]
    english = next(m for m in mail.outbox if m.to == ["officer0@sehat.example"])
    assert english.subject == "Emergency access by Ns_Cimahi"
    assert "RM-0042" in english.body
    assert "Sri Wahyuni" not in english.body  # the patient's name stays out of e-mail


def test_during_the_grant_the_patient_opens_and_every_read_is_marked_with_the_grant(
    branch: Facility, branch_nurse: User, main_nurse: User, patient: Patient
) -> None:
    encounter = visit(patient, patient.registered_at, main_nurse)
    now = timezone.now()
    grant = break_glass(branch_nurse, patient, now=now)
    scope = scope_of(branch_nurse)
    during = now + timedelta(minutes=59)
    opened = access_patient(scope, patient.pk, purpose="chart", now=during)
    access = care_access(scope, opened, now=during)
    assert (access.basis, access.grant_id) == (CareBasis.BREAK_GLASS, grant.pk)
    assessment_series(scope, opened)
    encounter_detail(scope, encounter.pk, purpose="encounter page")
    reads = AuditEvent.objects.filter(action=AuditAction.READ, actor=branch_nurse).order_by("id")
    assert [e.reason for e in reads] == [
        f"chart; break-glass grant {grant.pk}",
        f"series; break-glass grant {grant.pk}",
        f"encounter page; break-glass grant {grant.pk}",
    ]


def test_after_the_grant_ends_the_patient_is_refused_again(branch_nurse: User, patient: Patient) -> None:
    now = timezone.now()
    grant = break_glass(branch_nurse, patient, now=now)
    scope = scope_of(branch_nurse)
    access_patient(scope, patient.pk, now=grant.ends_at - timedelta(seconds=1))
    with pytest.raises(CareAccessRefused):
        access_patient(scope, patient.pk, now=grant.ends_at)
    with pytest.raises(CareAccessRefused):
        access_patient(scope, patient.pk, now=grant.starts_at - timedelta(seconds=1))


def test_a_grant_is_for_that_user_and_that_patient_only(
    org: Organization, branch: Facility, branch_nurse: User, patient: Patient, make_member: MakeMember
) -> None:
    colleague = make_member(org, Role.NURSE, username="ns_cimahi2", facilities=(branch,))
    other = Patient.objects.create(
        organization=org,
        registered_at=patient.registered_at,
        mrn="RM-0043",
        full_name="Asep",
        birth_date=patient.birth_date,
        sex=patient.sex,
    )
    break_glass(branch_nurse, patient)
    with pytest.raises(CareAccessRefused):
        access_patient(scope_of(colleague), patient.pk)
    with pytest.raises(CareAccessRefused):
        access_patient(scope_of(branch_nurse), other.pk)


def test_a_member_who_already_cares_for_the_patient_has_no_glass_to_break(main_nurse: User, patient: Patient) -> None:
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        break_glass(main_nurse, patient)
    assert list(refused.value.message_dict) == ["patient"]
    assert not BreakGlassGrant.objects.exists()


def test_a_member_without_a_clinical_role_cannot_break_the_glass_and_the_attempt_is_audited(
    org: Organization, patient: Patient, officers: list[User], make_member: MakeMember, branch: Facility
) -> None:
    for user in (officers[0], make_member(org, Role.ADMINISTRATOR, username="admin_rs", facilities=(branch,))):
        with pytest.raises(PermissionDenied):
            break_glass(user, patient)
        event = AuditEvent.objects.latest("id")
        assert (event.action, event.actor_id, event.object_type) == (
            AuditAction.PERMISSION_DENIED,
            user.pk,
            "break_glass_grant",
        )
    assert not BreakGlassGrant.objects.exists()


def test_another_organizations_patient_is_not_found(branch_nurse: User, foreign_patient: Patient) -> None:
    with pytest.raises(Http404):
        break_glass(branch_nurse, foreign_patient)
    assert not BreakGlassGrant.objects.exists()
