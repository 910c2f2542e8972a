"""Procedure pages, in English and Indonesian: order, schedule, perform (and every refusal), cancel,
amend, a patient's list, a facility's worklist; the tenant wall."""

from __future__ import annotations

import re
from datetime import timedelta

from django.utils import timezone

from nyeri.accounts.models import User
from nyeri.audit.models import AuditAction, AuditEvent
from nyeri.clinical.models import Patient
from nyeri.facilities.models import Equipment
from nyeri.procedures.kinds import ProcedureStatus
from nyeri.procedures.models import ProcedurePerformance, ProcedureRecord
from nyeri.tenancy.models import Facility, Organization
from nyeri.tenancy.roles import Role
from tests.conftest import MakeMember
from tests.procedures.conftest import AddUnit, MakeStaff, Order, Staff, client_of

LOCAL = "%Y-%m-%dT%H:%M"


def html_of(response: object) -> str:
    return response.content.decode()  # type: ignore[attr-defined]


def assert_no_inline_code(html: str) -> None:
    # Strict CSP: no inline style attributes or scripts.
    assert 'style="' not in html
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)


def perform_data(staff: Staff, **fields: object) -> dict[str, object]:
    data: dict[str, object] = {
        "procedure_code": "esi_transforaminal",
        "performed_at": (timezone.localtime() - timedelta(minutes=5)).strftime(LOCAL),
        "performer": str(staff.person.pk),
        "anesthesiologist": "",
        "monitoring_nurse": "",
        "imaging_operator": "",
        "anesthesia": "local",
        "guidance": "fluoroscopy",
        "body_site": "lower_back",
        "laterality": "left",
        "pain_before": "8",
        "pain_after": "3",
        "complication_note": "",
        "note": "",
    }
    data.update(fields)
    return data


def test_the_patient_page_links_to_the_procedures(nurse: Staff, patient: Patient) -> None:
    html = html_of(client_of(nurse.user).get(f"/patients/{patient.pk}/"))
    assert f'href="/patients/{patient.pk}/procedures/"' in html


def test_ordering_starts_from_the_catalogue_in_the_users_language(nurse: Staff, patient: Patient) -> None:
    english = html_of(client_of(nurse.user).get(f"/patients/{patient.pk}/procedures/new/"))
    assert "Transforaminal epidural steroid injection" in english
    assert f"/patients/{patient.pk}/procedures/new/?procedure=esi_transforaminal" in english
    assert_no_inline_code(english)
    indonesian = html_of(client_of(nurse.user, "id").get(f"/patients/{patient.pk}/procedures/new/"))
    assert "Injeksi steroid epidural transforaminal" in indonesian
    assert "Punggung bawah (lumbal)" in indonesian


def test_a_procedure_is_ordered_from_its_form(physician: Staff, patient: Patient, facility: Facility) -> None:
    client = client_of(physician.user)
    url = f"/patients/{patient.pk}/procedures/new/?procedure=rfa_medial_branch"
    form = html_of(client.get(url))
    assert "Radiofrequency ablation of the medial branches" in form
    assert "This procedure: Neck, Upper back (thoracic), Lower back (lumbar)." in form
    response = client.post(
        url,
        {
            "procedure": "rfa_medial_branch",
            "body_site": "lower_back",
            "laterality": "right",
            "guidance": "fluoroscopy",
            "anesthesia": "local",
            "facility": str(facility.pk),
            "indication": "Nyeri faset lumbal, blok cabang medial positif 2x",
        },
    )
    record = ProcedureRecord.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/patients/{patient.pk}/procedures/{record.pk}/"
    assert (record.procedure_code, record.laterality) == ("rfa_medial_branch", "right")


def test_a_body_site_the_procedure_does_not_allow_is_shown_on_the_form(
    nurse: Staff, patient: Patient, facility: Facility
) -> None:
    client = client_of(nurse.user)
    response = client.post(
        f"/patients/{patient.pk}/procedures/new/",
        {
            "procedure": "esi_caudal",
            "body_site": "neck",
            "laterality": "",
            "guidance": "",
            "anesthesia": "local",
            "facility": str(facility.pk),
        },
    )
    html = html_of(response)
    assert response.status_code == 200
    assert "Caudal epidural steroid injection is not done on the neck; choose one of: Sacrum and buttock." in html
    assert not ProcedureRecord.objects.exists()


def test_a_missing_side_is_shown_on_the_form_in_indonesian(nurse: Staff, patient: Patient, facility: Facility) -> None:
    client = client_of(nurse.user, "id")
    response = client.post(
        f"/patients/{patient.pk}/procedures/new/",
        {
            "procedure": "sacroiliac_joint_injection",
            "body_site": "sacrum_buttock",
            "laterality": "",
            "guidance": "fluoroscopy",
            "anesthesia": "local",
            "facility": str(facility.pk),
        },
    )
    html = html_of(response)
    assert 'lang="id"' in html
    # The catalogue's Indonesian label in the reason, and nothing saved.
    # The reason names the procedure and the body site in Indonesian (the catalogue's and the body map's labels).
    [reason] = re.findall(r'<p class="field-error" role="alert">([^<]*)</p>', html)
    assert "Injeksi sendi sakroiliaka" in reason
    assert "sakrum dan bokong" in reason
    assert not ProcedureRecord.objects.exists()


def test_the_procedure_page_says_what_stands_in_the_way_before_performing(
    order: Order, nurse: Staff, patient: Patient, physician: Staff, facility: Facility
) -> None:
    record = order()
    html = html_of(client_of(nurse.user).get(f"/patients/{patient.pk}/procedures/{record.pk}/"))
    assert 'data-testid="plan-check"' in html
    assert f"{facility.name} has no c-arm fluoroscopy in service" in html
    assert "Dr Andi" in html  # may perform it here
    assert_no_inline_code(html)


def test_a_refused_performer_is_shown_with_every_reason_and_nothing_is_saved(
    order: Order, nurse: Staff, patient: Patient, gp: Staff, c_arm: Equipment, radiographer: Staff
) -> None:
    record = order()
    client = client_of(nurse.user)
    url = f"/patients/{patient.pk}/procedures/{record.pk}/perform/"
    form = html_of(client.get(url))
    assert f'<option value="{gp.person.pk}">Dr Fajar (not allowed here)</option>' in form
    response = client.post(url, perform_data(gp, imaging_operator=str(radiographer.person.pk)))
    html = html_of(response)
    assert response.status_code == 403
    assert 'data-testid="refused"' in html
    assert "Performer Dr Fajar: Needs one of these roles: Pain physician, Anesthesiologist." in html
    assert "Performer Dr Fajar: One of these is needed:" in html
    record.refresh_from_db()
    assert record.status == ProcedureStatus.ORDERED


def test_a_refusal_is_shown_in_indonesian_to_an_indonesian_user(
    order: Order, make_staff: MakeStaff, patient: Patient, gp: Staff, c_arm: Equipment, radiographer: Staff
) -> None:
    perawat = make_staff(Role.NURSE, "ns_dewi", language="id")
    record = order()
    response = client_of(perawat.user, "id").post(
        f"/patients/{patient.pk}/procedures/{record.pk}/perform/",
        perform_data(gp, imaging_operator=str(radiographer.person.pk)),
    )
    html = html_of(response)
    assert response.status_code == 403
    assert "Memerlukan salah satu peran berikut: Dokter manajemen nyeri, Dokter spesialis anestesiologi." in html


def test_missing_equipment_is_shown_as_a_refusal(
    order: Order,
    nurse: Staff,
    patient: Patient,
    physician: Staff,
    add_unit: AddUnit,
    facility: Facility,
    radiographer: Staff,
) -> None:
    add_unit("c_arm", status="under_maintenance")
    record = order()
    response = client_of(nurse.user).post(
        f"/patients/{patient.pk}/procedures/{record.pk}/perform/",
        perform_data(physician, imaging_operator=str(radiographer.person.pk)),
    )
    assert response.status_code == 403
    assert (
        f"{facility.name} has no c-arm fluoroscopy in service (under maintenance: 1), "
        "so fluoroscopy (c-arm) guidance is not possible." in html_of(response)
    )


def test_sedation_without_an_anesthesiologist_is_a_field_error_and_an_unprivileged_one_a_refusal(
    order: Order,
    nurse: Staff,
    patient: Patient,
    physician: Staff,
    make_staff: MakeStaff,
    c_arm: Equipment,
    radiographer: Staff,
) -> None:
    record = order(anesthesia="sedation")
    client = client_of(nurse.user)
    url = f"/patients/{patient.pk}/procedures/{record.pk}/perform/"
    response = client.post(
        url, perform_data(physician, imaging_operator=str(radiographer.person.pk), anesthesia="sedation")
    )
    assert response.status_code == 200
    assert "Sedation needs an anesthesiologist: choose who gave it." in html_of(response)
    neurologist = make_staff(Role.NEUROLOGIST, "dr_maya")
    response = client.post(
        url,
        perform_data(
            physician,
            imaging_operator=str(radiographer.person.pk),
            anesthesia="sedation",
            anesthesiologist=str(neurologist.person.pk),
            monitoring_nurse=str(nurse.person.pk),
        ),
    )
    assert response.status_code == 403
    assert "Anesthesiologist Dr Maya: Needs one of these roles: Anesthesiologist." in html_of(response)
    assert not ProcedurePerformance.objects.exists()


def test_performing_shows_the_relief_on_the_procedure_and_the_patients_list(
    order: Order,
    nurse: Staff,
    patient: Patient,
    physician: Staff,
    anesthesiologist: Staff,
    c_arm: Equipment,
    radiographer: Staff,
) -> None:
    record = order(anesthesia="sedation")
    client = client_of(nurse.user)
    response = client.post(
        f"/patients/{patient.pk}/procedures/{record.pk}/perform/",
        {
            **perform_data(
                physician,
                imaging_operator=str(radiographer.person.pk),
                anesthesia="sedation",
                anesthesiologist=str(anesthesiologist.person.pk),
                monitoring_nurse=str(nurse.person.pk),
            ),
            "complications": ["vasovagal"],
        },
    )
    assert response.status_code == 302
    detail = html_of(client.get(f"/patients/{patient.pk}/procedures/{record.pk}/"))
    assert "8 → 3" in detail
    assert "\u22125" in detail
    assert "63 % relief" in detail  # 5/8 = 62.5 % rounds half up
    assert "Vasovagal reaction" in detail
    assert "Dr Bambang" in detail
    assert "Monitoring nurse: Ns Siti" in detail
    listing = html_of(client.get(f"/patients/{patient.pk}/procedures/"))
    assert "63 % relief" in listing
    assert_no_inline_code(listing)


def test_scheduling_and_cancelling_from_their_pages(order: Order, nurse: Staff, patient: Patient) -> None:
    record = order()
    client = client_of(nurse.user)
    when = (timezone.localtime() + timedelta(days=3)).replace(hour=9, minute=30)
    response = client.post(
        f"/patients/{patient.pk}/procedures/{record.pk}/schedule/", {"scheduled_for": when.strftime(LOCAL)}
    )
    assert response.status_code == 302
    record.refresh_from_db()
    assert record.status == ProcedureStatus.SCHEDULED
    response = client.post(f"/patients/{patient.pk}/procedures/{record.pk}/cancel/", {"reason": ""})
    assert response.status_code == 200
    response = client.post(f"/patients/{patient.pk}/procedures/{record.pk}/cancel/", {"reason": "Pasien demam"})
    assert response.status_code == 302
    html = html_of(client.get(f"/patients/{patient.pk}/procedures/{record.pk}/"))
    assert "Pasien demam" in html
    assert 'data-testid="cancelled"' in html


def test_an_amendment_from_its_page_keeps_the_earlier_version_in_the_history(
    performed: ProcedurePerformance, physician: Staff, patient: Patient, radiographer: Staff
) -> None:
    record = performed.record
    client = client_of(physician.user)
    url = f"/patients/{patient.pk}/procedures/{record.pk}/amend/"
    form = html_of(client.get(url))
    assert 'name="reason"' in form
    data = perform_data(
        physician,
        imaging_operator=str(radiographer.person.pk),
        performed_at=timezone.localtime(performed.performed_at).strftime(LOCAL),
        pain_before="7",
        pain_after="4",
        reason="Skor pascatindakan diukur ulang setelah 30 menit",
    )
    response = client.post(url, data)
    assert response.status_code == 302, html_of(response)
    versions = list(ProcedurePerformance.objects.filter(record=record).order_by("version"))
    assert [v.pain_after for v in versions] == [2, 4]
    # The same minute on the form is the same time: not a change, not decided again.
    assert versions[1].performed_at == performed.performed_at
    html = html_of(client.get(f"/patients/{patient.pk}/procedures/{record.pk}/"))
    assert 'id="version-1"' in html
    assert 'id="version-2"' in html
    assert "Skor pascatindakan diukur ulang setelah 30 menit" in html


def test_the_worklist_lists_what_is_waiting_and_what_was_done_and_is_audited(
    order: Order, performed: ProcedurePerformance, nurse: Staff, facility: Facility, patient: Patient
) -> None:
    waiting = order(procedure_code="trigger_point_injection", body_site="upper_back", laterality="")
    html = html_of(client_of(nurse.user).get(f"/procedures/facilities/{facility.pk}/"))
    assert f'id="procedure-{waiting.pk}"' in html
    assert f'id="procedure-{performed.record_id}"' in html
    assert "Trigger point injection" in html
    assert patient.full_name in html
    event = AuditEvent.objects.filter(action=AuditAction.SEARCH, object_type="procedure").latest("pk")
    assert event.facility_id == facility.pk
    assert "1 open, 1 performed" in event.reason
    assert_no_inline_code(html)


def test_the_catalogue_page_in_indonesian(nurse: Staff) -> None:
    html = html_of(client_of(nurse.user, "id").get("/procedures/catalogue/"))
    assert "Blok ganglion stelata" in html
    assert "<code>05.31</code>" in html


def test_another_organizations_patient_and_procedure_are_not_found(
    nurse: Staff, foreign_patient: Patient, patient: Patient, other_facility: Facility, order: Order
) -> None:
    client = client_of(nurse.user)
    record = order()
    assert client.get(f"/patients/{foreign_patient.pk}/procedures/").status_code == 404
    assert client.get(f"/patients/{foreign_patient.pk}/procedures/{record.pk}/").status_code == 404
    assert client.get(f"/procedures/facilities/{other_facility.pk}/").status_code == 404
    foreign_record = ProcedureRecord.objects.create(
        organization=foreign_patient.organization,
        patient=foreign_patient,
        facility=other_facility,
        procedure_code="esi_caudal",
        catalogue_version="x",
        body_site="sacrum_buttock",
        guidance="fluoroscopy",
        anesthesia="local",
        ordered_by=nurse.user,
        ordered_at=timezone.now(),
    )
    assert client.get(f"/patients/{patient.pk}/procedures/{foreign_record.pk}/").status_code == 404
    assert (
        client.post(f"/patients/{patient.pk}/procedures/{foreign_record.pk}/cancel/", {"reason": "x"}).status_code
        == 404
    )


def test_a_member_without_a_clinical_role_is_refused(
    make_member: MakeMember, org: Organization, patient: Patient
) -> None:
    officer = make_member(org, Role.COMPLIANCE_OFFICER, username="kepatuhan")
    assert client_of(officer).get(f"/patients/{patient.pk}/procedures/").status_code == 403
    assert client_of(officer).get("/procedures/catalogue/").status_code == 403


def test_the_worklist_is_reachable_from_the_patients_procedures(nurse: Staff, patient: Patient) -> None:
    client = client_of(nurse.user)
    assert f"/procedures/facilities/{patient.registered_at_id}/" in html_of(
        client.get(f"/patients/{patient.pk}/procedures/")
    )


def test_the_performed_procedure_offers_an_amendment_not_a_cancellation(
    performed: ProcedurePerformance, nurse: Staff, patient: Patient
) -> None:
    html = html_of(client_of(nurse.user).get(f"/patients/{patient.pk}/procedures/{performed.record_id}/"))
    assert f"/procedures/{performed.record_id}/amend/" in html
    assert f"/procedures/{performed.record_id}/cancel/" not in html


def test_an_ultrasound_clinic_block_from_the_pages(
    order: Order, nurse: Staff, patient: Patient, physician: Staff, ultrasound: Equipment
) -> None:
    record = order(procedure_code="genicular_nerve_block", body_site="knee", laterality="right")
    response = client_of(nurse.user).post(
        f"/patients/{patient.pk}/procedures/{record.pk}/perform/",
        perform_data(
            physician,
            procedure_code="genicular_nerve_block",
            guidance="ultrasound",
            body_site="knee",
            laterality="right",
        ),
    )
    assert response.status_code == 302
    assert Equipment.objects.filter(kind="ultrasound").count() == 1


def test_the_perform_page_offers_the_facilitys_nurses_and_shows_a_refused_monitoring_nurse_in_indonesian(
    order: Order,
    make_staff: MakeStaff,
    patient: Patient,
    physician: Staff,
    anesthesiologist: Staff,
    c_arm: Equipment,
    radiographer: Staff,
    admin: User,
    facility: Facility,
) -> None:
    from nyeri.workforce.privileges.services import require_privileges
    from tests.procedures.conftest import scope_of

    perawat = make_staff(Role.NURSE, "ns_dewi", language="id")
    record = order(anesthesia="sedation")
    client = client_of(perawat.user, "id")
    url = f"/patients/{patient.pk}/procedures/{record.pk}/perform/"
    page = html_of(client.get(url))
    assert "Perawat pemantau" in page
    assert f'<option value="{perawat.person.pk}">Ns Dewi (berwenang)</option>' in page
    require_privileges(
        scope=scope_of(admin),
        acting_user=admin,
        facility=facility,
        privileges=["nursing_sedation_monitoring"],
    )
    assert f'<option value="{perawat.person.pk}">Ns Dewi (tidak berwenang di sini)</option>' in html_of(client.get(url))
    response = client.post(
        url,
        perform_data(
            physician,
            imaging_operator=str(radiographer.person.pk),
            anesthesia="sedation",
            anesthesiologist=str(anesthesiologist.person.pk),
            monitoring_nurse=str(perawat.person.pk),
        ),
    )
    assert response.status_code == 403
    assert (
        "Perawat pemantau Ns Dewi: Tidak ada kewenangan klinis “Pemantauan pasien dalam sedasi prosedural” "
        "yang diberikan di fasilitas ini." in html_of(response)
    )
    assert not ProcedurePerformance.objects.exists()
