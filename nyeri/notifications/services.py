"""Writing notifications: create (idempotent), mark read, and send the e-mail copy."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import date, datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage, get_connection
from django.db import IntegrityError, transaction
from django.http import Http404
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from nyeri.accounts.models import User
from nyeri.audit.models import AuditAction
from nyeri.audit.selectors import ProbingAccount, probing_accounts
from nyeri.audit.services import record_event
from nyeri.notifications.messages import render_message, render_subject
from nyeri.notifications.models import Notification, NotificationKind
from nyeri.tenancy.models import Membership, Organization
from nyeri.tenancy.roles import Role
from nyeri.tenancy.scope import Scope
from nyeri.tenancy.selectors import members_holding

logger = logging.getLogger(__name__)


def create_notification(
    *,
    organization: Organization,
    recipient: User,
    kind: NotificationKind | str,
    dedupe_key: str,
    object_type: str,
    object_id: int | None = None,
    subject_key: str = "",
    reference: str = "",
    about: str = "",
    due_on: date | None = None,
    days_left: int | None = None,
    link: str = "",
    actor: User | None = None,
    actor_label: str = "",
) -> tuple[Notification, bool]:
    """The notification with ``dedupe_key``, created if it does not exist yet (and then audited).

    Returns ``(notification, created)``; a second call with the same key changes nothing.
    The recipient must be an active member of ``organization``: a notice never crosses the
    tenant wall.
    """
    existing = Notification.objects.filter(dedupe_key=dedupe_key).first()
    if existing is not None:
        return existing, False
    if not Membership.objects.filter(organization=organization, user=recipient, is_active=True).exists():
        raise ValidationError({"recipient": [_("The recipient is not a member of this organization.")]})
    notification = Notification(
        organization=organization,
        recipient=recipient,
        kind=kind,
        object_type=object_type,
        object_id=object_id,
        subject_key=subject_key,
        reference=reference[:100],
        about=about[:200],
        due_on=due_on,
        days_left=days_left,
        link=link,
        dedupe_key=dedupe_key,
    )
    # Uniqueness of the key is the database's to hold (a concurrent sender is caught below).
    notification.full_clean(exclude=["organization", "recipient"], validate_unique=False)
    try:
        with transaction.atomic():
            notification.save(force_insert=True)
            record_event(
                actor=actor,
                actor_label=actor_label,
                action=AuditAction.CREATE,
                organization=organization,
                object_type="notification",
                object_id=notification.pk,
                reason=f"{kind} to user {recipient.pk} about {object_type} {object_id}",
            )
    except IntegrityError:
        existing = Notification.objects.filter(dedupe_key=dedupe_key).first()
        if existing is None:
            raise
        return existing, False
    return notification, True


# Who hears of repeated probing by a member: those who read the trail and those who can act.
PROBING_RECIPIENTS = (Role.COMPLIANCE_OFFICER, Role.ADMINISTRATOR)


def notify_probing(*, now: datetime | None = None) -> list[ProbingAccount]:
    """Notify each organization of its accounts over the probing threshold; the accounts notified.

    An account with more than ``PROBE_ALERT_THRESHOLD`` denied or not-found answers within
    ``PROBE_ALERT_WINDOW`` raises one notification per compliance officer and administrator
    of the organization (with its e-mail copy to those with an address), and one audit row
    (``probing_alert``): not one per request, and not again while a notification about the
    same account is younger than the window. Run every minute by the periodic job
    ``audit.probe_watch``.
    """
    moment = now or timezone.now()
    window = settings.PROBE_ALERT_WINDOW
    minutes = int(window.total_seconds() // 60)
    notified: list[ProbingAccount] = []
    for account in probing_accounts(since=moment - window, threshold=settings.PROBE_ALERT_THRESHOLD):
        recent = Notification.objects.filter(
            kind=NotificationKind.PROBING,
            organization_id=account.organization_id,
            object_type="user",
            object_id=account.actor_id,
            created_at__gte=moment - window,
        )
        if recent.exists():
            continue
        organization = Organization.objects.get(pk=account.organization_id)
        recipients = members_holding(account.organization_id, PROBING_RECIPIENTS)
        link = f"{reverse('audit:report')}?denied=on&user={account.actor_id}"
        with transaction.atomic():
            for recipient in recipients:
                # The report's link for those who may read it (an administrator is told, not shown).
                officer = Membership.objects.filter(
                    organization=organization, user=recipient, roles__role=Role.COMPLIANCE_OFFICER
                ).exists()
                create_notification(
                    organization=organization,
                    recipient=recipient,
                    kind=NotificationKind.PROBING,
                    dedupe_key=f"probing:{account.actor_id}:{moment:%Y%m%d%H%M}:user:{recipient.pk}",
                    object_type="user",
                    object_id=account.actor_id,
                    reference=str(account.attempts),
                    about=account.actor_label,
                    link=link if officer else "",
                )
            record_event(
                actor=None,
                action=AuditAction.CREATE,
                organization=organization,
                object_type="probing_alert",
                object_id=account.actor_id,
                reason=(
                    f"{account.attempts} denied or not-found answers to {account.actor_label} within {minutes} "
                    f"minutes (threshold {settings.PROBE_ALERT_THRESHOLD}); {len(recipients)} member(s) notified"
                ),
            )
        notified.append(account)
    if notified:
        try:
            send_pending_emails(since=moment - window, kinds=[NotificationKind.PROBING])
        except Exception:
            # The notices are committed; their e-mail copies go with the next alert's run.
            logger.exception("probing alert e-mails not sent")
    return notified


def mark_read(*, scope: Scope, notification: Notification) -> Notification:
    """The recipient has read it (again: nothing changes)."""
    if notification.recipient_id != scope.user.pk or notification.organization_id != scope.organization.pk:
        raise Http404("No such notification")
    if notification.read_at is not None:
        return notification
    now = timezone.now()
    with transaction.atomic():
        changed = Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=now)
        if changed:
            record_event(
                actor=scope.user,
                action=AuditAction.UPDATE,
                organization=scope.organization,
                object_type="notification",
                object_id=notification.pk,
                reason="read",
            )
    notification.read_at = now
    return notification


def mark_all_read(*, scope: Scope) -> int:
    """Every unread notification of the user in this organization is read; how many were."""
    now = timezone.now()
    with transaction.atomic():
        changed = Notification.objects.filter(
            recipient=scope.user, organization=scope.organization, read_at__isnull=True
        ).update(read_at=now)
        if changed:
            record_event(
                actor=scope.user,
                action=AuditAction.UPDATE,
                organization=scope.organization,
                object_type="notification",
                reason=f"all read ({changed})",
            )
    return changed


def absolute_link(path: str) -> str:
    """``path`` as a full address when the site's address is configured (NYERI_SITE_URL)."""
    base = str(getattr(settings, "NYERI_SITE_URL", "") or "").rstrip("/")
    return f"{base}{path}" if path else base


def render_email(notification: Notification) -> tuple[str, str]:
    """Subject and body in the recipient's language."""
    recipient = notification.recipient
    with translation.override(recipient.language or settings.LANGUAGE_CODE):
        subject = render_subject(notification)
        body = render_to_string(
            "notifications/email/notification.txt",
            {
                "recipient": recipient,
                "message": render_message(notification),
                "link": absolute_link(notification.link),
                "organization": notification.organization,
            },
        )
    return subject, body


def send_pending_emails(*, since: datetime, kinds: Iterable[NotificationKind | str] | None = None) -> int:
    """Send the e-mail copy of notifications created after ``since`` that have none yet.

    Each notification is claimed (``emailed_at`` set) before it is sent, so two runs at
    once do not both send it; a failed send releases the claim and the next run retries.
    Recipients without an address or deactivated are skipped.
    """
    qs = (
        Notification.objects.filter(emailed_at__isnull=True, created_at__gte=since, recipient__is_active=True)
        .exclude(recipient__email="")
        .select_related("recipient", "organization")
        .order_by("pk")
    )
    if kinds is not None:
        qs = qs.filter(kind__in=[str(k) for k in kinds])
    sent = 0
    connection = get_connection()
    with connection:
        for notification in qs:
            claimed_at = timezone.now()
            # Delivery bookkeeping only (not a change of what the user is told): not audited.
            if not Notification.objects.filter(pk=notification.pk, emailed_at__isnull=True).update(
                emailed_at=claimed_at
            ):
                continue
            subject, body = render_email(notification)
            message = EmailMessage(subject, body, to=[notification.recipient.email], connection=connection)
            try:
                message.send()
            except Exception:
                logger.exception("e-mail for notification %s not sent; it will be retried", notification.pk)
                Notification.objects.filter(pk=notification.pk, emailed_at=claimed_at).update(emailed_at=None)
                continue
            sent += 1
    return sent
