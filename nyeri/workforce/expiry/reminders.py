"""The expiry watch's reminders that are not about a credential running out (issue 17):

* **Checks at the source due**: a verified credential whose source verification names a
  re-verification date (``SourceVerification.reverify_by``: an STR at every
  re-credentialing, a US background check monthly, ...) gets a notice 90, 60 and 30 days
  before it, and once more when it has passed (``overdue``).
* **SKP behind**: a professional whose continuing-education credits (SKP) are short of the
  policy's total for their SIP's renewal period (or of a category's minimum share) with less
  than 12 months of that SIP left gets a notice at 12, 6, 3 and 1 months (365, 180, 90 and
  30 days) before the SIP's expiry.

Like the credentials' notices: the nearest threshold still due is sent (a missed day sends the
next one, never an earlier one), once per threshold, to the person and to every credentialing
officer whose membership covers the credential's facility (else the person's facilities), in
the app and by e-mail, each in the recipient's language (worded when shown:
``nyeri.notifications.messages``). Keys name the credential, the date that is due (a new check
or a new SIP starts a new cycle), the threshold and the recipient: running the watch twice
sends nothing twice. Days are the watch's day (the installation's).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.urls import reverse

from nyeri.accounts.models import User
from nyeri.notifications.models import Notification, NotificationKind
from nyeri.notifications.services import create_notification
from nyeri.tenancy.models import Membership, Organization
from nyeri.workforce.expiry.watch import ACTOR_LABEL, Officer, credential_path, credentialing_officers
from nyeri.workforce.kinds import CredentialStatus
from nyeri.workforce.models import Credential, PersonFacility, SourceVerification
from nyeri.workforce.privileges.watch import due_threshold
from nyeri.workforce.skp.selectors import current_periods, progress_for

# Days before the re-verification date (issue 17: "within 90/60/30 days or past").
REVERIFY_WARN_DAYS: tuple[int, ...] = (90, 60, 30)
# Days before the SIP's expiry while its credits are short: under 12 months left, then 6, 3, 1.
SKP_WARN_DAYS: tuple[int, ...] = (365, 180, 90, 30)
OVERDUE = "overdue"
# The end of an SKP notice's facts when the total needed is the facility's own setting.
SETTING_MARK = "/facility"


@dataclass(frozen=True, slots=True)
class _Reminder:
    credential: Credential
    kind: NotificationKind
    stage: str
    due_on: date
    days_left: int
    subject_key: str


def _plain(value: Decimal) -> str:
    """A number of credits as stored in the notice: no trailing zeros ("12.5", "250")."""
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _reverification_due(organization: Organization, today: date) -> list[_Reminder]:
    """Verified credentials whose check at the source is due within 90 days or has passed (1 query)."""
    found = (
        SourceVerification.objects.filter(
            organization=organization,
            reverify_by__isnull=False,
            reverify_by__lte=today + timedelta(days=max(REVERIFY_WARN_DAYS)),
            credential__status=CredentialStatus.VERIFIED,
        )
        .select_related("credential", "credential__person", "credential__person__user")
        .order_by("reverify_by", "pk")
    )
    due = []
    for check in found:
        assert check.reverify_by is not None
        days_left = (check.reverify_by - today).days
        if days_left < 0:
            stage = OVERDUE
        else:
            threshold = due_threshold(days_left, REVERIFY_WARN_DAYS)
            if threshold is None:
                continue
            stage = str(threshold)
        reminder = _Reminder(
            check.credential,
            NotificationKind.SOURCE_REVERIFICATION_DUE,
            f"reverify:{check.reverify_by.isoformat()}:{stage}",
            check.reverify_by,
            days_left,
            check.credential.kind,
        )
        due.append(reminder)
    return due


def _skp_behind(organization: Organization, today: date) -> list[_Reminder]:
    """People whose credits are short for the renewal of a SIP with less than 12 months left
    (5 queries: the SIPs, then the SKP progress of their holders)."""
    permits = Credential.objects.filter(
        organization=organization,
        kind="practice_permit",
        status=CredentialStatus.VERIFIED,
        expires_on__gte=today,
        expires_on__lte=today + timedelta(days=max(SKP_WARN_DAYS)),
    ).values_list("person_id", flat=True)
    periods = current_periods(organization, sorted(set(permits)), today=today)
    due = []
    for person_id, progress in progress_for(organization, periods, today=today).items():
        period = periods[person_id]
        days_left = (period.end - today).days
        threshold = due_threshold(days_left, SKP_WARN_DAYS)
        if threshold is None or progress.needed is None or progress.complete:
            continue
        reminder = _Reminder(
            period.permit,
            NotificationKind.SKP_BEHIND,
            f"skp_behind:{period.end.isoformat()}:{threshold}",
            period.end,
            days_left,
            # The credits at the time of the notice, as facts: "earned/needed", and "/facility"
            # when the total is the facility's setting, not a regulation (the notice says so).
            f"{_plain(progress.total)}/{_plain(progress.needed)}"
            + (SETTING_MARK if progress.needed_is_setting else ""),
        )
        due.append(reminder)
    return due


def notify_reminders(organization: Organization, today: date) -> int:
    """Create the re-verification and SKP notices due on ``today`` for ``organization``; how many were new."""
    reminders = _reverification_due(organization, today) + _skp_behind(organization, today)
    if not reminders:
        return 0
    person_ids = sorted({r.credential.person_id for r in reminders})
    works_at: dict[int, set[int]] = defaultdict(set)
    for pid, fid in PersonFacility.objects.filter(person_id__in=person_ids).values_list("person_id", "facility_id"):
        works_at[pid].add(fid)
    members = set(
        Membership.objects.filter(
            organization=organization,
            is_active=True,
            user__is_active=True,
            user_id__in=[r.credential.person.user_id for r in reminders if r.credential.person.user_id is not None],
        ).values_list("user_id", flat=True)
    )
    officers = credentialing_officers(organization)
    planned: list[tuple[_Reminder, User, str, str, str]] = []
    for r in reminders:
        c = r.credential
        for user, about, link in _recipients(r, officers, members, works_at):
            planned.append((r, user, about, link, f"credential:{c.pk}:{r.stage}:user:{user.pk}"))
    done = set(
        Notification.objects.filter(dedupe_key__in=[p[-1] for p in planned]).values_list("dedupe_key", flat=True)
    )
    created = 0
    for r, user, about, link, key in planned:
        if key in done:
            continue
        _, new = create_notification(
            organization=organization,
            recipient=user,
            kind=r.kind,
            dedupe_key=key,
            object_type="credential",
            object_id=r.credential.pk,
            subject_key=r.subject_key,
            reference=r.credential.number,
            about=about,
            due_on=r.due_on,
            days_left=r.days_left,
            link=link,
            actor_label=ACTOR_LABEL,
        )
        created += int(new)
    return created


def _recipients(
    r: _Reminder, officers: list[Officer], members: set[int], works_at: dict[int, set[int]]
) -> list[tuple[User, str, str]]:
    """(user, the person's name for an officer or empty for the person, link) for one reminder."""
    c = r.credential
    skp = r.kind == NotificationKind.SKP_BEHIND
    ledger = reverse("workforce:skp_ledger", kwargs={"person_id": c.person_id})
    found: dict[int, tuple[User, str, str]] = {}
    own = c.person.user
    if own is not None and own.pk in members:
        found[own.pk] = (own, "", ledger if skp else credential_path(c))
    places = {c.facility_id} if c.facility_id is not None else works_at.get(c.person_id, set())
    for officer in officers:
        if officer.user.pk not in found and officer.covers(places):
            link = ledger if skp else f"{reverse('workforce:expiring')}#credential-{c.pk}"
            found[officer.user.pk] = (officer.user, c.person.full_name, link)
    return list(found.values())
