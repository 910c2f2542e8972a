"""The daily expiry watch: mark lapsed credentials expired, warn before the others lapse.

For every organization:

1. A verified credential whose ``expires_on`` has passed becomes ``expired`` (an audited
   UPDATE, "expired by date"). The engine already treats it as lapsed from the day after
   ``expires_on`` whatever its status; the status makes lists and reports say so.
2. A verified credential expiring within 90 days gets a notice at 90, 30 and 7 days
   before. When a day was missed (the watch did not run), the *nearest* threshold still
   due is sent: 25 days left and no 30-day notice yet sends the 30-day notice; a 90-day
   notice is never sent when 30 or fewer days remain. A credential whose renewal is
   already verified and on file gets none.
3. A credential marked expired by step 1, expired within the last 30 days, gets an
   "expired" notice (older ones, e.g. on the first run over old data, are marked silently).
4. Clinical privileges due for re-credentialing (``nyeri.workforce.privileges.watch``),
   checks at the source due and SKP behind for a SIP's renewal (``reminders.py``).

Each notice goes to the person (their user account, if they have one and are an active
member) and to every credentialing officer of the organization whose membership covers
the credential's facility: in the app and by e-mail, in each recipient's language.
Notices are keyed by credential, threshold and recipient, so running the watch twice
(or twice at once) sends nothing twice.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from nyeri.accounts.models import User
from nyeri.audit.models import AuditAction
from nyeri.audit.services import record_event
from nyeri.notifications.models import Notification, NotificationKind
from nyeri.notifications.services import create_notification, send_pending_emails
from nyeri.tenancy.clock import local_date
from nyeri.tenancy.models import Membership, MembershipRole, Organization
from nyeri.tenancy.roles import Role
from nyeri.workforce.expiry.selectors import AHEAD_DAYS, RECENTLY_EXPIRED_DAYS, renewed_ids
from nyeri.workforce.kinds import CredentialStatus
from nyeri.workforce.models import Credential, PersonFacility
from nyeri.workforce.privileges.watch import notify_recredentialing

THRESHOLDS: tuple[int, ...] = (90, 30, 7)
ACTOR_LABEL = "expiry_watch"
# A notice whose e-mail failed is retried by the runs of the following days.
EMAIL_RETRY_WINDOW = timedelta(days=3)
CHUNK = 5000


def due_threshold(days_left: int) -> int | None:
    """The notice due with ``days_left`` days to go: the nearest threshold at or above it."""
    if days_left < 0:
        return None
    return next((t for t in sorted(THRESHOLDS) if days_left <= t), None)


@dataclass
class WatchReport:
    today: date
    organizations: int = 0
    expired: int = 0
    notifications: int = 0
    emails: int = 0


@dataclass(frozen=True, slots=True)
class Officer:
    user: User
    facility_ids: frozenset[int] | None  # None: every facility

    def covers(self, facility_ids: set[int]) -> bool:
        return self.facility_ids is None or not self.facility_ids.isdisjoint(facility_ids)


@dataclass(frozen=True, slots=True)
class _Notice:
    credential: Credential
    kind: NotificationKind
    days_left: int
    recipient: User
    about: str  # the person's name for an officer; empty for the person themselves
    link: str
    dedupe_key: str


def _chunks(ids: Sequence[int]) -> Iterable[Sequence[int]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


def run_expiry_watch(*, today: date | None = None, send_email: bool = True) -> WatchReport:
    """Run the watch for every organization as of ``today`` (default: now, each credential on its facility's day)."""
    # The reminders module builds on this one's helpers (officers, links): imported here.
    from nyeri.workforce.expiry.reminders import notify_reminders

    started = timezone.now()
    day = today or local_date(None, started)
    report = WatchReport(today=day)
    for organization in Organization.objects.order_by("pk"):
        report.organizations += 1
        expired = mark_expired(organization, day, at=None if today else started)
        report.expired += len(expired)
        report.notifications += notify(organization, day, expired)
        # Clinical privileges due for re-credentialing (90, 60, 30 days ahead: the catalogue's).
        report.notifications += notify_recredentialing(organization, day)
        # Checks at the source due, SKP behind for a SIP's renewal (reminders.py).
        report.notifications += notify_reminders(organization, day)
    if send_email:
        report.emails = send_pending_emails(
            since=started - EMAIL_RETRY_WINDOW,
            kinds=[
                NotificationKind.CREDENTIAL_EXPIRING,
                NotificationKind.CREDENTIAL_EXPIRED,
                NotificationKind.PRIVILEGE_RECREDENTIALING,
                NotificationKind.SOURCE_REVERIFICATION_DUE,
                NotificationKind.SKP_BEHIND,
            ],
        )
    return report


def mark_expired(organization: Organization, today: date, *, at: datetime | None = None) -> list[Credential]:
    """Verified credentials of ``organization`` that expired before ``today``, now ``expired``.

    With ``at``, each credential's day is its facility's at that moment (the installation's
    for one that names no facility): a SIP of Jayapura ends at 24:00 WIT, before Jakarta's
    midnight. ``today`` is then the installation's day; two days' margin covers any zones.
    """
    horizon = today + timedelta(days=2) if at is not None else today
    with transaction.atomic():
        # Locked, so that a concurrent revocation and this update do not both pass.
        stale = list(
            Credential.objects.select_for_update(of=("self",))
            .filter(organization=organization, status=CredentialStatus.VERIFIED, expires_on__lt=horizon)
            .select_related("person", "person__user", "facility")
            .order_by("pk")
        )
        if at is not None:
            stale = [c for c in stale if c.expires_on is not None and c.expires_on < local_date(c.facility, at)]
        if not stale:
            return []
        for chunk in _chunks([c.pk for c in stale]):
            Credential.objects.filter(pk__in=chunk).update(status=CredentialStatus.EXPIRED)
        for c in stale:
            assert c.expires_on is not None
            c.status = CredentialStatus.EXPIRED
            record_event(
                actor=None,
                actor_label=ACTOR_LABEL,
                action=AuditAction.UPDATE,
                organization=organization,
                facility=c.facility,
                object_type="credential",
                object_id=c.pk,
                reason=f"expired by date: valid to {c.expires_on.isoformat()}, watch of {today.isoformat()}",
            )
    return stale


def credentialing_officers(organization: Organization) -> list[Officer]:
    """The organization's active credentialing officers with the facilities they cover."""
    roles = (
        MembershipRole.objects.filter(
            organization=organization,
            role=Role.CREDENTIALING_OFFICER,
            membership__is_active=True,
            membership__user__is_active=True,
        )
        .select_related("membership__user")
        .prefetch_related("membership__facility_links")
        .order_by("membership__user_id")
    )
    officers = []
    for role in roles:
        limited = frozenset(link.facility_id for link in role.membership.facility_links.all())
        officers.append(Officer(role.membership.user, limited or None))
    return officers


def credential_path(credential: Credential) -> str:
    """Where the person sees their credential: its page, else their notifications."""
    try:
        # The credential pages belong to the credentials part of the workforce app.
        return reverse("workforce:credential_detail", kwargs={"credential_id": credential.pk})
    except NoReverseMatch:
        return reverse("notifications:list")


def notify(organization: Organization, today: date, expired: Sequence[Credential] = ()) -> int:
    """Create the notices due today for ``organization``; how many were new."""
    expiring = list(
        Credential.objects.filter(
            organization=organization,
            status=CredentialStatus.VERIFIED,
            expires_on__gte=today,
            expires_on__lte=today + timedelta(days=AHEAD_DAYS),
        )
        .select_related("person", "person__user")
        .order_by("expires_on", "pk")
    )
    recent = [
        c for c in expired if c.expires_on is not None and c.expires_on >= today - timedelta(RECENTLY_EXPIRED_DAYS)
    ]
    credentials = expiring + recent
    if not credentials:
        return 0
    renewed = renewed_ids(organization, credentials)
    credentials = [c for c in credentials if c.pk not in renewed]
    person_ids = sorted({c.person_id for c in credentials})
    works_at: dict[int, set[int]] = defaultdict(set)
    for chunk in _chunks(person_ids):
        for pid, fid in PersonFacility.objects.filter(person_id__in=chunk).values_list("person_id", "facility_id"):
            works_at[pid].add(fid)
    user_ids = sorted({c.person.user_id for c in credentials if c.person.user_id is not None})
    members: set[int] = set()
    for chunk in _chunks(user_ids):
        members.update(
            Membership.objects.filter(
                organization=organization, is_active=True, user__is_active=True, user_id__in=chunk
            ).values_list("user_id", flat=True)
        )
    officers = credentialing_officers(organization)
    officers_path = reverse("workforce:expiring")

    planned: list[_Notice] = []
    for c in credentials:
        assert c.expires_on is not None
        days_left = (c.expires_on - today).days
        if days_left < 0:
            kind, stage = NotificationKind.CREDENTIAL_EXPIRED, "expired"
        else:
            threshold = due_threshold(days_left)
            if threshold is None:
                continue
            kind, stage = NotificationKind.CREDENTIAL_EXPIRING, f"expiring:{threshold}"
        recipients: dict[int, tuple[User, str, str]] = {}
        own = c.person.user
        if own is not None and own.pk in members:
            recipients[own.pk] = (own, "", credential_path(c))
        places = {c.facility_id} if c.facility_id is not None else works_at.get(c.person_id, set())
        for officer in officers:
            if officer.user.pk not in recipients and officer.covers(places):
                recipients[officer.user.pk] = (officer.user, c.person.full_name, f"{officers_path}#credential-{c.pk}")
        for uid, (user, about, link) in recipients.items():
            key = f"credential:{c.pk}:{stage}:user:{uid}"
            planned.append(_Notice(c, kind, days_left, user, about, link, key))
    # One query for the keys already used, rather than one per notice.
    keys = [n.dedupe_key for n in planned]
    done: set[str] = set()
    for start in range(0, len(keys), CHUNK):
        done.update(
            Notification.objects.filter(dedupe_key__in=keys[start : start + CHUNK]).values_list("dedupe_key", flat=True)
        )
    created = 0
    for n in planned:
        if n.dedupe_key in done:
            continue
        _, new = create_notification(
            organization=organization,
            recipient=n.recipient,
            kind=n.kind,
            dedupe_key=n.dedupe_key,
            object_type="credential",
            object_id=n.credential.pk,
            subject_key=n.credential.kind,
            reference=n.credential.number,
            about=n.about,
            due_on=n.credential.expires_on,
            days_left=n.days_left,
            link=n.link,
            actor_label=ACTOR_LABEL,
        )
        created += int(new)
    return created
