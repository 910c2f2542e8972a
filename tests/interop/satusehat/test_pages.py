"""The SATUSEHAT pages: settings (masked secret, test connection), outbox (banner, fix and resend), IHS lookup."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from nyeri.accounts.models import User
from nyeri.clinical.models import Patient
from nyeri.interop.models import OutboxStatus, SatusehatOutboxEntry, SatusehatSettings
from nyeri.interop.satusehat import secrets
from nyeri.interop.satusehat.fake_server import FakeSatusehat
from nyeri.tenancy.models import Facility, Organization
from nyeri.tenancy.roles import Role
from tests.conftest import MakeMember
from tests.interop.conftest import make_patient
from tests.interop.satusehat.conftest import PATIENT_IHS, PATIENT_NIK
from tests.interop.satusehat.test_outbox import admin_client

SECRET = "kemenkes-secret-0042"


@pytest.fixture
def admin(org: Organization, make_member: MakeMember, fake_satusehat: FakeSatusehat, settings: Any) -> User:
    settings.SATUSEHAT_BASE_URLS = {"staging": fake_satusehat.base_url, "production": "https://invalid.example"}
    settings.SATUSEHAT_TIMEOUT_SECONDS = 2
    fake_satusehat.client_secret = SECRET
    return make_member(org, Role.ADMINISTRATOR, username="admin")


def form(**changes: str) -> dict[str, str]:
    return {
        "environment": "staging",
        "satusehat_organization_id": "100026342",
        "client_id": "nyeri-client",
        "client_secret": SECRET,
        "send_visits_from": "",
        **changes,
    }


def test_an_administrator_saves_the_settings_and_sees_the_secret_masked_never_in_full(
    admin: User, org: Organization
) -> None:
    client = admin_client(admin)

    saved = client.post("/satusehat/settings/", form())
    page = client.get("/satusehat/settings/")

    assert saved.status_code == 302
    row = SatusehatSettings.objects.get(organization=org)
    assert secrets.decrypt(row.client_secret_encrypted) == SECRET
    assert SECRET not in page.content.decode()
    assert "0042" in page.content.decode()
    assert 'href="/satusehat/outbox/"' in client.get("/").content.decode()


def test_bad_settings_are_refused_naming_the_field_and_nothing_is_saved(admin: User, org: Organization) -> None:
    client = admin_client(admin)

    missing = client.post("/satusehat/settings/", form(client_id="", client_secret=""))
    wrong = client.post("/satusehat/settings/", form(environment="mars"))

    assert missing.status_code == wrong.status_code == 400
    assert "client_id" in missing.context["form"].errors
    assert "environment" in wrong.context["form"].errors
    assert not SatusehatSettings.objects.filter(organization=org).exists()


def test_test_connection_says_whether_satusehat_takes_the_credentials(
    admin: User, org: Organization, fake_satusehat: FakeSatusehat
) -> None:
    client = admin_client(admin)
    client.post("/satusehat/settings/", form(client_secret="wrong-secret"))

    refused = client.post("/satusehat/settings/test/", follow=True)
    client.post("/satusehat/settings/", form())
    accepted = client.post("/satusehat/settings/test/", follow=True)

    assert "Invalid client identifier" in refused.content.decode()
    assert "SATUSEHAT menerima client ID dan secret." in accepted.content.decode()  # the page is in Indonesian


def test_the_settings_page_is_for_administrators(org: Organization, make_member: MakeMember) -> None:
    nurse = make_member(org, Role.NURSE, username="nurse")

    response = admin_client(nurse).get("/satusehat/settings/")

    assert response.status_code == 403


def test_the_outbox_shows_the_pause_the_reason_and_resends_a_refused_entry(
    admin: User, org: Organization, fake_satusehat: FakeSatusehat
) -> None:
    client = admin_client(admin)
    client.post("/satusehat/settings/", form())
    SatusehatSettings.objects.filter(organization=org).update(paused_reason="Invalid client identifier")
    entry = SatusehatOutboxEntry.objects.create(
        organization=org,
        local_key="condition:1",
        resource_type="Condition",
        payload={"resourceType": "Condition", "subject": {"reference": f"Patient/{PATIENT_IHS}"}},
        status=OutboxStatus.REFUSED,
        last_error="Condition.code wajib diisi.",
        queued_at=timezone.now(),
    )

    paused = client.get("/satusehat/outbox/?status=refused").content.decode()
    SatusehatSettings.objects.filter(organization=org).update(paused_reason="")
    client.post(f"/satusehat/outbox/{entry.pk}/resend/")
    sent = client.get("/satusehat/outbox/?status=sent").content.decode()

    assert 'data-testid="satusehat-paused"' in paused
    assert "Condition.code wajib diisi." in paused
    assert 'data-testid="resend"' in paused
    entry.refresh_from_db()
    assert entry.status == OutboxStatus.SENT
    assert entry.remote_id in sent


def test_the_patient_page_looks_the_ihs_number_up(
    admin: User, org: Organization, facility: Facility, make_member: MakeMember
) -> None:
    admin_client(admin).post("/satusehat/settings/", form())
    registrar = make_member(org, Role.NURSE, username="front")
    patient = make_patient(org, facility, "RM-9", "Siti Aminah", PATIENT_NIK)
    client = admin_client(registrar)
    assert 'data-testid="lookup-ihs"' in client.get(f"/patients/{patient.pk}/").content.decode()

    answer = client.post(f"/satusehat/patients/{patient.pk}/ihs/", follow=True)

    assert Patient.objects.get(pk=patient.pk).ihs_number == PATIENT_IHS
    assert PATIENT_IHS in answer.content.decode()
