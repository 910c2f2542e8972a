"""Reading the audit trail: the compliance officer's report and its CSV export.

Everything is scoped to the officer's organization. Both the page and the export run a
fixed number of queries whatever the size of the trail (related rows are joined, never
fetched row by row), and the export streams in chunks.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Count, F, Max, OrderBy, Q, QuerySet
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from nyeri.accounts.models import User
from nyeri.audit.models import DENIED_OUTCOMES, AuditAction, AuditEvent
from nyeri.audit.services import record_access_denied
from nyeri.lib.panels import Panel, Tally
from nyeri.tenancy.clock import day_bounds, local_date
from nyeri.tenancy.models import Facility, Membership, Organization
from nyeri.tenancy.roles import Role
from nyeri.tenancy.scope import Scope

PAGE_SIZE = 50
EXPORT_CHUNK_SIZE = 2000

# The columns one may sort by (``?sort=key`` or ``?sort=-key``) and what each sorts on.
SORTS: dict[str, tuple[str, ...]] = {
    "seq": ("seq",),
    "occurred_at": ("occurred_at",),
    "actor": ("actor_label",),
    "action": ("action",),
    "outcome": ("outcome",),
    "facility": ("facility__name",),
    "patient": ("patient_id",),
    "object": ("object_type", "object_id"),
    "reason": ("reason",),
    "client_address": ("client_address",),
}
DEFAULT_SORT = "-occurred_at"

# The "denied attempts" filter: a refusal (403, the door's no, a throttled login), a "not
# found" on an object asked for by identifier, a failed login or second factor.
DENIED_ATTEMPTS = Q(outcome__in=DENIED_OUTCOMES) | Q(action__in=(AuditAction.LOGIN_FAILED, AuditAction.MFA_FAILED))

EXPORT_FIELDS = (
    "seq",
    "occurred_at",
    "actor_label",
    "actor_id",
    "facility__name",
    "patient_id",
    "action",
    "outcome",
    "object_type",
    "object_id",
    "reason",
    "request_id",
    "client_address",
    "hash",
)


@dataclass(frozen=True)
class AuditFilters:
    date_from: date | None = None
    date_to: date | None = None  # inclusive
    actor_id: int | None = None
    patient_id: int | None = None
    action: str = ""
    # Denied attempts only: refusals, "not found" on an identified object, failed logins.
    denied: bool = False
    # The installation's security report: a user name as typed at the login page.
    typed_name: str = ""

    def describe(self) -> str:
        """The filters as text, for the reason of the audit row that records their use."""
        parts = [
            f"from {self.date_from.isoformat()}" if self.date_from else "",
            f"to {self.date_to.isoformat()}" if self.date_to else "",
            f"user {self.actor_id}" if self.actor_id is not None else "",
            f"patient {self.patient_id}" if self.patient_id is not None else "",
            f"action {self.action}" if self.action else "",
            "denied attempts" if self.denied else "",
            f"name {self.typed_name!r}" if self.typed_name else "",
        ]
        return "; ".join(p for p in parts if p) or "no filter"


def parse_sort(value: str | None) -> str:
    """``value`` if it names a sortable column (optionally with a leading "-"), else the default."""
    if value and value.removeprefix("-") in SORTS:
        return value
    return DEFAULT_SORT


def members_of(organization: Organization) -> QuerySet[User]:
    """Everyone who is or was a member of ``organization`` (for the user filter)."""
    return User.objects.filter(memberships__organization=organization).order_by("username")


def audit_events_for(
    scope: Scope, filters: AuditFilters, *, sort: str = DEFAULT_SORT, upto_id: int | None = None
) -> QuerySet[AuditEvent]:
    """The organization's events matching ``filters``, sorted, with actor and facility joined.

    ``upto_id`` pins the result to the trail as it was when the report was first shown, so
    that paging through it does not shift as new events (including the report's own READ
    events) are appended. By id, not seq: the report mixes two chains (the organization's
    and the platform chain's logins of its members), whose seqs are unrelated. Ids grow
    with every append; one taken just before the pin but committed after it (in another
    chain) can still join the later pages, which is harmless for a report.
    """
    # Security events carry no organization (a login happens before one is chosen): they
    # belong to the report of every organization whose member they concern, matched by the
    # account, or by the username typed for a failed login.
    members = Membership.objects.filter(organization=scope.organization)
    qs = AuditEvent.objects.filter(
        Q(organization=scope.organization)
        | Q(organization__isnull=True, actor_id__in=members.values("user_id"))
        | Q(organization__isnull=True, actor__isnull=True, actor_label__in=members.values("user__username"))
    )
    qs = _within_facilities(scope, qs)
    # The report spans the organization's facilities: its days are the installation's
    # (TIME_ZONE), the same for every reader; each event's time is shown with its zone.
    if filters.date_from is not None:
        qs = qs.filter(occurred_at__gte=day_bounds(None, filters.date_from)[0])
    if filters.date_to is not None:
        qs = qs.filter(occurred_at__lt=day_bounds(None, filters.date_to)[1])
    if filters.actor_id is not None:
        qs = qs.filter(actor_id=filters.actor_id)
    if filters.patient_id is not None:
        qs = qs.filter(patient_id=filters.patient_id)
    if filters.action:
        qs = qs.filter(action=filters.action)
    if filters.denied:
        qs = qs.filter(DENIED_ATTEMPTS)
    if upto_id is not None:
        qs = qs.filter(id__lte=upto_id)
    return qs.select_related("actor", "facility").order_by(*_ordering(parse_sort(sort)))


def installation_security_events(
    filters: AuditFilters, *, sort: str = DEFAULT_SORT, upto_id: int | None = None
) -> QuerySet[AuditEvent]:
    """The platform chain: events of no organization, for the installation's superusers.

    Failed logins (for unknown user names too: nobody else can be shown them, since no
    organization owns a name that does not exist), lock-outs, the input guard's refusals and
    the denied attempts of accounts acting in no organization.
    """
    qs = AuditEvent.objects.filter(organization__isnull=True)
    if filters.date_from is not None:
        qs = qs.filter(occurred_at__gte=day_bounds(None, filters.date_from)[0])
    if filters.date_to is not None:
        qs = qs.filter(occurred_at__lt=day_bounds(None, filters.date_to)[1])
    if filters.action:
        qs = qs.filter(action=filters.action)
    if filters.denied:
        qs = qs.filter(DENIED_ATTEMPTS)
    if filters.typed_name:
        qs = qs.filter(actor_label__iexact=filters.typed_name)
    if upto_id is not None:
        qs = qs.filter(id__lte=upto_id)
    return qs.select_related("actor", "facility").order_by(*_ordering(parse_sort(sort)))


def audit_export_rows(
    scope: Scope, filters: AuditFilters, *, sort: str = DEFAULT_SORT, upto_id: int | None = None
) -> Iterator[tuple[Any, ...]]:
    """The export's rows (``EXPORT_FIELDS``), streamed from the database in chunks."""
    qs = audit_events_for(scope, filters, sort=sort, upto_id=upto_id)
    return qs.values_list(*EXPORT_FIELDS).iterator(chunk_size=EXPORT_CHUNK_SIZE)


def _within_facilities(scope: Scope, qs: QuerySet[AuditEvent]) -> QuerySet[AuditEvent]:
    """A facility-limited membership's share of the trail: the events at its facilities.

    Events at no facility (logins, the organization's settings, members) concern the whole
    organization and are left to members who cover all of it.
    """
    if scope.facility_ids is None:
        return qs
    return qs.filter(facility_id__in=scope.facility_ids)


def _ordering(sort: str) -> list[OrderBy]:
    descending = sort.startswith("-")
    fields = [*SORTS[sort.removeprefix("-")], "id"]
    # Empty values last either way, on both databases (their default NULL order differs);
    # the id breaks ties so that pages never overlap (seq does not: it restarts per chain).
    return [
        F(name).desc(nulls_last=True) if descending else F(name).asc(nulls_last=True) for name in dict.fromkeys(fields)
    ]


def organization_audit_events(scope: Scope) -> QuerySet[AuditEvent]:
    """The organization's own audit events, for its compliance officer (FHIR AuditEvent).

    Anyone else is refused (403) and the refusal is audited, as on the audit report.
    """
    if not scope.has_role(Role.COMPLIANCE_OFFICER):
        record_access_denied(
            actor=scope.user,
            organization=scope.organization,
            object_type="fhir.AuditEvent",
            reason="not a compliance officer",
        )
        raise PermissionDenied
    return _within_facilities(scope, AuditEvent.objects.filter(organization=scope.organization))


RECENT_REFUSAL_DAYS = 7


def home_panel(scope: Scope, facility: Facility) -> Panel | None:
    """The compliance officer's recent refusals: actions refused in the last 7 days, within
    the scope's facilities (one query)."""
    if not scope.has_role(Role.COMPLIANCE_OFFICER):
        return None
    since = local_date(facility) - timedelta(days=RECENT_REFUSAL_DAYS - 1)
    refused = _within_facilities(
        scope,
        AuditEvent.objects.filter(
            organization=scope.organization,
            action=AuditAction.PERMISSION_DENIED,
            occurred_at__gte=day_bounds(facility, since)[0],
        ),
    ).count()
    query = urlencode({"action": AuditAction.PERMISSION_DENIED, "date_from": since.isoformat()})
    return Panel(
        title=_("Audit trail"),
        counts=(
            Tally(
                _("Refusals in the last %(days)s days") % {"days": RECENT_REFUSAL_DAYS},
                refused,
                f"{reverse('audit:report')}?{query}",
            ),
        ),
        url=reverse("audit:report"),
    )


@dataclass(frozen=True)
class ProbingAccount:
    """An account with more denied or not-found answers in the window than the threshold."""

    organization_id: int
    actor_id: int
    actor_label: str
    attempts: int
    last_at: datetime


def probing_accounts(*, since: datetime, threshold: int) -> list[ProbingAccount]:
    """Every (organization, account) with more than ``threshold`` denied attempts since ``since``.

    One query over the window's rows (the time index): denied and not-found rows of
    accounts acting in an organization. Failed logins have no account and are throttled
    by the login itself; an account acting in no organization has nobody to notify.
    """
    rows = (
        AuditEvent.objects.filter(
            occurred_at__gte=since,
            outcome__in=DENIED_OUTCOMES,
            actor__isnull=False,
            organization__isnull=False,
        )
        .values("organization_id", "actor_id")
        .annotate(attempts=Count("id"), last_at=Max("occurred_at"), label=Max("actor_label"))
        .filter(attempts__gt=threshold)
        .order_by("organization_id", "actor_id")
    )
    return [ProbingAccount(r["organization_id"], r["actor_id"], r["label"], r["attempts"], r["last_at"]) for r in rows]
