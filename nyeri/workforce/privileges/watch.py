"""The expiry watch's part for clinical privileges: re-credentialing notices.

Every active grant whose re-credentialing date is within the catalogue's warning days
(90, 60 and 30 for Indonesia) gets a notice to its holder and to the members of the
committee that reviews the privilege (medical or nursing, the catalogue's ``committee``)
whose membership covers the grant's facility, at the nearest
threshold still due (a missed day sends the next one, never an earlier one). Keyed by
grant, threshold and recipient: running the watch twice sends nothing twice. Days are the
watch's day (the installation's).
"""

from __future__ import annotations

from datetime import date, timedelta

from django.urls import reverse

from nyeri.accounts.models import User
from nyeri.notifications.models import Notification, NotificationKind
from nyeri.notifications.services import create_notification
from nyeri.tenancy.models import Membership, MembershipRole, Organization
from nyeri.workforce.kinds import PrivilegeGrantStatus
from nyeri.workforce.models import PrivilegeGrant
from nyeri.workforce.privileges.catalogue import catalogue_for

ACTOR_LABEL = "expiry_watch"


def due_threshold(days_left: int, thresholds: tuple[int, ...]) -> int | None:
    """The notice due with ``days_left`` to go: the nearest threshold at or above it."""
    if days_left < 0:
        return None
    return next((t for t in sorted(thresholds) if days_left <= t), None)


def _committee(organization: Organization, role: str) -> list[tuple[User, frozenset[int] | None]]:
    roles = (
        MembershipRole.objects.filter(
            organization=organization,
            role=role,
            membership__is_active=True,
            membership__user__is_active=True,
        )
        .select_related("membership__user")
        .prefetch_related("membership__facility_links")
        .order_by("membership__user_id")
    )
    found = []
    for held in roles:
        limited = frozenset(link.facility_id for link in held.membership.facility_links.all())
        found.append((held.membership.user, limited or None))
    return found


def notify_recredentialing(organization: Organization, today: date) -> int:
    """Create the re-credentialing notices due on ``today`` for ``organization``; how many were new."""
    found = catalogue_for(organization.jurisdiction)
    if found is None:
        return 0
    thresholds = tuple(found.warn_days)
    grants = list(
        PrivilegeGrant.objects.filter(
            organization=organization,
            status=PrivilegeGrantStatus.ACTIVE,
            recredential_on__gte=today - timedelta(days=1),
            recredential_on__lte=today + timedelta(days=max(thresholds) + 1),
        )
        .select_related("person", "person__user", "facility")
        .order_by("recredential_on", "pk")
    )
    if not grants:
        return 0
    # One query per committee that has a grant due (two at most in Indonesia).
    committees = {
        c.code: _committee(organization, c.role)
        for c in found.committees
        if any((entry := found.get(g.privilege)) is not None and entry.committee == c.code for g in grants)
    }
    members = set(
        Membership.objects.filter(
            organization=organization,
            is_active=True,
            user__is_active=True,
            user_id__in=[g.person.user_id for g in grants if g.person.user_id is not None],
        ).values_list("user_id", flat=True)
    )
    planned = []
    for grant in grants:
        days_left = (grant.recredential_on - today).days
        threshold = due_threshold(days_left, thresholds)
        if threshold is None:
            continue
        link = reverse("workforce:privilege_grant", kwargs={"grant_id": grant.pk})
        recipients: dict[int, tuple[User, str]] = {}
        own = grant.person.user
        if own is not None and own.pk in members:
            recipients[own.pk] = (own, "")
        entry = found.get(grant.privilege)
        for user, facilities in committees.get(entry.committee if entry is not None else "", []):
            if user.pk not in recipients and (facilities is None or grant.facility_id in facilities):
                recipients[user.pk] = (user, grant.person.full_name)
        for uid, (user, about) in recipients.items():
            key = f"privilege_grant:{grant.pk}:recredential:{threshold}:user:{uid}"
            planned.append((grant, user, about, days_left, link, key))
    done = set(
        Notification.objects.filter(dedupe_key__in=[p[-1] for p in planned]).values_list("dedupe_key", flat=True)
    )
    created = 0
    for grant, user, about, days_left, link, key in planned:
        if key in done:
            continue
        _, new = create_notification(
            organization=organization,
            recipient=user,
            kind=NotificationKind.PRIVILEGE_RECREDENTIALING,
            dedupe_key=key,
            object_type="privilege_grant",
            object_id=grant.pk,
            subject_key=grant.privilege,
            reference=grant.number,
            about=about,
            due_on=grant.recredential_on,
            days_left=days_left,
            link=link,
            actor_label=ACTOR_LABEL,
        )
        created += int(new)
    return created
