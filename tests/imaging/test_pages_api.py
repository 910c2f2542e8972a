"""Imaging pages (both languages, strict CSP, refusals shown) and the API."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from nyeri.audit.models import AuditAction, AuditEvent
from nyeri.clinical.models import Patient
from nyeri.imaging import services
from nyeri.imaging.models import ImagingOrder
from nyeri.tenancy.models import Facility, Organization
from nyeri.tenancy.roles import Role
from tests.imaging.conftest import MakeStaff, Staff

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("equipment")]


def assert_no_inline_code(html: str) -> None:
    assert not re.search(r"\sstyle=", html)
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)


def test_the_patient_page_links_to_imaging_and_the_order_form_refuses_bad_input_by_field(
    hospital_doctor: Staff, hospital_patient: Patient
) -> None:
    client = hospital_doctor.client()
    detail = client.get(f"/patients/{hospital_patient.pk}/").content.decode()
    assert f'href="/patients/{hospital_patient.pk}/imaging/"' in detail
    response = client.post(f"/patients/{hospital_patient.pk}/imaging/", {"modality": "xray", "clinical_question": ""})
    assert response.status_code == 422
    html = response.content.decode()
    assert "Choose the body region." in html
    assert "State the clinical question the examination answers." in html
    assert_no_inline_code(html)
    assert not ImagingOrder.objects.exists()


def test_the_order_page_shows_the_engines_reasons_and_a_refused_result_in_indonesian(
    hospital_doctor: Staff, make_staff: MakeStaff, hospital_patient: Patient
) -> None:
    lapsed = make_staff(Role.RADIOGRAPHER, "lapsed_rad", sip_expired=True, language="id")
    order = services.order_imaging(
        scope=hospital_doctor.scope,
        acting_user=hospital_doctor.user,
        patient=hospital_patient,
        modality="xray",
        body_region="lower_back",
        clinical_question="Spondilosis?",
    )
    client = lapsed.client()
    client.cookies["django_language"] = "id"
    url = f"/patients/{hospital_patient.pk}/imaging/{order.pk}/"
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="id")
    html = page.content.decode()
    assert page.status_code == 200
    assert_no_inline_code(html)
    reasons = html.split('data-testid="operator-reasons"')[1].split("</ul>")[0]
    assert "Lapsed Rad" in reasons
    refused = client.post(url + "result/", {"findings": "x", "impression": "y"}, HTTP_ACCEPT_LANGUAGE="id")
    assert refused.status_code == 403
    assert 'data-testid="refused"' in refused.content.decode()


def test_english_pages_render_for_the_worklist_and_referral(
    clinic_doctor: Staff, hospital_doctor: Staff, clinic_patient: Patient, facility: Facility, clinic: Facility
) -> None:
    order = services.order_imaging(
        scope=clinic_doctor.scope,
        acting_user=clinic_doctor.user,
        patient=clinic_patient,
        modality="xray",
        body_region="knee",
        clinical_question="OA?",
    )
    referral = services.refer(
        scope=clinic_doctor.scope, acting_user=clinic_doctor.user, order=order, to_facility=facility
    )
    client = hospital_doctor.client()
    for url in (f"/imaging/facilities/{facility.pk}/referrals/", f"/imaging/referrals/{referral.pk}/"):
        response = client.get(url)
        assert response.status_code == 200
        assert_no_inline_code(response.content.decode())
    # The hospital's staff do not reach the clinic's worklist.
    assert client.get(f"/imaging/facilities/{clinic.pk}/referrals/").status_code == 404


def test_another_organizations_order_and_referral_are_not_found(
    clinic_doctor: Staff, clinic_patient: Patient, facility: Facility, make_member: object, other_org: object
) -> None:
    order = services.order_imaging(
        scope=clinic_doctor.scope,
        acting_user=clinic_doctor.user,
        patient=clinic_patient,
        modality="xray",
        body_region="knee",
        clinical_question="OA?",
    )
    referral = services.refer(
        scope=clinic_doctor.scope, acting_user=clinic_doctor.user, order=order, to_facility=facility
    )
    stranger = make_member(other_org, Role.PAIN_PHYSICIAN, username="stranger")  # type: ignore[operator]
    from tests.conftest import log_in

    client = log_in(Client(), stranger)
    assert client.get(f"/imaging/referrals/{referral.pk}/").status_code == 404
    assert client.get(f"/imaging/referrals/{referral.pk}/file/").status_code == 404
    assert client.get(f"/api/imaging/orders/{order.pk}").status_code == 404


def test_the_api_orders_refers_and_answers(
    clinic_doctor: Staff, hospital_doctor: Staff, clinic_patient: Patient, facility: Facility
) -> None:
    sender = clinic_doctor.client()
    created = sender.post(
        f"/api/patients/{clinic_patient.pk}/imaging",
        json.dumps({"modality": "fluoroscopy", "body_region": "lower_back", "clinical_question": "Facet?"}),
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    order_id = created.json()["id"]
    detail = sender.get(f"/api/imaging/orders/{order_id}").json()
    assert detail["in_house_possible"] is False
    assert [f["name"] for f in detail["network"]] == [facility.name]
    bad = sender.post(f"/api/imaging/orders/{order_id}/referrals", json.dumps({}), content_type="application/json")
    assert bad.status_code == 422
    assert bad.json()["error"]["fields"][0]["field"] == "to_facility"
    sent = sender.post(
        f"/api/imaging/orders/{order_id}/referrals",
        json.dumps({"to_facility_id": facility.pk}),
        content_type="application/json",
    )
    assert sent.status_code == 201
    referral_id = sent.json()["id"]
    receiver = hospital_doctor.client()
    worklist = receiver.get(f"/api/imaging/facilities/{facility.pk}/referrals").json()
    assert [r["id"] for r in worklist["incoming"]] == [referral_id]
    assert receiver.post(f"/api/imaging/referrals/{referral_id}/accept").json()["status"] == "accepted"
    done = receiver.post(
        f"/api/imaging/referrals/{referral_id}/complete",
        json.dumps({"report": "Facet arthropathy."}),
        content_type="application/json",
    )
    assert done.json()["status"] == "done"
    assert sender.get(f"/api/imaging/orders/{order_id}").json()["status"] == "done"


def test_the_api_refusal_carries_the_reasons_in_both_languages(
    hospital_doctor: Staff, make_staff: MakeStaff, hospital_patient: Patient
) -> None:
    nurse = make_staff(Role.NURSE, "ns_siti")
    order = services.order_imaging(
        scope=hospital_doctor.scope,
        acting_user=hospital_doctor.user,
        patient=hospital_patient,
        modality="xray",
        body_region="lower_back",
        clinical_question="?",
    )
    response = nurse.client().post(
        f"/api/imaging/orders/{order.pk}/result",
        json.dumps({"findings": "x", "impression": "y"}),
        content_type="application/json",
    )
    assert response.status_code == 403
    reason = response.json()["error"]["reasons"][0]
    assert reason["code"] == "operator.role_missing"
    assert reason["message_en"]
    assert reason["message_id"]


def test_a_waiting_fluoroscopy_block_is_referred_from_the_patients_imaging_page(
    clinic_doctor: Staff, clinic_patient: Patient, clinic: Facility, facility: Facility
) -> None:
    from nyeri.imaging.models import Referral
    from nyeri.procedures import services as procedure_services

    record = procedure_services.order_procedure(
        scope=clinic_doctor.scope,
        acting_user=clinic_doctor.user,
        patient=clinic_patient,
        procedure_code="medial_branch_block",
        body_site="lower_back",
        laterality="bilateral",
        guidance="fluoroscopy",
        facility=clinic,
    )
    client = clinic_doctor.client()
    html = client.get(f"/patients/{clinic_patient.pk}/imaging/").content.decode()
    refer_url = f"/patients/{clinic_patient.pk}/imaging/procedures/{record.pk}/refer/"
    assert refer_url in html.split('data-testid="waiting-procedures"')[1]
    page = client.get(refer_url)
    assert page.status_code == 200
    assert facility.name in page.content.decode().split('data-testid="network"')[1].split("</ul>")[0]
    assert_no_inline_code(page.content.decode())
    response = client.post(refer_url, {"to_facility": facility.pk})
    assert response.status_code == 302
    assert Referral.objects.get(procedure=record).to_facility == facility


def test_the_api_lists_a_patients_orders_paged_newest_first_in_the_same_statements_for_one_and_for_many(
    hospital_doctor: Staff,
    hospital_patient: Patient,
    org: Organization,
    facility: Facility,
    foreign_patient: Patient,
    django_assert_num_queries: Callable[..., Any],
) -> None:
    client = hospital_doctor.client()
    created = client.post(
        f"/api/patients/{hospital_patient.pk}/imaging",
        json.dumps({"modality": "xray", "body_region": "lower_back", "clinical_question": "Listhesis?"}),
        content_type="application/json",
    ).json()
    crowded = Patient.objects.create(
        organization=org,
        registered_at=facility,
        mrn="RM-IMG-2",
        full_name="Banyak",
        birth_date=date(1970, 1, 2),
        sex="male",
    )
    start = timezone.now() - timedelta(days=30)
    for n in range(25):
        services.order_imaging(
            scope=hospital_doctor.scope,
            acting_user=hospital_doctor.user,
            patient=crowded,
            modality="xray",
            body_region="lower_back",
            clinical_question=f"Q{n}",
            ordered_at=start + timedelta(days=n),
        )
    one = client.get(f"/api/patients/{hospital_patient.pk}/imaging").json()
    assert (one["count"], one["pages"], one["page_size"], one["items"]) == (1, 1, 50, [created])
    event = AuditEvent.objects.filter(action=AuditAction.READ).latest("pk")
    assert (event.patient_id, event.reason) == (hospital_patient.pk, "api imaging")
    with CaptureQueriesContext(connection) as statements:
        client.get(f"/api/patients/{hospital_patient.pk}/imaging")
    with django_assert_num_queries(len(statements)):
        page = client.get(f"/api/patients/{crowded.pk}/imaging", {"page": 2, "page_size": 10}).json()
    assert (page["count"], page["page"], page["pages"]) == (25, 2, 3)
    assert [o["clinical_question"] for o in page["items"]] == [f"Q{n}" for n in range(14, 4, -1)]
    bad = client.get(f"/api/patients/{crowded.pk}/imaging", {"page": 0})
    assert bad.status_code == 422
    assert [f["field"] for f in bad.json()["error"]["fields"]] == ["page"]
    assert client.get(f"/api/patients/{foreign_patient.pk}/imaging").status_code == 404
