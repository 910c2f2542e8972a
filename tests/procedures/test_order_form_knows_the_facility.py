"""The order form offers only the procedure's body sites and says, before ordering, what the facility lacks."""

from __future__ import annotations

from nyeri.clinical.models import Patient
from nyeri.facilities.models import Equipment
from nyeri.procedures.models import ProcedureRecord
from nyeri.tenancy.models import Facility
from tests.procedures.conftest import Staff, client_of

URL = "/patients/{patient}/procedures/new/?procedure=rfa_medial_branch"


def test_the_body_site_list_offers_only_the_sites_the_procedure_allows(physician: Staff, patient: Patient) -> None:
    response = client_of(physician.user).get(URL.format(patient=patient.pk))
    offered = [value for value, _label in response.context["form"]["body_site"].field.widget.choices]
    assert offered == ["neck", "upper_back", "lower_back"]


def test_a_facility_without_a_c_arm_is_named_before_ordering_and_the_referral_is_offered(
    physician: Staff, patient: Patient, facility: Facility
) -> None:
    client = client_of(physician.user)
    page = client.get(URL.format(patient=patient.pk))
    html = page.content.decode()
    assert page.status_code == 200
    assert 'data-testid="facility-lacks"' in html
    assert "c-arm" in html.lower()
    assert "guidance is not possible" in html
    assert 'data-testid="order-and-refer"' in html
    assert not ProcedureRecord.objects.exists()


def test_checking_another_choice_orders_nothing(physician: Staff, patient: Patient, facility: Facility) -> None:
    response = client_of(physician.user).post(
        URL.format(patient=patient.pk),
        {
            "procedure": "rfa_medial_branch",
            "body_site": "lower_back",
            "guidance": "fluoroscopy",
            "anesthesia": "local",
            "facility": str(facility.pk),
            "check": "1",
        },
    )
    assert response.status_code == 200
    assert 'data-testid="facility-lacks"' in response.content.decode()
    assert not ProcedureRecord.objects.exists()


def test_with_a_c_arm_in_service_the_form_does_not_warn_about_the_equipment(
    physician: Staff, patient: Patient, facility: Facility, c_arm: Equipment
) -> None:
    html = client_of(physician.user).get(URL.format(patient=patient.pk)).content.decode()
    assert "guidance is not possible" not in html
    assert 'data-testid="order-and-refer"' not in html


def test_order_and_refer_orders_then_opens_the_referral(physician: Staff, patient: Patient, facility: Facility) -> None:
    response = client_of(physician.user).post(
        URL.format(patient=patient.pk),
        {
            "procedure": "rfa_medial_branch",
            "body_site": "lower_back",
            "laterality": "right",
            "guidance": "fluoroscopy",
            "anesthesia": "local",
            "facility": str(facility.pk),
            "then": "refer",
        },
    )
    record = ProcedureRecord.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/patients/{patient.pk}/imaging/procedures/{record.pk}/refer/"
