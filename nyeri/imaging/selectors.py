"""Imaging reads: a patient's orders, what an order page shows, a facility's referral worklists."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import Prefetch, Q, QuerySet
from django.utils import translation
from django.utils.translation import gettext as _

from nyeri.accounts.models import User
from nyeri.audit.models import AuditAction
from nyeri.audit.services import record_event
from nyeri.clinical.access import ensure_clinical_role
from nyeri.clinical.models import Patient
from nyeri.facilities.selectors import InHouseImaging, in_house_imaging
from nyeri.imaging.kinds import MODALITY_EQUIPMENT, OrderStatus, RevisionKind
from nyeri.imaging.models import ImagingOrder, ImagingResult, Referral, ResultRevision
from nyeri.imaging.services import OperatorCheck, operator_check, operator_privilege, referral_destinations
from nyeri.lib.rows import PageRows, page_of
from nyeri.procedures.models import ProcedureRecord
from nyeri.tenancy.models import Facility
from nyeri.tenancy.scope import Scope
from nyeri.workforce.models import Person


def patient_orders(scope: Scope, patient: Patient) -> list[ImagingOrder]:
    """The patient's imaging orders, newest first (the caller fetched the patient through access_patient)."""
    return list(
        ImagingOrder.objects.filter(organization=scope.organization, patient=patient)
        .select_related("facility")
        .order_by("-ordered_at", "-pk")
    )


# The columns of an order in a list (the API's OrderOut).
ORDER_COLUMNS = (
    "id",
    "patient_id",
    "facility_id",
    "modality",
    "body_region",
    "clinical_question",
    "status",
    "ordered_at",
    "cancel_reason",
)


def patient_order_rows(scope: Scope, patient: Patient, *, offset: int = 0, limit: int = 50) -> PageRows:
    """One page of the patient's imaging orders, newest first, as the ``ORDER_COLUMNS`` (1 query;
    the caller fetched the patient through access_patient)."""
    ordered = ImagingOrder.objects.filter(organization=scope.organization, patient=patient).order_by(
        "-ordered_at", "-pk"
    )
    return page_of(ordered, ORDER_COLUMNS, offset=offset, limit=limit)


@dataclass(frozen=True)
class OperatorReasons:
    name: str
    reasons_id: list[str]
    reasons_en: list[str]

    @property
    def reasons(self) -> list[str]:
        return self.reasons_id if (translation.get_language() or "id").startswith("id") else self.reasons_en


@dataclass(frozen=True)
class ResultVersion:
    """One version of a result: as recorded (or returned), an amendment, or entered in error."""

    version: int
    # "original", or a RevisionKind
    kind: str
    findings: str
    impression: str
    report: str
    reason: str
    recorded_by: str
    recorded_at: datetime

    @property
    def entered_in_error(self) -> bool:
        return self.kind == RevisionKind.ENTERED_IN_ERROR

    @property
    def label(self) -> str:
        if self.kind == "original":
            return _("As recorded")
        return str(RevisionKind(self.kind).label)


@dataclass(frozen=True)
class ResultHistory:
    versions: list[ResultVersion]

    @property
    def latest(self) -> ResultVersion:
        return self.versions[-1]

    @property
    def entered_in_error(self) -> bool:
        return self.latest.entered_in_error

    @property
    def current(self) -> ResultVersion | None:
        """The current result: the latest version, none when the result was entered in error."""
        return None if self.entered_in_error else self.latest

    @property
    def amended(self) -> bool:
        return len(self.versions) > 1


def _revisions(**subject: object) -> list[ResultVersion]:
    rows = ResultRevision.objects.filter(**subject).select_related("recorded_by").order_by("version")
    return [
        ResultVersion(
            r.version, r.kind, r.findings, r.impression, r.report, r.reason, str(r.recorded_by), r.recorded_at
        )
        for r in rows
    ]


def result_history(result: ImagingResult) -> ResultHistory:
    """Every version of an in-house result, the recorded one first (2 queries)."""
    first = ResultVersion(
        1, "original", result.findings, result.impression, "", "", str(result.recorded_by), result.recorded_at
    )
    return ResultHistory([first, *_revisions(result=result)])


def referral_result_history(referral: Referral) -> ResultHistory | None:
    """Every version of a done referral's returned result, the returned one first (none before done)."""
    if referral.status != "done" or referral.completed_at is None:
        return None
    first = ResultVersion(1, "original", "", "", referral.report, "", str(referral.completed_by), referral.completed_at)
    return ResultHistory([first, *_revisions(referral=referral)])


@dataclass(frozen=True)
class OrderPage:
    order: ImagingOrder
    kind: str
    in_house: InHouseImaging
    operators: list[Person]
    # Why nobody here may operate the equipment (each person with the engine's reasons).
    not_allowed: list[OperatorReasons]
    # The acting user: may they record the result now, and if not why not.
    me: OperatorCheck
    network: list[Facility]
    referrals: list[Referral]
    result: ImagingResult | None
    # Every version of the result (the recorded one first), when there is a result.
    history: ResultHistory | None = None
    # May the acting user correct the result (amend, or mark it entered in error)?
    may_correct: bool = False

    @property
    def open(self) -> bool:
        return self.order.status == OrderStatus.ORDERED


def order_page(scope: Scope, order: ImagingOrder, user: User, *, at: datetime | None = None) -> OrderPage:
    kind = MODALITY_EQUIPMENT[order.modality]
    in_house = in_house_imaging(order.facility, kind, at=at)
    people = {p.pk: p for p in Person.objects.filter(pk__in=[d.person_id for d in in_house.decisions])}
    operators = [people[i] for i in in_house.operator_ids if i in people]
    not_allowed = [
        OperatorReasons(people[d.person_id].full_name, d.reasons("id"), d.reasons("en"))
        for d in in_house.decisions
        if not d.allowed and d.person_id in people and not any(u.code == "role_missing" for u in d.unmet)
    ]
    result = ImagingResult.objects.filter(order=order).select_related("operator", "recorded_by").first()
    return OrderPage(
        order=order,
        kind=kind,
        in_house=in_house,
        operators=operators,
        not_allowed=sorted(not_allowed, key=lambda o: o.name),
        me=operator_check(scope, order, user, at=at),
        network=referral_destinations(order.facility, kind),
        referrals=list(
            Referral.objects.filter(imaging_order=order).select_related("to_facility").order_by("-sent_at", "-pk")
        ),
        result=result,
        history=result_history(result) if result is not None else None,
        may_correct=result is not None and operator_privilege(scope, order, user, at=at).allowed,
    )


@dataclass(frozen=True)
class WaitingProcedure:
    record: ProcedureRecord
    equipment: str
    open_referral: Referral | None


def procedures_waiting_for_equipment(scope: Scope, patient: Patient) -> list[WaitingProcedure]:
    """The patient's ordered or scheduled procedures whose guidance equipment is not in service where
    they were ordered (to refer), with their open referral if any."""
    from nyeri.facilities.selectors import equipment_in_service
    from nyeri.procedures.kinds import GUIDANCE_EQUIPMENT, ProcedureStatus

    waiting = []
    records = ProcedureRecord.objects.filter(
        organization=scope.organization,
        patient=patient,
        status__in=[ProcedureStatus.ORDERED, ProcedureStatus.SCHEDULED],
    ).select_related("facility")
    for record in records.order_by("ordered_at", "pk"):
        kind = GUIDANCE_EQUIPMENT.get(record.guidance)
        if kind is None or equipment_in_service(record.facility, kind):
            continue
        open_referral = (
            Referral.objects.filter(procedure=record, status__in=["sent", "accepted", "done"])
            .select_related("to_facility")
            .order_by("-pk")
            .first()
        )
        waiting.append(WaitingProcedure(record, kind, open_referral))
    return waiting


def procedure_referrals(procedure: ProcedureRecord) -> list[Referral]:
    return list(
        Referral.objects.filter(procedure=procedure)
        .select_related("to_facility", "completed_by")
        .order_by("-sent_at", "-pk")
    )


def _worklist_qs(scope: Scope) -> QuerySet[Referral]:
    return Referral.objects.filter(organization=scope.organization).select_related(
        "patient", "imaging_order", "procedure", "from_facility", "to_facility"
    )


@dataclass(frozen=True)
class Worklists:
    facility: Facility
    incoming: list[Referral]
    outgoing: list[Referral]


def worklists(scope: Scope, facility: Facility, *, acting_user: User) -> Worklists:
    """The referrals received by ``facility`` and those it sent (open ones first), the read audited.

    Referrals to outside providers are answered by the referring facility, so they are in both.
    """
    order = ("-sent_at", "-pk")
    incoming = list(
        _worklist_qs(scope)
        .filter(Q(to_facility=facility) | Q(to_facility__isnull=True, from_facility=facility))
        .order_by(*order)
    )
    outgoing = list(_worklist_qs(scope).filter(from_facility=facility).order_by(*order))
    rank = {"sent": 0, "accepted": 1, "declined": 2, "done": 3}
    incoming.sort(key=lambda r: rank[r.status])
    outgoing.sort(key=lambda r: rank[r.status])
    with transaction.atomic():
        record_event(
            actor=acting_user,
            action=AuditAction.READ,
            organization=scope.organization,
            facility=facility,
            object_type="referral_worklist",
            object_id=facility.pk,
            reason=f"{len(incoming)} incoming, {len(outgoing)} outgoing",
        )
    return Worklists(facility, incoming, outgoing)


def organization_imaging_orders(scope: Scope) -> QuerySet[ImagingOrder]:
    """The organization's imaging orders with their referrals (for FHIR ServiceRequest).

    Refuses (audited) a member without a clinical role; not audited here (the caller audits).
    """
    ensure_clinical_role(scope, object_type="imaging_order")
    return (
        ImagingOrder.objects.filter(organization=scope.organization)
        .select_related("patient")
        .prefetch_related(Prefetch("referrals", queryset=Referral.objects.order_by("sent_at", "pk")))
    )
