"""Credential services: what a submission must satisfy, and who may decide on it."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone, translation

from nyeri.accounts.models import User
from nyeri.accounts.reauth import ReauthenticationRequired
from nyeri.audit.models import AuditAction, AuditOutcome
from nyeri.tenancy.models import Facility, Organization
from nyeri.tenancy.refusals import ActionRefused
from nyeri.tenancy.roles import Role
from nyeri.workforce.credentials.services import (
    approve_controlled_authorisation,
    reject_credential,
    revoke_credential,
    submit_credential,
    verify_credential,
)
from nyeri.workforce.kinds import Citizenship, CredentialKind, CredentialStatus
from nyeri.workforce.models import Credential, Person
from tests.accounts_fixtures import give_second_factor
from tests.conftest import MakeMember
from tests.workforce.credentials_support import *  # noqa: F403 - fixtures
from tests.workforce.credentials_support import (
    add_person,
    at_source,
    credential_events,
    facility_in,
    fresh_request,
    scope_of,
    sip_fields,
    stale_request,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("private_root")]

K = CredentialKind


def base(**overrides: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "number": "KKI-123",
        "issuer": "Konsil Kesehatan Indonesia",
        "issued_on": date(2024, 1, 2),
    }
    fields.update(overrides)
    return fields


def submit(user: User, person: Person, kind: str, **fields: Any) -> Credential:
    return submit_credential(scope=scope_of(user), acting_user=user, person=person, kind=kind, **fields)


def refused_fields(user: User, person: Person, kind: str, **fields: Any) -> dict[str, list[str]]:
    """Submit, expect a refusal, and check that nothing at all was written."""
    before = Credential.objects.count()
    with pytest.raises(ValidationError) as exc:
        submit(user, person, kind, **fields)
    assert Credential.objects.count() == before
    assert not credential_events(AuditAction.CREATE)[before:]
    return exc.value.message_dict


def verify(user: User, credential: Credential) -> Credential:
    return verify_credential(scope=scope_of(user), acting_user=user, credential=credential, check=at_source(credential))


def approve(user: User, credential: Credential, request: Any = None) -> Credential:
    return approve_controlled_authorisation(
        scope=scope_of(user), acting_user=user, credential=credential, request=request or fresh_request(user)
    )


def status_of(credential: Credential) -> str:
    credential.refresh_from_db()
    return credential.status


# --- Submission -----------------------------------------------------------------------


def test_a_submitted_credential_starts_submitted_and_its_creation_is_audited(officer: User, doctor: Person) -> None:
    credential = submit(officer, doctor, K.REGISTRATION, **base())
    assert credential.status == CredentialStatus.SUBMITTED
    assert credential.submitted_by == officer
    [event] = credential_events(AuditAction.CREATE)
    assert (event.object_type, event.object_id, event.actor_id) == ("credential", str(credential.pk), officer.pk)
    assert event.reason.startswith(f"submitted registration for person {doctor.pk}")


def test_a_person_may_submit_their_own_credential(doctor: Person) -> None:
    assert doctor.user is not None
    credential = submit(doctor.user, doctor, K.REGISTRATION, **base())
    assert credential.submitted_by == doctor.user


def test_a_colleague_without_a_credentialing_role_cannot_submit_for_someone_else(nurse: User, doctor: Person) -> None:
    with pytest.raises(ActionRefused):
        submit(nurse, doctor, K.REGISTRATION, **base())
    assert not Credential.objects.exists()
    [event] = credential_events(AuditAction.PERMISSION_DENIED)
    assert (event.actor_id, event.outcome) == (nurse.pk, AuditOutcome.DENIED)


def test_an_expiry_before_the_issue_date_is_refused_and_nothing_is_saved(officer: User, doctor: Person) -> None:
    errors = refused_fields(officer, doctor, K.REGISTRATION, **base(expires_on=date(2024, 1, 1)))
    assert set(errors) == {"expires_on"}


def test_an_unknown_kind_of_credential_is_refused_naming_the_kind(officer: User, doctor: Person) -> None:
    errors = refused_fields(officer, doctor, "wizardry", **base())
    assert set(errors) == {"kind"}
    assert "wizardry" in errors["kind"][0]


def test_a_sip_for_a_facility_outside_the_issuers_region_is_refused(
    officer: User, doctor: Person, facility: Facility
) -> None:
    errors = refused_fields(officer, doctor, K.PRACTICE_PERMIT, **sip_fields(facility, issuer_regency_code="35.78"))
    assert set(errors) == {"issuer_regency_code"}
    assert "35.78" in errors["issuer_regency_code"][0]
    assert facility.regency_code in errors["issuer_regency_code"][0]


def test_a_fourth_active_practice_permit_is_refused(
    org: Organization, officer: User, doctor: Person, facility: Facility
) -> None:
    places = [facility, facility_in(org, "b", "32.04"), facility_in(org, "c", "32.77")]
    for place in places:
        submit(officer, doctor, K.PRACTICE_PERMIT, **sip_fields(place))
    fourth = facility_in(org, "d", "32.17")
    errors = refused_fields(officer, doctor, K.PRACTICE_PERMIT, **sip_fields(fourth))
    assert set(errors) == {"facility"}
    assert "3" in errors["facility"][0]


def test_rejected_revoked_and_expired_permits_do_not_count_towards_the_limit(
    org: Organization, officer: User, doctor: Person, facility: Facility
) -> None:
    today = timezone.localdate()
    old = [facility_in(org, f"old{i}", f"33.0{i}") for i in range(4)]
    for place, status, expires in [
        (old[0], CredentialStatus.REJECTED, today + timedelta(days=900)),
        (old[1], CredentialStatus.REVOKED, today + timedelta(days=900)),
        (old[2], CredentialStatus.EXPIRED, today + timedelta(days=900)),
        # Past its last day, even if the nightly expiry has not marked it yet.
        (old[3], CredentialStatus.VERIFIED, today - timedelta(days=1)),
    ]:
        fields = sip_fields(place, expires_on=expires, issued_on=today - timedelta(days=1000))
        Credential.objects.create(organization=org, person=doctor, kind=K.PRACTICE_PERMIT, status=status, **fields)
    new = [facility, facility_in(org, "b", "32.04"), facility_in(org, "c", "32.77")]
    for place in new:
        submit(officer, doctor, K.PRACTICE_PERMIT, **sip_fields(place))
    assert "facility" in refused_fields(
        officer, doctor, K.PRACTICE_PERMIT, **sip_fields(facility_in(org, "d", "32.17"))
    )


def test_a_second_active_sip_for_the_same_facility_is_refused(
    officer: User, doctor: Person, facility: Facility
) -> None:
    submit(officer, doctor, K.PRACTICE_PERMIT, **sip_fields(facility, number="SIP-1"))
    errors = refused_fields(officer, doctor, K.PRACTICE_PERMIT, **sip_fields(facility, number="SIP-2"))
    assert set(errors) == {"facility"}
    assert "SIP-1" in errors["facility"][0]


def test_a_renewal_that_starts_when_the_current_sip_ends_is_not_a_second_sip(
    officer: User, doctor: Person, facility: Facility
) -> None:
    today = timezone.localdate()
    current_end = today + timedelta(days=30)
    submit(officer, doctor, K.PRACTICE_PERMIT, **sip_fields(facility, expires_on=current_end))
    renewal = sip_fields(
        facility, number="SIP-2", issued_on=current_end + timedelta(days=1), expires_on=today + timedelta(days=1900)
    )
    assert submit(officer, doctor, K.PRACTICE_PERMIT, **renewal).status == CredentialStatus.SUBMITTED


def test_a_sip_needs_an_expiry_date(officer: User, doctor: Person, facility: Facility) -> None:
    errors = refused_fields(officer, doctor, K.PRACTICE_PERMIT, **sip_fields(facility, expires_on=None))
    assert set(errors) == {"expires_on"}


def test_a_foreign_nationals_str_needs_an_expiry_at_most_two_years_after_issue(
    org: Organization, officer: User, facility: Facility
) -> None:
    foreigner = add_person(
        org, Role.PAIN_PHYSICIAN, name="Dr. John Smith", facilities=(facility,), citizenship=Citizenship.FOREIGN
    )
    issued = date(2025, 3, 1)
    assert set(refused_fields(officer, foreigner, K.REGISTRATION, **base(issued_on=issued))) == {"expires_on"}
    too_long = base(issued_on=issued, expires_on=date(2027, 3, 2))
    assert set(refused_fields(officer, foreigner, K.REGISTRATION, **too_long)) == {"expires_on"}
    two_years = submit(officer, foreigner, K.REGISTRATION, **base(issued_on=issued, expires_on=date(2027, 3, 1)))
    assert two_years.status == CredentialStatus.SUBMITTED


def test_a_citizens_str_needs_no_expiry(officer: User, doctor: Person) -> None:
    assert submit(officer, doctor, K.REGISTRATION, **base()).expires_on is None


@pytest.mark.parametrize(
    ("kind", "needs"),
    [
        (K.RESIDENCY, {"specialty"}),
        (K.FELLOWSHIP, {"specialty"}),
        (K.BOARD_CERTIFICATION, {"specialty"}),
        (K.PAIN_NURSING_CERTIFICATION, {"exam_passed_on"}),
        (K.PAIN_TRAINING, {"hours"}),
        (K.PRACTICE_PERMIT, {"facility", "issuer_regency_code", "expires_on"}),
        (K.BACKGROUND_CHECK, {"check_kind", "check_result", "valid_months"}),
        (K.WORK_EXPERIENCE, {"employer_kind", "months"}),
    ],
)
def test_each_kind_refuses_a_submission_without_its_own_fields_naming_each(
    officer: User, doctor: Person, kind: str, needs: set[str]
) -> None:
    assert set(refused_fields(officer, doctor, kind, **base())) == needs


def test_the_common_fields_are_required_too(officer: User, doctor: Person) -> None:
    errors = refused_fields(officer, doctor, K.REGISTRATION, issuer="", issued_on=None)
    assert set(errors) == {"issuer", "issued_on"}


def test_hours_and_months_must_be_more_than_zero(officer: User, doctor: Person) -> None:
    assert set(refused_fields(officer, doctor, K.PAIN_TRAINING, **base(hours=Decimal(0)))) == {"hours"}
    assert set(refused_fields(officer, doctor, K.WORK_EXPERIENCE, **base(employer_kind="hospital", months=0))) == {
        "months"
    }


def test_a_field_the_kind_does_not_have_is_refused_rather_than_dropped(officer: User, doctor: Person) -> None:
    errors = refused_fields(officer, doctor, K.REGISTRATION, **base(hours=Decimal(12), employer_kind="hospital"))
    assert set(errors) == {"hours", "employer_kind"}


def test_a_facility_of_another_organization_is_refused(officer: User, doctor: Person, other_facility: Facility) -> None:
    errors = refused_fields(officer, doctor, K.PRACTICE_PERMIT, **sip_fields(other_facility))
    assert set(errors) == {"facility"}


def test_values_given_as_text_are_parsed_and_bad_ones_named(officer: User, doctor: Person) -> None:
    errors = refused_fields(officer, doctor, K.PAIN_TRAINING, **base(issued_on="2024-13-45", hours="many"))
    assert set(errors) == {"issued_on", "hours"}
    credential = submit(officer, doctor, K.PAIN_TRAINING, **base(issued_on="2024-02-03", hours="12.5"))
    assert (credential.issued_on, credential.hours) == (date(2024, 2, 3), Decimal("12.5"))


def test_every_fault_of_one_submission_is_named_at_once(officer: User, doctor: Person, facility: Facility) -> None:
    fields = sip_fields(facility, issuer_regency_code="99.99", expires_on=date(2020, 1, 1), specialty="neurology")
    assert set(refused_fields(officer, doctor, K.PRACTICE_PERMIT, **fields)) == {
        "issuer_regency_code",
        "expires_on",
        "specialty",
    }


# --- Verification and rejection -------------------------------------------------------


def test_an_officer_verifies_a_credential_and_the_audit_names_the_engine_decision(
    officer: User, doctor: Person, facility: Facility
) -> None:
    assert doctor.user is not None
    credential = submit(doctor.user, doctor, K.REGISTRATION, **base())
    verify(officer, credential)
    credential.refresh_from_db()
    assert (credential.status, credential.decided_by) == (CredentialStatus.VERIFIED, officer)
    event = credential_events(AuditAction.UPDATE)[-1]
    assert event.reason.startswith("verified; verify_credentials allowed for person")
    assert f"at facility {facility.pk} by ID@" in event.reason


def test_an_officer_cannot_verify_or_reject_their_own_credential(officer: User) -> None:
    translation.activate("id")  # the refusal as a person reads it, in the default language
    own = Person.objects.get(user=officer)
    credential = submit(officer, own, K.REGISTRATION, **base())
    with pytest.raises(ActionRefused) as exc:
        verify(officer, credential)
    assert "kredensial Anda sendiri" in exc.value.message
    with pytest.raises(ActionRefused):
        reject_credential(scope=scope_of(officer), acting_user=officer, credential=credential, reason="mine")
    assert status_of(credential) == CredentialStatus.SUBMITTED
    denials = credential_events(AuditAction.PERMISSION_DENIED)
    assert [e.reason for e in denials] == ["verify_credentials: own credential"] * 2
    assert all(e.object_id == str(credential.pk) for e in denials)


def test_a_member_without_the_officer_role_cannot_verify(officer: User, nurse: User, doctor: Person) -> None:
    credential = submit(officer, doctor, K.REGISTRATION, **base())
    with pytest.raises(ActionRefused):
        verify(nurse, credential)
    assert status_of(credential) == CredentialStatus.SUBMITTED
    assert "none of the roles credentialing_officer" in credential_events(AuditAction.PERMISSION_DENIED)[-1].reason


def test_an_officer_whose_professional_record_lacks_the_role_is_refused_by_the_engine(
    org: Organization, facility: Facility, make_member: MakeMember, officer: User, doctor: Person
) -> None:
    sari = make_member(org, Role.CREDENTIALING_OFFICER, username="sari")
    add_person(org, Role.NURSE, name="Sari", user=sari, facilities=(facility,))
    credential = submit(officer, doctor, K.REGISTRATION, **base())
    with pytest.raises(ActionRefused) as exc:
        verify(sari, credential)
    assert len(exc.value.message) > len("You are not allowed to do this. ")
    reason = credential_events(AuditAction.PERMISSION_DENIED)[-1].reason
    assert reason.startswith("verify_credentials refused for person")
    assert reason.endswith("role_missing")


def test_an_officer_without_a_professional_record_relies_on_the_membership_role(
    org: Organization, make_member: MakeMember, officer: User, doctor: Person
) -> None:
    tono = make_member(org, Role.CREDENTIALING_OFFICER, username="tono")
    credential = submit(officer, doctor, K.REGISTRATION, **base())
    verify(tono, credential)
    assert credential_events(AuditAction.UPDATE)[-1].reason == (
        "verified; verify_credentials: membership role credentialing_officer (no professional record)"
    )


def test_rejecting_needs_a_reason_and_keeps_it(officer: User, approver: User, doctor: Person) -> None:
    credential = submit(officer, doctor, K.REGISTRATION, **base())
    with pytest.raises(ValidationError) as exc:
        reject_credential(scope=scope_of(approver), acting_user=approver, credential=credential, reason="   ")
    assert set(exc.value.message_dict) == {"reason"}
    assert status_of(credential) == CredentialStatus.SUBMITTED
    reject_credential(scope=scope_of(approver), acting_user=approver, credential=credential, reason="Scan unreadable")
    credential.refresh_from_db()
    assert (credential.status, credential.decision_reason) == (CredentialStatus.REJECTED, "Scan unreadable")
    assert credential_events(AuditAction.UPDATE)[-1].reason.startswith("rejected: Scan unreadable; ")


def test_a_decided_credential_cannot_be_decided_again(officer: User, approver: User, doctor: Person) -> None:
    credential = submit(doctor.user, doctor, K.REGISTRATION, **base())  # type: ignore[arg-type]
    verify(officer, credential)
    with pytest.raises(ValidationError) as exc:
        reject_credential(scope=scope_of(approver), acting_user=approver, credential=credential, reason="late")
    assert set(exc.value.message_dict) == {"status"}
    with pytest.raises(ValidationError):
        verify(approver, credential)
    credential.refresh_from_db()
    assert (credential.status, credential.decided_by) == (CredentialStatus.VERIFIED, officer)
    assert len(credential_events(AuditAction.UPDATE)) == 1


@pytest.mark.django_db(transaction=True)
def test_two_officers_deciding_at_once_cannot_both_decide(officer: User, approver: User, doctor: Person) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("row locks are PostgreSQL's; SQLite has a single writer anyway")
    credential = submit(doctor.user, doctor, K.REGISTRATION, **base())  # type: ignore[arg-type]
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def decide(user: User, act: Callable[..., Credential]) -> None:
        try:
            barrier.wait()
            act(scope=scope_of(user), acting_user=user, credential=credential)
            outcomes.append("decided")
        except ValidationError as error:
            outcomes.append(",".join(error.message_dict))
        finally:
            connection.close()

    def reject(**kwargs: Any) -> Credential:
        return reject_credential(reason="duplicate", **kwargs)

    def verify_at_source(**kwargs: Any) -> Credential:
        return verify_credential(check=at_source(credential), **kwargs)

    threads = [
        threading.Thread(target=decide, args=(officer, verify_at_source)),
        threading.Thread(target=decide, args=(approver, reject)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["decided", "status"]
    assert len(credential_events(AuditAction.UPDATE)) == 1


# --- Controlled-substance authorisation: two people ------------------------------------


def test_a_second_person_who_re_authenticated_approves_a_controlled_authorisation(
    officer: User, approver: User, doctor: Person
) -> None:
    give_second_factor(approver)
    credential = submit(officer, doctor, K.CONTROLLED_AUTHORISATION, **base(issuer="Komite Medik"))
    approve(approver, credential)
    credential.refresh_from_db()
    assert (credential.status, credential.submitted_by, credential.decided_by) == (
        CredentialStatus.VERIFIED,
        officer,
        approver,
    )
    event = credential_events(AuditAction.UPDATE)[-1]
    assert event.actor_id == approver.pk
    assert event.reason.startswith("approved (second person, re-authenticated); approve_controlled_authorisation")


def test_a_plain_verification_of_a_controlled_authorisation_is_refused(
    officer: User, approver: User, doctor: Person
) -> None:
    credential = submit(officer, doctor, K.CONTROLLED_AUTHORISATION, **base())
    with pytest.raises(ActionRefused):
        verify(approver, credential)
    assert status_of(credential) == CredentialStatus.SUBMITTED
    assert "granted by approval" in credential_events(AuditAction.PERMISSION_DENIED)[-1].reason


def test_one_person_cannot_both_enter_and_approve_a_controlled_authorisation(officer: User, doctor: Person) -> None:
    give_second_factor(officer)
    credential = submit(officer, doctor, K.CONTROLLED_AUTHORISATION, **base())
    with pytest.raises(ActionRefused):
        approve(officer, credential)
    with pytest.raises(ActionRefused):
        reject_credential(scope=scope_of(officer), acting_user=officer, credential=credential, reason="oops")
    assert status_of(credential) == CredentialStatus.SUBMITTED
    assert all("two-person rule" in e.reason for e in credential_events(AuditAction.PERMISSION_DENIED))


def test_the_database_itself_refuses_one_person_entering_and_approving_a_controlled_authorisation(
    org: Organization, officer: User, doctor: Person
) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        Credential.objects.create(
            organization=org,
            person=doctor,
            kind=K.CONTROLLED_AUTHORISATION,
            status=CredentialStatus.VERIFIED,
            issuer="Komite Medik",
            issued_on=date(2025, 1, 1),
            submitted_by=officer,
            decided_by=officer,
        )
    credential = submit(officer, doctor, K.CONTROLLED_AUTHORISATION, **base())
    with pytest.raises(IntegrityError), transaction.atomic():
        Credential.objects.filter(pk=credential.pk).update(status=CredentialStatus.VERIFIED, decided_by=officer)
    assert status_of(credential) == CredentialStatus.SUBMITTED


def test_approval_needs_a_re_authentication_within_reauth_max_age(
    officer: User, approver: User, doctor: Person
) -> None:
    give_second_factor(approver)
    credential = submit(officer, doctor, K.CONTROLLED_AUTHORISATION, **base())
    stale = stale_request(approver, settings.REAUTH_MAX_AGE + timedelta(seconds=5))
    with pytest.raises(ReauthenticationRequired):
        approve(approver, credential, stale)
    assert status_of(credential) == CredentialStatus.SUBMITTED
    assert credential_events(AuditAction.PERMISSION_DENIED)[-1].reason.endswith("re-authentication required")
    approve(approver, credential, fresh_request(approver))
    assert status_of(credential) == CredentialStatus.VERIFIED


def test_a_fresh_password_with_a_stale_second_factor_does_not_approve(
    officer: User, approver: User, doctor: Person
) -> None:
    from nyeri.accounts.session_keys import SESSION_PASSWORD_AT

    give_second_factor(approver)
    credential = submit(officer, doctor, K.CONTROLLED_AUTHORISATION, **base())
    request = stale_request(approver, settings.REAUTH_MAX_AGE + timedelta(seconds=5))
    request.session[SESSION_PASSWORD_AT] = timezone.now().timestamp()
    with pytest.raises(ReauthenticationRequired):
        approve(approver, credential, request)
    assert status_of(credential) == CredentialStatus.SUBMITTED


def test_approval_needs_an_approver_with_a_second_factor(officer: User, approver: User, doctor: Person) -> None:
    translation.activate("id")  # the refusal as a person reads it, in the default language
    credential = submit(officer, doctor, K.CONTROLLED_AUTHORISATION, **base())
    with pytest.raises(ActionRefused) as exc:
        approve(approver, credential)
    assert "faktor autentikasi kedua" in exc.value.message
    assert status_of(credential) == CredentialStatus.SUBMITTED


def test_the_holder_cannot_approve_their_own_authorisation(officer: User, approver: User) -> None:
    give_second_factor(approver)
    own = Person.objects.get(user=approver)
    credential = submit(officer, own, K.CONTROLLED_AUTHORISATION, **base())
    with pytest.raises(ActionRefused):
        approve(approver, credential)
    assert status_of(credential) == CredentialStatus.SUBMITTED


def test_an_administrator_may_be_the_second_person(
    org: Organization, make_member: MakeMember, officer: User, doctor: Person
) -> None:
    admin = make_member(org, Role.ADMINISTRATOR, username="dewi")
    give_second_factor(admin)
    credential = submit(officer, doctor, K.CONTROLLED_AUTHORISATION, **base())
    approve(admin, credential)
    assert status_of(credential) == CredentialStatus.VERIFIED


def test_approve_is_only_for_controlled_authorisations(officer: User, approver: User, doctor: Person) -> None:
    give_second_factor(approver)
    credential = submit(officer, doctor, K.REGISTRATION, **base())
    with pytest.raises(ValidationError) as exc:
        approve(approver, credential)
    assert set(exc.value.message_dict) == {"kind"}


# --- Revocation -----------------------------------------------------------------------


def test_revoking_keeps_who_verified_it_and_records_why(officer: User, approver: User, doctor: Person) -> None:
    credential = submit(doctor.user, doctor, K.REGISTRATION, **base())  # type: ignore[arg-type]
    with pytest.raises(ValidationError) as not_yet:
        revoke_credential(scope=scope_of(approver), acting_user=approver, credential=credential, reason="x")
    assert set(not_yet.value.message_dict) == {"status"}
    verify(officer, credential)
    with pytest.raises(ValidationError) as no_reason:
        revoke_credential(scope=scope_of(approver), acting_user=approver, credential=credential, reason="")
    assert set(no_reason.value.message_dict) == {"reason"}
    revoke_credential(scope=scope_of(approver), acting_user=approver, credential=credential, reason="Konsil ruling")
    credential.refresh_from_db()
    assert credential.status == CredentialStatus.REVOKED
    assert (credential.decided_by, credential.revoked_by) == (officer, approver)
    assert credential.revocation_reason == "Konsil ruling"
    assert credential_events(AuditAction.UPDATE)[-1].reason.startswith("revoked: Konsil ruling; ")


def test_a_nurse_cannot_revoke(officer: User, nurse: User, doctor: Person) -> None:
    credential = submit(doctor.user, doctor, K.REGISTRATION, **base())  # type: ignore[arg-type]
    verify(officer, credential)
    with pytest.raises(ActionRefused):
        revoke_credential(scope=scope_of(nurse), acting_user=nurse, credential=credential, reason="dislike")
    assert status_of(credential) == CredentialStatus.VERIFIED


def test_a_jayapura_permit_past_24_00_wit_on_its_last_day_no_longer_counts_towards_the_limit(
    org: Organization, officer: User, doctor: Person, facility: Facility
) -> None:
    # Tomorrow 16:30 UTC: 23:30 WIB, still the permit's last day in Jakarta, but 01:30 WIT
    # on the next day in Jayapura, where the permit lapsed at 24:00 WIT (issue 18).
    moment = datetime.combine(timezone.now().astimezone(UTC).date() + timedelta(days=1), time(16, 30), tzinfo=UTC)
    last_day = moment.astimezone(ZoneInfo("Asia/Jakarta")).date()
    jayapura = facility_in(org, "jayapura", "91.71")
    Facility.objects.filter(pk=jayapura.pk).update(time_zone="Asia/Jayapura")
    fields = sip_fields(jayapura, expires_on=last_day, issued_on=last_day - timedelta(days=1000))
    Credential.objects.create(
        organization=org, person=doctor, kind=K.PRACTICE_PERMIT, status=CredentialStatus.VERIFIED, **fields
    )
    with time_machine.travel(moment, tick=False):
        for place in (facility, facility_in(org, "b", "32.04")):
            submit(officer, doctor, K.PRACTICE_PERMIT, **sip_fields(place))
        # Two active permits and the lapsed Jayapura one: a third is allowed.
        third = submit(officer, doctor, K.PRACTICE_PERMIT, **sip_fields(facility_in(org, "c", "32.77")))
    assert third.pk is not None
