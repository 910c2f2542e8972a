"""Writes of the privacy app: a patient's correction and erasure requests and their answers,
and a candidate's erasure of their own account.

Medical records are never erased before their retention date (Permenkes 24/2022): an
erasure request is recorded and refused with the legal basis in the person's language, and
the refusal is audited. An accepted correction amends the record through the clinical edit
service (the earlier version is kept), never by overwriting it here.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django_otp import devices_for_user

from nyeri.accounts.services import end_sessions_and_tokens
from nyeri.audit.models import AuditAction, AuditOutcome
from nyeri.audit.services import record_event
from nyeri.candidates.models import CandidateEvidence, CandidateProfile
from nyeri.clinical.access import access_patient
from nyeri.clinical.models import Encounter, EncounterStatus, Patient
from nyeri.clinical.registration import DEMOGRAPHIC_FIELDS
from nyeri.clinical.services import update_patient
from nyeri.hiring.models import ACTIVE_STAGES, Application
from nyeri.hiring.services import withdraw_application
from nyeri.privacy.legal import legal_basis, retention_ends, right
from nyeri.privacy.models import PatientDataRequest, RequestKind, RequestStatus
from nyeri.tenancy.clock import local_date, zone_date
from nyeri.workforce.credentials import evidence as evidence_files

if TYPE_CHECKING:
    from nyeri.accounts.models import User
    from nyeri.tenancy.scope import Scope

TEXT_MAX = 2000


def _text(value: str, name: str, *, required: bool) -> str:
    value = (value or "").strip()
    if required and not value:
        raise ValidationError({name: _("This field is required.")}, code="required")
    if len(value) > TEXT_MAX:
        raise ValidationError({name: _("At most %(count)s characters.") % {"count": TEXT_MAX}}, code="max_length")
    return value


def _audit(
    acting_user: User,
    row: PatientDataRequest,
    action: AuditAction,
    reason: str,
    *,
    outcome: AuditOutcome = AuditOutcome.SUCCESS,
) -> None:
    record_event(
        actor=acting_user,
        action=action,
        outcome=outcome,
        organization=row.organization,
        facility=row.patient.registered_at,
        patient_id=row.patient_id,
        object_type="personal_data_request",
        object_id=row.pk,
        reason=reason,
    )


def request_correction(
    *,
    scope: Scope,
    acting_user: User,
    patient_id: int,
    requested_by: str,
    what_is_wrong: str,
    should_be: str,
    field: str = "",
    received_at: datetime | None = None,
) -> PatientDataRequest:
    """Record a patient's request to correct their record (UU 27/2022 art. 6).

    ``field``: a demographic field (accepting then edits it) or empty (another part of the
    record, amended by the clinician on its own page). Due 3 x 24 hours after receipt.
    """
    patient = access_patient(scope, patient_id, purpose="correction request")
    errors: dict[str, str] = {}
    if field and field not in DEMOGRAPHIC_FIELDS:
        errors["field"] = _("Choose one of the offered fields.")
    if errors:
        raise ValidationError(errors)
    received = received_at or timezone.now()
    deadline = right("correction").deadline_hours
    row = PatientDataRequest(
        organization=scope.organization,
        patient=patient,
        kind=RequestKind.CORRECTION,
        requested_by=_text(requested_by, "requested_by", required=True)[:200],
        received_at=received,
        field=field,
        what_is_wrong=_text(what_is_wrong, "what_is_wrong", required=True),
        should_be=_text(should_be, "should_be", required=True),
        due_at=received + timedelta(hours=deadline) if deadline else None,
        recorded_by=acting_user,
    )
    with transaction.atomic():
        row.save(force_insert=True)
        _audit(acting_user, row, AuditAction.CREATE, f"correction requested; field {field or 'other'}")
    return row


def _open(scope: Scope, request_id: int) -> PatientDataRequest:
    row = (
        PatientDataRequest.objects.select_for_update(of=("self",))
        .select_related("patient__registered_at", "organization")
        .filter(organization=scope.organization, pk=request_id)
        .first()
    )
    if row is None:
        raise Http404("No such request")
    if row.status != RequestStatus.OPEN:
        raise ValidationError(_("This request was already answered."), code="answered")
    return row


def answer_correction(
    *, scope: Scope, acting_user: User, request_id: int, accept: bool, answer: str
) -> PatientDataRequest:
    """Accept (the record is amended: a demographic field through ``update_patient``, which
    keeps the earlier version; another part by the clinician on its amend page, named in
    ``answer``) or refuse with a reason. Another organization's request: 404."""
    with transaction.atomic():
        row = _open(scope, request_id)
        access_patient(scope, row.patient_id, purpose="correction answer")
        if row.kind != RequestKind.CORRECTION:
            raise ValidationError(_("Only a correction request is answered here."), code="kind")
        text = _text(answer, "answer", required=not accept or not row.field)
        if accept and row.field:
            patient = update_patient(
                scope=scope,
                acting_user=acting_user,
                patient_id=row.patient_id,
                changes={row.field: row.should_be},
                reason=_("Correction requested by %(who)s (request %(id)s)") % {"who": row.requested_by, "id": row.pk},
            )
            row.edit = patient.edits.order_by("-version").first()
        row.status = RequestStatus.ACCEPTED if accept else RequestStatus.REFUSED
        row.answer = text
        row.answered_at = timezone.now()
        row.answered_by = acting_user
        row.save(update_fields=["status", "answer", "answered_at", "answered_by", "edit"])
        _audit(
            acting_user,
            row,
            AuditAction.UPDATE,
            f"correction {row.status}" + (f"; edit {row.edit_id}" if row.edit_id else ""),
            outcome=AuditOutcome.SUCCESS if accept else AuditOutcome.DENIED,
        )
    return row


def last_visit(patient: Patient) -> date:
    """The day of the patient's last visit (not cancelled) at its facility; their registration
    (at the registering facility) without one. One query."""
    latest = (
        Encounter.objects.filter(organization_id=patient.organization_id, patient=patient)
        .exclude(status=EncounterStatus.CANCELLED)
        .order_by("-starts_at", "-pk")
        .values_list("starts_at", "facility__time_zone")
        .first()
    )
    if latest is None:
        return local_date(patient.registered_at, patient.created_at)
    return zone_date(latest[1], latest[0])


def request_erasure(
    *,
    scope: Scope,
    acting_user: User,
    patient_id: int,
    requested_by: str,
    what: str,
    language: str,
    today: date | None = None,
) -> PatientDataRequest:
    """Record a request to erase the patient's medical record.

    Before the retention date (``retention.years`` after the last visit) it is refused at
    once with the legal basis in ``language`` (the person's), and the refusal is audited
    (outcome denied). From that date on it stays open: the clinic decides on destruction
    under its records procedure (docs/privacy.md); Nyeri destroys nothing itself.
    """
    patient = access_patient(scope, patient_id, purpose="erasure request")
    today = today or local_date(patient.registered_at)
    ends = retention_ends(last_visit(patient))
    language = "id" if language.startswith("id") else "en"
    row = PatientDataRequest(
        organization=scope.organization,
        patient=patient,
        kind=RequestKind.ERASURE,
        requested_by=_text(requested_by, "requested_by", required=True)[:200],
        received_at=timezone.now(),
        what_is_wrong=_text(what, "what_is_wrong", required=False) or "-",
        recorded_by=acting_user,
    )
    with transaction.atomic():
        row.save(force_insert=True)
        _audit(acting_user, row, AuditAction.CREATE, "erasure requested")
        if today < ends:
            with translation.override(language):
                shown = formats.date_format(ends, "DATE_FORMAT")
            row.status = RequestStatus.REFUSED
            row.answered_at = timezone.now()
            row.answered_by = acting_user
            row.legal_basis = right("medical_record_erasure").text(language, date=shown)
            with translation.override(language):
                row.answer = _("The medical record must be kept until %(date)s; it cannot be erased before.") % {
                    "date": shown
                }
            row.save(update_fields=["status", "answered_at", "answered_by", "legal_basis", "answer"])
            basis = legal_basis().retention
            _audit(
                acting_user,
                row,
                AuditAction.UPDATE,
                f"erasure refused: retention until {ends.isoformat()} ({basis.regulation} art. {basis.article})",
                outcome=AuditOutcome.DENIED,
            )
    return row


# --- A candidate's own account ----------------------------------------------------------------


def erase_candidate(*, acting_user: User, confirmed: bool) -> None:
    """Erase the candidate's own account and declarations (UU 27/2022, right to erasure).

    Deleted: target roles, declared credentials with their evidence files (the files once
    committed), declared hours. Applications still in the pipeline are withdrawn; every
    application stays with the organization it went to (their record of a decision), with
    the candidate's message emptied and the profile kept only as an empty shell. The account
    is anonymised (name, e-mail, username replaced; no password; sessions, tokens and second
    factors ended) rather than deleted: audit rows point to it. The audit row names the
    account by its new name only. The caller has re-authenticated (the view checks).
    """
    if not confirmed:
        raise ValidationError({"confirm": _("Tick the box to confirm the erasure.")}, code="required")
    profile = CandidateProfile.objects.filter(user=acting_user).first()
    if profile is None:
        raise PermissionDenied
    with transaction.atomic():
        profile = CandidateProfile.objects.select_for_update().get(pk=profile.pk)
        for application in Application.objects.filter(candidate=profile, stage__in=ACTIVE_STAGES):
            withdraw_application(
                acting_user=acting_user,
                profile=profile,
                application=application,
                reason=_("The candidate erased their account."),
            )
        applications = Application.objects.filter(candidate=profile).update(note="")
        files = list(CandidateEvidence.objects.filter(candidate=profile).values_list("storage_name", flat=True))
        profile.evidence.all().delete()
        profile.credentials.all().delete()
        profile.hours.all().delete()
        profile.target_roles.all().delete()
        if applications:
            for name in ("phone", "city", "preferred_regency_code", "preferred_regency", "about"):
                setattr(profile, name, "")
            profile.email_confirmed_at = None
            profile.save()
        else:
            profile.delete()
        for device in devices_for_user(acting_user, confirmed=None):
            device.delete()
        sessions, tokens = end_sessions_and_tokens(acting_user)
        # The login throttle's logs hold the username (the e-mail) as typed.
        for log in (AccessAttempt, AccessFailureLog, AccessLog):
            log.objects.filter(username=acting_user.get_username()).delete()
        anonymous = f"erased-{acting_user.pk}"
        acting_user.username = anonymous
        acting_user.email = ""
        acting_user.first_name = acting_user.last_name = acting_user.full_name = ""
        acting_user.is_active = False
        acting_user.set_unusable_password()
        acting_user.save()
        # Counts only: the erased data is not copied into the trail.
        record_event(
            actor=acting_user,
            action=AuditAction.ACCOUNT_DEACTIVATED,
            object_type="candidate_erasure",
            object_id=acting_user.pk,
            reason=(
                f"erased by the candidate: {len(files)} evidence file(s), {applications} application(s) kept "
                f"anonymised; sessions ended {sessions}, tokens revoked {tokens}"
            ),
        )
        if files:
            transaction.on_commit(lambda: evidence_files.discard(files))
