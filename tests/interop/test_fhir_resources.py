"""Every resource served validates against the R4B models, with the identifiers and codes of the mapping."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.capabilitystatement import CapabilityStatement
from fhir.resources.R4B.condition import Condition
from fhir.resources.R4B.consent import Consent
from fhir.resources.R4B.device import Device
from fhir.resources.R4B.encounter import Encounter
from fhir.resources.R4B.location import Location
from fhir.resources.R4B.medicationdispense import MedicationDispense
from fhir.resources.R4B.medicationrequest import MedicationRequest
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.organization import Organization
from fhir.resources.R4B.patient import Patient
from fhir.resources.R4B.practitioner import Practitioner
from fhir.resources.R4B.practitionerrole import PractitionerRole
from fhir.resources.R4B.procedure import Procedure
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse
from fhir.resources.R4B.servicerequest import ServiceRequest

from nyeri.accounts.services import create_api_token
from nyeri.clinical.models import AssessmentAnswer, PatientConsent
from nyeri.facilities.models import Equipment
from nyeri.register.models import Movement, StockBalance
from nyeri.tenancy.roles import Role
from nyeri.workforce.models import PersonFacility
from tests.conftest import MakeMember
from tests.interop.conftest import (
    NIK,
    Clinic,
    at,
    bearer,
    make_imaging_order,
    make_prescription,
    make_procedure,
)

pytestmark = pytest.mark.django_db

BASE = "/fhir/R4"


def get(client: Client, path: str, status: int = 200) -> dict[str, Any]:
    response = client.get(BASE + path)
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/fhir+json")
    return json.loads(response.content)


@pytest.mark.parametrize(
    ("model", "path"),
    [
        (Patient, "/Patient/{patient}"),
        (Organization, "/Organization/{org}"),
        (Location, "/Location/{facility}"),
        (Practitioner, "/Practitioner/{person}"),
        (Encounter, "/Encounter/{encounter}"),
        (Observation, "/Observation/{nrs}"),
        (Observation, "/Observation/{odi}"),
        (Condition, "/Condition/{diagnosis}"),
    ],
)
def test_each_resource_read_round_trips_through_the_r4b_model(
    fhir: Client, clinic: Clinic, model: type[Any], path: str
) -> None:
    ids = {
        "patient": clinic.patient.pk,
        "org": clinic.org.pk,
        "facility": clinic.facility.pk,
        "person": clinic.person.pk,
        "encounter": clinic.encounter.pk,
        "nrs": clinic.nrs.pk,
        "odi": clinic.odi.pk,
        "diagnosis": clinic.diagnosis.pk,
    }
    data = get(fhir, path.format(**ids))
    parsed = model.model_validate(data)
    assert parsed.get_resource_type() == model.__name__
    assert json.loads(parsed.model_dump_json(exclude_none=True)) == data


def test_the_patient_carries_the_nik_in_the_satusehat_identifier_system(fhir: Client, clinic: Clinic) -> None:
    data = get(fhir, f"/Patient/{clinic.patient.pk}")
    nik = [i for i in data["identifier"] if i["system"] == "https://fhir.kemkes.go.id/id/nik"]
    assert [i["value"] for i in nik] == [NIK]
    assert data["gender"] == "male"
    assert data["birthDate"] == "1970-01-01"
    assert data["managingOrganization"] == {"reference": f"Organization/{clinic.org.pk}"}


def test_the_nrs_is_an_observation_coded_loinc_72514_3_with_an_integer_and_a_body_site(
    fhir: Client, clinic: Clinic
) -> None:
    data = get(fhir, f"/Observation/{clinic.nrs.pk}")
    assert {"system": "http://loinc.org", "code": "72514-3"} in data["code"]["coding"]
    assert data["valueInteger"] == 7
    assert data["status"] == "final"
    assert data["subject"] == {"reference": f"Patient/{clinic.patient.pk}"}
    assert data["encounter"] == {"reference": f"Encounter/{clinic.encounter.pk}"}
    assert data["bodySite"]["coding"][0]["code"] == "lower_back"
    assert data["effectiveDateTime"] == "2026-11-03T10:00:00+07:00"


def test_another_instruments_score_is_an_observation_with_the_instruments_code_and_a_quantity(
    fhir: Client, clinic: Clinic
) -> None:
    data = get(fhir, f"/Observation/{clinic.odi.pk}")
    codes = {(c["system"], c["code"]) for c in data["code"]["coding"]}
    assert ("https://nyeri.id/fhir/CodeSystem/instrument-score", "odi.index") in codes
    assert data["valueQuantity"]["value"] == 42.5


def test_the_condition_is_coded_in_icd_10_and_in_the_icd_11_mg30_category(fhir: Client, clinic: Clinic) -> None:
    data = get(fhir, f"/Condition/{clinic.diagnosis.pk}")
    codes = {(c["system"], c["code"]) for c in data["code"]["coding"]}
    assert codes == {("http://hl7.org/fhir/sid/icd-10", "M54.5"), ("http://id.who.int/icd/release/11/mms", "MG30.3")}
    assert data["clinicalStatus"]["coding"][0]["code"] == "active"
    assert data["bodySite"][0]["coding"][0]["code"] == "lower_back"
    assert data["onsetDateTime"] == "2025-06-01"


def test_the_practitioner_lists_only_verified_str_and_sip_as_qualifications(fhir: Client, clinic: Clinic) -> None:
    data = get(fhir, f"/Practitioner/{clinic.person.pk}")
    qualifications = data["qualification"]
    assert [q["code"]["coding"][0]["code"] for q in qualifications] == ["SIP", "STR"]
    sip = qualifications[0]
    assert sip["identifier"][0]["value"] == "SIP-456"
    assert sip["period"] == {"start": "2024-02-01", "end": "2029-02-01"}
    assert sip["issuer"] == {"display": "DPMPTSP Kota Bandung"}


def test_the_encounter_names_its_patient_location_and_status(fhir: Client, clinic: Clinic) -> None:
    data = get(fhir, f"/Encounter/{clinic.encounter.pk}")
    assert data["status"] == "finished"
    assert data["class"]["code"] == "AMB"
    assert data["location"][0]["location"] == {"reference": f"Location/{clinic.facility.pk}"}


def test_the_capability_statement_lists_exactly_the_served_resources(client: Client) -> None:
    data = get(client, "/metadata")
    statement = CapabilityStatement.model_validate(data)
    assert statement.fhirVersion == "4.0.1"
    served = {r["type"] for r in data["rest"][0]["resource"]}
    assert served == {
        "Patient",
        "Organization",
        "Location",
        "HealthcareService",
        "Practitioner",
        "Encounter",
        "Observation",
        "Condition",
        "Procedure",
        "MedicationRequest",
        "ServiceRequest",
        "PractitionerRole",
        "Consent",
        "QuestionnaireResponse",
        "Device",
        "AuditEvent",
        "MedicationDispense",
    }
    # The bulk export, at the system level and for the patients.
    assert [o["name"] for o in data["rest"][0]["operation"]] == ["export"]
    patient = next(r for r in data["rest"][0]["resource"] if r["type"] == "Patient")
    assert [o["name"] for o in patient["operation"]] == ["export"]


def test_a_search_answer_is_a_valid_searchset_bundle(fhir: Client, clinic: Clinic) -> None:
    data = get(fhir, "/Observation")
    bundle = Bundle.model_validate(data)
    assert bundle.type == "searchset"
    assert bundle.total == 2


def test_a_performed_procedure_carries_icd_9_cm_body_site_performers_and_guidance(fhir: Client, clinic: Clinic) -> None:
    record = make_procedure(clinic)
    data = get(fhir, f"/Procedure/{record.pk}")
    Procedure.model_validate(data)
    assert data["status"] == "completed"
    assert {k: v for k, v in data["code"]["coding"][0].items() if k != "display"} == {
        "system": "http://hl7.org/fhir/sid/icd-9-cm",
        "code": "03.92",
    }
    assert [c["code"] for c in data["bodySite"][0]["coding"]] == ["lower_back", "left"]
    assert data["performer"][0]["actor"] == {"reference": f"Practitioner/{clinic.person.pk}"}
    assert data["performer"][0]["function"]["coding"][0]["code"] == "304292004"
    assert data["usedCode"][0]["coding"][0]["code"] == "fluoroscopy"
    bundle = get(fhir, f"/Procedure?patient={clinic.patient.pk}&code=03.92&date=ge2026-11-01")
    assert bundle["total"] == 1


def test_a_prescription_line_is_a_medication_request_with_atc_dose_and_supply(fhir: Client, clinic: Clinic) -> None:
    item = make_prescription(clinic)
    data = get(fhir, f"/MedicationRequest/{item.pk}")
    MedicationRequest.model_validate(data)
    assert data["status"] == "active"
    assert data["intent"] == "order"
    assert {"system": "http://www.whocc.no/atc", "code": "N02BE01"} in data["medicationCodeableConcept"]["coding"]
    assert data["requester"] == {"reference": f"Practitioner/{clinic.person.pk}"}
    assert data["dosageInstruction"][0]["timing"]["repeat"] == {"frequency": 3, "period": 1.0, "periodUnit": "d"}
    assert data["dispenseRequest"]["quantity"]["value"] == 30
    bundle = get(fhir, f"/MedicationRequest?patient={clinic.patient.pk}&status=active&code=N02BE01")
    assert bundle["total"] == 1


def test_an_imaging_order_is_a_service_request_with_a_dicom_modality(fhir: Client, clinic: Clinic) -> None:
    order = make_imaging_order(clinic)
    data = get(fhir, f"/ServiceRequest/{order.pk}")
    ServiceRequest.model_validate(data)
    assert data["status"] == "active"
    assert data["code"]["coding"][0] == {"system": "http://dicom.nema.org/resources/ontology/DCM", "code": "MR"}
    assert data["reasonCode"] == [{"text": "Disc herniation L4-L5?"}]
    assert data["locationReference"] == [{"reference": f"Location/{clinic.facility.pk}"}]
    assert get(fhir, f"/ServiceRequest?patient={clinic.patient.pk}&code=MR&status=active")["total"] == 1
    assert get(fhir, "/ServiceRequest?code=CT")["total"] == 0


def test_a_persons_work_at_a_facility_is_a_practitioner_role_with_their_roles(fhir: Client, clinic: Clinic) -> None:
    link = PersonFacility.objects.get(person=clinic.person)
    data = get(fhir, f"/PractitionerRole/{link.pk}")
    PractitionerRole.model_validate(data)
    assert data["practitioner"] == {"reference": f"Practitioner/{clinic.person.pk}"}
    assert data["location"] == [{"reference": f"Location/{clinic.facility.pk}"}]
    assert data["code"][0]["coding"][0]["code"] == "pain_physician"
    assert (
        get(fhir, f"/PractitionerRole?practitioner=Practitioner/{clinic.person.pk}&role=pain_physician")["total"] == 1
    )


def test_a_consent_record_is_a_consent_active_until_withdrawn(fhir: Client, clinic: Clinic) -> None:
    consent = PatientConsent.objects.create(
        organization=clinic.org,
        patient=clinic.patient,
        kind="data_processing",
        given_at=at(3, 9),
        how="signed_form",
        facility=clinic.facility,
        recorded_by=clinic.user,
    )
    data = get(fhir, f"/Consent/{consent.pk}")
    Consent.model_validate(data)
    assert data["status"] == "active"
    assert data["scope"]["coding"][0]["code"] == "patient-privacy"
    assert data["patient"] == {"reference": f"Patient/{clinic.patient.pk}"}
    assert get(fhir, f"/Consent?patient={clinic.patient.pk}&status=active")["total"] == 1
    assert get(fhir, "/Consent?status=inactive")["total"] == 0


def test_an_assessments_answers_are_a_questionnaire_response(fhir: Client, clinic: Clinic) -> None:
    assessment = clinic.nrs.assessment
    AssessmentAnswer.objects.create(organization=clinic.org, assessment=assessment, item_code="intensity", value=7)
    data = get(fhir, f"/QuestionnaireResponse/{assessment.pk}")
    QuestionnaireResponse.model_validate(data)
    assert data["questionnaire"] == "https://nyeri.id/fhir/Questionnaire/nrs|2026.11-1"
    assert data["status"] == "completed"
    assert data["item"] == [{"linkId": "intensity", "answer": [{"valueInteger": 7}]}]
    assert data["encounter"] == {"reference": f"Encounter/{clinic.encounter.pk}"}
    found = get(fhir, f"/QuestionnaireResponse?patient={clinic.patient.pk}&questionnaire=nrs&authored=2026-11-03")
    assert [e["resource"]["id"] for e in found["entry"]] == [str(assessment.pk)]


def test_a_unit_of_equipment_is_a_device_owned_by_the_organization_at_its_facility(
    fhir: Client, clinic: Clinic
) -> None:
    unit = Equipment.objects.create(
        organization=clinic.org,
        facility=clinic.facility,
        kind="c_arm",
        model_name="Siemens Cios Spin",
        serial_number="CS-1",
        status="in_service",
        status_changed_at=at(1),
    )
    data = get(fhir, f"/Device/{unit.pk}")
    Device.model_validate(data)
    assert data["status"] == "active"
    assert data["type"]["coding"][0]["code"] == "c_arm"
    assert data["owner"] == {"reference": f"Organization/{clinic.org.pk}"}
    assert data["location"] == {"reference": f"Location/{clinic.facility.pk}"}
    assert get(fhir, "/Device?type=c_arm&status=active")["total"] == 1
    assert get(fhir, "/Device?status=inactive")["total"] == 0


def test_a_dispensing_is_a_medication_dispense_against_its_prescription_line(fhir: Client, clinic: Clinic) -> None:
    item = make_prescription(clinic)
    product = StockBalance.objects.create(
        organization=clinic.org,
        facility=clinic.facility,
        medication_code=item.medication_code,
        label_en=item.label_en,
        label_id=item.label_id,
        strength=item.strength,
        strength_unit=item.strength_unit,
        dose_unit=item.dose_unit,
        controlled_class="narkotika_II",
        quantity=70,
    )
    dispensing = Movement.objects.create(
        organization=clinic.org,
        facility=clinic.facility,
        balance=product,
        kind="dispensing",
        quantity=30,
        delta=-30,
        balance_after=70,
        occurred_at=at(3, 13),
        recorded_by=clinic.user,
        prescription=item.prescription,
        prescription_item=item,
        patient=clinic.patient,
    )
    data = get(fhir, f"/MedicationDispense/{dispensing.pk}")
    MedicationDispense.model_validate(data)
    assert data["status"] == "completed"
    assert data["authorizingPrescription"] == [{"reference": f"MedicationRequest/{item.pk}"}]
    assert data["quantity"]["value"] == 30
    assert get(fhir, f"/MedicationDispense?patient={clinic.patient.pk}&whenhandedover=ge2026-11-03")["total"] == 1


def test_a_practitioners_nik_is_shown_to_themself_and_workforce_readers_only(
    fhir: Client, clinic: Clinic, make_member: MakeMember
) -> None:
    own = get(fhir, f"/Practitioner/{clinic.person.pk}")
    assert own["identifier"][0]["system"] == "https://fhir.kemkes.go.id/id/nik"
    colleague = make_member(clinic.org, Role.NURSE, username="perawat")
    _token, raw = create_api_token(acting_user=colleague, name="fhir", expires_in_days=None)
    seen = get(Client(**bearer(raw)), f"/Practitioner/{clinic.person.pk}")
    assert "identifier" not in seen
    assert [q["code"]["coding"][0]["code"] for q in seen["qualification"]] == ["SIP", "STR"]


def test_a_procedure_under_sedation_names_the_anesthesiologist_and_the_monitoring_nurse_as_performers(
    clinic: Clinic,
) -> None:
    from nyeri.interop.fhir.procedure import as_json
    from nyeri.procedures.models import ProcedurePerformance
    from nyeri.workforce.kinds import Citizenship
    from nyeri.workforce.models import Person

    record = make_procedure(clinic)
    first = ProcedurePerformance.objects.get(record=record)
    sedationist = Person.objects.create(organization=clinic.org, full_name="Dr An", citizenship=Citizenship.CITIZEN)
    watcher = Person.objects.create(organization=clinic.org, full_name="Ns Tia", citizenship=Citizenship.CITIZEN)
    ProcedurePerformance.objects.create(
        organization=clinic.org,
        record=record,
        version=2,
        kind="amendment",
        amends=first,
        amendment_reason="Under sedation",
        procedure_code=first.procedure_code,
        catalogue_version=first.catalogue_version,
        performed_at=first.performed_at,
        performer=first.performer,
        anesthesiologist=sedationist,
        monitoring_nurse=watcher,
        anesthesia="sedation",
        guidance="fluoroscopy",
        body_site="lower_back",
        laterality="left",
        decision="allowed",
        recorded_by=first.recorded_by,
        recorded_at=first.recorded_at,
    )
    record.versions = list(ProcedurePerformance.objects.filter(record=record).order_by("version"))  # type: ignore[attr-defined]
    data = as_json(record)
    Procedure.model_validate(data)
    functions = [(p["actor"]["reference"], p["function"]["coding"][0]["code"]) for p in data["performer"]]
    assert functions == [
        (f"Practitioner/{clinic.person.pk}", "304292004"),
        (f"Practitioner/{sedationist.pk}", "88189002"),
        (f"Practitioner/{watcher.pk}", "106292003"),
    ]
