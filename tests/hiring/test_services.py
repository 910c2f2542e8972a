"""The hiring pipeline's services: applying, ranking, moving, rejecting, withdrawing, hiring."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from nyeri.accounts.models import User
from nyeri.audit.models import AuditEvent
from nyeri.candidates.access import candidate_of
from nyeri.candidates.models import CandidateProfile
from nyeri.hiring import services
from nyeri.hiring.access import access_application
from nyeri.hiring.models import Application, ApplicationEvent, HandedOverCredential, Stage
from nyeri.hiring.selectors import ranked_applications
from nyeri.jobs.models import JobPosting, PostingStatus
from nyeri.jobs.services import close_posting
from nyeri.tenancy.models import Membership
from nyeri.tenancy.scope import Scope
from nyeri.workforce.kinds import CredentialStatus
from nyeri.workforce.models import Credential, Person
from tests.facilities.conftest import scope_of
from tests.hiring.conftest import declare

pytestmark = pytest.mark.usefixtures("english")


def apply(profile: CandidateProfile, posting: JobPosting, note: str = "") -> Application:
    return services.apply_to_posting(acting_user=profile.user, profile=profile, posting_id=posting.pk, note=note)


def to_offer(scope: Scope, user: User, application: Application) -> Application:
    for _step in range(3):
        application = services.advance_application(scope=scope, acting_user=user, application=application)
    return application


def test_a_candidate_applies_to_an_open_posting_and_what_they_met_then_is_kept(
    posting: JobPosting, ayu: CandidateProfile, budi: CandidateProfile
) -> None:
    first = apply(ayu, posting, "Saya berpengalaman 3 tahun.")
    second = apply(budi, posting)
    assert first.stage == Stage.RECEIVED
    assert first.organization_id == posting.organization_id
    assert (first.eligible_at_apply, first.unmet_at_apply) == (True, 0)
    assert second.eligible_at_apply is False
    assert second.unmet_at_apply >= 2
    assert list(first.events.values_list("kind", "to_stage")) == [("applied", "received")]
    event = AuditEvent.objects.filter(object_type="application", object_id=str(first.pk)).get()
    assert event.organization_id == posting.organization_id
    assert event.actor_id == ayu.user_id


def test_it_refuses_an_application_to_a_closed_posting_and_saves_nothing(
    posting: JobPosting, ayu: CandidateProfile, admin_scope: Scope, admin: User
) -> None:
    close_posting(scope=admin_scope, acting_user=admin, posting=posting)
    with pytest.raises(ValidationError) as caught:
        apply(ayu, posting)
    assert caught.value.message_dict == {"posting": ["This posting is closed: it no longer takes applications."]}
    assert not Application.objects.exists()
    assert not ApplicationEvent.objects.exists()


def test_it_refuses_a_second_application_to_the_same_posting(posting: JobPosting, ayu: CandidateProfile) -> None:
    apply(ayu, posting)
    with pytest.raises(ValidationError) as caught:
        apply(ayu, posting, "again")
    assert caught.value.message_dict["posting"][0].startswith("You have already applied to this posting (on ")
    assert Application.objects.count() == 1


def test_a_staff_member_cannot_apply_as_a_candidate(posting: JobPosting, ayu: CandidateProfile, admin: User) -> None:
    with pytest.raises(PermissionDenied):
        services.apply_to_posting(acting_user=admin, profile=ayu, posting_id=posting.pk)
    assert not Application.objects.exists()


def test_applications_are_ranked_eligible_first_whatever_the_order_they_came_in(
    posting: JobPosting, ayu: CandidateProfile, budi: CandidateProfile
) -> None:
    apply(budi, posting)
    apply(ayu, posting)
    ranked = ranked_applications(posting)
    assert [r.application.candidate_id for r in ranked] == [ayu.pk, budi.pk]
    assert ranked[0].eligibility.eligible
    assert not ranked[1].eligibility.eligible
    # Ayu has no hospital experience: a preference not met, shown but not blocking.
    assert [u.code for u in ranked[0].eligibility.preferred_unmet] == ["experience_short"]
    # The SIP for the facility is needed after hiring, never blocking.
    assert [u.code for u in ranked[0].eligibility.after_hiring] == ["permit_after_hiring"]


def test_a_new_declaration_moves_a_candidate_up_at_once(posting: JobPosting, budi: CandidateProfile) -> None:
    apply(budi, posting)
    before = ranked_applications(posting)[0].eligibility
    declare(budi, "pain_nursing_certification", date(2025, 6, 1), exam_passed_on=date(2025, 5, 20))
    after = ranked_applications(posting)[0].eligibility
    assert len(after.unmet) < len(before.unmet)


def test_the_pipeline_moves_one_step_at_a_time_and_keeps_its_history(
    posting: JobPosting, ayu: CandidateProfile, officer: User
) -> None:
    scope = scope_of(officer)
    application = apply(ayu, posting)
    application = services.advance_application(scope=scope, acting_user=officer, application=application, note="CV ok")
    assert application.stage == Stage.SCREENING
    application = services.advance_application(scope=scope, acting_user=officer, application=application)
    application = services.advance_application(scope=scope, acting_user=officer, application=application)
    assert application.stage == Stage.OFFER
    with pytest.raises(ValidationError) as caught:
        services.advance_application(scope=scope, acting_user=officer, application=application)
    assert "hiring the candidate, or by rejecting it" in caught.value.message_dict["stage"][0]
    history = list(application.events.values_list("from_stage", "to_stage", "note"))
    assert history == [
        ("", "received", ""),
        ("received", "screening", "CV ok"),
        ("screening", "interview", ""),
        ("interview", "offer", ""),
    ]


def test_rejecting_needs_a_reason_and_a_rejected_application_stays_closed(
    posting: JobPosting, ayu: CandidateProfile, officer: User
) -> None:
    scope = scope_of(officer)
    application = apply(ayu, posting)
    with pytest.raises(ValidationError) as caught:
        services.reject_application(scope=scope, acting_user=officer, application=application, reason=" ")
    assert caught.value.message_dict == {"reason": ["Give the reason for rejecting the application."]}
    services.reject_application(scope=scope, acting_user=officer, application=application, reason="Posisi sudah terisi")
    with pytest.raises(ValidationError) as closed:
        services.advance_application(scope=scope, acting_user=officer, application=application)
    assert closed.value.message_dict == {"stage": ["This application is already closed (rejected)."]}


def test_the_candidate_withdraws_with_a_reason(posting: JobPosting, ayu: CandidateProfile) -> None:
    application = apply(ayu, posting)
    with pytest.raises(ValidationError):
        services.withdraw_application(acting_user=ayu.user, profile=ayu, application=application, reason="")
    services.withdraw_application(acting_user=ayu.user, profile=ayu, application=application, reason="Pindah kota")
    application.refresh_from_db()
    assert application.stage == Stage.WITHDRAWN


def test_only_an_offer_can_be_hired(posting: JobPosting, ayu: CandidateProfile, officer: User) -> None:
    application = apply(ayu, posting)
    with pytest.raises(ValidationError) as caught:
        services.hire(scope=scope_of(officer), acting_user=officer, application=application, citizenship="citizen")
    assert caught.value.message_dict == {
        "stage": ["Only a candidate with an offer can be hired; this application is at “Received”."]
    }
    assert not Membership.objects.filter(user=ayu.user).exists()
    assert not Person.objects.filter(user=ayu.user).exists()


def test_hiring_makes_the_candidate_staff_and_sends_their_credentials_to_the_queue(
    posting: JobPosting,
    ayu: CandidateProfile,
    officer: User,
    make_posting: object,
    django_capture_on_commit_callbacks: Any,
) -> None:
    assert callable(make_posting)
    declare(ayu, "practice_permit", date(2024, 1, 1), expires_on=date(2029, 1, 1), issuer_regency_code="32.77")
    other_posting = make_posting(title="Perawat shift malam")
    other = apply(ayu, other_posting)
    scope = scope_of(officer)
    application = to_offer(scope, officer, apply(ayu, posting))
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        handed = services.hire(scope=scope, acting_user=officer, application=application, citizenship="citizen")

    application.refresh_from_db()
    assert application.stage == Stage.HIRED
    assert application.person is not None
    person = application.person
    assert person.user_id == ayu.user_id
    assert list(person.roles.values_list("role", flat=True)) == ["nurse"]
    membership = Membership.objects.get(user=ayu.user, organization=posting.organization)
    assert list(membership.roles.values_list("role", flat=True)) == ["nurse"]
    assert list(membership.facility_links.values_list("facility_id", flat=True)) == [posting.facility_id]
    # Every declaration but the SIP of another place waits in the credentialing queue.
    queued = Credential.objects.filter(person=person)
    assert sorted(queued.values_list("kind", flat=True)) == [
        "pain_nursing_certification",
        "pain_training",
        "registration",
    ]
    assert set(queued.values_list("status", flat=True)) == {CredentialStatus.SUBMITTED}
    assert len(handed.submitted) == 3
    assert [label for label, _why in handed.problems] == ["Practice permit (SIP)"]
    assert HandedOverCredential.objects.filter(application=application, credential__isnull=True).count() == 1
    # Staff now, not a candidate: their other application is closed without saying where.
    assert candidate_of(ayu.user) is None
    other.refresh_from_db()
    assert other.stage == Stage.WITHDRAWN
    # In the candidate's language (Indonesian): the note is theirs to read too.
    assert other.events.last().note == "Kandidat tidak lagi tersedia."  # type: ignore[union-attr]
    posting.refresh_from_db()
    assert posting.status == PostingStatus.FILLED
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [ayu.user.email]


def test_hiring_a_candidate_who_misses_requirements_needs_a_reason(
    posting: JobPosting, budi: CandidateProfile, officer: User
) -> None:
    scope = scope_of(officer)
    application = to_offer(scope, officer, apply(budi, posting))
    with pytest.raises(ValidationError) as caught:
        services.hire(scope=scope, acting_user=officer, application=application, citizenship="citizen")
    assert "give the reason for hiring them anyway" in caught.value.message_dict["reason"][0]
    assert not Membership.objects.filter(user=budi.user).exists()
    assert not Credential.objects.filter(person__user=budi.user).exists()
    services.hire(
        scope=scope,
        acting_user=officer,
        application=application,
        citizenship="citizen",
        reason="Sertifikasi dijadwalkan bulan depan",
        fill_posting=False,
    )
    application.refresh_from_db()
    assert application.stage == Stage.HIRED
    assert application.events.last().note == "Sertifikasi dijadwalkan bulan depan"  # type: ignore[union-attr]
    posting.refresh_from_db()
    assert posting.status == PostingStatus.OPEN


def test_another_organization_does_not_find_the_application(
    posting: JobPosting, ayu: CandidateProfile, other_admin: User
) -> None:
    application = apply(ayu, posting)
    with pytest.raises(Http404):
        access_application(scope_of(other_admin), application.pk)


def test_a_member_without_a_hiring_role_is_refused_and_the_refusal_audited(
    posting: JobPosting, ayu: CandidateProfile, member_nurse: User
) -> None:
    application = apply(ayu, posting)
    with pytest.raises(PermissionDenied):
        access_application(scope_of(member_nurse), application.pk)
    assert AuditEvent.objects.filter(action="permission_denied", actor=member_nurse).exists()


def test_the_facilitys_posting_managers_are_notified_of_a_new_application(
    posting: JobPosting, ayu: CandidateProfile, admin: User, officer: User, member_nurse: User
) -> None:
    from nyeri.notifications.models import Notification

    application = apply(ayu, posting)
    notices = Notification.objects.filter(kind="application_received", object_id=application.pk)
    assert sorted(notices.values_list("recipient__username", flat=True)) == ["admin_rina", "officer_dewi"]
    notice = notices.get(recipient=officer)
    assert notice.link == f"/hiring/applications/{application.pk}/"
    assert notice.message("en") == (
        f"{ayu.user.full_name} applied to the posting “{posting.title}”. The application waits in the pipeline."
    )
