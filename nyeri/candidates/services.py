"""Writes of the candidates app: registration, confirmation, the profile and declarations.

Each is one transaction with its audit event (platform chain: a candidate belongs to no
organization). A candidate only ever writes their own rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from nyeri.accounts.models import User
from nyeri.audit.models import AuditAction
from nyeri.audit.services import record_event
from nyeri.candidates.models import (
    CandidateCredential,
    CandidateEvidence,
    CandidateHours,
    CandidateProfile,
    CandidateTargetRole,
)
from nyeri.candidates.tokens import TokenProblem, make_token, read_token
from nyeri.tenancy.clock import latest_today
from nyeri.tenancy.roles import CLINICAL_ROLES, Role
from nyeri.workforce.credentials import evidence as evidence_files
from nyeri.workforce.kinds import CredentialKind, EmployerKind

OBJECT_TYPE = "candidate"


def _site_link(path: str) -> str:
    return f"{settings.NYERI_SITE_URL.rstrip('/')}{path}"


def _send_confirmation(user: User) -> None:
    link = _site_link(reverse("candidates:confirm", args=[make_token(user)]))
    with translation.override(user.language):
        subject = _("Confirm your e-mail address for Nyeri")
        body = render_to_string("candidates/email_confirm.txt", {"user": user, "link": link})
    send_mail(subject, body, None, [user.email])


def _send_already_registered(user: User) -> None:
    with translation.override(user.language):
        subject = _("You already have a Nyeri account")
        body = render_to_string(
            "candidates/email_already.txt", {"user": user, "link": _site_link(reverse("accounts:login"))}
        )
    send_mail(subject, body, None, [user.email])


def register_candidate(*, email: str, full_name: str, password: str, language: str) -> User | None:
    """A new, inactive candidate account and its confirmation e-mail.

    For an address already registered nothing is created: its owner gets an e-mail saying so
    (the page says the same either way, so that the form does not reveal who has an account).
    """
    email = email.strip().lower()
    errors: dict[str, list[str]] = {}
    if not full_name.strip():
        errors["full_name"] = [_("Please give your full name.")]
    if language not in dict(settings.LANGUAGES):
        errors["language"] = [_("Choose a language.")]
    try:
        validate_password(password, User(username=email, email=email, full_name=full_name))
    except ValidationError as exc:
        errors["password"] = list(exc.messages)
    if errors:
        raise ValidationError(errors)
    existing = User.objects.filter(email__iexact=email).first() or User.objects.filter(username=email).first()
    if existing is not None:
        pending = CandidateProfile.objects.filter(user=existing, email_confirmed_at__isnull=True).exists()
        # Signing up again before confirming sends a fresh link; otherwise, a reminder to log in.
        if pending and not existing.is_active:
            _send_confirmation(existing)
        else:
            _send_already_registered(existing)
        return None
    with transaction.atomic():
        user = User.objects.create_user(
            username=email, email=email, password=password, full_name=full_name.strip(), language=language
        )
        # Inactive until the address is confirmed: it cannot log in before.
        user.is_active = False
        user.save(update_fields=["is_active"])
        profile = CandidateProfile.objects.create(user=user)
        record_event(actor=None, action=AuditAction.CREATE, object_type=OBJECT_TYPE, object_id=profile.pk)
        transaction.on_commit(lambda: _send_confirmation(user))
    return user


def confirm_email(token: str) -> User | TokenProblem:
    """Activate the account a confirmation link names; a used link confirms nothing new."""
    read = read_token(token)
    if isinstance(read, TokenProblem):
        return read
    user_id, email = read
    with transaction.atomic():
        user = User.objects.select_for_update().filter(pk=user_id, email=email).first()
        profile = CandidateProfile.objects.filter(user_id=user_id).first()
        if user is None or profile is None:
            return TokenProblem.INVALID
        if profile.email_confirmed_at is None:
            profile.email_confirmed_at = timezone.now()
            profile.save(update_fields=["email_confirmed_at", "updated_at"])
            user.is_active = True
            user.save(update_fields=["is_active"])
            record_event(
                actor=user,
                action=AuditAction.UPDATE,
                object_type=OBJECT_TYPE,
                object_id=profile.pk,
                reason="e-mail confirmed",
            )
    return user


@transaction.atomic
def update_profile(
    *,
    acting_user: User,
    profile: CandidateProfile,
    full_name: str,
    phone: str,
    city: str,
    preferred_regency_code: str,
    preferred_regency: str,
    about: str,
    target_roles: list[str],
) -> CandidateProfile:
    _own(acting_user, profile)
    errors: dict[str, list[str]] = {}
    if not full_name.strip():
        errors["full_name"] = [_("Please give your full name.")]
    unknown = [r for r in target_roles if r not in Role.values or r not in CLINICAL_ROLES]
    if unknown:
        errors["target_roles"] = [_("Unknown role: %(roles)s.") % {"roles": ", ".join(unknown)}]
    if errors:
        raise ValidationError(errors)
    user = profile.user
    user.full_name = full_name.strip()
    user.save(update_fields=["full_name"])
    profile.phone, profile.city, profile.about = phone.strip(), city.strip(), about.strip()
    profile.preferred_regency_code, profile.preferred_regency = (
        preferred_regency_code.strip(),
        preferred_regency.strip(),
    )
    profile.save()
    CandidateTargetRole.objects.filter(candidate=profile).exclude(role__in=target_roles).delete()
    for role in target_roles:
        CandidateTargetRole.objects.get_or_create(candidate=profile, role=role)
    record_event(actor=acting_user, action=AuditAction.UPDATE, object_type=OBJECT_TYPE, object_id=profile.pk)
    return profile


def _own(acting_user: User, profile: CandidateProfile) -> None:
    if profile.user_id != acting_user.pk:
        raise PermissionDenied


def _validate_credential(values: dict[str, Any]) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    kind = values.get("kind")
    if kind not in CredentialKind.values:
        errors["kind"] = [_("Choose a kind of credential.")]
        return errors
    issued, expires = values.get("issued_on"), values.get("expires_on")
    if not isinstance(issued, date):
        errors["issued_on"] = [_("Give the date it was issued.")]
    elif expires is not None and expires < issued:
        errors["expires_on"] = [_("It cannot expire before it was issued.")]
    if kind == CredentialKind.WORK_EXPERIENCE:
        if values.get("employer_kind") not in EmployerKind.values:
            errors["employer_kind"] = [_("Choose the kind of employer.")]
        months = values.get("months")
        if not isinstance(months, int) or months <= 0 or months > 600:
            errors["months"] = [_("Give the number of months (1 to 600).")]
    if kind == CredentialKind.PAIN_TRAINING:
        hours = values.get("hours")
        if hours is None or Decimal(hours) <= 0:
            errors["hours"] = [_("Give the hours of training.")]
    if kind == CredentialKind.PRACTICE_PERMIT and not values.get("issuer_regency_code"):
        errors["issuer_regency_code"] = [_("Give the code of the regency or city that issued the permit.")]
    return errors


FIELDS = (
    "kind",
    "specialty",
    "number",
    "issuer",
    "issuer_regency_code",
    "issued_on",
    "expires_on",
    "hours",
    "exam_passed_on",
    "check_kind",
    "employer_kind",
    "employer_name",
    "months",
)


@transaction.atomic
def declare_credential(*, acting_user: User, profile: CandidateProfile, **values: Any) -> CandidateCredential:
    """A credential or experience the candidate declares (unverified)."""
    _own(acting_user, profile)
    unknown = set(values) - set(FIELDS)
    if unknown:
        raise TypeError(f"unknown fields {sorted(unknown)}")
    errors = _validate_credential(values)
    if errors:
        raise ValidationError(errors)
    clean = {
        k: ("" if v is None and k not in {"expires_on", "hours", "exam_passed_on", "months"} else v)
        for k, v in values.items()
    }
    credential = CandidateCredential.objects.create(candidate=profile, **clean)
    record_event(
        actor=acting_user, action=AuditAction.CREATE, object_type="candidate_credential", object_id=credential.pk
    )
    return credential


@transaction.atomic
def withdraw_credential(*, acting_user: User, credential: CandidateCredential) -> None:
    """Take back a declaration (a candidate's own statement, not a clinical record).

    Its evidence files go with it: the rows by cascade, the files on disk once the
    withdrawal is committed (a rolled-back withdrawal keeps rows and files together).
    """
    _own(acting_user, credential.candidate)
    # Lock it as attaching does: a file attached meanwhile cannot escape the list below.
    list(CandidateCredential.objects.select_for_update().filter(pk=credential.pk).values_list("pk", flat=True))
    names = list(CandidateEvidence.objects.filter(credential=credential).values_list("storage_name", flat=True))
    record_event(
        actor=acting_user,
        action=AuditAction.CANCEL,
        object_type="candidate_credential",
        object_id=credential.pk,
        reason=f"{len(names)} evidence file(s) removed" if names else "",
    )
    credential.delete()
    if names:
        transaction.on_commit(lambda: evidence_files.discard(names))


def candidate_evidence_folder(candidate_id: int) -> str:
    """Where a candidate's files live under the private root (apart from any organization's)."""
    return f"candidate-evidence/{candidate_id}"


def attach_candidate_evidence(
    *, acting_user: User, credential: CandidateCredential, uploads: Iterable[UploadedFile]
) -> list[CandidateEvidence]:
    """Attach evidence files (PDF, PNG, JPEG, checked by content) to the candidate's own declared credential.

    Refused with ``ValidationError({"evidence": [...]})``, nothing saved and no file left on
    disk: no file, a file that is empty, too large or not really a PDF/PNG/JPEG, or more
    than the files a credential may have. Someone else's credential: PermissionDenied.
    Attaching a file does not verify anything.
    """
    files = list(uploads)
    written: list[str] = []
    rows: list[CandidateEvidence] = []
    try:
        with transaction.atomic():
            # Lock the credential: two uploads at once cannot both slip under the file limit.
            locked = (
                CandidateCredential.objects.select_for_update(of=("self",))
                .select_related("candidate")
                .filter(pk=credential.pk)
                .first()
            )
            if locked is None:
                raise ValidationError({"evidence": [_("This declaration no longer exists.")]})
            _own(acting_user, locked.candidate)
            if not files:
                raise ValidationError({"evidence": [_("Choose a file.")]})
            checked, errors = evidence_files.check_uploads(files, already=locked.evidence.count())
            if errors:
                raise ValidationError({"evidence": errors})
            folder = candidate_evidence_folder(locked.candidate_id)
            for item in checked:
                stored = evidence_files.store(item, folder=folder)
                written.append(stored.storage_name)
                row = CandidateEvidence(
                    candidate_id=locked.candidate_id,
                    credential=locked,
                    storage_name=stored.storage_name,
                    original_name=item.original_name,
                    content_type=item.content_type,
                    size=stored.size,
                    sha256=stored.sha256,
                )
                row.save(force_insert=True)
                rows.append(row)
                record_event(
                    actor=acting_user,
                    action=AuditAction.CREATE,
                    object_type="candidate_evidence",
                    object_id=row.pk,
                    reason=(
                        f"candidate credential {locked.pk}; {row.content_type}; {row.size} bytes; sha256 {row.sha256}"
                    ),
                )
    except BaseException:
        # Whatever failed (a refused file, the database, the disk), no file outlives its row.
        evidence_files.discard(written)
        raise
    return rows


@transaction.atomic
def remove_candidate_evidence(*, acting_user: User, evidence: CandidateEvidence) -> None:
    """Remove one of the candidate's own evidence files: the row now, the file after the commit."""
    locked = (
        CandidateEvidence.objects.select_for_update(of=("self",))
        .select_related("candidate")
        .filter(pk=evidence.pk)
        .first()
    )
    if locked is None:
        return
    _own(acting_user, locked.candidate)
    record_event(
        actor=acting_user,
        action=AuditAction.CANCEL,
        object_type="candidate_evidence",
        object_id=locked.pk,
        reason=f"candidate credential {locked.credential_id}; sha256 {locked.sha256}",
    )
    name = locked.storage_name
    locked.delete()
    transaction.on_commit(lambda: evidence_files.discard([name]))


@transaction.atomic
def declare_hours(
    *, acting_user: User, profile: CandidateProfile, month: date, hours: Decimal, where: str = ""
) -> CandidateHours:
    _own(acting_user, profile)
    errors: dict[str, list[str]] = {}
    if hours <= 0 or hours > 744:
        errors["hours"] = [_("Give between 0.5 and 744 hours for one month.")]
    first = month.replace(day=1)
    # A candidate belongs to no facility: a month is in the future only once it has begun
    # nowhere in Indonesia (the first of the month at 00:30 WIT is still the last day in WIB).
    if first > latest_today():
        errors["month"] = [_("The month cannot be in the future.")]
    elif CandidateHours.objects.filter(candidate=profile, month=first).exists():
        errors["month"] = [_("Hours for this month are already declared.")]
    if errors:
        raise ValidationError(errors)
    row = CandidateHours.objects.create(candidate=profile, month=first, hours=hours, where=where.strip())
    record_event(actor=acting_user, action=AuditAction.CREATE, object_type="candidate_hours", object_id=row.pk)
    return row
