"""The practice evaluation in the committee's file of a privilege request (docs/privileges.md,
docs/oppe.md): the committee sees the practitioner's row for the last calendar year that has
ended (the evaluation page's default period) beside the peers of the same role, with the
policy's flags; another organization's care never counts; the director, the credentialing
officer and the practitioner read the file without it."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from nyeri.accounts.models import User
from nyeri.audit.models import AuditAction, AuditEvent
from nyeri.tenancy.clock import local_date
from nyeri.tenancy.models import Facility, Organization
from nyeri.tenancy.roles import Role
from nyeri.workforce.models import PrivilegeRequest
from nyeri.workforce.privileges.catalogue import catalogue_for
from tests.conftest import MakeMember
from tests.diagnoses.conftest import licensed_staff
from tests.evaluation.conftest import client_of, perform, person_of, sign
from tests.outcomes.conftest import make_patient

pytestmark = pytest.mark.django_db
FLUORO = "fluoroscopy_interventional"
SEDATION = "nursing_sedation_monitoring"


def last_year(facility: Facility, days: int) -> datetime:
    """Noon at the facility on 1 March of the last calendar year that has ended, plus ``days``."""
    year = local_date(facility).year - 1
    return datetime(year, 3, 1, 12, 0, tzinfo=ZoneInfo(facility.time_zone)) + timedelta(days=days)


def waiting_request(user: User, facility: Facility, privilege: str = FLUORO) -> PrivilegeRequest:
    """A request waiting for the committee (its prerequisites are the services' tests' business)."""
    found = catalogue_for("ID")
    assert found is not None
    return PrivilegeRequest.objects.create(
        organization=facility.organization,
        person=person_of(user),
        facility=facility,
        privilege=privilege,
        catalogue_version=found.version,
        requested_by=user,
        requested_at=timezone.now(),
        prerequisites=[],
    )


@pytest.fixture
def care(
    org: Organization,
    other_org: Organization,
    facility: Facility,
    other_facility: Facility,
    physician: User,
    colleague: User,
    make_member: MakeMember,
) -> PrivilegeRequest:
    """Dr Budi: 10 procedures in the last calendar year ended, 4 with a complication (one the year
    before and one this year, not counted), 2 prescriptions over the MME threshold, one without a justification. Dr Ani,
    his peer: 10 procedures, none complicated. Another organization's pain physician: 30
    procedures with complications, which must change nothing here."""
    patient = make_patient(org, facility, "RM-1")
    for n in range(10):
        perform(physician, patient, facility, last_year(facility, 20 + n), complication=n < 4)
        perform(colleague, patient, facility, last_year(facility, 20 + n))
    perform(physician, patient, facility, last_year(facility, -365), complication=True)
    perform(physician, patient, facility, timezone.now() - timedelta(minutes=1), complication=True)
    sign(physician, patient, facility, last_year(facility, 10), mme=120)
    sign(physician, patient, facility, last_year(facility, 11), mme=100, justification="Cancer pain")
    stranger = licensed_staff(make_member, other_org, other_facility, Role.PAIN_PHYSICIAN, "dr_lain")
    elsewhere = make_patient(other_org, other_facility, "RM-X")
    for n in range(30):
        perform(stranger, elsewhere, other_facility, last_year(other_facility, 20 + n), complication=True)
    return waiting_request(physician, facility)


def test_the_committee_sees_the_practitioners_row_beside_the_peers_with_the_flags(
    care: PrivilegeRequest, committee: User
) -> None:
    page = client_of(committee).get(f"/workforce/privileges/requests/{care.pk}/").content.decode()

    assert 'data-testid="oppe-pain_physician"' in page
    assert f"Practice evaluation beside the peers, {local_date(care.facility).year - 1}" in page
    own = page.split('data-testid="oppe-own"')[1].split("</tr>")[0]
    peers = page.split('data-testid="oppe-peers"')[1].split("</tr>")[0]
    # 10 procedures, 40 % complicated; 2 prescriptions, both at or above 90 MME/day; 1 unjustified.
    assert [cell.split("</td>")[0] for cell in own.split("<td>")[1:6]] == ["10", "40.0 %", "2", "100.0 %", "1"]
    # The peers' median of Budi and Ani: 10 procedures, 20 % (of 40 % and 0 %), 1 prescription.
    assert [cell.split("</td>")[0] for cell in peers.split("<td>")[1:4]] == ["10.0", "20.0 %", "1.0"]
    flags = page.split('data-testid="oppe-flags"')[1].split("</ul>")[0]
    assert "More than 5 % of the procedures had a complication." in flags
    assert "signed without a justification" in flags
    assert "2 practitioners in the group" in page
    read = AuditEvent.objects.get(action=AuditAction.READ, object_type="practice_evaluation")
    assert read.actor_id == committee.pk
    assert f"committee file of person {care.person_id}" in read.reason


def test_another_organizations_care_never_appears_in_the_file(
    care: PrivilegeRequest, committee: User, other_org: Organization, make_member: MakeMember
) -> None:
    page = client_of(committee).get(f"/workforce/privileges/requests/{care.pk}/").content.decode()

    # Two peers only (not the other organization's physician): his 30 procedures would move the median.
    assert "2 practitioners in the group" in page
    assert "dr_lain" not in page.lower()
    outsider = make_member(other_org, Role.COMMITTEE_MEMBER, username="komite_lain", language="en")
    assert client_of(outsider).get(f"/workforce/privileges/requests/{care.pk}/").status_code == 404


@pytest.mark.parametrize("role", [Role.DIRECTOR, Role.CREDENTIALING_OFFICER])
def test_other_readers_of_the_file_do_not_see_the_evaluation(
    care: PrivilegeRequest, make_member: MakeMember, org: Organization, role: Role
) -> None:
    reader = make_member(org, role, username=f"reader_{role.value}", language="en")

    response = client_of(reader).get(f"/workforce/privileges/requests/{care.pk}/")

    assert response.status_code == 200
    assert b"Practice evaluation beside the peers" not in response.content
    assert b"oppe-own" not in response.content
    assert not AuditEvent.objects.filter(object_type="practice_evaluation").exists()


def test_the_practitioner_reads_their_own_file_without_the_peer_comparison(
    care: PrivilegeRequest, physician: User
) -> None:
    response = client_of(physician).get(f"/workforce/privileges/requests/{care.pk}/")

    assert response.status_code == 200
    assert b"oppe-own" not in response.content
    assert b"Peers&#x27; median" not in response.content


@pytest.fixture
def nurse_request(org: Organization, facility: Facility, make_member: MakeMember) -> PrivilegeRequest:
    """Ns Wati asks the nursing committee for sedation monitoring; Ns Rina is her peer; both
    work at the facility (no procedures: nurses' rows count refusals, emergency accesses and
    relief)."""
    wati = licensed_staff(make_member, org, facility, Role.NURSE, "ns_wati")
    licensed_staff(make_member, org, facility, Role.NURSE, "ns_rina")
    return waiting_request(wati, facility, SEDATION)


def oppe_reads() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=AuditAction.READ, object_type="practice_evaluation"))


def test_the_nursing_committee_sees_the_nurses_row_beside_the_peer_nurses_only(
    nurse_request: PrivilegeRequest, care: PrivilegeRequest, nursing_committee: User
) -> None:
    page = client_of(nursing_committee).get(f"/workforce/privileges/requests/{nurse_request.pk}/").content.decode()

    assert 'data-testid="oppe-nurse"' in page
    assert 'data-testid="oppe-own"' in page
    assert "oppe-pain_physician" not in page
    assert "2 practitioners in the group" in page
    [read] = oppe_reads()
    assert read.actor_id == nursing_committee.pk
    assert f"committee file of person {nurse_request.person_id}" in read.reason


def test_the_nursing_committee_does_not_see_a_physicians_evaluation_nor_the_medical_committee_a_nurses(
    nurse_request: PrivilegeRequest, care: PrivilegeRequest, committee: User, nursing_committee: User
) -> None:
    physicians_file = client_of(nursing_committee).get(f"/workforce/privileges/requests/{care.pk}/")
    nurses_file = client_of(committee).get(f"/workforce/privileges/requests/{nurse_request.pk}/")

    assert physicians_file.status_code == nurses_file.status_code == 200
    assert b"oppe-own" not in physicians_file.content
    assert b"oppe-own" not in nurses_file.content
    assert oppe_reads() == []


def test_the_nursing_committees_evaluation_page_lists_nurses_and_other_staff_are_refused(
    nurse_request: PrivilegeRequest,
    care: PrivilegeRequest,
    nursing_committee: User,
    make_member: MakeMember,
    org: Organization,
) -> None:
    page = client_of(nursing_committee).get("/practice-evaluation/").content.decode()

    assert 'data-testid="practice-evaluation-link"' in page
    assert "Ns_Wati" in page
    assert "Ns_Rina" in page
    assert "Dr_Budi" not in page
    assert "Dr_Ani" not in page
    nurse = make_member(org, Role.NURSE, username="ns_lain", language="en")
    assert client_of(nurse).get("/practice-evaluation/").status_code == 403
