"""The whole flow: a referral flows from a clinic without equipment to one with it."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from nyeri.audit.models import AuditEvent
from nyeri.clinical.models import Patient
from nyeri.imaging.models import ImagingOrder, Referral
from nyeri.tenancy.models import Facility
from nyeri.tenancy.roles import Role
from tests.imaging.conftest import PDF, MakeStaff, Staff

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("equipment")]


def assert_no_inline_code(html: str) -> None:
    assert not re.search(r"\sstyle=", html)
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)


def test_a_referral_flows_from_a_clinic_without_equipment_to_one_with_it(
    clinic_doctor: Staff,
    make_staff: MakeStaff,
    clinic_patient: Patient,
    clinic: Facility,
    facility: Facility,
) -> None:
    # The hospital's radiographer: the membership is limited to the hospital.
    receiver = make_staff(Role.RADIOGRAPHER, "rudi_rad")
    sender = clinic_doctor.client()

    # 1. The clinic orders a fluoroscopy; it has no C-arm.
    response = sender.post(
        f"/patients/{clinic_patient.pk}/imaging/",
        {
            "modality": "fluoroscopy",
            "body_region": "lower_back",
            "facility": clinic.pk,
            "clinical_question": "Facet arthropathy L4-L5?",
        },
    )
    assert response.status_code == 302
    order = ImagingOrder.objects.get(patient=clinic_patient)
    assert order.facility == clinic

    # 2. The order page says why not in-house and lists the network's facilities with one.
    page = sender.get(response["Location"])
    html = page.content.decode()
    assert page.status_code == 200
    assert_no_inline_code(html)
    assert "has no c-arm fluoroscopy in service" in html.lower()
    network = html.split('data-testid="network"')[1].split("</ul>")[0]
    assert facility.name in network

    # 3. The clinic refers it to the hospital.
    response = sender.post(
        f"/patients/{clinic_patient.pk}/imaging/{order.pk}/refer/",
        {"to_facility": facility.pk, "note": "No C-arm here"},
    )
    assert response.status_code == 302
    referral = Referral.objects.get(imaging_order=order)
    assert referral.status == "sent"
    assert referral.to_facility == facility
    order.refresh_from_db()
    assert order.status == "referred"

    # 4. The hospital's staff (limited to the hospital, no care access to the clinic's patient
    #    otherwise) see it in their incoming worklist and open it.
    hospital = receiver.client()
    worklist = hospital.get(f"/imaging/facilities/{facility.pk}/referrals/").content.decode()
    incoming = worklist.split('data-testid="incoming"')[1].split("</table>")[0]
    assert clinic_patient.full_name in incoming
    detail = hospital.get(f"/imaging/referrals/{referral.pk}/")
    assert detail.status_code == 200
    assert "Facet arthropathy L4-L5?" in detail.content.decode()
    assert AuditEvent.objects.filter(object_type="referral", object_id=str(referral.pk), reason="incoming referral")

    # 5. The clinic cannot answer its own referral to the hospital.
    refused = sender.post(f"/imaging/referrals/{referral.pk}/accept/")
    assert refused.status_code == 422
    referral.refresh_from_db()
    assert referral.status == "sent"

    # 6. The hospital accepts, then attaches the result with a PDF.
    assert hospital.post(f"/imaging/referrals/{referral.pk}/accept/").status_code == 302
    upload = SimpleUploadedFile("hasil.pdf", PDF, content_type="application/pdf")
    response = hospital.post(
        f"/imaging/referrals/{referral.pk}/complete/", {"report": "Facet arthropathy L4-L5 bilateral.", "file": upload}
    )
    assert response.status_code == 302
    referral.refresh_from_db()
    order.refresh_from_db()
    assert referral.status == "done"
    assert referral.file_content_type == "application/pdf"
    assert order.status == "done"

    # 7. The clinic sees the result and downloads the file; someone else of the org cannot.
    html = sender.get(f"/imaging/referrals/{referral.pk}/").content.decode()
    assert "Facet arthropathy L4-L5 bilateral." in html
    download = sender.get(f"/imaging/referrals/{referral.pk}/file/")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF  # type: ignore[attr-defined]
    assert download["Content-Type"] == "application/pdf"

    # Every step is audited.
    reasons = list(
        AuditEvent.objects.filter(object_type="referral", object_id=str(referral.pk)).values_list("reason", flat=True)
    )
    assert any(r.startswith("referred imaging order") for r in reasons)
    assert "referral accepted" in reasons
    assert any(r.startswith("referral done") for r in reasons)
