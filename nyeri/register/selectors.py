"""Register reads: who may read it, the balances, the movements with filters, the report and its exports."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date

from django.db import transaction
from django.db.models import F, OuterRef, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from nyeri.accounts.models import User
from nyeri.audit.models import AuditAction, AuditOutcome
from nyeri.audit.services import record_event
from nyeri.clinical.access import ensure_clinical_role
from nyeri.lib.panels import Panel, Tally
from nyeri.lib.rows import PageRows, page_of
from nyeri.prescriptions.models import PrescriptionItem, PrescriptionStatus
from nyeri.register.models import Movement, MovementKind, StockBalance
from nyeri.register.report import MonthlyReport, monthly_report
from nyeri.tenancy.clock import day_bounds
from nyeri.tenancy.models import Facility
from nyeri.tenancy.roles import Role
from nyeri.tenancy.scope import Scope

# Who reads the register: the pharmacists who keep it, and those who answer for the facility.
READERS = (Role.PHARMACIST, Role.COMPLIANCE_OFFICER, Role.ADMINISTRATOR)
OBJECT_TYPE = "register_report"


def may_read(scope: Scope) -> bool:
    return scope.has_role(*READERS)


def ensure_reader(scope: Scope, facility: Facility | None = None) -> None:
    """Others are refused, and the refusal is audited."""
    from django.core.exceptions import PermissionDenied

    if may_read(scope):
        return
    with transaction.atomic():
        record_event(
            actor=scope.user,
            action=AuditAction.PERMISSION_DENIED,
            outcome=AuditOutcome.DENIED,
            organization=scope.organization,
            facility=facility,
            object_type="register",
            reason=f"user {scope.user.pk} has none of the roles {', '.join(READERS)}",
        )
    raise PermissionDenied


def _balances(facility: Facility) -> QuerySet[StockBalance]:
    return StockBalance.objects.filter(facility=facility).order_by("label_en", "medication_code")


def balances(facility: Facility) -> list[StockBalance]:
    return list(_balances(facility))


# The columns of a balance in the API's list (BalanceOut; both labels: the API picks one).
BALANCE_COLUMNS = (
    "medication_code",
    "label_en",
    "label_id",
    "controlled_class",
    "strength",
    "strength_unit",
    "dose_unit",
    "quantity",
)


def balance_rows(facility: Facility, *, offset: int = 0, limit: int = 50) -> PageRows:
    """``balances`` for a list: one page of ``BALANCE_COLUMNS`` (1 query)."""
    return page_of(_balances(facility), BALANCE_COLUMNS, offset=offset, limit=limit)


@dataclass(frozen=True)
class MovementFilters:
    medication: str = ""
    kind: str = ""
    since: date | None = None
    until: date | None = None


def movements(facility: Facility, filters: MovementFilters, *, limit: int = 500) -> QuerySet[Movement]:
    """The facility's movements, newest first, filtered by product, kind and dates (inclusive)."""
    found = _movements(facility, filters).select_related(
        "balance", "recorded_by", "witness_1", "witness_2", "patient", "reverses"
    )
    return found[:limit]


# The columns of a movement in the API's list (MovementOut).
MOVEMENT_COLUMNS = (
    "id",
    "medication",
    "kind",
    "quantity",
    "delta",
    "balance_after",
    "occurred_at",
    "recorded_by_id",
    "supplier",
    "document_number",
    "batch_number",
    "expiry_date",
    "prescription_id",
    "prescription_item_id",
    "patient_id",
    "witness_1_id",
    "witness_2_id",
    "counted_quantity",
    "reverses_id",
    "reason",
)


def movement_rows(facility: Facility, filters: MovementFilters, *, offset: int = 0, limit: int = 50) -> PageRows:
    """``movements`` for a list: one page of ``MOVEMENT_COLUMNS``, the whole filtered count (1 query)."""
    ordered = _movements(facility, filters).annotate(medication=F("balance__medication_code"))
    return page_of(ordered, MOVEMENT_COLUMNS, offset=offset, limit=limit)


def _movements(facility: Facility, filters: MovementFilters) -> QuerySet[Movement]:
    found = Movement.objects.filter(facility=facility)
    if filters.medication:
        found = found.filter(balance__medication_code=filters.medication)
    if filters.kind in MovementKind.values:
        found = found.filter(kind=filters.kind)
    if filters.since is not None:
        found = found.filter(occurred_at__gte=day_bounds(facility, filters.since)[0])
    if filters.until is not None:
        found = found.filter(occurred_at__lt=day_bounds(facility, filters.until)[1])
    return found.order_by("-occurred_at", "-pk")


def report_for(scope: Scope, facility: Facility, year: int, month: int) -> MonthlyReport:
    ensure_reader(scope, facility)
    return monthly_report(facility, year, month)


def export_report(*, scope: Scope, acting_user: User, facility: Facility, year: int, month: int, kind: str) -> bytes:
    """The month's report as ``csv`` or ``pdf``; the export is audited (EXPORT)."""
    from nyeri.register.exports import render_csv, render_pdf

    report = report_for(scope, facility, year, month)
    content = render_pdf(report) if kind == "pdf" else render_csv(report)
    with transaction.atomic():
        record_event(
            actor=acting_user,
            action=AuditAction.EXPORT,
            organization=scope.organization,
            facility=facility,
            object_type=OBJECT_TYPE,
            object_id=f"{facility.pk}:{report.period}",
            reason=f"{kind}, {len(report.lines)} products, {len(content)} bytes, "
            f"sha256 {hashlib.sha256(content).hexdigest()}",
        )
    return content


@dataclass(frozen=True)
class OpenItem:
    item: PrescriptionItem
    remaining: int


def open_items(scope: Scope, facility: Facility, *, limit: int = 200) -> list[OpenItem]:
    """Signed controlled prescription items written at ``facility`` with units left to dispense (oldest first).

    Shows patients' names: the caller audits the read (``audit_queue_read``)."""
    items = list(
        PrescriptionItem.objects.filter(
            organization=scope.organization,
            prescription__facility=facility,
            prescription__status=PrescriptionStatus.SIGNED,
        )
        .exclude(controlled_class="")
        .select_related("prescription", "prescription__patient")
        .order_by("prescription__signed_at", "pk")[:limit]
    )
    dispensed = dict(
        Movement.objects.filter(
            prescription_item__in=[i.pk for i in items], kind__in=[MovementKind.DISPENSING, MovementKind.REVERSAL]
        )
        .values("prescription_item")
        .annotate(total=Sum("delta"))
        .values_list("prescription_item", "total")
    )
    found = [OpenItem(i, i.quantity + (dispensed.get(i.pk) or 0)) for i in items]
    return [o for o in found if o.remaining > 0]


def audit_queue_read(scope: Scope, facility: Facility, shown: list[OpenItem]) -> None:
    patients = sorted({str(o.item.prescription.patient_id) for o in shown})
    with transaction.atomic():
        record_event(
            actor=scope.user,
            action=AuditAction.READ,
            organization=scope.organization,
            facility=facility,
            object_type="register_dispensing_queue",
            object_id=facility.pk,
            reason=f"{len(shown)} items of patients {', '.join(patients)}",
        )


def organization_dispensings(scope: Scope) -> QuerySet[Movement]:
    """The organization's dispensings to patients, with product, prescription line and any reversal
    (for FHIR MedicationDispense). Patient data: clinical roles only; limited to a facility-limited
    membership's facilities. Not audited here (the caller audits)."""
    ensure_clinical_role(scope, object_type="register")
    rows = Movement.objects.filter(organization=scope.organization, kind=MovementKind.DISPENSING)
    if scope.facility_ids is not None:
        rows = rows.filter(facility_id__in=scope.facility_ids)
    return rows.select_related("balance", "prescription_item", "patient", "reversed_by")


@dataclass(frozen=True)
class BalanceRow:
    label: str
    quantity: int


def home_panel(scope: Scope, facility: Facility) -> Panel | None:
    """The pharmacist's work at ``facility``: controlled prescription items with units left
    to dispense, and the register's balances by the name shown. Two queries; no patient is
    named (the dispensing queue names them, and audits its read)."""
    if not scope.has_role(Role.PHARMACIST):
        return None
    dispensed = (
        Movement.objects.filter(
            prescription_item=OuterRef("pk"), kind__in=[MovementKind.DISPENSING, MovementKind.REVERSAL]
        )
        .order_by()
        .values("prescription_item")
        .annotate(total=Sum("delta"))
        .values("total")
    )
    waiting = (
        PrescriptionItem.objects.filter(
            organization=scope.organization,
            prescription__facility=facility,
            prescription__status=PrescriptionStatus.SIGNED,
        )
        .exclude(controlled_class="")
        .annotate(left=F("quantity") + Coalesce(Subquery(dispensed), Value(0)))
        .filter(left__gt=0)
        .count()
    )
    language = (translation.get_language() or "id").split("-")[0]
    rows = sorted(
        (BalanceRow(b.label(language), b.quantity) for b in balances(facility)),
        key=lambda r: r.label.casefold(),
    )
    return Panel(
        title=_("Controlled-drug register"),
        counts=(
            Tally(
                _("Prescription items waiting to be dispensed"),
                waiting,
                reverse("register:dispensing", args=[facility.pk]),
                urgent=True,
            ),
        ),
        rows=tuple(rows),
        url=reverse("register:facility", args=[facility.pk]),
    )
