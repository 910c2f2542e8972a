"""Procedure reads: a patient's procedures, one procedure's history, a facility's worklist,
who may perform at a facility, and the chart's markers.

Each takes a fixed number of queries whatever the number of procedures or versions. The
patient pages read the patient through ``access_patient`` (which audits the read); the
worklist, which names patients of a facility, audits its own read.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext as _

from nyeri.audit.models import AuditAction
from nyeri.audit.services import record_event
from nyeri.clinical.access import ensure_clinical_role
from nyeri.clinical.models import Patient
from nyeri.lib.bodysites import side_label
from nyeri.lib.bodysites import site_label as region_label
from nyeri.lib.panels import Panel, Tally
from nyeri.lib.rows import PageRows, page_of
from nyeri.procedures.catalogue import procedure
from nyeri.procedures.catalogue.schema import Procedure
from nyeri.procedures.kinds import ANESTHESIOLOGIST_ACTION, GUIDANCE_EQUIPMENT, MONITORING_ACTION, ProcedureStatus
from nyeri.procedures.models import ProcedureComplication, ProcedurePerformance, ProcedureRecord
from nyeri.procedures.refusals import Reason, from_unmet
from nyeri.procedures.services import equipment_reasons
from nyeri.tenancy.clock import day_bounds, local_date
from nyeri.tenancy.models import Facility
from nyeri.tenancy.roles import CARE_ROLES, Role
from nyeri.tenancy.scope import Scope
from nyeri.workforce.engine import decide_many
from nyeri.workforce.models import Person
from nyeri.workforce.privileges.evaluation import Figure

# Who is offered as performer or anesthesiologist: the physicians working at the facility
# (the engine then says who may; the others are listed with why not).
PHYSICIAN_ROLES = (
    Role.PAIN_PHYSICIAN,
    Role.ANESTHESIOLOGIST,
    Role.NEUROLOGIST,
    Role.PSYCHIATRIST,
    Role.PHYSIATRIST,
    Role.GENERAL_PRACTITIONER,
)
# How far back the worklist shows performed procedures.
RECENT_DAYS = 30


def _language() -> str:
    return (translation.get_language() or "id").split("-")[0]


def procedure_label(code: str, language: str | None = None) -> str:
    """The catalogue label of ``code`` in ``language`` (default: the active one); the code if unknown."""
    found = procedure(code)
    return found.label(language or _language()) if found is not None else code


def site_text(body_site: str, laterality: str) -> str:
    """ "Lower back, left" in the active language."""
    region = region_label(body_site)
    return f"{region}, {side_label(laterality)}" if laterality else region


def _performances() -> QuerySet[ProcedurePerformance]:
    return (
        ProcedurePerformance.objects.select_related(
            "performer", "anesthesiologist", "imaging_operator", "monitoring_nurse", "recorded_by"
        )
        .prefetch_related(Prefetch("complications", queryset=ProcedureComplication.objects.order_by("pk")))
        .order_by("version")
    )


def _with_current(records: Iterable[ProcedureRecord]) -> list[ProcedureRecord]:
    """The records, each with ``current``: the latest version of its ``versions`` (or None)."""
    out: list[ProcedureRecord] = []
    for record in records:
        versions: list[ProcedurePerformance] = list(getattr(record, "versions", []))
        record.current = versions[-1] if versions else None  # type: ignore[attr-defined]
        out.append(record)
    return out


def _visible(scope: Scope) -> QuerySet[ProcedureRecord]:
    records = ProcedureRecord.objects.filter(organization=scope.organization)
    if scope.facility_ids is not None:
        records = records.filter(facility_id__in=scope.facility_ids)
    return records


def patient_procedures(scope: Scope, patient: Patient) -> list[ProcedureRecord]:
    """Every procedure of ``patient`` (newest order first), each with ``current`` (the latest
    version of what was performed, or None) and ``versions``. A facility-limited membership
    sees the procedures of its facilities. 4 queries, no audit row (``access_patient`` wrote it).
    """
    ensure_clinical_role(scope, object_type="procedure")
    return _with_current(
        _visible(scope)
        .filter(patient=patient)
        .select_related("facility", "ordered_by", "encounter", "entered_in_error_by")
        .prefetch_related(Prefetch("performances", queryset=_performances(), to_attr="versions"))
        .order_by("-ordered_at", "-pk")
    )


# The columns of a procedure in the API's list (ProcedureOut), read as plain rows.
RECORD_COLUMNS = (
    "id",
    "patient_id",
    "facility_id",
    "encounter_id",
    "procedure_code",
    "catalogue_version",
    "body_site",
    "laterality",
    "guidance",
    "anesthesia",
    "indication",
    "status",
    "ordered_by_id",
    "ordered_at",
    "scheduled_for",
    "scheduled_by_id",
    "cancelled_by_id",
    "cancelled_at",
    "cancel_reason",
    "entered_in_error_by_id",
    "entered_in_error_at",
    "entered_in_error_reason",
)
# The columns of the version performed shown with each (PerformanceOut, without what the
# API computes: labels, relief, complications).
PERFORMANCE_COLUMNS = (
    "id",
    "record_id",
    "version",
    "kind",
    "amends_id",
    "amendment_reason",
    "procedure_code",
    "catalogue_version",
    "performed_at",
    "performer_id",
    "performer_name",
    "anesthesiologist_id",
    "anesthesiologist_name",
    "imaging_operator_id",
    "imaging_operator_name",
    "monitoring_nurse_id",
    "monitoring_nurse_name",
    "anesthesia",
    "guidance",
    "body_site",
    "laterality",
    "pain_before",
    "pain_after",
    "complication_note",
    "note",
    "decision",
    "recorded_by_id",
    "recorded_at",
)


def patient_procedure_rows(scope: Scope, patient: Patient, *, offset: int = 0, limit: int = 50) -> PageRows:
    """``patient_procedures`` for a list: one page (newest order first) of ``RECORD_COLUMNS``,
    each row with ``current``: the latest version performed (``PERFORMANCE_COLUMNS`` and
    ``complications``, the kinds) or None. 3 queries whatever the page holds; no audit row
    (``access_patient`` wrote it).
    """
    ensure_clinical_role(scope, object_type="procedure")
    ordered = _visible(scope).filter(patient=patient).order_by("-ordered_at", "-pk")
    found = page_of(ordered, RECORD_COLUMNS, offset=offset, limit=limit)
    records = found.by_id()
    for row in found.rows:
        row["current"] = None
    if not records:
        return found
    # Every version of the page's procedures, the first first: the last one read is the current one.
    versions = (
        ProcedurePerformance.objects.filter(organization=scope.organization, record_id__in=records)
        .annotate(
            performer_name=F("performer__full_name"),
            anesthesiologist_name=Coalesce(F("anesthesiologist__full_name"), Value("")),
            imaging_operator_name=Coalesce(F("imaging_operator__full_name"), Value("")),
            monitoring_nurse_name=Coalesce(F("monitoring_nurse__full_name"), Value("")),
        )
        .order_by("record_id", "version")
        .values(*PERFORMANCE_COLUMNS)
    )
    current: dict[int, dict[str, Any]] = {}
    for version in versions:
        version["complications"] = []
        current[version["record_id"]] = version
    by_performance = {version["id"]: version for version in current.values()}
    for performance_id, kind in (
        ProcedureComplication.objects.filter(organization=scope.organization, performance_id__in=by_performance)
        .order_by("pk")
        .values_list("performance_id", "kind")
    ):
        by_performance[performance_id]["complications"].append(kind)
    for record_id, version in current.items():
        records[record_id]["current"] = version
    return found


def procedure_history(scope: Scope, record: ProcedureRecord) -> list[ProcedurePerformance]:
    """Every version of what was performed, the first first (2 queries)."""
    ensure_clinical_role(scope, object_type="procedure")
    return list(_performances().filter(organization=scope.organization, record=record))


@dataclass
class Worklist:
    facility: Facility
    # Ordered and scheduled: scheduled ones by time, then orders waiting for a time.
    open: list[ProcedureRecord]
    # Performed in the last RECENT_DAYS days, the latest first (not those entered in error).
    performed: list[ProcedureRecord]
    since: datetime


def facility_worklist(scope: Scope, facility: Facility, *, now: datetime | None = None) -> Worklist:
    """The facility's procedures waiting to be done, and those done lately (4 queries and the audit row).

    ``facility`` comes from ``access_facility`` (in the scope). The list names patients, so
    its read is audited (a SEARCH of procedures at the facility, with the counts).
    """
    ensure_clinical_role(scope, object_type="procedure")
    moment = now or timezone.now()
    since = moment - timedelta(days=RECENT_DAYS)
    base = (
        _visible(scope)
        .filter(facility=facility)
        .select_related("patient", "ordered_by")
        .prefetch_related(Prefetch("performances", queryset=_performances(), to_attr="versions"))
    )
    waiting = _with_current(
        base.filter(status__in=[ProcedureStatus.ORDERED, ProcedureStatus.SCHEDULED]).order_by("ordered_at", "pk")
    )
    # Scheduled first (by time), then the orders without a time (by order).
    waiting.sort(key=lambda r: (r.scheduled_for is None, r.scheduled_for or r.ordered_at, r.pk))
    done = _with_current(
        base.filter(status=ProcedureStatus.PERFORMED, performances__performed_at__gte=since)
        .distinct()
        .order_by("-ordered_at", "-pk")
    )
    done.sort(key=lambda r: r.current.performed_at if r.current else r.ordered_at, reverse=True)  # type: ignore[attr-defined]
    with transaction.atomic():
        record_event(
            actor=scope.user,
            action=AuditAction.SEARCH,
            organization=scope.organization,
            facility=facility,
            object_type="procedure",
            reason=(
                f"procedure worklist: {len(waiting)} open, {len(done)} performed since {local_date(facility, since)}"
            ),
        )
    return Worklist(facility, waiting, done, since)


# --- Who may perform here ---------------------------------------------------------------------


@dataclass(frozen=True)
class StaffOption:
    person: Person
    may_perform: bool
    # Per anesthesia level needing an anesthesiologist: may this person give it here?
    may_anesthetize: dict[str, bool]
    perform_reasons: tuple[Reason, ...] = ()


@dataclass(frozen=True)
class Candidates:
    """The physicians at a facility, and what the engine lets each of them do for a procedure."""

    options: tuple[StaffOption, ...]

    def performers(self) -> list[StaffOption]:
        return [o for o in self.options if o.may_perform]

    def anesthesiologists(self, level: str) -> list[StaffOption]:
        return [o for o in self.options if o.may_anesthetize.get(level)]


def candidates(scope: Scope, facility: Facility, proc: Procedure, *, at: datetime | None = None) -> Candidates:
    """Every physician working at ``facility``, with the engine's answer for ``proc`` (5 queries)."""
    people = (
        Person.objects.filter(
            organization=scope.organization,
            facility_links__facility=facility,
            roles__role__in=[r.value for r in PHYSICIAN_ROLES],
        )
        .distinct()
        .order_by("full_name", "pk")
    )
    listed = list(people)
    if not listed:
        return Candidates(())
    actions = [proc.action, *ANESTHESIOLOGIST_ACTION.values()]
    decisions = decide_many(
        [p.pk for p in listed], actions, facility, at=at, jurisdiction=scope.organization.jurisdiction
    )
    options = []
    for person in listed:
        perform = decisions[(person.pk, proc.action)]
        options.append(
            StaffOption(
                person,
                perform.allowed,
                {level: decisions[(person.pk, action)].allowed for level, action in ANESTHESIOLOGIST_ACTION.items()},
                tuple(from_unmet("performer", person.full_name, u) for u in perform.unmet),
            )
        )
    return Candidates(tuple(options))


# Who is offered as the C-arm operator under fluoroscopy (the engine then says who may).
OPERATOR_ROLES = (Role.RADIOGRAPHER, Role.XRAY_ASSISTANT)
C_ARM_ACTION = "operate_equipment:c_arm"


@dataclass(frozen=True)
class OperatorOption:
    """A person offered for one part of a procedure (C-arm operator, monitoring nurse) and
    whether the engine allows them that part here."""

    person: Person
    may_operate: bool


def _allowed_staff(
    scope: Scope, facility: Facility, roles: tuple[Role, ...], action: str, *, at: datetime | None
) -> tuple[OperatorOption, ...]:
    """The people with one of ``roles`` working at ``facility``, with whether the engine allows
    each ``action`` there. 1 query, 4 more when any."""
    listed = list(
        Person.objects.filter(
            organization=scope.organization,
            facility_links__facility=facility,
            roles__role__in=[r.value for r in roles],
        )
        .distinct()
        .order_by("full_name", "pk")
    )
    if not listed:
        return ()
    decisions = decide_many(
        [p.pk for p in listed], [action], facility, at=at, jurisdiction=scope.organization.jurisdiction
    )
    return tuple(OperatorOption(p, decisions[(p.pk, action)].allowed) for p in listed)


def c_arm_operators(scope: Scope, facility: Facility, *, at: datetime | None = None) -> tuple[OperatorOption, ...]:
    """The radiographers and x-ray assistants working at ``facility``, with whether the engine
    lets each operate the C-arm there (``operate_equipment:c_arm``). 1 query, 4 more when any."""
    return _allowed_staff(scope, facility, OPERATOR_ROLES, C_ARM_ACTION, at=at)


# Who is offered as the monitoring nurse at sedation or general anesthesia (the engine then says who may).
NURSE_ROLES = (Role.NURSE,)


def monitoring_nurses(scope: Scope, facility: Facility, *, at: datetime | None = None) -> tuple[OperatorOption, ...]:
    """The nurses working at ``facility``, with whether the engine lets each monitor a patient
    under procedural sedation there (``monitor_sedation``). 1 query, 4 more when any."""
    return _allowed_staff(scope, facility, NURSE_ROLES, MONITORING_ACTION, at=at)


@dataclass(frozen=True)
class PlanCheck:
    """Before performing: is the guidance equipment in service, and who may perform (and sedate)?"""

    equipment_reasons: tuple[Reason, ...]
    performers: tuple[Person, ...]
    anesthesiologists: tuple[Person, ...]
    needs_anesthesiologist: bool
    equipment_kind: str | None = None

    @property
    def ready(self) -> bool:
        return (
            not self.equipment_reasons
            and bool(self.performers)
            and (not self.needs_anesthesiologist or bool(self.anesthesiologists))
        )


def plan_check(scope: Scope, record: ProcedureRecord) -> PlanCheck | None:
    """For an open procedure: what stands in the way of performing it as ordered (a read, no audit)."""
    if record.status not in (ProcedureStatus.ORDERED, ProcedureStatus.SCHEDULED):
        return None
    proc = procedure(record.procedure_code)
    if proc is None:
        return None
    return facility_check(scope, record.facility, proc, guidance=record.guidance, anesthesia=record.anesthesia)


def facility_check(scope: Scope, facility: Facility, proc: Procedure, *, guidance: str, anesthesia: str) -> PlanCheck:
    """Can ``facility`` do ``proc`` with this guidance and anesthesia: its equipment in service,
    a physician who may perform it, an anesthesiologist privileged there when the level needs
    one. Asked by the order form BEFORE ordering, and by an open order (a read, no audit)."""
    staff = candidates(scope, facility, proc)
    needs = anesthesia in ANESTHESIOLOGIST_ACTION
    reasons, _said = equipment_reasons(facility, guidance)
    return PlanCheck(
        equipment_reasons=tuple(reasons),
        performers=tuple(o.person for o in staff.performers()),
        anesthesiologists=tuple(o.person for o in staff.anesthesiologists(anesthesia)) if needs else (),
        needs_anesthesiologist=needs,
        equipment_kind=GUIDANCE_EQUIPMENT.get(guidance),
    )


# --- The chart's markers -------------------------------------------------------------------------


@dataclass(frozen=True)
class ProcedureMarker:
    """A performed procedure on the time axis: when, what (in the active language), which record.

    ``kind`` is always ``"procedure"`` (the chart's CSS class); ``id`` is the procedure
    record's id (``/patients/<patient>/procedures/<id>/``), ``performance_id`` the version
    shown.
    """

    at: datetime
    label: str
    id: int
    performance_id: int
    kind: str = "procedure"


def procedure_markers(scope: Scope, patient: Patient, *, since: datetime | None = None) -> list[ProcedureMarker]:
    """The performed procedures of ``patient`` (current versions), oldest first: one query, no audit row.

    For the chart (``nyeri/clinical/chart``): ``patient`` comes from ``access_patient``
    (which audited the read and applied the care-access rule: with care access the whole
    record is shown, whatever the facility).
    ``since`` leaves out those performed before it. Cancelled and not yet performed
    procedures have no marker, nor one entered in error (still on the patient's procedure
    list, marked); an amended time moves the marker.
    """
    language = _language()
    markers = []
    for pk, record_id, performed_at, code, site, side in (
        _marker_rows(scope, patient, since=since)
        .order_by("performed_at", "pk")
        .values_list("pk", "record_id", "performed_at", "procedure_code", "body_site", "laterality")
    ):
        label = f"{procedure_label(code, language)} ({site_text(site, side).lower()})"
        markers.append(ProcedureMarker(performed_at, label, record_id, pk))
    return markers


def _marker_rows(scope: Scope, patient: Patient, *, since: datetime | None = None) -> QuerySet[ProcedurePerformance]:
    rows = ProcedurePerformance.objects.filter(
        organization=scope.organization,
        record__patient=patient,
        # Not ENTERED_IN_ERROR: a procedure recorded by mistake is no treatment on the chart.
        record__status=ProcedureStatus.PERFORMED,
        amended_by__isnull=True,
    )
    if since is not None:
        rows = rows.filter(performed_at__gte=since)
    return rows


def procedure_marker_rows(scope: Scope, patient: Patient, *, offset: int = 0, limit: int = 50) -> PageRows:
    """One page of ``procedure_markers`` as plain rows (``at``, ``kind``, ``label``, ``id``,
    ``performance_id``) and their count: one statement, each label translated once per
    procedure and site of the page, not once per row. ``patient`` comes from ``access_patient``."""
    found = page_of(
        _marker_rows(scope, patient).order_by("performed_at", "pk"),
        ("id", "record_id", "performed_at", "procedure_code", "body_site", "laterality"),
        offset=offset,
        limit=limit,
    )
    language = _language()
    labels: dict[tuple[str, str, str], str] = {}
    rows = []
    for row in found.rows:
        key = (row["procedure_code"], row["body_site"], row["laterality"])
        if key not in labels:
            labels[key] = f"{procedure_label(key[0], language)} ({site_text(key[1], key[2]).lower()})"
        rows.append(
            {
                "at": row["performed_at"],
                "kind": "procedure",
                "label": labels[key],
                "id": row["record_id"],
                "performance_id": row["id"],
            }
        )
    return PageRows(found.count, rows)


def organization_performed_procedures(scope: Scope) -> QuerySet[ProcedureRecord]:
    """The organization's procedures performed here (or entered in error), each with ``versions``.

    For FHIR Procedure; a facility-limited membership sees its facilities'. Not audited here.
    """
    ensure_clinical_role(scope, object_type="procedure")
    return (
        _visible(scope)
        .filter(status__in=[ProcedureStatus.PERFORMED, ProcedureStatus.ENTERED_IN_ERROR])
        .select_related("patient")
        .prefetch_related(Prefetch("performances", queryset=_performances(), to_attr="versions"))
    )


def organization_procedure_orders(scope: Scope) -> QuerySet[ProcedureRecord]:
    """Every procedure order of the organization, whatever its status, with its referrals (sent
    order) and ``requester_person_id``: the person record of the member who ordered it (None
    when that member has none). For FHIR ServiceRequest; a facility-limited membership sees its
    facilities'. Not audited here (the caller audits).
    """
    ensure_clinical_role(scope, object_type="procedure")
    requester = Person.objects.filter(organization_id=OuterRef("organization_id"), user_id=OuterRef("ordered_by_id"))
    return (
        _visible(scope)
        .select_related("patient")
        .annotate(requester_person_id=Subquery(requester.values("pk")[:1]))
        # The builder takes the latest referral (the imaging app owns Referral: no import here).
        .prefetch_related("referrals")
    )


def practitioner_procedures(organization_id: int, person_id: int, since: datetime, until: datetime) -> list[Figure]:
    """For the committee's file: procedures the person performed in the period (the current
    version of each record, entered-in-error ones left out) and how many had a complication."""
    current = ProcedurePerformance.objects.filter(
        organization_id=organization_id,
        performer_id=person_id,
        performed_at__gte=since,
        performed_at__lt=until,
        amended_by__isnull=True,
        record__status=ProcedureStatus.PERFORMED,
    )
    done = current.count()
    complicated = current.filter(Exists(ProcedureComplication.objects.filter(performance=OuterRef("pk")))).count()
    return [
        Figure(gettext("Procedures performed"), str(done)),
        Figure(gettext("Procedures with a complication"), str(complicated)),
    ]


# --- The clinician's home -------------------------------------------------------------------


def home_panel(scope: Scope, facility: Facility) -> Panel | None:
    """Procedures at ``facility``: scheduled for today, and ordered without a time yet (one
    query; no patient named: the worklist names them and audits its read)."""
    if not scope.roles & CARE_ROLES:
        return None
    start, end = day_bounds(facility, local_date(facility))
    found = (
        _visible(scope)
        .filter(facility=facility)
        .aggregate(
            today=Count(
                "pk", filter=Q(status=ProcedureStatus.SCHEDULED, scheduled_for__gte=start, scheduled_for__lt=end)
            ),
            unscheduled=Count("pk", filter=Q(status=ProcedureStatus.ORDERED)),
        )
    )
    url = reverse("procedures:worklist", args=[facility.pk])
    return Panel(
        title=_("Procedures"),
        counts=(
            Tally(_("Scheduled for today"), found["today"], url),
            Tally(_("Ordered, not yet scheduled"), found["unscheduled"], url),
        ),
        url=url,
    )
