"""Reads about job postings: the public board (no login), the managers' list, the network view.

The public board shows open postings of active facilities only: title, role, employment
kind, FTE, salary if given, description, requirements in words, the facility's name, kind
and region. Nothing else of the organization is public. One filtered page of the board is
two queries (the page and its count; the list of regions is cached for a minute).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.core.cache import cache
from django.core.paginator import Page, Paginator
from django.db.models import Count, F, Prefetch, Q, QuerySet, Sum
from django.http import Http404
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from nyeri.facilities.models import Equipment, EquipmentKind, EquipmentStatus
from nyeri.facilities.selectors import evaluate_facility_services
from nyeri.jobs.models import JobPosting, JobRequirement, PostingStatus
from nyeri.jobs.requirements import describe
from nyeri.lib.panels import Panel, Tally
from nyeri.lib.rows import PageRows, page_of
from nyeri.tenancy.models import Facility, FacilityKind
from nyeri.tenancy.roles import Role
from nyeri.tenancy.scope import Scope
from nyeri.workforce.policy.loader import CompiledPack, pack_for

PAGE_SIZE = 20
REGIONS_CACHE_KEY = "jobs:board:regions"
REGIONS_CACHE_SECONDS = 60
QUERY_MAX_LENGTH = 100


def language() -> str:
    return (translation.get_language() or "id").split("-")[0]


@dataclass(frozen=True)
class BoardFilters:
    q: str = ""
    province: str = ""
    regency: str = ""
    role: str = ""
    facility_kind: str = ""

    @classmethod
    def from_query(cls, params: dict[str, str]) -> BoardFilters:
        """Filters from a query string; unknown choices are ignored (a public page never errors on them)."""
        role = params.get("role", "")
        kind = params.get("facility_kind", "")
        return cls(
            q=params.get("q", "").strip()[:QUERY_MAX_LENGTH],
            province=params.get("province", "").strip()[:100],
            regency=params.get("regency", "").strip()[:100],
            role=role if role in Role.values else "",
            facility_kind=kind if kind in FacilityKind.values else "",
        )

    @property
    def active(self) -> bool:
        return any((self.q, self.province, self.regency, self.role, self.facility_kind))


def public_postings() -> QuerySet[JobPosting]:
    """Every posting the public may see: open, at an active facility."""
    return JobPosting.objects.filter(status=PostingStatus.OPEN, facility__is_active=True)


def search_board(filters: BoardFilters) -> QuerySet[JobPosting]:
    qs = public_postings()
    if filters.role:
        qs = qs.filter(role=filters.role)
    if filters.facility_kind:
        qs = qs.filter(facility__kind=filters.facility_kind)
    if filters.province:
        qs = qs.filter(facility__province=filters.province)
    if filters.regency:
        qs = qs.filter(facility__regency=filters.regency)
    if filters.q:
        for word in filters.q.split()[:5]:
            qs = qs.filter(
                Q(title__icontains=word) | Q(facility__name__icontains=word) | Q(facility__regency__icontains=word)
            )
    return qs.select_related("facility").order_by("-opened_on", "-id")


def board_page(filters: BoardFilters, page_number: str | int | None) -> Page[JobPosting]:
    paginator = Paginator(search_board(filters), PAGE_SIZE)
    return paginator.get_page(page_number)


@dataclass(frozen=True)
class BoardOptions:
    provinces: tuple[str, ...]
    regencies: tuple[str, ...]


def board_options(filters: BoardFilters) -> BoardOptions:
    """The provinces with open postings, and the regencies (of the chosen province, if any).

    The list of regions is cached for ``REGIONS_CACHE_SECONDS`` (a new region shows up on the
    filter within a minute; the postings themselves are never cached)."""
    pairs: list[tuple[str, str]] | None = cache.get(REGIONS_CACHE_KEY)
    if pairs is None:
        regions = (
            Facility.objects.filter(is_active=True, job_postings__status=PostingStatus.OPEN)
            .values_list("province", "regency")
            .distinct()
        )
        pairs = sorted(set(regions))
        cache.set(REGIONS_CACHE_KEY, pairs, REGIONS_CACHE_SECONDS)
    provinces = tuple(sorted({p for p, _ in pairs}))
    regencies = tuple(sorted({r for p, r in pairs if not filters.province or p == filters.province}))
    return BoardOptions(provinces, regencies)


@dataclass(frozen=True)
class PostingView:
    posting: JobPosting
    requirements: tuple[str, ...]


def described(posting: JobPosting, lang: str | None = None) -> tuple[str, ...]:
    pack = pack_for(posting.organization.jurisdiction)
    return tuple(describe(r, pack, lang or language()) for r in posting.requirements.all())


def public_posting(posting_id: int) -> PostingView:
    """An open posting of an active facility, with its requirements in words; 404 otherwise."""
    posting = (
        public_postings()
        .select_related("facility", "organization")
        .prefetch_related(Prefetch("requirements", queryset=JobRequirement.objects.order_by("position", "pk")))
        .filter(pk=posting_id)
        .first()
    )
    if posting is None:
        raise Http404("No such posting")
    return PostingView(posting, described(posting))


def posting_for_candidates(posting_id: int) -> JobPosting:
    """A posting a candidate may look at and apply to (1 query): any status, at an active facility.

    A posting whose facility closed is not found (404), like one that never existed; a closed
    posting is found, and the application says it is closed.
    """
    posting = (
        JobPosting.objects.select_related("facility", "organization")
        .filter(pk=posting_id, facility__is_active=True)
        .first()
    )
    if posting is None:
        raise Http404("No such posting")
    return posting


# --- Managers ---------------------------------------------------------------------------------


def organization_postings(scope: Scope, *, status: str = "") -> QuerySet[JobPosting]:
    qs = JobPosting.objects.filter(organization=scope.organization).select_related("facility")
    if scope.facility_ids is not None:
        qs = qs.filter(facility_id__in=scope.facility_ids)
    if status in PostingStatus.values:
        qs = qs.filter(status=status)
    return qs.annotate(requirement_count=Count("requirements")).order_by("-opened_on", "-id")


# The columns of a posting in the organization's list (the API's PostingOut, its facility
# joined; ``requirements`` are added by the page's ids).
POSTING_COLUMNS = (
    "id",
    "facility_id",
    "facility_name",
    "facility_kind",
    "province",
    "regency",
    "role",
    "title",
    "description",
    "employment_kind",
    "fte",
    "headcount",
    "hours_per_week",
    "salary_min",
    "salary_max",
    "salary_currency",
    "status",
    "opened_on",
    "closed_on",
    "source",
    "gap_rule_code",
    "gap_rules_label",
    "gap_fte",
)


def requirement_out(requirement: JobRequirement, pack: CompiledPack) -> dict[str, Any]:
    """A requirement as the API shows it, described in both languages from the policy ``pack``."""
    return {
        "kind": requirement.kind,
        "importance": requirement.importance,
        "code": requirement.code,
        "credential_kind": requirement.credential_kind,
        "specialty": requirement.specialty,
        "months": requirement.months,
        "employer_kinds": list(requirement.employer_kinds),
        "text_en": describe(requirement, pack, "en"),
        "text_id": describe(requirement, pack, "id"),
    }


def organization_posting_rows(scope: Scope, *, status: str = "", offset: int = 0, limit: int = 50) -> PageRows:
    """``organization_postings`` for a list: one page of ``POSTING_COLUMNS``, each row with its
    ``requirements`` (in their order, described once each). 2 queries whatever the page.
    """
    ordered = organization_postings(scope, status=status).annotate(
        facility_name=F("facility__name"),
        facility_kind=F("facility__kind"),
        province=F("facility__province"),
        regency=F("facility__regency"),
    )
    found = page_of(ordered, POSTING_COLUMNS, offset=offset, limit=limit)
    page = found.by_id()
    for row in found.rows:
        row["requirements"] = []
    if page:
        pack = pack_for(scope.organization.jurisdiction)
        for requirement in JobRequirement.objects.filter(posting_id__in=page).order_by("position", "pk"):
            page[requirement.posting_id]["requirements"].append(requirement_out(requirement, pack))
    return found


# --- The network view -------------------------------------------------------------------------


@dataclass(frozen=True)
class RoleStaffing:
    role: str
    label: str
    required: str
    current: str
    gap: str
    balance: str


@dataclass(frozen=True)
class FacilityNetwork:
    facility: Facility
    equipment: tuple[tuple[str, int, int], ...]  # (kind label, in service, not in service)
    staffing: tuple[RoleStaffing, ...]
    open_positions: int


@dataclass(frozen=True)
class Referral:
    """A service ``facility`` cannot offer, and the facilities of the network that can."""

    facility: Facility
    service_code: str
    service_label: str
    to: tuple[Facility, ...]


@dataclass(frozen=True)
class NetworkView:
    at: datetime
    facilities: tuple[FacilityNetwork, ...]
    # (region, role label, open postings, FTE)
    positions: tuple[tuple[str, str, int, Decimal], ...]
    referrals: tuple[Referral, ...]
    # Services no facility of the network offers.
    nowhere: tuple[str, ...] = field(default=())


def network_view(scope: Scope, *, at: datetime | None = None) -> NetworkView:
    """Equipment and staffing by facility, open positions by region and role, and referrals by service.

    Staffing comes from the staffing plan of each facility (audited as that selector does);
    referrals from the services-offered evaluation: each service a facility cannot offer,
    with the facilities of the organization that can.
    """
    from nyeri.staffing.evaluate import fmt
    from nyeri.staffing.selectors import staffing_plan

    moment = at or timezone.now()
    lang = language()
    facilities = list(Facility.objects.filter(organization=scope.organization, is_active=True).order_by("name"))
    if scope.facility_ids is not None:
        facilities = [f for f in facilities if f.pk in scope.facility_ids]
    ids = [f.pk for f in facilities]
    counts: dict[int, Counter[tuple[str, bool]]] = defaultdict(Counter)
    for fid, kind, status, n in (
        Equipment.objects.filter(organization=scope.organization, facility_id__in=ids)
        .exclude(status=EquipmentStatus.RETIRED)
        .values_list("facility_id", "kind", "status")
        .annotate(n=Count("id"))
    ):
        counts[fid][(kind, status == EquipmentStatus.IN_SERVICE)] += n
    open_by_facility = dict(
        JobPosting.objects.filter(organization=scope.organization, facility_id__in=ids, status=PostingStatus.OPEN)
        .values_list("facility_id")
        .annotate(n=Count("id"))
        .values_list("facility_id", "n")
    )
    rows: list[FacilityNetwork] = []
    offered: dict[int, set[str]] = {}
    labels: dict[str, str] = {}
    not_offered: dict[int, list[str]] = {}
    for facility in facilities:
        equipment = tuple(
            (str(kind.label), counts[facility.pk][(kind.value, True)], counts[facility.pk][(kind.value, False)])
            for kind in EquipmentKind
            if counts[facility.pk][(kind.value, True)] or counts[facility.pk][(kind.value, False)]
        )
        plan = staffing_plan(scope, facility, at=moment).plan
        staffing = tuple(
            RoleStaffing(line.role, line.label, fmt(line.required), fmt(line.current), fmt(abs(line.gap)), line.balance)
            for line in plan.roles
        )
        rows.append(FacilityNetwork(facility, equipment, staffing, open_by_facility.get(facility.pk, 0)))
        results, _staff = evaluate_facility_services(facility, jurisdiction=scope.organization.jurisdiction, at=moment)
        offered[facility.pk] = {r.code for r in results if r.offered}
        not_offered[facility.pk] = [r.code for r in results if not r.offered]
        for r in results:
            labels[r.code] = r.label(lang)
    referrals: list[Referral] = []
    nowhere: set[str] = set()
    for facility in facilities:
        for code in not_offered[facility.pk]:
            to = tuple(f for f in facilities if f.pk != facility.pk and code in offered[f.pk])
            if to:
                referrals.append(Referral(facility, code, labels[code], to))
            else:
                nowhere.add(labels[code])
    positions = tuple(
        (
            f"{row['facility__province']} · {row['facility__regency']}",
            str(Role(row["role"]).label),
            row["n"],
            row["fte"],
        )
        for row in JobPosting.objects.filter(
            organization=scope.organization, facility_id__in=ids, status=PostingStatus.OPEN
        )
        .values("facility__province", "facility__regency", "role")
        .annotate(n=Count("id"), fte=Sum("fte"))
        .order_by("facility__province", "facility__regency", "role")
    )
    return NetworkView(moment, tuple(rows), positions, tuple(referrals), tuple(sorted(nowhere)))


# --- Drafts -----------------------------------------------------------------------------------


def description_template(posting: JobPosting) -> str:
    """A description to start from: what the job is, in words; the bracketed parts are the writer's."""
    return _(
        "%(facility)s is looking for %(people)s for the role of %(role)s, %(hours)s hours a week each "
        "(%(kind)s).\n\n"
        "About the work: [the patients, the team, the usual day].\n"
        "What we offer: [salary, schedule, training].\n"
        "How to apply: through this job board; we answer every application."
    ) % {
        "facility": posting.facility.name,
        "people": ngettext("%(count)s person", "%(count)s people", posting.headcount) % {"count": posting.headcount},
        "role": Role(posting.role).label,
        "hours": posting.hours_per_week,
        "kind": posting.get_employment_kind_display().lower(),
    }


def open_postings_like(posting: JobPosting) -> list[JobPosting]:
    """The other open postings for the same role at the same facility (a draft may repeat one)."""
    return list(
        JobPosting.objects.filter(
            organization_id=posting.organization_id,
            facility_id=posting.facility_id,
            role=posting.role,
            status=PostingStatus.OPEN,
        )
        .exclude(pk=posting.pk)
        .order_by("-opened_on", "-pk")
    )


# --- The facility manager's home ------------------------------------------------------------


def home_panel(scope: Scope, facility: Facility) -> Panel | None:
    """The postings of ``facility`` by status, for the facility manager (one query)."""
    if not scope.has_role(Role.FACILITY_MANAGER):
        return None
    by_status = dict(
        JobPosting.objects.filter(organization=scope.organization, facility=facility)
        .order_by()
        .values_list("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    manage = reverse("jobs:manage")
    return Panel(
        title=_("Job postings"),
        counts=(
            Tally(
                _("Drafts to write and publish"),
                by_status.get(PostingStatus.DRAFT, 0),
                f"{manage}?status=draft",
                urgent=True,
            ),
            Tally(_("Open postings"), by_status.get(PostingStatus.OPEN, 0), f"{manage}?status=open"),
        ),
        url=manage,
    )
