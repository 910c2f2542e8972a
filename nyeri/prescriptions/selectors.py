"""Prescription reads: a patient's prescriptions, the active ones, the safety check before signing.

Reads of a patient's data are audited by ``access_patient`` in the views and the API.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta

from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext

from nyeri.clinical.access import ensure_clinical_role
from nyeri.clinical.models import Patient
from nyeri.lib.rows import PageRows, page_of
from nyeri.prescriptions import catalogue
from nyeri.prescriptions.items import ParsedItem
from nyeri.prescriptions.models import MAX_DAYS, Prescription, PrescriptionItem, PrescriptionStatus
from nyeri.prescriptions.safety import ActiveLine, Line, SafetyCheck, assess
from nyeri.tenancy.clock import latest_today, zone_named
from nyeri.tenancy.scope import Scope
from nyeri.workforce.policy.loader import pack_for
from nyeri.workforce.policy.schema import Opioids
from nyeri.workforce.privileges.evaluation import Figure


def rules_for(jurisdiction: str) -> Opioids:
    """The jurisdiction's opioid rules (policy pack ``[opioids]``)."""
    return pack_for(jurisdiction).pack.opioids


def patient_prescriptions(scope: Scope, patient: Patient) -> list[Prescription]:
    """Every prescription of ``patient``, newest first, with items (2 queries)."""
    return list(
        Prescription.objects.filter(organization=scope.organization, patient=patient)
        .select_related("facility")
        .prefetch_related(Prefetch("items", queryset=PrescriptionItem.objects.order_by("position")))
        .order_by("-created_at", "-pk")
    )


# The columns of a prescription in the API's list (PrescriptionOut; ``number`` is made from
# ``organization_id`` and ``id``), and of its items (both labels: the API picks one).
PRESCRIPTION_COLUMNS = (
    "id",
    "organization_id",
    "patient_id",
    "facility_id",
    "status",
    "jurisdiction",
    "catalogue_version",
    "contains_controlled",
    "created_at",
    "created_by_id",
    "reissue_of_id",
    "signed_at",
    "prescriber_name",
    "prescriber_registration",
    "prescriber_permit",
    "prescriber_authorisation",
    "second_factor",
    "mme_table",
    "mme_per_day",
    "mme_total_per_day",
    "warnings",
    "justification",
    "cancelled_at",
    "cancel_reason",
)
ITEM_COLUMNS = (
    "prescription_id",
    "position",
    "medication_code",
    "label_en",
    "label_id",
    "atc",
    "strength",
    "strength_unit",
    "dose_unit",
    "form",
    "route",
    "controlled_class",
    "opioid",
    "benzodiazepine",
    "dose",
    "doses_per_day",
    "as_needed",
    "days",
    "quantity",
    "instructions",
    "mme_per_day",
    "mme_factor",
    "mme_table",
)


def patient_prescription_rows(scope: Scope, patient: Patient, *, offset: int = 0, limit: int = 50) -> PageRows:
    """``patient_prescriptions`` for a list: one page (newest first) of ``PRESCRIPTION_COLUMNS``,
    each row with ``items`` (``ITEM_COLUMNS``, by position). 2 queries whatever the page holds.
    """
    ordered = Prescription.objects.filter(organization=scope.organization, patient=patient).order_by(
        "-created_at", "-pk"
    )
    found = page_of(ordered, PRESCRIPTION_COLUMNS, offset=offset, limit=limit)
    prescriptions = found.by_id()
    for row in found.rows:
        row["items"] = []
    if prescriptions:
        for item in (
            PrescriptionItem.objects.filter(organization=scope.organization, prescription_id__in=prescriptions)
            .order_by("prescription_id", "position")
            .values(*ITEM_COLUMNS)
        ):
            prescriptions[item["prescription_id"]]["items"].append(item)
    return found


def items_of(prescription: Prescription) -> list[PrescriptionItem]:
    return list(PrescriptionItem.objects.filter(prescription=prescription).order_by("position"))


def organization_item(scope: Scope, item_id: int) -> PrescriptionItem:
    """The prescription item ``item_id`` of the scope's organization (1 query); 404 otherwise."""
    found = PrescriptionItem.objects.filter(organization=scope.organization, pk=item_id).first()
    if found is None:
        raise Http404("No such prescription item")
    return found


def item_line(item: PrescriptionItem) -> Line:
    return Line(
        label_en=item.label_en,
        label_id=item.label_id,
        opioid=item.opioid,
        benzodiazepine=item.benzodiazepine,
        controlled_class=item.controlled_class,
        mme_per_day=item.mme_per_day,
        mme_factor=item.mme_factor,
        daily_amount=item.daily_amount,
        strength_unit=item.strength_unit,
        medication_code=item.medication_code,
    )


def parsed_line(item: ParsedItem) -> Line:
    med = item.medication
    return Line(
        label_en=med.label_en,
        label_id=med.label_id,
        opioid=med.opioid,
        benzodiazepine=med.benzodiazepine,
        controlled_class=item.controlled_class,
        mme_per_day=item.mme.mme_per_day if item.mme else None,
        mme_factor=item.mme.factor if item.mme else None,
        daily_amount=item.dose * item.doses_per_day,
        strength_unit=med.strength_unit,
        medication_code=med.code,
    )


ACTIVE_FIELDS = (
    "prescription_id",
    "prescription__signed_at",
    "days",
    "label_en",
    "label_id",
    "opioid",
    "benzodiazepine",
    "controlled_class",
    "mme_per_day",
    "mme_factor",
    "dose",
    "doses_per_day",
    "strength_unit",
    "medication_code",
)


def active_lines(
    organization_id: int, patient_id: int, *, on: date | None = None, exclude_id: int | None = None
) -> list[ActiveLine]:
    """Opioid and benzodiazepine items of the patient's signed prescriptions active on ``on`` (1 query).

    An item is active from the day its prescription was signed, at the facility where it was
    written, for its number of days; without ``on``, on today at that facility.
    """
    latest = on or latest_today()
    # A day early: the facilities' days turn up to two hours apart.
    earliest = timezone.make_aware(datetime.combine(latest - timedelta(days=MAX_DAYS + 1), time.min))
    rows = (
        PrescriptionItem.objects.filter(
            organization_id=organization_id,
            prescription__patient_id=patient_id,
            prescription__status=PrescriptionStatus.SIGNED,
            prescription__signed_at__gte=earliest,
        )
        .filter(Q(opioid=True) | Q(benzodiazepine=True))
        .order_by("prescription__signed_at", "position")
    )
    if exclude_id is not None:
        rows = rows.exclude(prescription_id=exclude_id)
    found = []
    for (
        prescription_id,
        signed_at,
        days,
        label_en,
        label_id,
        opioid,
        benzodiazepine,
        controlled_class,
        mme_per_day,
        mme_factor,
        dose,
        doses_per_day,
        strength_unit,
        medication_code,
        time_zone,
    ) in rows.values_list(*ACTIVE_FIELDS, "prescription__facility__time_zone"):
        zone = zone_named(time_zone)
        start = signed_at.astimezone(zone).date()
        day = on or timezone.now().astimezone(zone).date()
        ends_on = start + timedelta(days=days - 1)
        if start <= day <= ends_on:
            found.append(
                ActiveLine(
                    label_en=label_en,
                    label_id=label_id,
                    opioid=opioid,
                    benzodiazepine=benzodiazepine,
                    controlled_class=controlled_class,
                    mme_per_day=mme_per_day,
                    mme_factor=mme_factor,
                    daily_amount=dose * doses_per_day,
                    strength_unit=strength_unit,
                    medication_code=medication_code,
                    prescription_id=prescription_id,
                    ends_on=ends_on,
                )
            )
    return found


def safety_check(
    prescription: Prescription, items: Sequence[PrescriptionItem], *, on: date | None = None
) -> SafetyCheck:
    """MME totals and warnings for ``prescription`` with its ``items`` (1 query for the active ones)."""
    others = active_lines(prescription.organization_id, prescription.patient_id, on=on, exclude_id=prescription.pk)
    return assess([item_line(i) for i in items], others, rules_for(prescription.jurisdiction))


def preview(scope: Scope, patient: Patient, items: Sequence[ParsedItem]) -> SafetyCheck:
    """The safety check of items not yet saved (the API's preview)."""
    others = active_lines(scope.organization.pk, patient.pk)
    return assess([parsed_line(i) for i in items], others, rules_for(scope.organization.jurisdiction))


def medications_for(jurisdiction: str) -> tuple[catalogue.Medication, ...]:
    return catalogue.for_jurisdiction(jurisdiction)


def organization_prescription_items(scope: Scope) -> QuerySet[PrescriptionItem]:
    """Every line of the organization's prescriptions, with its prescription and patient (for FHIR
    MedicationRequest). Refuses (audited) a member without a clinical role; not audited here."""
    ensure_clinical_role(scope, object_type="prescription")
    return PrescriptionItem.objects.filter(organization=scope.organization).select_related(
        "prescription", "prescription__patient"
    )


def practitioner_prescriptions(organization_id: int, person_id: int, since: datetime, until: datetime) -> list[Figure]:
    """For the committee's file: prescriptions the person signed in the period, those with a
    controlled drug, and those at or over the MME threshold that needs a justification (the
    justification is on each; the threshold is the pack's ``mme_justify``)."""
    signed = Prescription.objects.filter(
        organization_id=organization_id,
        prescriber_id=person_id,
        status=PrescriptionStatus.SIGNED,
        signed_at__gte=since,
        signed_at__lt=until,
    )
    counts = signed.aggregate(
        total=Count("pk"),
        controlled=Count("pk", filter=Q(contains_controlled=True)),
        justified=Count("pk", filter=~Q(justification="")),
    )
    return [
        Figure(gettext("Prescriptions signed"), str(counts["total"])),
        Figure(gettext("Prescriptions with a controlled drug"), str(counts["controlled"])),
        Figure(gettext("Prescriptions over the MME threshold, justified"), str(counts["justified"])),
    ]
