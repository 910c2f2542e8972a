"""Reads about facilities: the profile, the equipment with its history, the services offered.

Pages and endpoints fetch the facility through ``nyeri.tenancy.access.access_facility``
first (another organization's facility is 404), then call these selectors. Each takes a
fixed number of queries whatever the number of units, changes or people.

For other apps (the treatment app's procedures, imaging orders and referrals), three
selectors answer the equipment questions without a scope, on a facility or organization
the caller has already fetched through the scope:

- ``equipment_in_service(facility, kind) -> bool``
- ``facilities_with_equipment(organization, kind, *, exclude=None) -> list[Facility]``
- ``in_house_imaging(facility, kind, *, at=None) -> InHouseImaging`` (the unit and a
  privileged operator, decided by the requirements engine)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time

from django.db import transaction
from django.db.models import Exists, F, OuterRef, Prefetch, QuerySet, Value
from django.db.models.functions import Coalesce
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from nyeri.audit.models import AuditAction
from nyeri.audit.services import record_event
from nyeri.facilities.access import may_add_equipment, may_change_status, may_edit_profile
from nyeri.facilities.catalogue import EquipmentPart, operate_action, service_catalogue
from nyeri.facilities.inputs import FacilityInputs, load_inputs
from nyeri.facilities.models import (
    Equipment,
    EquipmentKind,
    EquipmentStatus,
    EquipmentStatusChange,
    FacilityProfile,
    OpeningHours,
    Weekday,
)
from nyeri.facilities.offered import (
    PartResult,
    ServiceResult,
    StaffFacts,
    evaluate_services,
    load_staff_facts,
    people_at,
)
from nyeri.lib.rows import PageRows, page_ids, page_of
from nyeri.tenancy.models import Facility, Organization
from nyeri.tenancy.scope import Scope
from nyeri.workforce.engine import Decision, decide_many
from nyeri.workforce.people.selectors import reads_all_people
from nyeri.workforce.policy.loader import pack_for


def language() -> str:
    """The active language as the data files name it ("id" or "en")."""
    return (translation.get_language() or "id").split("-")[0]


# --- The profile ---------------------------------------------------------------------------


@dataclass(frozen=True)
class DayHours:
    weekday: int
    opens: time | None
    closes: time | None

    @property
    def label(self) -> str:
        return str(Weekday(self.weekday).label)

    @property
    def is_open(self) -> bool:
        return self.opens is not None


@dataclass(frozen=True)
class EquipmentCount:
    kind: str
    in_service: int
    under_maintenance: int

    @property
    def label(self) -> str:
        return str(EquipmentKind(self.kind).label)


@dataclass(frozen=True)
class ProfileView:
    facility: Facility
    profile: FacilityProfile | None
    week: tuple[DayHours, ...]
    inputs: FacilityInputs
    equipment: tuple[EquipmentCount, ...]
    may_edit: bool

    @property
    def described(self) -> bool:
        return self.profile is not None


def facility_profile(scope: Scope, facility: Facility) -> ProfileView:
    """The facility's size, week and equipment counts (5 queries)."""
    profile = FacilityProfile.objects.filter(facility=facility).first()
    rows = {h.weekday: h for h in OpeningHours.objects.filter(profile=profile)} if profile is not None else {}
    week = tuple(
        DayHours(d, rows[d].opens if d in rows else None, rows[d].closes if d in rows else None) for d in Weekday.values
    )
    inputs = load_inputs(facility)
    counts = tuple(
        EquipmentCount(
            k.value,
            inputs.units_in_service(k.value),
            inputs.not_in_service.get(k.value, {}).get(EquipmentStatus.UNDER_MAINTENANCE.value, 0),
        )
        for k in EquipmentKind
        if inputs.units_in_service(k.value) or inputs.not_in_service.get(k.value, {}).get("under_maintenance")
    )
    return ProfileView(facility, profile, week, inputs, counts, may_edit_profile(scope))


# The week a facility is taken to keep while it has described no opening hours (no profile,
# or no open day): a poliklinik's usual hours, Monday to Friday 08:00-16:00 and Saturday
# morning. Bookings (nyeri.appointments) are refused outside them; the facility's profile
# page replaces them with its own.
DEFAULT_OPENING_HOURS: dict[int, tuple[time, time]] = {
    **{day: (time(8), time(16)) for day in range(Weekday.MONDAY, Weekday.FRIDAY + 1)},
    Weekday.SATURDAY: (time(8), time(12)),
}


def week_hours(facility: Facility) -> tuple[dict[int, tuple[time, time]], bool]:
    """The facility's opening hours by ISO weekday (closed days absent), and whether they are
    its own (``False``: none described, ``DEFAULT_OPENING_HOURS``). One query."""
    rows = OpeningHours.objects.filter(profile__facility=facility).values_list("weekday", "opens", "closes")
    own = {weekday: (opens, closes) for weekday, opens, closes in rows}
    return (own, True) if own else (dict(DEFAULT_OPENING_HOURS), False)


# --- Equipment ------------------------------------------------------------------------------


@dataclass(frozen=True)
class EquipmentList:
    facility: Facility
    # Each unit with ``history`` (its status changes, oldest first, with who changed it).
    units: tuple[Equipment, ...]
    may_add: bool
    may_change_status: bool

    @property
    def current(self) -> list[Equipment]:
        return [u for u in self.units if u.status != EquipmentStatus.RETIRED]

    @property
    def retired(self) -> list[Equipment]:
        return [u for u in self.units if u.status == EquipmentStatus.RETIRED]


def equipment_list(scope: Scope, facility: Facility) -> EquipmentList:
    """The facility's units with their whole status history (2 queries)."""
    history = EquipmentStatusChange.objects.select_related("changed_by").order_by("changed_at", "pk")
    units = tuple(
        Equipment.objects.filter(organization=scope.organization, facility=facility)
        .prefetch_related(Prefetch("status_changes", queryset=history, to_attr="history"))
        .order_by("kind", "model_name", "pk")
    )
    return EquipmentList(facility, units, may_add_equipment(scope), may_change_status(scope))


EQUIPMENT_COLUMNS = ("id", "facility_id", "kind", "model_name", "serial_number", "status", "status_changed_at")


def equipment_rows(scope: Scope, facility: Facility, *, offset: int = 0, limit: int = 50) -> PageRows:
    """``equipment_list`` for a list: one page of ``EQUIPMENT_COLUMNS`` (with the count), each
    row with its ``history`` (oldest first) read by the page's ids: 2 queries whatever the page."""
    ordered = Equipment.objects.filter(organization=scope.organization, facility=facility).order_by(
        "kind", "model_name", "pk"
    )
    found = page_of(ordered, EQUIPMENT_COLUMNS, offset=offset, limit=limit)
    if not found.rows:
        return found
    by_id = found.by_id()
    for row in found.rows:
        row["history"] = []
    changes = (
        EquipmentStatusChange.objects.filter(
            organization=scope.organization, equipment__in=page_ids(ordered, offset=offset, limit=limit)
        )
        .annotate(changed_by_name=Coalesce(F("changed_by__username"), Value("")))
        .order_by("changed_at", "pk")
        .values_list("equipment_id", "from_status", "to_status", "reason", "changed_by_name", "changed_at")
    )
    for equipment_id, from_status, to_status, reason, changed_by, changed_at in changes:
        by_id[equipment_id]["history"].append(
            {
                "from_status": from_status,
                "to_status": to_status,
                "reason": reason,
                "changed_by": changed_by,
                "changed_at": changed_at,
            }
        )
    return found


# --- Services offered -------------------------------------------------------------------------


@dataclass(frozen=True)
class ServicesOffered:
    facility: Facility
    results: tuple[ServiceResult, ...]
    # Whether the unmet staff parts name the people and their reasons (workforce readers only).
    names: bool
    at: datetime
    catalogue_version: str
    pack: str
    # For each equipment kind: the other facilities of the organization with a unit in service.
    network: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def network_hint(self, part: PartResult) -> str:
        """'Available in the network at: ...' for an unmet equipment part (where to refer), else ''."""
        if part.met or not isinstance(part.part, EquipmentPart):
            return ""
        names = self.network.get(part.part.equipment.value, ())
        return _("Available in the network at: %(facilities)s.") % {"facilities": ", ".join(names)} if names else ""

    @property
    def offered(self) -> list[ServiceResult]:
        return [r for r in self.results if r.offered]

    @property
    def not_offered(self) -> list[ServiceResult]:
        return [r for r in self.results if not r.offered]


def evaluate_facility_services(
    facility: Facility, *, jurisdiction: str, at: datetime | None = None, inputs: FacilityInputs | None = None
) -> tuple[list[ServiceResult], StaffFacts]:
    """The catalogue evaluated at ``facility`` (10 queries; none for ``inputs`` when given). No audit."""
    catalogue = service_catalogue()
    pack = pack_for(jurisdiction)
    staff = load_staff_facts(facility, catalogue.actions, jurisdiction=jurisdiction, at=at)
    return evaluate_services(catalogue, inputs or load_inputs(facility), staff, pack), staff


def services_offered(scope: Scope, facility: Facility, *, at: datetime | None = None) -> ServicesOffered:
    """What the facility can offer today and why not the rest.

    Everyone covering the facility may read it; the names of the people who may not do a
    needed action, with the engine's reasons, are shown to workforce readers only
    (administrators, credentialing officers), and that read is audited like a staff list.
    """
    moment = at or timezone.now()
    jurisdiction = scope.organization.jurisdiction
    results, staff = evaluate_facility_services(facility, jurisdiction=jurisdiction, at=moment)
    names = reads_all_people(scope)
    if names:
        with transaction.atomic():
            record_event(
                actor=scope.user,
                action=AuditAction.SEARCH,
                organization=scope.organization,
                facility=facility,
                object_type="person",
                reason=f"services offered: {len(staff.names)} people decided",
            )
    pack = pack_for(jurisdiction)
    network: dict[str, tuple[str, ...]] = {}
    elsewhere = (
        Equipment.objects.filter(
            organization=scope.organization, status=EquipmentStatus.IN_SERVICE, facility__is_active=True
        )
        .exclude(facility=facility)
        .values_list("kind", "facility__name")
        .order_by("facility__name")
        .distinct()
    )
    for kind, name in elsewhere:
        network[kind] = (*network.get(kind, ()), name)
    return ServicesOffered(
        facility,
        tuple(results),
        names,
        moment,
        service_catalogue().version,
        f"{pack.jurisdiction}@{pack.version}",
        network,
    )


# --- For other apps: equipment questions -------------------------------------------------------


def _kind(kind: EquipmentKind | str) -> str:
    try:
        return EquipmentKind(kind).value
    except ValueError:
        raise ValueError(f"unknown equipment kind {kind!r}; known: {', '.join(EquipmentKind.values)}") from None


def equipment_in_service(facility: Facility | int, kind: EquipmentKind | str) -> bool:
    """Whether ``facility`` has at least one unit of ``kind`` in service now (1 query).

    ``kind`` is an ``EquipmentKind`` (xray, c_arm, ultrasound, ct, mri); another value is a
    ValueError. Units under maintenance or retired do not count.
    """
    facility_id = facility.pk if isinstance(facility, Facility) else facility
    return Equipment.objects.filter(
        facility_id=facility_id, kind=_kind(kind), status=EquipmentStatus.IN_SERVICE
    ).exists()


def facilities_with_equipment(
    organization: Organization | int, kind: EquipmentKind | str, *, exclude: Facility | int | None = None
) -> list[Facility]:
    """The organization's active facilities with a unit of ``kind`` in service, by name (1 query).

    For a referral: the facilities of the network that have the equipment (``exclude`` the
    referring facility).
    """
    organization_id = organization.pk if isinstance(organization, Organization) else organization
    units = Equipment.objects.filter(facility=OuterRef("pk"), kind=_kind(kind), status=EquipmentStatus.IN_SERVICE)
    facilities = Facility.objects.filter(organization_id=organization_id, is_active=True).filter(Exists(units))
    if exclude is not None:
        facilities = facilities.exclude(pk=exclude.pk if isinstance(exclude, Facility) else exclude)
    return list(facilities.order_by("name"))


@dataclass(frozen=True)
class InHouseImaging:
    """Can ``facility`` do imaging with ``kind`` itself today?"""

    kind: str
    equipment_in_service: bool
    # People working at the facility whom the engine allows ``operate_equipment:<kind>``.
    operator_ids: tuple[int, ...]
    # Everyone's decision, for the reasons of those who may not.
    decisions: tuple[Decision, ...]

    @property
    def possible(self) -> bool:
        return self.equipment_in_service and bool(self.operator_ids)


def in_house_imaging(facility: Facility, kind: EquipmentKind | str, *, at: datetime | None = None) -> InHouseImaging:
    """The unit (in service) and the privileged operators for imaging with ``kind`` here (5 queries).

    The operators are decided by the requirements engine on the policy pack's
    ``operate_equipment:<kind>`` action (radiographer or x-ray assistant, per the pack).
    """
    value = _kind(kind)
    in_service = equipment_in_service(facility, value)
    action = operate_action(value)
    decisions = decide_many(people_at(facility), [action], facility, at=at)
    return InHouseImaging(
        value,
        in_service,
        tuple(d.person_id for d in decisions.values() if d.allowed),
        tuple(decisions.values()),
    )


def organization_equipment(scope: Scope) -> QuerySet[Equipment]:
    """The organization's equipment, retired units included (for FHIR Device; not audited).

    Limited to a facility-limited membership's facilities.
    """
    units = Equipment.objects.filter(organization=scope.organization)
    if scope.facility_ids is not None:
        units = units.filter(facility_id__in=scope.facility_ids)
    return units
