"""The SATUSEHAT outbox: queued records are sent by the background job, resent as updates, failures kept."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.utils import timezone

from nyeri.accounts.models import User
from nyeri.audit.models import AuditAction, AuditEvent, AuditOutcome
from nyeri.background.models import JobRun
from nyeri.interop.models import OutboxStatus, SatusehatOutboxEntry
from nyeri.interop.satusehat.fake_server import FakeSatusehat, FaultKind
from nyeri.interop.satusehat.outbox import drain
from nyeri.interop.satusehat.selectors import outbox_entries
from nyeri.interop.satusehat.services import queue_for_satusehat, save_satusehat_settings
from nyeri.tenancy.models import Organization
from nyeri.tenancy.roles import Role
from nyeri.tenancy.scope import Scope, resolve_scope
from tests.accounts_fixtures import give_second_factor, verify
from tests.conftest import MakeMember, log_in
from tests.interop.satusehat.conftest import PATIENT_IHS


def admin_client(user: User) -> Client:
    client = log_in(Client(), user)
    device, _codes = give_second_factor(user)
    verify(client, device)
    return client


def scope_of(user: User) -> Scope:
    scope = resolve_scope(user)
    assert scope is not None
    return scope


def condition(display: str = "Nyeri punggung bawah", *, with_subject: bool = True) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Condition",
        "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10", "code": "M54.5", "display": display}]},
    }
    if with_subject:
        resource["subject"] = {"reference": f"Patient/{PATIENT_IHS}"}
    return resource


@pytest.fixture
def admin(org: Organization, make_member: MakeMember, fake_satusehat: FakeSatusehat, settings: Any) -> User:
    settings.SATUSEHAT_BASE_URLS = {"staging": fake_satusehat.base_url, "production": "https://invalid.example"}
    settings.SATUSEHAT_TIMEOUT_SECONDS = 2
    user = make_member(org, Role.ADMINISTRATOR, username="admin")
    save_satusehat_settings(
        scope=scope_of(user),
        acting_user=user,
        environment="staging",
        satusehat_organization_id="100026342",
        client_id=fake_satusehat.client_id,
        client_secret=fake_satusehat.client_secret,
    )
    return user


def test_a_queued_record_is_sent_and_gets_its_satusehat_id(
    admin: User, org: Organization, fake_satusehat: FakeSatusehat
) -> None:
    entry = queue_for_satusehat(scope=scope_of(admin), acting_user=admin, local_key="diagnosis:1", resource=condition())

    entry.refresh_from_db()
    assert entry.status == OutboxStatus.SENT
    assert ("Condition", entry.remote_id) in fake_satusehat.resources
    assert entry.sent_at is not None
    assert AuditEvent.objects.filter(
        organization=org, action=AuditAction.EXPORT, outcome=AuditOutcome.SUCCESS, object_id=str(entry.pk)
    ).exists()
    run = JobRun.objects.get(job="interop.satusehat_send")
    assert run.organization == org
    assert run.arguments == {"organization_id": org.pk}


def test_a_record_queued_again_is_updated_never_duplicated(admin: User, fake_satusehat: FakeSatusehat) -> None:
    first = queue_for_satusehat(scope=scope_of(admin), acting_user=admin, local_key="diagnosis:1", resource=condition())
    again = queue_for_satusehat(
        scope=scope_of(admin), acting_user=admin, local_key="diagnosis:1", resource=condition("Nyeri kronis")
    )

    assert again.pk == first.pk
    again.refresh_from_db()
    assert SatusehatOutboxEntry.objects.count() == 1
    assert fake_satusehat.count("Condition") == 1
    stored = fake_satusehat.resources[("Condition", again.remote_id)]
    assert stored["code"]["coding"][0]["display"] == "Nyeri kronis"
    assert stored["meta"]["versionId"] == "2"


def test_a_server_error_is_retried_after_a_back_off_and_the_failed_attempt_counted(
    admin: User, fake_satusehat: FakeSatusehat
) -> None:
    fake_satusehat.plan(FaultKind.SERVER_ERROR)

    entry = queue_for_satusehat(scope=scope_of(admin), acting_user=admin, local_key="diagnosis:2", resource=condition())

    entry.refresh_from_db()
    assert (entry.status, entry.attempts, entry.last_error) == ("pending", 1, "Terjadi kesalahan pada server.")
    assert entry.next_attempt_at is not None
    assert entry.next_attempt_at >= timezone.now() + timedelta(seconds=29)
    assert drain().handled == 0  # not due yet
    later = entry.next_attempt_at + timedelta(seconds=1)

    drain(now=lambda: later)

    entry.refresh_from_db()
    assert entry.status == OutboxStatus.SENT
    assert entry.attempts == 1
    assert fake_satusehat.count("Condition") == 1


def test_a_refusal_is_kept_with_its_diagnostics_and_not_retried(admin: User, fake_satusehat: FakeSatusehat) -> None:
    entry = queue_for_satusehat(
        scope=scope_of(admin), acting_user=admin, local_key="diagnosis:3", resource=condition(with_subject=False)
    )

    entry.refresh_from_db()
    assert entry.status == OutboxStatus.REFUSED
    assert entry.last_error == "Condition.subject wajib diisi."
    assert len([r for r in fake_satusehat.requests if r[0] == "POST" and r[1].startswith("/fhir-r4")]) == 1
    assert [e.local_key for e in outbox_entries(scope_of(admin), status=OutboxStatus.REFUSED)] == ["diagnosis:3"]


def test_a_resource_satusehat_does_not_take_is_refused_naming_the_field(admin: User) -> None:
    with pytest.raises(ValidationError) as refused:
        queue_for_satusehat(
            scope=scope_of(admin), acting_user=admin, local_key="x:1", resource={"resourceType": "Basic"}
        )

    assert "resource" in refused.value.message_dict
    assert not SatusehatOutboxEntry.objects.exists()


def test_a_member_without_a_clinical_role_may_not_queue(
    admin: User, org: Organization, make_member: MakeMember
) -> None:
    auditor = make_member(org, Role.COMPLIANCE_OFFICER, username="auditor")

    with pytest.raises(PermissionDenied):
        queue_for_satusehat(scope=scope_of(auditor), acting_user=auditor, local_key="d:1", resource=condition())

    assert not SatusehatOutboxEntry.objects.exists()


def test_each_organization_sees_only_its_own_outbox(
    admin: User, other_org: Organization, make_member: MakeMember
) -> None:
    queue_for_satusehat(scope=scope_of(admin), acting_user=admin, local_key="diagnosis:1", resource=condition())
    other = make_member(other_org, Role.ADMINISTRATOR, username="other")

    assert outbox_entries(scope_of(other)) == []
    assert len(outbox_entries(scope_of(admin))) == 1


def test_the_outbox_page_shows_the_entries_and_never_the_secret(
    admin: User, fake_satusehat: FakeSatusehat, make_member: MakeMember, other_org: Organization
) -> None:
    queue_for_satusehat(scope=scope_of(admin), acting_user=admin, local_key="diagnosis:1", resource=condition())
    queue_for_satusehat(
        scope=scope_of(admin), acting_user=admin, local_key="diagnosis:2", resource=condition(with_subject=False)
    )
    other = make_member(other_org, Role.ADMINISTRATOR, username="other")
    queue_for_satusehat(scope=scope_of(other), acting_user=other, local_key="diagnosis:99", resource=condition())

    client = admin_client(admin)
    page = client.get("/satusehat/outbox/")

    assert page.status_code == 200
    html = page.content.decode()
    assert "diagnosis:1" in html
    assert "diagnosis:2" in html
    assert "Condition.subject wajib diisi." in html
    assert "diagnosis:99" not in html
    assert fake_satusehat.client_secret not in html
    refused = client.get("/satusehat/outbox/?status=refused").content.decode()
    assert "diagnosis:2" in refused
    assert "diagnosis:1<" not in refused


def test_the_outbox_page_is_for_administrators_and_a_refusal_is_audited(
    admin: User, nurse: User, org: Organization
) -> None:
    page = log_in(Client(), nurse).get("/satusehat/outbox/")

    assert page.status_code == 403
    assert AuditEvent.objects.filter(
        organization=org, outcome=AuditOutcome.DENIED, object_type="satusehat_outbox", actor=nurse
    ).exists()
