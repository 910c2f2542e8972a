"""What is served: each resource type, where its rows come from, how it is built and searched.

Rows come from the apps' selectors (scoped to the organization); a search is limited to the
patients the member has care access to; a read of a patient's resource asks care access.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Any, cast

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _
from fhir.resources.R4B.resource import Resource

from nyeri.audit.selectors import organization_audit_events
from nyeri.clinical.assessments.selectors import organization_assessments, organization_scores
from nyeri.clinical.consents.selectors import organization_consents
from nyeri.clinical.diagnoses.selectors import organization_diagnoses
from nyeri.clinical.encounters.selectors import organization_encounters
from nyeri.clinical.models import Patient
from nyeri.clinical.selectors import organization_patients
from nyeri.facilities.selectors import organization_equipment
from nyeri.imaging.selectors import organization_imaging_orders
from nyeri.interop.fhir import (
    audit_event,
    condition,
    consent,
    device,
    encounter,
    healthcare_service,
    location,
    medication_dispense,
    medication_request,
    observation,
    organization,
    patient,
    practitioner,
    practitioner_role,
    procedure,
    questionnaire_response,
    service_request,
    systems,
)
from nyeri.interop.fhir.errors import FhirError
from nyeri.interop.fhir.params import invalid, parse_date, parse_id, parse_logical_id, parse_token
from nyeri.prescriptions.catalogue.kfa import KFA_SYSTEM, medications_with_kfa
from nyeri.prescriptions.selectors import organization_prescription_items
from nyeri.procedures.selectors import organization_performed_procedures, organization_procedure_orders
from nyeri.register.selectors import organization_dispensings
from nyeri.tenancy.scope import Scope
from nyeri.tenancy.selectors import organization_locations, own_organization
from nyeri.workforce.people.selectors import practitioner_roles, practitioners

# A search parameter: (rows, parameter name, raw value) -> filtered rows.
Filter = Callable[[QuerySet[Any], str, str], QuerySet[Any]]


@dataclass(frozen=True)
class Param:
    name: str
    type: str  # FHIR search parameter type, for the CapabilityStatement
    apply: Filter
    documentation: str = ""


@dataclass(frozen=True)
class ResourceType:
    name: str
    # The organization's rows (not yet limited to care access), ready to build.
    rows: Callable[[Scope], QuerySet[Any]]
    build: Callable[[Any], Resource]
    # The same resource as plain JSON values, not validated (the bulk export's fast path;
    # the tests validate what it writes).
    as_json: Callable[[Any], dict[str, Any]]
    order: tuple[str, ...]
    params: dict[str, Param] = field(default_factory=dict)
    # The path from a row to its patient's id ("pk" for Patient itself; None: not patient data).
    patient_field: str | None = None
    # The moments at which a row is written or changes (the bulk export's _since: a row
    # any of them is at or after is exported). Empty: no such record is kept, every row goes.
    changed: tuple[str, ...] = ()
    # The relations the builder reads, when the rows select more (for care access on a read):
    # the bulk export selects only these, as building the unused related rows costs it most
    # of its time. None: the rows as they come.
    builder_selects: tuple[str, ...] | None = None
    # A row's logical id is this prefix and its pk ("": the bare pk).
    id_prefix: str = ""
    # Further tables served as the same resource type, each with its own rows, builder,
    # parameters (the same names) and id prefix: read, search and export take them in turn.
    more: tuple[ResourceType, ...] = ()

    @property
    def parts(self) -> tuple[ResourceType, ...]:
        return (self, *self.more)

    def logical_id(self, row: Any) -> str:
        return f"{self.id_prefix}{row.pk}"

    def part_for_id(self, raw_id: str) -> tuple[ResourceType, int] | None:
        """The part a logical id belongs to and the row's pk; None for an id no part serves."""
        try:
            prefix, pk = parse_logical_id("_id", raw_id, self.name, tuple(p.id_prefix for p in self.parts))
        except FhirError:
            return None
        return next((part, pk) for part in self.parts if part.id_prefix == prefix)

    @property
    def includes_patient(self) -> bool:
        """Whether _include=<Type>:patient applies: the rows point to a patient."""
        return self.patient_field not in (None, "pk")

    @property
    def is_patient_data(self) -> bool:
        return self.patient_field is not None

    def patient_of(self, row: Any) -> Patient:
        """The row's patient (for care access on a read), along ``patient_field``'s path.

        The rows come with the path's relations selected, so this reads no row."""
        assert self.patient_field is not None
        if self.patient_field == "pk":
            return cast(Patient, row)
        *hops, _patient_id = self.patient_field.split("__")
        for hop in hops:
            row = getattr(row, hop)
        return cast(Patient, row.patient)


# --- Filters --------------------------------------------------------------------------------


def by_id(path: str = "pk", resource_type: str = "") -> Filter:
    def apply(rows: QuerySet[Any], name: str, raw: str) -> QuerySet[Any]:
        ids = [parse_id(name, part, resource_type or "?") for part in raw.split(",")]
        return rows.filter(**{f"{path}__in": ids})

    return apply


def by_logical_id(resource_type: str, prefix: str, prefixes: tuple[str, ...]) -> Filter:
    """``_id`` of one part of a type served from several tables: the ids with the part's prefix
    (the others are another part's; an id of no part is refused)."""

    def apply(rows: QuerySet[Any], name: str, raw: str) -> QuerySet[Any]:
        pks = []
        for part in raw.split(","):
            found_prefix, pk = parse_logical_id(name, part, resource_type, prefixes)
            if found_prefix == prefix:
                pks.append(pk)
        return rows.filter(pk__in=pks)

    return apply


def by_patient(path: str) -> Filter:
    def apply(rows: QuerySet[Any], name: str, raw: str) -> QuerySet[Any]:
        ids = [parse_id(name, part, "Patient") for part in raw.split(",")]
        return rows.filter(**{f"{path}__in": ids})

    return apply


def by_date(path: str, *, date_column: bool = False, distinct: bool = False) -> Filter:
    """``distinct``: ``path`` crosses a to-many relation (each row once)."""

    def apply(rows: QuerySet[Any], name: str, raw: str) -> QuerySet[Any]:
        found = parse_date(name, raw)
        rows = rows.filter(found.q_date(path) if date_column else found.q(path))
        return rows.distinct() if distinct else rows

    return apply


def by_choice(path: str, mapping: dict[str, str]) -> Filter:
    """A token mapped to the stored value (``mapping``: FHIR code -> stored value)."""

    def apply(rows: QuerySet[Any], name: str, raw: str) -> QuerySet[Any]:
        values = []
        for part in raw.split(","):
            _system, code = parse_token(part)
            if code not in mapping:
                raise invalid(name, raw)
            values.append(mapping[code])
        return rows.filter(**{f"{path}__in": values})

    return apply


def by_statuses(mapping: dict[str, list[str]], valid: Collection[str] | None = None) -> Filter:
    """A status token mapped to the stored statuses (``mapping``: FHIR code -> stored values).
    ``valid``: the codes accepted (default the mapping's); one outside the mapping finds nothing."""
    accepted = mapping.keys() if valid is None else valid

    def apply(rows: QuerySet[Any], name: str, raw: str) -> QuerySet[Any]:
        wanted: list[str] = []
        for part in raw.split(","):
            _system, code = parse_token(part)
            if code not in accepted:
                raise invalid(name, raw)
            wanted += mapping.get(code, [])
        return rows.filter(status__in=wanted)

    return apply


def by_text(*paths: str) -> Filter:
    def apply(rows: QuerySet[Any], name: str, raw: str) -> QuerySet[Any]:
        q = Q()
        for path in paths:
            q |= Q(**{f"{path}__icontains": raw.strip()})
        return rows.filter(q)

    return apply


def _patient_identifier(rows: QuerySet[Any], name: str, raw: str) -> QuerySet[Any]:
    system, value = parse_token(raw)
    if not value:
        raise invalid(name, raw)
    if system == systems.NIK:
        return rows.filter(nik=value)
    if system == systems.IHS_NUMBER:
        return rows.filter(ihs_number=value)
    if system is None or system == "":
        return rows.filter(Q(nik=value) | Q(ihs_number=value) | Q(mrn=value))
    if system.startswith(systems.MRN + "/"):
        return rows.filter(mrn=value, organization_id=system.rsplit("/", 1)[-1] or 0)
    return rows.none()


def _observation_code(rows: QuerySet[Any], name: str, raw: str) -> QuerySet[Any]:
    q = Q()
    for part in raw.split(","):
        system, code = parse_token(part)
        if not code:
            raise invalid(name, raw)
        if system in (None, systems.LOINC):
            pairs = observation.scores_with_loinc(code)
            for instrument_code, score_code in pairs:
                q |= Q(assessment__instrument_code=instrument_code, score_code=score_code)
        if system in (None, systems.INSTRUMENT_SCORE):
            instrument_code, _dot, score_code = code.partition(".")
            if score_code:
                q |= Q(assessment__instrument_code=instrument_code, score_code=score_code)
    return rows.filter(q) if q else rows.none()


def _condition_code(rows: QuerySet[Any], name: str, raw: str) -> QuerySet[Any]:
    q = Q()
    for part in raw.split(","):
        system, code = parse_token(part)
        if not code:
            raise invalid(name, raw)
        if system in (None, systems.ICD10):
            q |= Q(icd10_code__iexact=code)
        if system in (None, systems.ICD11):
            q |= Q(icd11_category__iexact=code)
    return rows.filter(q) if q else rows.none()


def _procedure_code(rows: QuerySet[Any], name: str, raw: str) -> QuerySet[Any]:
    q = Q()
    for part in raw.split(","):
        system, code = parse_token(part)
        if not code:
            raise invalid(name, raw)
        if system in (None, procedure.ICD9CM):
            q |= Q(procedure_code__in=procedure.codes_for_icd9cm(code))
        if system in (None, f"{systems.BASE}/CodeSystem/procedure"):
            q |= Q(procedure_code=code)
    return rows.filter(q) if q else rows.none()


def _medication_code(rows: QuerySet[Any], name: str, raw: str) -> QuerySet[Any]:
    q = Q()
    for part in raw.split(","):
        system, code = parse_token(part)
        if not code:
            raise invalid(name, raw)
        if system in (None, medication_request.ATC):
            q |= Q(atc=code)
        if system in (None, medication_request.MEDICATION):
            q |= Q(medication_code=code)
        if system in (None, KFA_SYSTEM):
            q |= Q(medication_code__in=medications_with_kfa(code))
    return rows.filter(q) if q else rows.none()


def _modality(rows: QuerySet[Any], name: str, raw: str) -> QuerySet[Any]:
    by_code = {v: k for k, v in service_request.MODALITY.items()}
    wanted = []
    for part in raw.split(","):
        system, code = parse_token(part)
        if not code:
            raise invalid(name, raw)
        if code in by_code and system in (None, service_request.DICOM):
            wanted.append(by_code[code])
    return rows.filter(modality__in=wanted)


def _role(rows: QuerySet[Any], name: str, raw: str) -> QuerySet[Any]:
    codes = [parse_token(part)[1] for part in raw.split(",")]
    if not all(codes):
        raise invalid(name, raw)
    return rows.filter(person__roles__role__in=codes).distinct()


def _questionnaire(rows: QuerySet[Any], name: str, raw: str) -> QuerySet[Any]:
    url, _bar, version = raw.partition("|")
    prefix = questionnaire_response.QUESTIONNAIRE + "/"
    code = url.removeprefix(prefix) if url.startswith(prefix) else url
    if not code or "/" in code:
        raise invalid(name, raw)
    rows = rows.filter(instrument_code=code)
    return rows.filter(instrument_version=version) if version else rows


def _questionnaire_status(rows: QuerySet[Any], name: str, raw: str) -> QuerySet[Any]:
    mapping = {"completed": "current", "entered-in-error": "entered_in_error"}
    wanted = []
    for part in raw.split(","):
        _system, code = parse_token(part)
        if code not in mapping:
            raise invalid(name, raw)
        wanted.append(mapping[code])
    return rows.filter(status__in=wanted)


def _equipment_kind(rows: QuerySet[Any], name: str, raw: str) -> QuerySet[Any]:
    codes = [parse_token(part)[1] for part in raw.split(",")]
    if not all(codes):
        raise invalid(name, raw)
    return rows.filter(kind__in=codes)


def _audit_action(rows: QuerySet[Any], name: str, raw: str) -> QuerySet[Any]:
    codes = [parse_token(part)[1] for part in raw.split(",")]
    if not all(codes):
        raise invalid(name, raw)
    return rows.filter(action__in=codes)


def _audit_outcome(rows: QuerySet[Any], name: str, raw: str) -> QuerySet[Any]:
    # FHIR's outcome codes (0 success, 4 minor failure: not found, 8 serious failure: a
    # failure or a refusal); "4,8" is the audit report's denied attempts, failures included.
    outcomes: list[str] = []
    for part in raw.split(","):
        found = [ours for ours, code in audit_event.OUTCOME.items() if code == parse_token(part)[1]]
        if not found:
            raise invalid(name, raw)
        outcomes.extend(found)
    return rows.filter(outcome__in=outcomes)


OBSERVATION_STATUS = {"final": "final", "amended": "amended", "entered-in-error": "entered-in-error"}


def _observation_status(rows: QuerySet[Any], name: str, raw: str) -> QuerySet[Any]:
    q = Q()
    for part in raw.split(","):
        _system, code = parse_token(part)
        if code == "final":
            q |= Q(assessment__status="current", assessment__amends__isnull=True)
        elif code == "amended":
            q |= Q(assessment__status="current", assessment__amends__isnull=False)
        elif code == "entered-in-error":
            q |= Q(assessment__status="entered_in_error")
        else:
            raise invalid(name, raw)
    return rows.filter(q)


def _condition_clinical_status(rows: QuerySet[Any], name: str, raw: str) -> QuerySet[Any]:
    q = Q()
    for part in raw.split(","):
        _system, code = parse_token(part)
        if code not in ("active", "resolved"):
            raise invalid(name, raw)
        q |= Q(clinical_status=code)
    return rows.filter(q).exclude(record_status="entered_in_error")


def _gender(rows: QuerySet[Any], name: str, raw: str) -> QuerySet[Any]:
    mapping = {"male": "male", "female": "female"}
    if raw not in mapping:
        raise invalid(name, raw)
    return rows.filter(sex=mapping[raw])


def _facilities(scope: Scope) -> QuerySet[Any]:
    """The organization's facilities with the organization (its jurisdiction chooses the policy pack)."""
    return organization_locations(scope).select_related("organization")


def _service_type(rows: QuerySet[Any], name: str, raw: str) -> QuerySet[Any]:
    """The facilities offering one of the services: evaluated per facility (the organization has few)."""
    wanted = set()
    for part in raw.split(","):
        system, code = parse_token(part)
        if not code:
            raise invalid(name, raw)
        if system in (None, healthcare_service.SERVICE):
            wanted.add(code)
    ids = [facility.pk for facility in rows if healthcare_service.offered_codes(facility) & wanted]
    return rows.filter(pk__in=ids)


def _active(rows: QuerySet[Any], name: str, raw: str) -> QuerySet[Any]:
    if raw not in ("true", "false"):
        raise invalid(name, raw)
    return rows.filter(is_active=raw == "true")


def _location_status(rows: QuerySet[Any], name: str, raw: str) -> QuerySet[Any]:
    if raw not in ("active", "inactive"):
        raise invalid(name, raw)
    return rows.filter(is_active=raw == "active")


# --- The resource types ---------------------------------------------------------------------


def _params(*params: Param) -> dict[str, Param]:
    return {p.name: p for p in params}


def _patient(path: str) -> tuple[Param, Param]:
    """``patient`` and its synonym ``subject``: both search by the patient at ``path``."""
    by = by_patient(path)
    return Param("patient", "reference", by, "Patient/<id>."), Param("subject", "reference", by, "Patient/<id>.")


def _id(resource_type: str) -> Param:
    return Param("_id", "token", by_id("pk", resource_type), "The logical id.")


def _service_request_id(prefix: str) -> Param:
    prefixes = ("", service_request.PROCEDURE_PREFIX)
    return Param("_id", "token", by_logical_id("ServiceRequest", prefix, prefixes), "The logical id.")


RESOURCE_TYPES: dict[str, ResourceType] = {
    "Patient": ResourceType(
        name="Patient",
        rows=organization_patients,
        build=patient.build,
        as_json=patient.as_json,
        order=("pk",),
        params=_params(
            _id("Patient"),
            Param("identifier", "token", _patient_identifier, "NIK, IHS number or record number (system|value)."),
            Param("name", "string", by_text("full_name"), "Part of the name."),
            Param("birthdate", "date", by_date("birth_date", date_column=True)),
            Param("gender", "token", _gender),
        ),
        patient_field="pk",
        changed=("created_at", "merged_at"),
    ),
    "Organization": ResourceType(
        name="Organization",
        rows=own_organization,
        build=organization.build,
        as_json=organization.as_json,
        order=("pk",),
        params=_params(_id("Organization"), Param("name", "string", by_text("name"))),
    ),
    "Location": ResourceType(
        name="Location",
        rows=organization_locations,
        build=location.build,
        as_json=location.as_json,
        order=("pk",),
        params=_params(
            _id("Location"),
            Param("name", "string", by_text("name")),
            Param("status", "token", _location_status),
        ),
    ),
    "HealthcareService": ResourceType(
        name="HealthcareService",
        rows=_facilities,
        build=healthcare_service.build,
        as_json=healthcare_service.as_json,
        order=("pk",),
        params=_params(
            _id("HealthcareService"),
            Param("location", "reference", by_id("pk", "Location"), "Location/<id>."),
            Param("active", "token", _active, "true, false."),
            Param("service-type", "token", _service_type, "A Nyeri service code (the facility offers it now)."),
        ),
    ),
    "Practitioner": ResourceType(
        name="Practitioner",
        rows=practitioners,
        build=practitioner.build,
        as_json=practitioner.as_json,
        order=("pk",),
        params=_params(_id("Practitioner"), Param("name", "string", by_text("full_name"))),
    ),
    "Encounter": ResourceType(
        name="Encounter",
        rows=organization_encounters,
        build=encounter.build,
        as_json=encounter.as_json,
        order=("starts_at", "pk"),
        params=_params(
            _id("Encounter"),
            *_patient("patient_id"),
            Param("date", "date", by_date("starts_at"), "The start of the visit (prefixes ge, le, gt, lt, eq)."),
            Param("status", "token", by_choice("status", encounter.STATUS_FROM_FHIR)),
            Param("location", "reference", by_id("facility_id", "Location")),
        ),
        patient_field="patient_id",
        changed=("created_at", "cancelled_at"),
    ),
    "Observation": ResourceType(
        name="Observation",
        rows=organization_scores,
        build=observation.build,
        as_json=observation.as_json,
        order=("assessment__recorded_at", "pk"),
        params=_params(
            _id("Observation"),
            *_patient("assessment__patient_id"),
            Param("date", "date", by_date("assessment__recorded_at"), "When the patient was assessed."),
            Param("code", "token", _observation_code, "LOINC (72514-3 for the NRS) or <instrument>.<score>."),
            Param("status", "token", _observation_status, "final, amended, entered-in-error."),
            Param("encounter", "reference", by_id("assessment__encounter_id", "Encounter")),
        ),
        patient_field="assessment__patient_id",
        changed=("assessment__created_at", "assessment__entered_in_error_at"),
        builder_selects=("assessment",),
    ),
    "Condition": ResourceType(
        name="Condition",
        rows=organization_diagnoses,
        build=condition.build,
        as_json=condition.as_json,
        order=("recorded_at", "pk"),
        params=_params(
            _id("Condition"),
            *_patient("patient_id"),
            Param("code", "token", _condition_code, "ICD-10 code or ICD-11 MG30 category."),
            Param("clinical-status", "token", _condition_clinical_status, "active, resolved."),
            Param("recorded-date", "date", by_date("recorded_at")),
            Param("onset-date", "date", by_date("onset_date", date_column=True)),
        ),
        patient_field="patient_id",
        changed=("recorded_at",),
    ),
    "Procedure": ResourceType(
        name="Procedure",
        rows=organization_performed_procedures,
        build=procedure.build,
        as_json=procedure.as_json,
        order=("pk",),
        params=_params(
            _id("Procedure"),
            *_patient("patient_id"),
            Param("date", "date", by_date("performances__performed_at", distinct=True), "When it was performed."),
            Param("code", "token", _procedure_code, "ICD-9-CM code or Nyeri procedure code."),
            Param("status", "token", by_choice("status", procedure.STATUS_FROM_FHIR), "completed, entered-in-error."),
        ),
        patient_field="patient_id",
        changed=("ordered_at", "cancelled_at", "entered_in_error_at", "performances__recorded_at"),
    ),
    "MedicationRequest": ResourceType(
        name="MedicationRequest",
        rows=organization_prescription_items,
        build=medication_request.build,
        as_json=medication_request.as_json,
        order=("prescription__created_at", "pk"),
        params=_params(
            _id("MedicationRequest"),
            *_patient("prescription__patient_id"),
            Param("authoredon", "date", by_date("prescription__signed_at"), "When it was signed."),
            Param("code", "token", _medication_code, "KFA code, ATC code or Nyeri medication code."),
            Param("status", "token", by_choice("prescription__status", medication_request.STATUS_FROM_FHIR)),
        ),
        patient_field="prescription__patient_id",
        changed=("prescription__created_at", "prescription__signed_at", "prescription__cancelled_at"),
    ),
    "ServiceRequest": ResourceType(
        name="ServiceRequest",
        rows=organization_imaging_orders,
        build=service_request.build,
        as_json=service_request.as_json,
        order=("ordered_at", "pk"),
        params=_params(
            _service_request_id(""),
            *_patient("patient_id"),
            Param("authored", "date", by_date("ordered_at"), "When it was ordered."),
            Param(
                "code",
                "token",
                _modality,
                "An imaging order's DICOM modality (DX, RF, US, CT, MR); "
                "a procedure order's ICD-9-CM or Nyeri procedure code.",
            ),
            Param(
                "status",
                "token",
                # Any request-status code: one kind of order may have it and not the other.
                by_statuses(service_request.STATUS_FROM_FHIR, service_request.REQUEST_STATUSES),
                "active, completed, revoked, entered-in-error.",
            ),
        ),
        patient_field="patient_id",
        changed=("ordered_at", "cancelled_at"),
        # Procedure orders (ids procedure-<pk>) after the imaging orders (bare numbers).
        more=(
            ResourceType(
                name="ServiceRequest",
                rows=organization_procedure_orders,
                build=service_request.build_procedure,
                as_json=service_request.procedure_as_json,
                order=("ordered_at", "pk"),
                params=_params(
                    _service_request_id(service_request.PROCEDURE_PREFIX),
                    *_patient("patient_id"),
                    Param("authored", "date", by_date("ordered_at")),
                    Param("code", "token", _procedure_code),
                    Param(
                        "status",
                        "token",
                        by_statuses(service_request.PROCEDURE_STATUS_FROM_FHIR, service_request.REQUEST_STATUSES),
                    ),
                ),
                patient_field="patient_id",
                changed=(
                    "ordered_at",
                    "scheduled_at",
                    "cancelled_at",
                    "entered_in_error_at",
                    "performances__recorded_at",
                    "referrals__sent_at",
                    "referrals__completed_at",
                ),
                id_prefix=service_request.PROCEDURE_PREFIX,
            ),
        ),
    ),
    "PractitionerRole": ResourceType(
        name="PractitionerRole",
        rows=practitioner_roles,
        build=practitioner_role.build,
        as_json=practitioner_role.as_json,
        order=("pk",),
        params=_params(
            _id("PractitionerRole"),
            Param("practitioner", "reference", by_id("person_id", "Practitioner"), "Practitioner/<id>."),
            Param("location", "reference", by_id("facility_id", "Location"), "Location/<id>."),
            Param("role", "token", _role, "A Nyeri role code."),
        ),
    ),
    "Consent": ResourceType(
        name="Consent",
        rows=organization_consents,
        build=consent.build,
        as_json=consent.as_json,
        order=("given_at", "pk"),
        params=_params(
            _id("Consent"),
            Param("patient", "reference", by_patient("patient_id"), "Patient/<id>."),
            Param("date", "date", by_date("given_at"), "When it was given."),
            Param("status", "token", by_choice("status", consent.STATUS_FROM_FHIR), "active, inactive."),
        ),
        patient_field="patient_id",
        changed=("created_at", "withdrawn_at"),
    ),
    "QuestionnaireResponse": ResourceType(
        name="QuestionnaireResponse",
        rows=organization_assessments,
        build=questionnaire_response.build,
        as_json=questionnaire_response.as_json,
        order=("recorded_at", "pk"),
        params=_params(
            _id("QuestionnaireResponse"),
            *_patient("patient_id"),
            Param("authored", "date", by_date("recorded_at"), "When the patient was assessed."),
            Param("questionnaire", "reference", _questionnaire, "<base>/Questionnaire/<instrument>[|version]."),
            Param("status", "token", _questionnaire_status, "completed, entered-in-error."),
        ),
        patient_field="patient_id",
        changed=("created_at", "entered_in_error_at"),
    ),
    "Device": ResourceType(
        name="Device",
        rows=organization_equipment,
        build=device.build,
        as_json=device.as_json,
        order=("pk",),
        params=_params(
            _id("Device"),
            Param("location", "reference", by_id("facility_id", "Location"), "Location/<id>."),
            Param("type", "token", _equipment_kind, "c_arm, ultrasound, ct, mri, xray."),
            Param("status", "token", by_statuses(device.STATUS_FROM_FHIR), "active, inactive."),
        ),
        changed=("added_at", "status_changed_at"),
    ),
    "AuditEvent": ResourceType(
        name="AuditEvent",
        rows=organization_audit_events,
        build=audit_event.build,
        as_json=audit_event.as_json,
        order=("occurred_at", "pk"),
        params=_params(
            _id("AuditEvent"),
            Param("patient", "reference", by_patient("patient_id"), "Patient/<id>."),
            Param("date", "date", by_date("occurred_at"), "When it happened."),
            Param("subtype", "token", _audit_action, "A Nyeri audit action (read, search, create...)."),
            Param("outcome", "token", _audit_outcome, "0 success, 4 not found, 8 failure or refusal."),
        ),
        changed=("occurred_at",),
    ),
    "MedicationDispense": ResourceType(
        name="MedicationDispense",
        rows=organization_dispensings,
        build=medication_dispense.build,
        as_json=medication_dispense.as_json,
        order=("occurred_at", "pk"),
        params=_params(
            _id("MedicationDispense"),
            *_patient("patient_id"),
            Param("whenhandedover", "date", by_date("occurred_at"), "When it was handed over."),
            Param("prescription", "reference", by_id("prescription_item_id", "MedicationRequest")),
        ),
        patient_field="patient_id",
        changed=("recorded_at",),
    ),
}


def resource_type(name: str) -> ResourceType:
    found = RESOURCE_TYPES.get(name)
    if found is None:
        raise FhirError(404, "not-supported", _("The resource type %(name)s is not served here.") % {"name": name})
    return found
