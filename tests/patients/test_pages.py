"""The registration pages: the button on /patients/, the form in both languages, errors naming fields."""

from __future__ import annotations

from nyeri.accounts.models import User
from nyeri.clinical.models import Patient
from nyeri.tenancy.models import Facility, Organization
from nyeri.tenancy.roles import Role
from tests.conftest import MakeMember
from tests.patients.conftest import EUIS_NIK, client_of


def form(facility: Facility, **overrides: str) -> dict[str, str]:
    fields = {
        "facility": str(facility.pk),
        "full_name": "Euis Komariah",
        "birth_date": "1961-04-12",
        "sex": "female",
        "nik": EUIS_NIK,
        "phone": "0812 3456 7890",
        "address": "Jl. Dago No. 12",
        "regency_code": "32.73",
    }
    fields.update(overrides)
    return fields


def test_the_patient_list_offers_register_patient_in_both_languages(
    nurse: User, org: Organization, make_member: MakeMember
) -> None:
    indonesian = client_of(nurse, "id").get("/patients/").content.decode()
    assert 'data-testid="register-patient"' in indonesian
    assert "Daftarkan pasien" in indonesian
    english_nurse = make_member(org, Role.NURSE, language="en")
    english = client_of(english_nurse, "en").get("/patients/new/").content.decode()
    assert "Register patient" in english
    assert "Reason for no NIK" in english


def test_the_register_button_is_in_indonesian_not_the_controlled_drug_register(
    nurse: User, org: Organization, make_member: MakeMember
) -> None:
    # "Register" alone is also the noun of the controlled-drug register ("Register" in Bahasa).
    indonesian = client_of(nurse, "id").get("/patients/new/").content.decode()
    assert '<button type="submit" class="primary">Daftarkan pasien</button>' in indonesian
    english_nurse = make_member(org, Role.NURSE, language="en")
    english = client_of(english_nurse, "en").get("/patients/new/").content.decode()
    assert '<button type="submit" class="primary">Register the patient</button>' in english


def test_the_form_registers_and_opens_the_patient(nurse: User, facility: Facility) -> None:
    response = client_of(nurse).post("/patients/new/", form(facility))
    patient = Patient.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/patients/{patient.pk}/"


def test_errors_are_shown_under_their_field_and_nothing_is_written(nurse: User, facility: Facility) -> None:
    response = client_of(nurse, "id").post("/patients/new/", form(facility, sex="male", nik=""))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Tanpa NIK, isi alasannya" in page
    assert "Tanpa NIK, isi identitas lain" in page
    assert not Patient.objects.exists()


def test_a_duplicate_nik_links_the_registered_patient(nurse: User, facility: Facility) -> None:
    client = client_of(nurse)
    client.post("/patients/new/", form(facility))
    first = Patient.objects.get()
    page = client.post("/patients/new/", form(facility, full_name="Euis K.")).content.decode()
    assert f'href="/patients/{first.pk}/" data-testid="duplicate-link"' in page
    assert Patient.objects.count() == 1


def test_a_possible_duplicate_is_registered_once_confirmed(nurse: User, facility: Facility) -> None:
    client = client_of(nurse)
    client.post("/patients/new/", form(facility))
    twin = form(facility, nik="", no_nik_reason="unknown", other_identifier_kind="other", other_identifier="KK-1")
    warned = client.post("/patients/new/", twin).content.decode()
    assert 'name="confirm_possible_duplicate"' in warned
    assert Patient.objects.count() == 1
    assert client.post("/patients/new/", {**twin, "confirm_possible_duplicate": "on"}).status_code == 302
    assert Patient.objects.count() == 2


def test_an_administrator_registers_and_lands_on_the_demographics(
    org: Organization, facility: Facility, make_member: MakeMember
) -> None:
    admin = make_member(org, Role.ADMINISTRATOR, username="admin")
    response = client_of(admin).post("/patients/new/", form(facility))
    patient = Patient.objects.get()
    assert response["Location"] == f"/patients/{patient.pk}/edit/"
    assert client_of(admin).get(response["Location"]).status_code == 200


def test_a_compliance_officer_may_not_register(org: Organization, make_member: MakeMember) -> None:
    officer = make_member(org, Role.COMPLIANCE_OFFICER)
    assert client_of(officer).get("/patients/new/").status_code == 403


def test_another_organizations_patient_edit_page_is_not_found(
    nurse: User, other_org: Organization, other_facility: Facility, make_member: MakeMember
) -> None:
    stranger = make_member(other_org, Role.NURSE)
    client_of(stranger).post("/patients/new/", form(other_facility))
    foreign = Patient.objects.get()
    assert client_of(nurse).get(f"/patients/{foreign.pk}/edit/").status_code == 404
    assert client_of(nurse).get(f"/patients/{foreign.pk}/merge/").status_code in (403, 404)
