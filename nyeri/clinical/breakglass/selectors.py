"""Break-glass reads: the patient to break the glass for, and the compliance officer's review.

The review shows the patient by record number and name only (a compliance officer is not
a clinical role) and the audit events of the user about the patient during the grant.
Fixed queries whatever the number of grants and events; each review page is audited.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime
from typing import cast

from django.core.paginator import Page, Paginator
from django.db import transaction
from django.db.models import Count, F, IntegerField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from nyeri.audit.models import AuditAction, AuditEvent
from nyeri.audit.services import record_event
from nyeri.clinical.access import ensure_clinical_role
from nyeri.clinical.breakglass.access import OBJECT_TYPE, ensure_compliance_officer
from nyeri.clinical.breakglass.models import BreakGlassGrant
from nyeri.clinical.models import Patient
from nyeri.lib.panels import Panel, Tally
from nyeri.lib.rows import PageRows, page_of
from nyeri.tenancy.models import Facility
from nyeri.tenancy.roles import Role
from nyeri.tenancy.scope import Scope

PAGE_SIZE = 50
# At most this many events are listed on a grant's page; the audit report has them all.
EVENTS_SHOWN = 200


class ReviewStatus(enum.StrEnum):
    UNREVIEWED = "unreviewed"
    REVIEWED = "reviewed"
    ALL = "all"


def parse_status(value: str | None) -> ReviewStatus:
    try:
        return ReviewStatus(value or ReviewStatus.UNREVIEWED)
    except ValueError:
        return ReviewStatus.UNREVIEWED


def patient_to_break_glass(scope: Scope, patient_id: int, *, audit: bool = False) -> Patient:
    """The patient of the organization whose glass a clinician may break: identification only.

    Another organization's patient is *not found*. The page shows the record number and
    the name only; showing them is audited (``audit``: a READ of the identification, so
    that nobody lists names by trying ids unseen); the grant is audited by its service.
    """
    ensure_clinical_role(scope, object_type=OBJECT_TYPE)
    patient = (
        Patient.objects.filter(organization=scope.organization, pk=patient_id)
        .only("pk", "organization_id", "mrn", "full_name", "registered_at")
        .first()
    )
    if patient is None:
        raise Http404("No such patient")
    if audit:
        with transaction.atomic():
            record_event(
                actor=scope.user,
                action=AuditAction.READ,
                organization=scope.organization,
                patient_id=patient.pk,
                object_type="patient_identification",
                object_id=patient.pk,
                reason="break-glass page",
            )
    return patient


def _events_during(grant: BreakGlassGrant) -> QuerySet[AuditEvent]:
    """The audit events of the grant's user about its patient between its start and its end."""
    return AuditEvent.objects.filter(
        organization_id=grant.organization_id,
        actor_id=grant.user_id,
        patient_id=grant.patient_id,
        occurred_at__gte=grant.starts_at,
        occurred_at__lte=grant.ends_at,
    )


def _event_count() -> Coalesce:
    """``_events_during`` of each row of a grant query, counted (a correlated subquery)."""
    counted = (
        AuditEvent.objects.filter(
            organization_id=OuterRef("organization_id"),
            actor_id=OuterRef("user_id"),
            patient_id=OuterRef("patient_id"),
            occurred_at__gte=OuterRef("starts_at"),
            occurred_at__lte=OuterRef("ends_at"),
        )
        .order_by()
        .values("actor_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def _with_rows(qs: QuerySet[BreakGlassGrant]) -> QuerySet[BreakGlassGrant]:
    # The patient: record number and name only, and the zone of its facility (the grant's times).
    return qs.select_related("user", "reviewed_by", "patient", "patient__registered_at").defer(
        "patient__nik",
        "patient__birth_date",
        "patient__sex",
        "patient__phone",
        "patient__address",
        "patient__regency",
    )


def review_queue(
    scope: Scope, *, status: ReviewStatus = ReviewStatus.UNREVIEWED, page: int | str = 1
) -> Page[BreakGlassGrant]:
    """One page of the organization's grants (unreviewed, reviewed or all), newest first.

    Each grant carries ``event_count``: the audit events of its user about its patient
    during it. Two queries (the count and the page) and the audit row.
    """
    ensure_compliance_officer(scope)
    qs = _with_rows(_queue(scope, status)).annotate(event_count=_event_count())
    # The rows carry event_count; the pages read them as grants.
    found = cast("Page[BreakGlassGrant]", Paginator(qs, PAGE_SIZE).get_page(page))
    _audit_queue(scope, status, found.number)
    return found


def _queue(scope: Scope, status: ReviewStatus) -> QuerySet[BreakGlassGrant]:
    qs = BreakGlassGrant.objects.filter(organization=scope.organization)
    if status is ReviewStatus.UNREVIEWED:
        qs = qs.filter(reviewed_at__isnull=True)
    elif status is ReviewStatus.REVIEWED:
        qs = qs.filter(reviewed_at__isnull=False)
    return qs.order_by("-starts_at", "-pk")


def _audit_queue(scope: Scope, status: ReviewStatus, page: int) -> None:
    with transaction.atomic():
        record_event(
            actor=scope.user,
            action=AuditAction.READ,
            organization=scope.organization,
            object_type="break_glass_review",
            reason=f"status {status}; page {page}",
        )


# The columns of a grant in the API's list (GrantOut, the patient's record number and name
# only; the audit report's address is made from the row).
GRANT_COLUMNS = (
    "id",
    "user_id",
    "username",
    "patient_id",
    "patient_mrn",
    "patient_name",
    "reason",
    "starts_at",
    "ends_at",
    "reviewed_at",
    "reviewed_by_id",
    "review_outcome",
    "review_note",
    "event_count",
)


def grant_rows(scope: Scope, *, status: ReviewStatus, page: int, offset: int, limit: int) -> PageRows:
    """``review_queue`` for the API: page ``page`` (from ``offset``) of ``GRANT_COLUMNS``, with
    the whole count. One query (the event counts are a correlated subquery) and the audit row.
    """
    ensure_compliance_officer(scope)
    ordered = _queue(scope, status).annotate(
        username=F("user__username"),
        patient_mrn=F("patient__mrn"),
        patient_name=F("patient__full_name"),
        event_count=_event_count(),
    )
    found = page_of(ordered, GRANT_COLUMNS, offset=offset, limit=limit)
    _audit_queue(scope, status, page)
    return found


@dataclass
class GrantReview:
    grant: BreakGlassGrant
    events: list[AuditEvent]
    event_count: int

    @property
    def audit_report_url(self) -> str:
        return audit_report_url(self.grant)


def audit_report_url(grant: BreakGlassGrant) -> str:
    """The audit report filtered by the grant's user, patient and days (local dates).

    The installation's days, not the facility's: the audit report reads its date filter in
    the installation's zone (``day_bounds(None, ...)``), so these days cover the grant.
    """
    return audit_report_url_of(grant.user_id, grant.patient_id, grant.starts_at, grant.ends_at)


def audit_report_url_of(user_id: int, patient_id: int, starts_at: datetime, ends_at: datetime) -> str:
    """``audit_report_url`` from a grant's plain row."""
    start: date = timezone.localdate(starts_at)
    end: date = timezone.localdate(ends_at)
    query: dict[str, str | int] = {
        "user": user_id,
        "patient": patient_id,
        "date_from": start.isoformat(),
        "date_to": end.isoformat(),
        "sort": "occurred_at",
    }
    return f"{reverse('audit:report')}?{urlencode(query)}"


def access_grant(scope: Scope, grant_id: int) -> BreakGlassGrant:
    """The organization's grant ``grant_id`` for the compliance officer (another's is not found)."""
    ensure_compliance_officer(scope)
    grant = _with_rows(BreakGlassGrant.objects.filter(organization=scope.organization, pk=grant_id)).first()
    if grant is None:
        raise Http404("No such emergency access")
    return grant


def grant_review(scope: Scope, grant_id: int, *, purpose: str = "review page") -> GrantReview:
    """A grant with the audit events read during it (3 queries and the audit row, which names the patient)."""
    grant = access_grant(scope, grant_id)
    during = _events_during(grant)
    count = during.count()
    events = list(during.select_related("facility").order_by("occurred_at", "id")[:EVENTS_SHOWN])
    with transaction.atomic():
        record_event(
            actor=scope.user,
            action=AuditAction.READ,
            organization=scope.organization,
            patient_id=grant.patient_id,
            object_type=OBJECT_TYPE,
            object_id=grant.pk,
            reason=purpose,
        )
    return GrantReview(grant, events, count)


def home_panel(scope: Scope, facility: Facility) -> Panel | None:
    """The compliance officer's emergency accesses waiting for review (one query; no patient named)."""
    if not scope.has_role(Role.COMPLIANCE_OFFICER):
        return None
    waiting = BreakGlassGrant.objects.filter(organization=scope.organization, reviewed_at__isnull=True).count()
    url = reverse("breakglass:review_list")
    return Panel(
        title=_("Emergency access"),
        counts=(Tally(_("Emergency accesses waiting for review"), waiting, url, urgent=True),),
        url=url,
    )
