"""Writes of the hiring pipeline: applying, moving an application, rejecting, withdrawing, hiring.

Each is one transaction with its ``ApplicationEvent`` and its audit row in the posting's
organization (a candidate's own writes too: the application is shared with that
organization alone). Bad input raises ``ValidationError`` keyed by field with translated
messages, and nothing is written.
"""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import Http404
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from nyeri.accounts.models import User
from nyeri.audit.models import AuditAction
from nyeri.audit.services import record_event
from nyeri.candidates.access import candidate_of
from nyeri.candidates.models import CandidateProfile
from nyeri.hiring.access import OBJECT_TYPE
from nyeri.hiring.eligibility import posting_eligibility
from nyeri.hiring.handover import HandOver, hand_over_credentials
from nyeri.hiring.models import ACTIVE_STAGES, NEXT_STAGE, Application, ApplicationEvent, EventKind, Stage
from nyeri.jobs.access import POSTING_MANAGERS, require_manager
from nyeri.jobs.models import JobPosting, PostingStatus
from nyeri.jobs.services import mark_filled
from nyeri.notifications.models import NotificationKind
from nyeri.notifications.services import create_notification
from nyeri.tenancy.clock import local_date
from nyeri.tenancy.models import Membership, MembershipRole
from nyeri.tenancy.roles import Role
from nyeri.tenancy.scope import Scope
from nyeri.tenancy.services import add_member
from nyeri.workforce.credentials import evidence as evidence_files
from nyeri.workforce.kinds import Citizenship
from nyeri.workforce.services import create_person

NOTE_MAX = 2000


def _note(value: str, field: str, *, required: str = "") -> tuple[str, dict[str, list[str]]]:
    text = (value or "").strip()
    if required and not text:
        return text, {field: [required]}
    if len(text) > NOTE_MAX:
        return text, {field: [_("At most %(max)d characters.") % {"max": NOTE_MAX}]}
    return text, {}


def _event(
    application: Application, kind: EventKind, from_stage: str, to_stage: str, actor: User, note: str, at: datetime
) -> None:
    ApplicationEvent.objects.create(
        organization_id=application.organization_id,
        application=application,
        kind=kind,
        from_stage=from_stage,
        to_stage=to_stage,
        note=note,
        actor=actor,
        at=at,
    )


def _audit(actor: User, action: AuditAction, application: Application, reason: str) -> None:
    record_event(
        actor=actor,
        action=action,
        organization=application.organization,
        facility=application.facility,
        object_type=OBJECT_TYPE,
        object_id=application.pk,
        reason=reason,
    )


# --- The candidate ------------------------------------------------------------------------------


def _as_candidate(acting_user: User, profile: CandidateProfile) -> None:
    own = candidate_of(acting_user)
    if own is None or own.pk != profile.pk:
        raise PermissionDenied


def apply_to_posting(
    *, acting_user: User, profile: CandidateProfile, posting_id: int, note: str = "", at: datetime | None = None
) -> Application:
    """A candidate's application to an open posting (once per posting), with their eligibility then."""
    _as_candidate(acting_user, profile)
    moment = at or timezone.now()
    text, errors = _note(note, "note")
    try:
        with transaction.atomic():
            # The posting's row lock makes "still open" and "not yet applied" hold until commit.
            posting = (
                JobPosting.objects.select_for_update(of=("self",))
                .select_related("facility", "organization")
                .filter(pk=posting_id)
                .first()
            )
            if posting is None:
                raise Http404("No such posting")
            if posting.status != PostingStatus.OPEN or not posting.facility.is_active:
                errors.setdefault("posting", []).append(
                    _("This posting is %(status)s: it no longer takes applications.")
                    % {"status": posting.get_status_display().lower()}
                )
            earlier = Application.objects.filter(posting=posting, candidate=profile).select_related("facility").first()
            if earlier is not None:
                errors.setdefault("posting", []).append(_duplicate(earlier))
            if errors:
                raise ValidationError(errors)
            result = posting_eligibility(profile.pk, posting, at=moment)
            application = Application.objects.create(
                organization=posting.organization,
                facility=posting.facility,
                posting=posting,
                candidate=profile,
                note=text,
                eligible_at_apply=result.eligible,
                unmet_at_apply=len(result.unmet),
                submitted_at=moment,
                stage_changed_at=moment,
            )
            _event(application, EventKind.APPLIED, "", Stage.RECEIVED, acting_user, "", moment)
            _notify_managers(application, acting_user)
            _audit(
                acting_user,
                AuditAction.CREATE,
                application,
                f"applied to posting {posting.pk}; eligible on declarations: {result.eligible}; "
                f"unmet: {len(result.unmet)}",
            )
    except IntegrityError:
        # Two submissions at once (SQLite has no row lock): the unique constraint keeps one.
        earlier = (
            Application.objects.filter(posting_id=posting_id, candidate=profile).select_related("facility").first()
        )
        if earlier is None:
            raise
        raise ValidationError({"posting": [_duplicate(earlier)]}) from None
    return application


def _notify_managers(application: Application, candidate: User) -> None:
    """An in-app notice to each posting manager whose scope covers the facility."""
    links = (
        MembershipRole.objects.filter(
            organization_id=application.organization_id,
            role__in=POSTING_MANAGERS,
            membership__is_active=True,
            membership__user__is_active=True,
        )
        .filter(
            Q(membership__facility_links__isnull=True)
            | Q(membership__facility_links__facility_id=application.facility_id)
        )
        .select_related("membership__user")
        .order_by("membership__user_id")
    )
    recipients = {link.membership.user_id: link.membership.user for link in links}
    for recipient in recipients.values():
        create_notification(
            organization=application.organization,
            recipient=recipient,
            kind=NotificationKind.APPLICATION_RECEIVED,
            dedupe_key=f"application:{application.pk}:user:{recipient.pk}",
            object_type=OBJECT_TYPE,
            object_id=application.pk,
            reference=application.posting.title[:100],
            about=candidate.full_name or candidate.get_username(),
            link=reverse("hiring:application", args=[application.pk]),
            actor=candidate,
        )


def _duplicate(earlier: Application) -> str:
    return _("You have already applied to this posting (on %(date)s).") % {
        # The day at the facility applied to, as its own pages show it.
        "date": formats.date_format(local_date(earlier.facility, earlier.submitted_at), "DATE_FORMAT")
    }


def withdraw_application(
    *, acting_user: User, profile: CandidateProfile, application: Application, reason: str
) -> Application:
    """The candidate takes their application back (while it is still in the pipeline)."""
    _as_candidate(acting_user, profile)
    if application.candidate_id != profile.pk:
        raise Http404("No such application")
    text, errors = _note(reason, "reason", required=_("Say why you withdraw (the employer sees it)."))
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        locked = (
            Application.objects.select_for_update().select_related("organization", "facility").get(pk=application.pk)
        )
        _must_be_active(locked)
        return _end(locked, Stage.WITHDRAWN, EventKind.WITHDRAWN, acting_user, text, AuditAction.CANCEL)


def _must_be_active(application: Application) -> None:
    if application.stage not in ACTIVE_STAGES:
        raise ValidationError(
            {
                "stage": [
                    _("This application is already closed (%(stage)s).")
                    % {"stage": application.get_stage_display().lower()}
                ]
            }
        )


def _end(
    application: Application, stage: Stage, kind: EventKind, actor: User, note: str, action: AuditAction
) -> Application:
    moment = timezone.now()
    before = application.stage
    application.stage = stage
    application.stage_changed_at = moment
    application.save(update_fields=["stage", "stage_changed_at"])
    _event(application, kind, before, stage, actor, note, moment)
    _audit(actor, action, application, f"stage {before} -> {stage}")
    return application


# --- The facility -------------------------------------------------------------------------------


def _lock(scope: Scope, application: Application) -> Application:
    locked = (
        Application.objects.select_for_update(of=("self",))
        .select_related("organization", "facility", "posting", "candidate__user")
        .filter(pk=application.pk, organization=scope.organization)
        .first()
    )
    if locked is None or not scope.covers_facility(locked.facility_id):
        raise Http404("No such application")
    return locked


def advance_application(*, scope: Scope, acting_user: User, application: Application, note: str = "") -> Application:
    """Received → screening → interview → offer: one step forward."""
    require_manager(scope, object_id=application.pk, reason="move a job application")
    text, errors = _note(note, "note")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        locked = _lock(scope, application)
        _must_be_active(locked)
        after = NEXT_STAGE.get(locked.stage)
        if after is None:
            raise ValidationError(
                {"stage": [_("An application with an offer moves on by hiring the candidate, or by rejecting it.")]}
            )
        before = locked.stage
        locked.stage = after
        locked.stage_changed_at = timezone.now()
        locked.save(update_fields=["stage", "stage_changed_at"])
        _event(locked, EventKind.MOVED, before, after, acting_user, text, locked.stage_changed_at)
        _audit(acting_user, AuditAction.UPDATE, locked, f"stage {before} -> {after}")
    return locked


def reject_application(*, scope: Scope, acting_user: User, application: Application, reason: str) -> Application:
    require_manager(scope, object_id=application.pk, reason="reject a job application")
    text, errors = _note(reason, "reason", required=_("Give the reason for rejecting the application."))
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        locked = _lock(scope, application)
        _must_be_active(locked)
        return _end(locked, Stage.REJECTED, EventKind.REJECTED, acting_user, text, AuditAction.UPDATE)


def hire(
    *,
    scope: Scope,
    acting_user: User,
    application: Application,
    citizenship: str,
    reason: str = "",
    fill_posting: bool = True,
) -> HandOver:
    """Hire the candidate of an application with an offer.

    In one transaction: the candidate's account becomes a member of the organization with
    the posting's role at its facility; a staff record (Person) is created; every declared
    credential is submitted to the credentialing queue with its evidence files (or recorded
    as not handed over, with why); the application is hired; the candidate's other open
    applications are closed; the posting is marked filled when asked. Hiring someone whose
    declarations do not meet the posting's requirements needs a reason.
    """
    require_manager(scope, object_id=application.pk, reason="hire a candidate")
    errors: dict[str, list[str]] = {}
    if citizenship not in Citizenship.values:
        errors["citizenship"] = [_("Choose the citizenship from the identity document.")]
    text, note_errors = _note(reason, "reason")
    errors.update(note_errors)
    written: list[str] = []
    try:
        with transaction.atomic():
            locked = _lock(scope, application)
            if locked.stage != Stage.OFFER:
                errors.setdefault("stage", []).append(
                    _("Only a candidate with an offer can be hired; this application is at “%(stage)s”.")
                    % {"stage": locked.get_stage_display()}
                )
            user = locked.candidate.user
            if Membership.objects.filter(organization=scope.organization, user=user).exists():
                errors.setdefault("stage", []).append(_("This person already belongs to your organization."))
            result = posting_eligibility(locked.candidate_id, locked.posting)
            if not result.eligible and not text:
                errors.setdefault("reason", []).append(
                    _(
                        "The candidate's declarations do not meet %(count)d requirement(s) of the posting: "
                        "give the reason for hiring them anyway."
                    )
                    % {"count": len(result.unmet)}
                )
            if errors:
                raise ValidationError(errors)
            posting = locked.posting
            facility = locked.facility
            role = Role(posting.role)
            add_member(
                acting_user=acting_user, organization=scope.organization, user=user, roles=[role], facilities=[facility]
            )
            person = create_person(
                scope=scope,
                acting_user=acting_user,
                full_name=user.full_name or user.email,
                citizenship=citizenship,
                roles=[role],
                facilities=[facility],
                user=user,
                email=user.email,
                phone=locked.candidate.phone,
            )
            handed = hand_over_credentials(
                scope=scope, acting_user=acting_user, application=locked, person=person, written=written
            )
            before = locked.stage
            locked.stage = Stage.HIRED
            locked.person = person
            locked.stage_changed_at = timezone.now()
            locked.save(update_fields=["stage", "person", "stage_changed_at"])
            _event(locked, EventKind.HIRED, before, Stage.HIRED, acting_user, text, locked.stage_changed_at)
            _audit(
                acting_user,
                AuditAction.UPDATE,
                locked,
                f"hired as {role} at facility {facility.pk}: person {person.pk}; "
                f"{len(handed.submitted)} credential(s) to the credentialing queue, "
                f"{len(handed.problems)} not handed over; eligible on declarations: {result.eligible}",
            )
            _close_other_applications(locked)
            if fill_posting and posting.status == PostingStatus.OPEN:
                mark_filled(scope=scope, acting_user=acting_user, posting=posting)
            transaction.on_commit(lambda: _send_hired(locked))
    except BaseException:
        # Files copied for credentials of a hiring that did not commit.
        evidence_files.discard(written)
        raise
    return handed


def _close_other_applications(hired: Application) -> None:
    """The candidate is staff now: their other open applications close (without saying where).

    The candidate's acceptance closes them: they are its actor, so that no other
    organization's trail names this organization's staff.
    """
    actor = hired.candidate.user
    others = (
        Application.objects.select_for_update()
        .select_related("organization", "facility")
        .filter(candidate_id=hired.candidate_id, stage__in=ACTIVE_STAGES)
        .exclude(pk=hired.pk)
    )
    for other in others:
        with translation.override(hired.candidate.user.language):
            note = _("The candidate is no longer available.")
        _end(other, Stage.WITHDRAWN, EventKind.WITHDRAWN, actor, note, AuditAction.UPDATE)


def _send_hired(application: Application) -> None:
    user = application.candidate.user
    with translation.override(user.language):
        subject = _("Welcome to %(organization)s") % {"organization": application.organization.name}
        body = render_to_string("hiring/email_hired.txt", {"user": user, "application": application})
    send_mail(subject, body, None, [user.email])
