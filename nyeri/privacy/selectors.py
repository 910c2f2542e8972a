"""Reads of the privacy app: a person's data as an export (audited EXPORT), and the clinic's
personal data requests (scoped to the organization, audited like every read of patient data)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import Model, QuerySet
from django.http import Http404
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from nyeri.accounts.models import User
from nyeri.audit.models import AuditAction, AuditEvent
from nyeri.audit.services import record_event
from nyeri.candidates.models import CandidateProfile
from nyeri.clinical.access import access_patient, ensure_clinical_role
from nyeri.clinical.models import Patient, PatientEdit, PatientFieldChange, PatientMerge
from nyeri.clinical.services import patient_links
from nyeri.lib.rows import PageRows, page_of
from nyeri.privacy.collect import Section, plain, related_sections, section
from nyeri.privacy.models import PatientDataRequest, RequestStatus
from nyeri.workforce.models import Person

if TYPE_CHECKING:
    from nyeri.tenancy.scope import Scope

# The record of processing given with an access (UU 27/2022 art. 32): what was done to the
# record and when, not who did it (another person's data, art. 33).
PROCESSING_FIELDS = ("occurred_at", "action", "object_type", "outcome")


@dataclass(frozen=True)
class Export:
    subject: str  # "patient" or "own"
    title: str
    language: str
    generated_at: datetime
    sections: list[Section] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "subject": self.subject,
            "title": self.title,
            "language": self.language,
            "generated_at": self.generated_at.isoformat(),
            "sections": [{"key": s.key, "title": s.title, "labels": s.labels, "rows": s.rows} for s in self.sections],
        }

    @property
    def row_count(self) -> int:
        return sum(len(s.rows) for s in self.sections)


def _language(language: str) -> str:
    return "id" if language.startswith("id") else "en"


def _processing_section(organization_id: int, patient_id: int) -> Section:
    events = AuditEvent.objects.filter(organization_id=organization_id, patient_id=patient_id).order_by("seq")
    return Section(
        key="audit.processing",
        title=_("Record of processing"),
        labels={
            name: str(getattr(AuditEvent._meta.get_field(name), "verbose_name", name)) for name in PROCESSING_FIELDS
        },
        rows=[{name: plain(value) for name, value in row.items()} for row in events.values(*PROCESSING_FIELDS)],
    )


def patient_export(scope: Scope, patient_id: int, *, language: str, file_format: str) -> Export:
    """Everything Nyeri holds about the patient, for the patient (through the clinic).

    Care access as for opening the record (another organization's patient: 404; audited as
    a read), then one EXPORT audit row. The tables are every table with a foreign key to the
    patient (``patient_links``, as the merge moves them) and, two levels down, the rows
    hanging from those (assessment answers, prescription items, dispenses...).
    """
    patient = access_patient(scope, patient_id, purpose="personal data export")
    language = _language(language)
    with translation.override(language):
        links = patient_links()
        skip: tuple[type[Model], ...] = (Patient, PatientEdit, PatientMerge, *(link.model for link in links))
        sections = [section(Patient, [patient], title=_("Patient"))]
        edits = list(PatientEdit.objects.filter(organization=scope.organization, patient=patient).order_by("pk"))
        if edits:
            sections.append(section(PatientEdit, edits, title=_("Edit history")))
            changes = PatientFieldChange.objects.filter(edit__in=edits).order_by("pk")
            sections.append(section(PatientFieldChange, changes, title=_("Changed fields")))
        for link in links:
            rows = list(link.model._default_manager.filter(**{link.field.attname: patient.pk}).order_by("pk"))
            if not rows:
                continue
            sections.append(section(link.model, rows))
            sections.extend(related_sections(link.model, [r.pk for r in rows], skip=skip))
        sections.append(_processing_section(scope.organization.pk, patient.pk))
        export = Export(
            subject="patient",
            title=_("Personal data of %(name)s (%(mrn)s)") % {"name": patient.full_name, "mrn": patient.mrn},
            language=language,
            generated_at=timezone.now(),
            sections=sections,
        )
    with transaction.atomic():
        record_event(
            actor=scope.user,
            action=AuditAction.EXPORT,
            organization=scope.organization,
            facility=patient.registered_at,
            patient_id=patient.pk,
            object_type="patient_data_export",
            object_id=patient.pk,
            reason=f"{file_format}, {language}; {len(sections)} section(s), {export.row_count} row(s)",
        )
    return export


def own_export(user: User, *, language: str, file_format: str) -> Export:
    """Everything Nyeri holds about ``user`` as a person: the account, a candidate's profile,
    declarations and applications, a staff member's professional records in each of their
    organizations. Audited EXPORT (on the platform chain: it is the person's own data)."""
    language = _language(language)
    with translation.override(language):
        sections = [section(User, [user], title=_("Account"))]
        profile = CandidateProfile.objects.filter(user=user).first()
        if profile is not None:
            sections.append(section(CandidateProfile, [profile]))
            sections.extend(related_sections(CandidateProfile, [profile.pk], apps=("candidates", "hiring")))
        people = list(Person.objects.filter(user=user).order_by("pk"))
        if people:
            sections.append(section(Person, people))
            sections.extend(related_sections(Person, [p.pk for p in people], apps=("workforce",)))
        export = Export(
            subject="own",
            title=_("Personal data of %(name)s") % {"name": str(user)},
            language=language,
            generated_at=timezone.now(),
            sections=sections,
        )
    with transaction.atomic():
        record_event(
            actor=user,
            action=AuditAction.EXPORT,
            object_type="own_data_export",
            object_id=user.pk,
            reason=f"{file_format}, {language}; {len(sections)} section(s), {export.row_count} row(s)",
        )
    return export


def patient_requests(scope: Scope, patient_id: int) -> tuple[Patient, list[PatientDataRequest]]:
    """The patient (care access, audited read) and their personal data requests."""
    patient = access_patient(scope, patient_id, purpose="personal data requests")
    rows = list(
        PatientDataRequest.objects.filter(organization=scope.organization, patient=patient).order_by("-received_at")
    )
    for row in rows:
        # Its times are shown in the zone of the patient's facility: no query per row.
        row.patient = patient
    return patient, rows


REQUEST_COLUMNS = (
    "id",
    "patient_id",
    "kind",
    "status",
    "requested_by",
    "received_at",
    "field",
    "what_is_wrong",
    "should_be",
    "due_at",
    "answered_at",
    "answer",
    "legal_basis",
    "edit_id",
)


def patient_request_rows(scope: Scope, patient_id: int, *, offset: int = 0, limit: int = 50) -> PageRows:
    """``patient_requests`` for a list: the patient opened (care access, audited read), then one
    page of ``REQUEST_COLUMNS``, newest first, with the count in the same statement."""
    patient = access_patient(scope, patient_id, purpose="personal data requests")
    ordered = PatientDataRequest.objects.filter(organization=scope.organization, patient=patient).order_by(
        "-received_at", "-pk"
    )
    return page_of(ordered, REQUEST_COLUMNS, offset=offset, limit=limit)


def open_requests(scope: Scope) -> QuerySet[PatientDataRequest]:
    """The organization's open requests, the most urgent first (audited as a search)."""
    ensure_clinical_role(scope, object_type="personal_data_request")
    with transaction.atomic():
        record_event(
            actor=scope.user,
            action=AuditAction.SEARCH,
            organization=scope.organization,
            object_type="personal_data_request",
            reason="open requests",
        )
    return (
        PatientDataRequest.objects.filter(organization=scope.organization, status=RequestStatus.OPEN)
        .select_related("patient", "patient__registered_at")
        .order_by("due_at", "received_at")
    )


def organization_request(scope: Scope, request_id: int) -> PatientDataRequest:
    """One request of the scope's organization; another organization's is not found."""
    found = (
        PatientDataRequest.objects.select_related("patient")
        .filter(organization=scope.organization, pk=request_id)
        .first()
    )
    if found is None:
        raise Http404("No such request")
    return found
