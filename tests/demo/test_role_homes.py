"""Each role lands on its work: the home's panels, on the demo network."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django_otp.plugins.otp_totp.models import TOTPDevice

from nyeri.accounts.models import User
from nyeri.accounts.second_factor import must_have_second_factor
from nyeri.audit.models import AuditAction, AuditOutcome
from nyeri.audit.services import record_event
from nyeri.clinical.breakglass.models import BreakGlassGrant
from nyeri.demo.data import DEMO_PASSWORD
from nyeri.jobs.models import JobPosting, PostingStatus
from nyeri.onboarding.models import Invitation, InvitationStatus
from nyeri.tenancy.models import Facility, Membership
from nyeri.workforce.kinds import CredentialStatus
from nyeri.workforce.models import Credential
from tests.accounts_fixtures import give_second_factor, verify

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("seeded")]


def home_of(username: str, client: Client | None = None) -> tuple[Client, str, Any]:
    client = client or Client()
    user = User.objects.get(username=username)
    # Through the real login page (the session's bookkeeping is real), with the demo's password.
    response = client.post("/accounts/login/", {"username": username, "password": DEMO_PASSWORD})
    assert response.status_code == 302, response.content
    # Administrators (and those who sign prescriptions) pass their second factor first.
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None and must_have_second_factor(user):
        device, _ = give_second_factor(user)
    if device is not None:
        verify(client, device)
    landing = client.get("/", HTTP_ACCEPT_LANGUAGE="en")
    assert landing.status_code == 302, landing.content
    response = client.get(landing["Location"])
    assert response.status_code == 200
    return client, landing["Location"], response


def titles(response: Any) -> list[str]:
    return [str(shown.panel.title) for shown in response.context["panels"]]


def tally(response: Any, label_part: str) -> int:
    for shown in response.context["panels"]:
        for t in shown.panel.counts:
            if label_part in str(t.label):
                return int(t.number)
    raise AssertionError(f"no count {label_part!r} on {titles(response)}")


def test_the_credentialing_officer_lands_on_the_verification_queue_and_expiring_credentials() -> None:
    _, _, response = home_of("kredensial")
    assert titles(response) == ["Kredensial"]
    waiting = Credential.objects.filter(status=CredentialStatus.SUBMITTED).count()
    assert tally(response, "verifikasi") == waiting
    assert 'href="/workforce/credentials/"' in response.content.decode()
    assert 'href="/workforce/hours/expiring/"' in response.content.decode()


def test_the_pharmacist_lands_on_the_dispensing_queue_and_the_registers_balances() -> None:
    _, url, response = home_of("apoteker")
    facility = Facility.objects.get(code="rsud-bandung")
    assert url == f"/facilities/{facility.pk}/"
    assert titles(response) == ["Register obat terkendali"]
    panel = response.context["panels"][0].panel
    assert [r.label for r in panel.rows] == sorted((r.label for r in panel.rows), key=str.casefold)
    assert panel.rows, "the demo register has balances"
    assert f'href="/register/{facility.pk}/dispense/"' in response.content.decode()


def test_the_facility_manager_lands_on_staffing_gaps_in_whole_people_and_open_postings() -> None:
    _, _, response = home_of("manajer")
    assert titles(response) == ["Kebutuhan tenaga", "Lowongan kerja"]
    gaps = response.context["panels"][0].panel
    assert all(isinstance(r.people, int) and r.people >= 1 for r in gaps.rows)
    assert (
        tally(response, "Lowongan terbuka")
        == JobPosting.objects.filter(facility_id=response.context["facility"].pk, status=PostingStatus.OPEN).count()
    )


def test_the_compliance_officer_lands_on_break_glass_reviews_and_recent_refusals() -> None:
    _, _, response = home_of("kepatuhan")
    assert titles(response) == ["Akses darurat", "Jejak audit"]
    assert tally(response, "menunggu") == BreakGlassGrant.objects.filter(reviewed_at__isnull=True).count()
    assert "action=permission_denied" in response.content.decode()


def test_the_administrator_lands_on_invitations_and_people() -> None:
    _, _, response = home_of("admin")
    assert titles(response) == ["Orang"]
    assert tally(response, "Undangan") == Invitation.objects.filter(status=InvitationStatus.PENDING).count()
    assert tally(response, "Anggota aktif") == Membership.objects.filter(is_active=True).count()


@pytest.mark.parametrize("username", ["dokter.nyeri", "perawat"])
def test_physicians_and_nurses_land_on_diary_alerts_and_the_days_procedures(username: str) -> None:
    _, _, response = home_of(username)
    assert titles(response)[:3] == ["Janji temu hari ini", "Catatan harian pasien", "Tindakan"]


def test_a_facility_limited_member_sees_only_their_facilities_and_not_found_elsewhere() -> None:
    client, url, _ = home_of("apoteker")
    mine = Facility.objects.get(code="rsud-bandung")
    assert url == f"/facilities/{mine.pk}/"
    elsewhere = Facility.objects.get(code="klinik-sumedang")
    assert client.get(f"/facilities/{elsewhere.pk}/").status_code == 404


def test_the_home_opens_on_the_facility_last_looked_at() -> None:
    client, _, _ = home_of("dokter.nyeri")
    cimahi = Facility.objects.get(code="klinik-cimahi")
    assert client.get(f"/facilities/{cimahi.pk}/").status_code == 200
    assert client.get("/")["Location"] == f"/facilities/{cimahi.pk}/"


def _queries(client: Client, url: str) -> int:
    client.get(url)
    with CaptureQueriesContext(connection) as captured:
        client.get(url)
    return len(captured)


@pytest.mark.parametrize("username", ["kredensial", "kepatuhan", "admin", "manajer", "apoteker", "perawat"])
def test_each_home_runs_the_same_number_of_queries_with_more_work_waiting(username: str) -> None:
    client, url, response = home_of(username)
    facility = response.context["facility"]
    before = _queries(client, url)
    org = facility.organization
    # More of every kind of work the panels count.
    for credential in list(Credential.objects.filter(status=CredentialStatus.SUBMITTED)[:1]) * 3:
        credential.pk = None
        credential.save()
    for n, invitation in enumerate(list(Invitation.objects.filter(status=InvitationStatus.PENDING)[:1]) * 3):
        invitation.pk = None
        invitation.email = f"copy{n}@example.org"
        invitation.token_digest = f"{n:064d}"
        invitation.save()
    for _ in range(3):
        record_event(
            actor=User.objects.get(username="perawat"),
            action=AuditAction.PERMISSION_DENIED,
            outcome=AuditOutcome.DENIED,
            organization=org,
            facility=facility,
            object_type="patient",
            reason="test refusal",
        )
    for posting in list(JobPosting.objects.filter(facility=facility)[:1]) * 3:
        posting.pk = None
        posting.status = PostingStatus.OPEN
        posting.save()
    after = _queries(client, url)
    assert after == before
