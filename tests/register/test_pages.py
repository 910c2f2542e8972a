"""The register pages: the nav link, the register, a form per movement kind with its refusals, the
dispensing queue, the monthly report and its files."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from nyeri.accounts.models import User
from nyeri.prescriptions.models import PrescriptionItem
from nyeri.register.models import Movement, MovementKind, StockBalance
from nyeri.tenancy.models import Facility
from tests.prescriptions.conftest import client_of
from tests.register.conftest import receive

pytestmark = pytest.mark.django_db


def receipt_form(quantity: object = 40) -> dict[str, object]:
    return {
        "medication": "morphine-10mg-tab",
        "quantity": quantity,
        "supplier": "PBF Kimia Farma",
        "document_number": "INV-1",
        "batch_number": "B-1",
        "expiry_date": str(timezone.localdate() + timedelta(days=300)),
    }


def test_a_pharmacist_has_the_link_and_records_a_receipt(pharmacist: User, facility: Facility) -> None:
    client = client_of(pharmacist)
    home = client.get("/register/")
    assert 'data-testid="register-link"' in home.content.decode()
    response = client.post(f"/register/{facility.pk}/receipt/", receipt_form())
    assert response.status_code == 302
    page = client.get(f"/register/{facility.pk}/").content.decode()
    assert "Morphine" in page
    assert StockBalance.objects.get(facility=facility).quantity == 40


def test_a_refused_receipt_shows_its_reason_next_to_the_field(pharmacist: User, facility: Facility) -> None:
    client = client_of(pharmacist)
    response = client.post(f"/register/{facility.pk}/receipt/", receipt_form(quantity=0))
    assert response.status_code == 422
    assert "The quantity must be more than zero." in response.content.decode()
    assert Movement.objects.count() == 0


def test_a_destruction_with_the_recorder_as_witness_is_refused_on_the_page(
    pharmacist: User, facility: Facility, witnesses: tuple[User, User]
) -> None:
    receive(pharmacist, facility, quantity=10)
    client = client_of(pharmacist)
    form = {"medication": "morphine-10mg-tab", "quantity": 2, "witness_2": witnesses[1].pk, "reason": "Rusak"}
    # The recorder is not offered as a witness: choosing them is refused by the form itself.
    response = client.post(f"/register/{facility.pk}/destruction/", {**form, "witness_1": pharmacist.pk})
    assert response.status_code == 422
    done = client.post(f"/register/{facility.pk}/destruction/", {**form, "witness_1": witnesses[0].pk})
    assert done.status_code == 302
    assert Movement.objects.filter(kind=MovementKind.DESTRUCTION).count() == 1


def test_the_dispensing_queue_dispenses_and_refuses_more_than_remains(
    pharmacist: User, facility: Facility, morphine_item: PrescriptionItem
) -> None:
    receive(pharmacist, facility, quantity=100)
    client = client_of(pharmacist)
    queue = client.get(f"/register/{facility.pk}/dispense/").content.decode()
    assert morphine_item.prescription.patient.full_name in queue
    too_many = client.post(
        f"/register/{facility.pk}/dispense/", {"prescription_item": morphine_item.pk, "quantity": 29}
    )
    assert too_many.status_code == 422
    assert "Only 28 of 28 remain" in too_many.content.decode()
    done = client.post(f"/register/{facility.pk}/dispense/", {"prescription_item": morphine_item.pk, "quantity": 28})
    assert done.status_code == 302
    assert StockBalance.objects.get(facility=facility).quantity == 72


def test_the_monthly_report_page_reconciles_and_offers_its_files(pharmacist: User, facility: Facility) -> None:
    receive(pharmacist, facility, quantity=25)
    client = client_of(pharmacist)
    page = client.get(f"/register/{facility.pk}/report/").content.decode()
    assert 'data-testid="reconciles"' in page
    assert "Opening stock" in page
    pdf = client.get(f"/register/{facility.pk}/report.pdf")
    assert pdf["Content-Type"] == "application/pdf"
    csv = client.get(f"/register/{facility.pk}/report.csv", {"month": timezone.localdate().strftime("%Y-%m")})
    assert csv.content.decode("utf-8-sig").splitlines()[1].endswith("0,25,0,0,0,0,0,25")


def test_a_physician_cannot_open_the_register(physician: User, facility: Facility) -> None:
    assert client_of(physician).get(f"/register/{facility.pk}/").status_code == 403
