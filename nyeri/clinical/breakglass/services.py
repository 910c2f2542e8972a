"""Break-glass writes: breaking the glass (a grant) and reviewing a grant.

Each is one transaction with its audit row. Breaking the glass also notifies every
compliance officer of the organization, in the app (in the same transaction) and by
e-mail (sent once the grant is committed).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from nyeri.accounts.models import User
from nyeri.audit.models import AuditAction
from nyeri.audit.services import record_event
from nyeri.clinical.access import ensure_clinical_role
from nyeri.clinical.breakglass.access import OBJECT_TYPE, care_access, ensure_compliance_officer, forget_care_access
from nyeri.clinical.breakglass.models import (
    NOTE_MAX_LENGTH,
    REASON_MAX_LENGTH,
    REASON_MIN_LENGTH,
    BreakGlassGrant,
    ReviewOutcome,
)
from nyeri.clinical.models import Patient
from nyeri.notifications.models import NotificationKind
from nyeri.notifications.services import create_notification, send_pending_emails
from nyeri.tenancy.models import MembershipRole
from nyeri.tenancy.roles import Role
from nyeri.tenancy.scope import Scope

logger = logging.getLogger(__name__)

# A break-glass e-mail that failed is retried with the next break-glass of any organization.
EMAIL_RETRY_WINDOW = timedelta(days=1)


def grant_duration() -> timedelta:
    """How long a grant lasts (``BREAK_GLASS_MINUTES``, default 60)."""
    duration: timedelta = getattr(settings, "BREAK_GLASS_DURATION", timedelta(minutes=60))
    return duration


def compliance_officers(scope: Scope) -> list[User]:
    """Every active compliance officer of the scope's organization (whatever their facilities)."""
    roles = (
        MembershipRole.objects.filter(
            organization=scope.organization,
            role=Role.COMPLIANCE_OFFICER,
            membership__is_active=True,
            membership__user__is_active=True,
        )
        .select_related("membership__user")
        .order_by("membership__user_id")
    )
    return [r.membership.user for r in roles]


def _clean_text(value: str | None) -> str:
    return (value or "").strip()


def _send_emails(since: datetime) -> None:
    try:
        send_pending_emails(since=since, kinds=[NotificationKind.BREAK_GLASS])
    except Exception:
        # The grant and the in-app notices are committed; the e-mail is retried later.
        logger.exception("break-glass e-mails not sent; they will be retried")


def break_glass(
    *, scope: Scope, acting_user: User, patient: Patient, reason: str, now: datetime | None = None
) -> BreakGlassGrant:
    """Emergency access of the acting user to ``patient``, for ``BREAK_GLASS_MINUTES`` from ``now``.

    Needs a clinical role (a refusal is audited) and a patient of the organization (else
    *not found*). Refused, naming the field, without a reason of at least
    ``REASON_MIN_LENGTH`` characters, and when the user already has care access (nothing to
    break). Writes the grant, a BREAK_GLASS audit row and a notification to each compliance
    officer of the organization in one transaction; the e-mails follow the commit.
    """
    ensure_clinical_role(scope, object_type=OBJECT_TYPE)
    if patient.organization_id != scope.organization.pk:
        raise Http404("No such patient")
    text = _clean_text(reason)
    errors: dict[str, list[str]] = {}
    if len(text) < REASON_MIN_LENGTH:
        errors["reason"] = [
            _("Give the reason for emergency access, at least %(min)d characters.") % {"min": REASON_MIN_LENGTH}
        ]
    elif len(text) > REASON_MAX_LENGTH:
        errors["reason"] = [_("At most %(max)d characters.") % {"max": REASON_MAX_LENGTH}]
    current = care_access(scope, patient, now=now)
    if current.allowed and not current.via_break_glass:
        errors["patient"] = [_("You already have access to this patient's record: emergency access is not needed.")]
    if errors:
        raise ValidationError(errors)
    start = now or timezone.now()
    grant = BreakGlassGrant(
        organization=scope.organization,
        user=acting_user,
        patient=patient,
        reason=text,
        starts_at=start,
        ends_at=start + grant_duration(),
    )
    officers = compliance_officers(scope)
    who = acting_user.full_name or acting_user.get_username()
    with transaction.atomic():
        grant.save(force_insert=True)
        link = reverse("breakglass:review_detail", kwargs={"grant_id": grant.pk})
        for officer in officers:
            create_notification(
                organization=scope.organization,
                recipient=officer,
                kind=NotificationKind.BREAK_GLASS,
                dedupe_key=f"break_glass:{grant.pk}:user:{officer.pk}",
                object_type=OBJECT_TYPE,
                object_id=grant.pk,
                reference=patient.mrn,
                about=who,
                link=link,
                actor=acting_user,
            )
        record_event(
            actor=acting_user,
            action=AuditAction.BREAK_GLASS,
            organization=scope.organization,
            facility=patient.registered_at,
            patient_id=patient.pk,
            object_type=OBJECT_TYPE,
            object_id=grant.pk,
            reason=(
                f"until {grant.ends_at.isoformat()}; {len(officers)} compliance officer(s) notified; reason: {text}"
            ),
        )
        transaction.on_commit(lambda: _send_emails(start - EMAIL_RETRY_WINDOW))
    forget_care_access(patient)
    return grant


def review_grant(
    *, scope: Scope, acting_user: User, grant: BreakGlassGrant, outcome: str, note: str, now: datetime | None = None
) -> BreakGlassGrant:
    """The compliance officer's review of ``grant``: justified or not, with a note. Once only."""
    ensure_compliance_officer(scope)
    if grant.organization_id != scope.organization.pk:
        raise Http404("No such emergency access")
    text = _clean_text(note)
    errors: dict[str, list[str]] = {}
    if outcome not in ReviewOutcome.values:
        errors["outcome"] = [_("Choose whether the emergency access was justified.")]
    if not text:
        errors["note"] = [_("Write a note on your review.")]
    elif len(text) > NOTE_MAX_LENGTH:
        errors["note"] = [_("At most %(max)d characters.") % {"max": NOTE_MAX_LENGTH}]
    if errors:
        raise ValidationError(errors)
    reviewed_at = now or timezone.now()
    with transaction.atomic():
        changed = BreakGlassGrant.objects.filter(pk=grant.pk, reviewed_at__isnull=True).update(
            reviewed_at=reviewed_at, reviewed_by=acting_user, review_outcome=outcome, review_note=text
        )
        if not changed:
            raise ValidationError({"outcome": [_("This emergency access has already been reviewed.")]})
        record_event(
            actor=acting_user,
            action=AuditAction.UPDATE,
            organization=scope.organization,
            patient_id=grant.patient_id,
            object_type=OBJECT_TYPE,
            object_id=grant.pk,
            reason=f"reviewed: {outcome}; note: {text}",
        )
    grant.reviewed_at, grant.reviewed_by, grant.review_outcome, grant.review_note = (
        reviewed_at,
        acting_user,
        outcome,
        text,
    )
    return grant
