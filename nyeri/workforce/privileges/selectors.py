"""Clinical privilege reads: the lists of each role's page, a request's file for the
committee, grants due for re-credentialing. Scoped to the organization (and to the
membership's facilities); another organization's row is *not found*.

Who reads what: committee members, the director, credentialing officers and
administrators read every request and grant of their facilities; anyone reads their own.
Reading a file is reading workforce data: an audit event.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils import timezone, translation

from nyeri.audit.models import AuditAction
from nyeri.audit.services import record_event
from nyeri.tenancy.clock import day_bounds, local_date
from nyeri.tenancy.models import Facility
from nyeri.tenancy.roles import Role
from nyeri.tenancy.scope import Scope
from nyeri.workforce.engine.periods import months_before
from nyeri.workforce.kinds import CredentialStatus, HoursStatus, PrivilegeGrantStatus, PrivilegeRequestStatus
from nyeri.workforce.models import (
    Credential,
    HoursEntry,
    PrivilegeGrant,
    PrivilegeRequest,
    ProctoredCase,
)
from nyeri.workforce.people.describe import describe
from nyeri.workforce.privileges.catalogue import Committee, PrivilegeEntry, catalogue_for
from nyeri.workforce.privileges.evaluation import Figure, PeerComparison, peer_comparisons, practice_figures

READER_ROLES = (
    Role.COMMITTEE_MEMBER,
    Role.NURSING_COMMITTEE_MEMBER,
    Role.DIRECTOR,
    Role.CREDENTIALING_OFFICER,
    Role.ADMINISTRATOR,
)
# The file shows the practitioner's care over the last year.
FILE_MONTHS = 12


def reads_all(scope: Scope) -> bool:
    return scope.has_role(*READER_ROLES)


def _in_scope(scope: Scope) -> Q:
    own = Q(person__user=scope.user)
    if not reads_all(scope):
        return own
    if scope.facility_ids is None:
        return Q()
    return own | Q(facility_id__in=scope.facility_ids)


def scoped_requests(scope: Scope) -> QuerySet[PrivilegeRequest]:
    rows = PrivilegeRequest.objects.filter(organization=scope.organization)
    return rows.filter(_in_scope(scope)).select_related("person", "facility")


def scoped_grants(scope: Scope) -> QuerySet[PrivilegeGrant]:
    rows = PrivilegeGrant.objects.filter(organization=scope.organization)
    return rows.filter(_in_scope(scope)).select_related("person", "facility", "request")


def access_request(scope: Scope, request_id: int) -> PrivilegeRequest:
    found = scoped_requests(scope).filter(pk=request_id).first()
    if found is None:
        raise Http404("No such privilege request")
    return found


def access_grant(scope: Scope, grant_id: int) -> PrivilegeGrant:
    found = scoped_grants(scope).filter(pk=grant_id).first()
    if found is None:
        raise Http404("No such privilege grant")
    return found


def access_case(scope: Scope, case_id: int) -> ProctoredCase:
    cases = ProctoredCase.objects.filter(organization=scope.organization).select_related("grant", "facility")
    if scope.facility_ids is not None:
        cases = cases.filter(facility_id__in=scope.facility_ids)
    found = cases.filter(pk=case_id).first()
    if found is None:
        raise Http404("No such proctored case")
    return found


def entry_of(scope: Scope, code: str) -> PrivilegeEntry | None:
    found = catalogue_for(scope.organization.jurisdiction)
    return found.get(code) if found is not None else None


def privilege_name(scope: Scope, code: str) -> str:
    entry = entry_of(scope, code)
    return entry.label((translation.get_language() or "id")[:2]) if entry is not None else code


def my_committees(scope: Scope) -> list[Committee]:
    """The committees the user sits on (medical, nursing), by their membership's roles."""
    found = catalogue_for(scope.organization.jurisdiction)
    return found.committees_of(scope.roles) if found is not None else []


def reviewable_codes(scope: Scope) -> list[str]:
    """The privileges the user's committees review."""
    found = catalogue_for(scope.organization.jurisdiction)
    if found is None:
        return []
    mine = {c.code for c in found.committees_of(scope.roles)}
    return [p.code for p in found.privileges if p.committee in mine]


def reviews(scope: Scope, code: str) -> bool:
    """Whether the user sits on the committee that reviews privilege ``code``."""
    return code in reviewable_codes(scope)


def committee_label(scope: Scope, code: str) -> str:
    """The name of the committee reviewing privilege ``code``, in the active language."""
    found = catalogue_for(scope.organization.jurisdiction)
    entry = found.get(code) if found is not None else None
    if found is None or entry is None:
        return ""
    return found.committee_of(entry).label((translation.get_language() or "id")[:2])


def catalogue_choices(scope: Scope) -> list[tuple[str, str]]:
    found = catalogue_for(scope.organization.jurisdiction)
    language = (translation.get_language() or "id")[:2]
    return [(p.code, p.label(language)) for p in found.privileges] if found is not None else []


def required_at(facility: Facility) -> list[str]:
    return sorted(facility.required_privileges or ())


@dataclass(frozen=True)
class FileLine:
    label: str
    value: str


@dataclass(frozen=True)
class CommitteeFile:
    """What the committee reviews: the prerequisites as checked, credentials, hours and the
    practitioner's own care over the last year (the registered practice sources)."""

    request: PrivilegeRequest
    privilege: str
    prerequisites: list[tuple[str, bool]]
    credentials: list[Credential]
    hours: float
    practice: list[Figure]
    since: date
    until: date


def committee_file(scope: Scope, request: PrivilegeRequest) -> CommitteeFile:
    """The request's file (audited: reading workforce data)."""
    entry = entry_of(scope, request.privilege)
    prerequisites: list[tuple[str, bool]] = []
    for item in request.prerequisites:
        index = int(item["requirement"])
        if index < 0 or entry is None:
            label = translation.gettext("Works at this facility")
        else:
            label = describe(entry.requires[index])
        prerequisites.append((label, bool(item["met"])))
    until = local_date(request.facility)
    since = months_before(until, FILE_MONTHS)
    credentials = list(
        Credential.objects.filter(person=request.person)
        .exclude(status=CredentialStatus.REJECTED)
        .order_by("kind", "-issued_on")
    )
    hours = HoursEntry.objects.filter(
        person=request.person, status=HoursStatus.VERIFIED, worked_on__gt=since, worked_on__lte=until
    ).values_list("hours", flat=True)
    start, _end = day_bounds(request.facility, since + timedelta(days=1))
    _start, end = day_bounds(request.facility, until)
    practice = practice_figures(scope.organization.pk, request.person_id, start, end)
    record_event(
        actor=scope.user,
        action=AuditAction.READ,
        organization=scope.organization,
        facility=request.facility,
        object_type="person",
        object_id=request.person_id,
        reason=f"committee file of privilege request {request.pk}",
    )
    return CommitteeFile(
        request=request,
        privilege=privilege_name(scope, request.privilege),
        prerequisites=prerequisites,
        credentials=credentials,
        hours=float(sum(hours)),
        practice=practice,
        since=since,
        until=until,
    )


def practice_review(scope: Scope, file: CommitteeFile) -> list[PeerComparison]:
    """The practitioner's practice evaluation beside their peers over the file's period, from
    the registered review sources: shown to the committee (and the compliance officer) only;
    empty for every other reader of the file (each source checks and audits)."""
    return peer_comparisons(scope, file.request.person_id, file.since + timedelta(days=1), file.until)


def fppe_progress(grants: list[PrivilegeGrant]) -> dict[int, tuple[int, int]]:
    """Per grant: cases signed off and cases opened (1 query)."""
    rows = (
        ProctoredCase.objects.filter(grant__in=grants)
        .values("grant_id")
        .annotate(opened=Count("pk"), signed=Count("pk", filter=Q(signed_off_at__isnull=False)))
    )
    return {r["grant_id"]: (r["signed"], r["opened"]) for r in rows}


def open_cases(scope: Scope) -> QuerySet[ProctoredCase]:
    """Cases waiting for a proctor in the scope's facilities."""
    cases = ProctoredCase.objects.filter(organization=scope.organization, signed_off_at__isnull=True)
    if scope.facility_ids is not None:
        cases = cases.filter(facility_id__in=scope.facility_ids)
    return cases.select_related("grant", "performer", "facility").order_by("performed_at")


def case_for_procedure(scope: Scope, procedure_id: int) -> ProctoredCase | None:
    """The focused-review case of a procedure record, if it has one (1 query)."""
    return (
        ProctoredCase.objects.filter(organization=scope.organization, procedure_id=procedure_id)
        .select_related("grant", "proctor", "performer")
        .first()
    )


def due_for_recredentialing(scope: Scope, *, within_days: int = 90) -> list[PrivilegeGrant]:
    """Active grants whose re-credentialing date falls within ``within_days`` (or has passed)."""
    today = local_date(None, timezone.now())
    return list(
        scoped_grants(scope)
        .filter(status=PrivilegeGrantStatus.ACTIVE, recredential_on__lte=today + timedelta(days=within_days))
        .order_by("recredential_on", "pk")
    )


def waiting_for_committee(scope: Scope) -> QuerySet[PrivilegeRequest]:
    """Requests waiting for a review by one of the user's committees (its own privileges only)."""
    return (
        scoped_requests(scope)
        .filter(status=PrivilegeRequestStatus.REQUESTED, privilege__in=reviewable_codes(scope))
        .order_by("requested_at")
    )


def waiting_for_director(scope: Scope) -> QuerySet[PrivilegeRequest]:
    return scoped_requests(scope).filter(status=PrivilegeRequestStatus.RECOMMENDED).order_by("recommended_at")


def record_grant_read(scope: Scope, grant: PrivilegeGrant, *, what: str) -> None:
    """Reading a grant (its page, its SPK) is reading workforce data: audited."""
    record_event(
        actor=scope.user,
        action=AuditAction.READ,
        organization=scope.organization,
        facility=grant.facility,
        object_type="privilege_grant",
        object_id=grant.pk,
        reason=what,
    )
