"""Clinical reads. Searches of patient data are audited like reads."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from nyeri.audit.models import AuditAction
from nyeri.audit.services import record_event
from nyeri.clinical.access import ensure_clinical_role
from nyeri.clinical.breakglass.access import (
    annotate_care_access,
    care_access,
    care_columns,
    in_care_q,
    row_in_care,
)
from nyeri.clinical.models import Patient, PatientEdit, PatientFieldChange, PatientMerge, RecordNumberFormat
from nyeri.lib.rows import PageRows, page_of
from nyeri.tenancy.models import Facility
from nyeri.tenancy.scope import Scope

SEARCH_LIMIT = 50


def search_patients(
    scope: Scope, query: str, *, limit: int = SEARCH_LIMIT, now: datetime | None = None
) -> list[Patient]:
    """Patients of the organization whose name, record number or NIK matches ``query``.

    Audited as a SEARCH (with the query's length, not its text: a NIK is personal data).
    An empty query lists the most recently registered patients.

    Each patient found carries ``in_care``: whether the user has care access to it
    (``nyeri.clinical.breakglass.access``). A member limited to facilities also finds
    patients outside their care by name or record number, so that they can break the
    glass; pages and the API show those by record number and name only. The NIK, and the
    list of recent patients, find only patients in their care. One query and the audit row.
    """
    ensure_clinical_role(scope)
    query = query.strip()
    qs = _searched(scope, query, now=now).select_related("registered_at")
    results = list(qs.order_by("-created_at", "-pk")[:limit])
    for patient in results:
        patient.in_care = care_access(scope, patient, now=now).allowed  # type: ignore[attr-defined]
    _audit_search(scope, query, len(results))
    return results


SEARCH_COLUMNS = ("id", "mrn", "full_name", "birth_date", "sex", "registered_at_id")


def search_patient_rows(
    scope: Scope, query: str, *, offset: int = 0, limit: int = SEARCH_LIMIT, now: datetime | None = None
) -> PageRows:
    """``search_patients`` for a list: one page of ``SEARCH_COLUMNS`` with the count, each row
    with ``in_care``; a patient outside the user's care by record number and name only (the
    other columns empty). One statement and the audit row (SEARCH, with the query's length and
    the whole count), whatever the page."""
    ensure_clinical_role(scope)
    query = query.strip()
    found = page_of(
        _searched(scope, query, now=now).order_by("-created_at", "-pk"),
        SEARCH_COLUMNS + care_columns(scope),
        offset=offset,
        limit=limit,
    )
    hidden = care_columns(scope)
    for row in found.rows:
        in_care = row_in_care(scope, row)
        for column in hidden:
            del row[column]
        if not in_care:
            row.update(birth_date=None, sex=None, registered_at_id=None)
        row["in_care"] = in_care
    _audit_search(scope, query, found.count)
    return found


def _audit_search(scope: Scope, query: str, count: int) -> None:
    # The query itself is not kept (it may hold a NIK or a name): its length and what it found.
    with transaction.atomic():
        record_event(
            actor=scope.user,
            action=AuditAction.SEARCH,
            organization=scope.organization,
            object_type="patient",
            reason=f"query length {len(query)}; {count} result(s)",
        )


def _searched(scope: Scope, query: str, *, now: datetime | None = None) -> QuerySet[Patient]:
    # The NIK, and the list of recent patients (no query), find only patients in care.
    patients = annotate_care_access(Patient.objects.filter(organization=scope.organization), scope, now=now)
    if query:
        return patients.filter(
            Q(full_name__icontains=query) | Q(mrn__icontains=query) | (Q(nik=query) & in_care_q(scope))
        )
    return patients.filter(in_care_q(scope))


@dataclass(frozen=True)
class PatientHistory:
    """A record's demographic edits (newest first, each with its field changes) and merges."""

    edits: list[PatientEdit]
    # Records merged into this one, newest first.
    merged_in: list[PatientMerge]
    # Where this record went, if it was merged into another.
    merged_out: PatientMerge | None


def patient_history(scope: Scope, patient: Patient) -> PatientHistory:
    """The history of ``patient`` (already fetched through ``access_patient``, whose READ row covers it).

    Three queries whatever the length of the history.
    """
    edits = list(
        PatientEdit.objects.filter(organization=scope.organization, patient=patient)
        .select_related("edited_by")
        .prefetch_related(Prefetch("changes", queryset=PatientFieldChange.objects.order_by("pk")))
        .order_by("-version")
    )
    merges = list(
        PatientMerge.objects.filter(Q(survivor=patient) | Q(merged=patient), organization=scope.organization)
        .select_related("survivor", "merged", "merged_by")
        .order_by("-merged_at", "-pk")
    )
    return PatientHistory(
        edits=edits,
        merged_in=[m for m in merges if m.survivor_id == patient.pk],
        merged_out=next((m for m in merges if m.merged_id == patient.pk), None),
    )


def registration_facilities(scope: Scope) -> list[Facility]:
    """The facilities where the user may register a patient (active ones of their scope)."""
    facilities = Facility.objects.filter(organization=scope.organization, is_active=True).order_by("name")
    if scope.facility_ids is not None:
        facilities = facilities.filter(pk__in=scope.facility_ids)
    return list(facilities)


def patient_by_mrn(scope: Scope, mrn: str) -> Patient | None:
    """The patient of the organization with record number ``mrn`` (one query; the merge page's lookup)."""
    return Patient.objects.filter(organization=scope.organization, mrn=mrn.strip()).first()


@dataclass(frozen=True)
class FormatRow:
    facility: Facility | None
    pattern: str
    example: str


def record_number_formats(scope: Scope) -> list[FormatRow]:
    """The record number format of the organization and of each facility, with an example (two queries)."""
    from nyeri.clinical.record_numbers import DEFAULT_PATTERN, format_number

    by_facility = {f.facility_id: f.pattern for f in RecordNumberFormat.objects.filter(organization=scope.organization)}
    # Only an example of the format (RS-2026-000001): the installation's year will do.
    year = timezone.localdate().year
    default = by_facility.get(None, DEFAULT_PATTERN)
    rows = [FormatRow(None, default, format_number(default, facility_code="RS", year=year, seq=1))]
    for facility in Facility.objects.filter(organization=scope.organization).order_by("name"):
        pattern = by_facility.get(facility.pk, default)
        rows.append(FormatRow(facility, pattern, format_number(pattern, facility_code=facility.code, year=year, seq=1)))
    return rows


def record_number_format_rows(scope: Scope, *, offset: int = 0, limit: int = 50) -> PageRows:
    """One page of ``record_number_formats`` as plain rows (``facility_id``, ``pattern``, ``example``).

    The organization's own format comes first (``facility_id`` null), then the facilities by
    name: the page of facilities is read with its count in one statement, the formats set
    in another, whatever the number of facilities.
    """
    from nyeri.clinical.record_numbers import DEFAULT_PATTERN

    # The organization's own format is keyed None: its facility is empty.
    by_facility: dict[int | None, str] = dict(
        RecordNumberFormat.objects.filter(organization=scope.organization).values_list("facility_id", "pattern")
    )
    year = timezone.localdate().year
    default = by_facility.get(None, DEFAULT_PATTERN)
    rows: list[dict[str, Any]] = []
    if offset == 0:
        rows.append({"facility_id": None, "pattern": default, "example": _example(default, "RS", year)})
    # Position 0 is the organization's row: the facilities' page starts one earlier. Asking
    # for at least one facility keeps the count in the statement on a page of one.
    start = max(0, offset - 1)
    wanted = limit - len(rows)
    facilities = page_of(
        Facility.objects.filter(organization=scope.organization).order_by("name", "pk"),
        ("id", "code"),
        offset=start,
        limit=max(1, wanted),
    )
    for facility in facilities.rows[:wanted]:
        pattern = by_facility.get(facility["id"], default)
        rows.append(
            {"facility_id": facility["id"], "pattern": pattern, "example": _example(pattern, facility["code"], year)}
        )
    return PageRows(facilities.count + 1, rows)


def _example(pattern: str, facility_code: str, year: int) -> str:
    from nyeri.clinical.record_numbers import format_number

    # Only an example of the format (RS-2026-000001): the installation's year will do.
    return format_number(pattern, facility_code=facility_code, year=year, seq=1)


# --- Interoperability (FHIR): the organization's records, limited to the patients in care ----


def organization_patients(scope: Scope) -> QuerySet[Patient]:
    """The organization's patients, care access not yet asked (a read asks it per patient).

    Refuses (audited) a member without a clinical role.
    """
    ensure_clinical_role(scope)
    return Patient.objects.filter(organization=scope.organization)


def patients_in_care(scope: Scope) -> QuerySet[Patient]:
    """The organization's patients the member has care access to (all of them when not facility-limited).

    Refuses (audited) a member without a clinical role. Not audited as a read: the caller
    audits what it returns (one row per search or read).
    """
    patients = organization_patients(scope)
    if scope.facility_ids is None:
        return patients
    return annotate_care_access(patients, scope).filter(in_care_q(scope))


def limit_to_care(scope: Scope, rows: QuerySet[Any], *, patient_field: str = "patient") -> QuerySet[Any]:
    """``rows`` (of the organization) limited to the patients the member has care access to."""
    if scope.facility_ids is None:
        return rows
    return rows.filter(**{f"{patient_field}__in": patients_in_care(scope).values("pk")})
