"""A finished visit flows to SATUSEHAT: collected, its references rewritten, sent in order, and the faults."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from nyeri.accounts.models import User
from nyeri.audit.models import AuditAction, AuditEvent, AuditOutcome
from nyeri.clinical.diagnoses.models import Diagnosis
from nyeri.clinical.models import Encounter, EncounterParticipant, Patient
from nyeri.interop.models import OutboxStatus, SatusehatIdentity, SatusehatOutboxEntry, SatusehatSettings
from nyeri.interop.satusehat.fake_server import FakeSatusehat, FaultKind
from nyeri.interop.satusehat.outbox import (
    RESYNC_WINDOW,
    collect_and_drain,
    collect_finished_encounters,
    drain,
    resync_recent_visits,
)
from nyeri.interop.satusehat.services import check_connection, resend_outbox_entry, save_satusehat_settings
from nyeri.notifications.models import Notification, NotificationKind
from nyeri.tenancy.models import Facility, Organization
from nyeri.tenancy.roles import Role
from nyeri.tenancy.scope import Scope, resolve_scope
from nyeri.workforce.models import Credential
from tests.concurrency import all_at_once, raised
from tests.conftest import MakeMember
from tests.interop.conftest import Clinic, at, make_encounter, make_prescription, make_procedure
from tests.interop.satusehat.conftest import PATIENT_IHS

PRACTITIONER_IHS = "10009880728"
ORGANIZATION_ID = "100026342"


def scope_of(user: User) -> Scope:
    scope = resolve_scope(user)
    assert scope is not None
    return scope


@pytest.fixture
def admin(
    org: Organization, make_member: MakeMember, fake_satusehat: FakeSatusehat, settings: Any, clinic: Clinic
) -> Iterator[User]:
    settings.SATUSEHAT_BASE_URLS = {"staging": fake_satusehat.base_url, "production": "https://invalid.example"}
    settings.SATUSEHAT_TIMEOUT_SECONDS = 1
    fake_satusehat.practitioners[clinic.person.nik] = PRACTITIONER_IHS
    user = make_member(org, Role.ADMINISTRATOR, username="admin")
    save_satusehat_settings(
        scope=scope_of(user),
        acting_user=user,
        environment="staging",
        satusehat_organization_id=ORGANIZATION_ID,
        client_id=fake_satusehat.client_id,
        client_secret=fake_satusehat.client_secret,
    )
    yield user
    cache.clear()


@pytest.fixture
def visit(clinic: Clinic, admin: User) -> Clinic:
    """The clinic's finished visit with its physician, a diagnosis, an NRS, a procedure and a prescription."""
    EncounterParticipant.objects.create(
        organization=clinic.org,
        encounter=clinic.encounter,
        person=clinic.person,
        role="primary_performer",
        minutes=30,
        added_by=clinic.user,
    )
    # Diagnoses are append-only (a PostgreSQL trigger): the visit's own is a new row.
    Diagnosis.objects.create(
        organization=clinic.org,
        patient=clinic.patient,
        facility=clinic.facility,
        encounter_id=clinic.encounter.pk,
        icd10_code="M54.5",
        icd10_title="Low back pain",
        icd10_edition="2019",
        icd11_category="MG30.3",
        body_site="lower_back",
        laterality="bilateral",
        recorded_by=clinic.user,
        recorded_at=at(3, 10),
    )
    make_procedure(clinic)
    make_prescription(clinic)
    return clinic


def late_diagnosis(visit: Clinic, code: str, title: str, recorded_at: datetime) -> Diagnosis:
    """A diagnosis of the visit written after it was collected."""
    return Diagnosis.objects.create(
        organization=visit.org,
        patient=visit.patient,
        facility=visit.facility,
        encounter_id=visit.encounter.pk,
        icd10_code=code,
        icd10_title=title,
        icd10_edition="2019",
        recorded_by=visit.user,
        recorded_at=recorded_at,
    )


def sent_types(server: FakeSatusehat) -> list[str]:
    return [path.split("/")[3] for method, path in server.requests if method in ("POST", "PUT") and "fhir" in path]


def entries(org: Organization) -> list[SatusehatOutboxEntry]:
    return list(SatusehatOutboxEntry.objects.filter(organization=org).order_by("pk"))


def test_a_finished_visit_goes_out_with_satusehat_ids_the_encounter_first(
    visit: Clinic, fake_satusehat: FakeSatusehat
) -> None:
    queued = collect_finished_encounters(visit.org)

    report = drain()

    rows = entries(visit.org)
    assert queued == len(rows) == 5
    assert [r.resource_type for r in rows] == [
        "Encounter",
        "Condition",
        "Observation",
        "Procedure",
        "MedicationRequest",
    ]
    assert report.sent == 5
    assert all(r.status == OutboxStatus.SENT and r.remote_id for r in rows)
    # The facility is registered as a Location first, then the Encounter, then the rest.
    assert sent_types(fake_satusehat) == [
        "Location",
        "Encounter",
        "Condition",
        "Observation",
        "Procedure",
        "MedicationRequest",
    ]
    encounter = fake_satusehat.resources[("Encounter", rows[0].remote_id)]
    location_id = SatusehatIdentity.objects.get(resource_type="Location", local_id=visit.facility.pk).remote_id
    assert encounter["subject"] == {"reference": f"Patient/{PATIENT_IHS}"}
    assert encounter["participant"][0]["individual"] == {"reference": f"Practitioner/{PRACTITIONER_IHS}"}
    assert encounter["location"][0]["location"] == {"reference": f"Location/{location_id}"}
    assert encounter["serviceProvider"] == {"reference": f"Organization/{ORGANIZATION_ID}"}
    for row in rows[1:]:
        resource = fake_satusehat.resources[(row.resource_type, row.remote_id)]
        assert resource["subject"] == {"reference": f"Patient/{PATIENT_IHS}"}
    assert fake_satusehat.resources[("Observation", rows[2].remote_id)]["encounter"] == {
        "reference": f"Encounter/{rows[0].remote_id}"
    }
    assert SatusehatIdentity.objects.get(resource_type="Practitioner").remote_id == PRACTITIONER_IHS
    receipts = AuditEvent.objects.filter(
        organization=visit.org, action=AuditAction.EXPORT, outcome=AuditOutcome.SUCCESS, object_type="satusehat_outbox"
    )
    assert sorted(e.reason for e in receipts) == sorted(f"SATUSEHAT {r.resource_type}/{r.remote_id} sent" for r in rows)


def test_a_visit_is_queued_once_and_a_resend_updates_never_duplicates(
    visit: Clinic, admin: User, fake_satusehat: FakeSatusehat
) -> None:
    collect_finished_encounters(visit.org)
    collect_finished_encounters(visit.org)
    drain()
    encounter_entry = entries(visit.org)[0]
    # Refused after the fact (as when SATUSEHAT changes its rules), then fixed and resent:
    # the record SATUSEHAT already has is updated (PUT to its id), not created again.
    SatusehatOutboxEntry.objects.filter(pk=encounter_entry.pk).update(status=OutboxStatus.REFUSED)

    resend_outbox_entry(scope=scope_of(admin), acting_user=admin, entry_id=encounter_entry.pk)

    encounter_entry.refresh_from_db()
    assert len(entries(visit.org)) == 5
    assert encounter_entry.status == OutboxStatus.SENT
    assert fake_satusehat.count("Encounter") == 1
    stored = fake_satusehat.resources[("Encounter", encounter_entry.remote_id)]
    assert stored["meta"]["versionId"] == "2"
    assert ("PUT", f"/fhir-r4/v1/Encounter/{encounter_entry.remote_id}") in fake_satusehat.requests


def test_an_unlicensed_practitioner_is_not_sent_and_the_visit_waits_until_the_licence_is_fixed(
    visit: Clinic, fake_satusehat: FakeSatusehat
) -> None:
    permit = Credential.objects.get(person=visit.person, number="SIP-456")
    Credential.objects.filter(pk=permit.pk).update(expires_on=date(2026, 10, 1))
    collect_finished_encounters(visit.org)

    report = drain()

    rows = entries(visit.org)
    assert report.waiting == 1
    assert report.sent == 0
    assert all(r.status == OutboxStatus.PENDING for r in rows)
    assert "dr. Budi Santoso" in rows[0].waiting_reason
    assert "2026" in rows[0].waiting_reason
    assert fake_satusehat.count("Encounter") == 0
    Credential.objects.filter(pk=permit.pk).update(expires_on=date(2029, 2, 1))
    assert drain().sent == 0  # looked at again later, not at every round
    later = timezone.now() + timedelta(minutes=11)

    drain(now=lambda: later)

    assert [r.status for r in entries(visit.org)] == [OutboxStatus.SENT] * 5
    assert entries(visit.org)[0].waiting_reason == ""


def test_wrong_credentials_pause_the_organization_and_tell_its_administrators_without_a_retry_storm(
    visit: Clinic, admin: User, fake_satusehat: FakeSatusehat
) -> None:
    fake_satusehat.client_secret = "rotated-by-kemenkes"
    collect_finished_encounters(visit.org)

    report = drain()
    drain()
    collect_and_drain()

    row = SatusehatSettings.objects.get(organization=visit.org)
    assert report.paused
    assert "Invalid client identifier" in row.paused_reason
    assert fake_satusehat.token_requests == 1
    notice = Notification.objects.get(recipient=admin, kind=NotificationKind.SATUSEHAT_CREDENTIALS)
    assert "SATUSEHAT" in notice.message("en")
    assert all(r.status == OutboxStatus.PENDING and r.attempts == 0 for r in entries(visit.org))
    assert check_connection(scope=scope_of(admin), acting_user=admin) != ""
    save_satusehat_settings(
        scope=scope_of(admin),
        acting_user=admin,
        environment="staging",
        satusehat_organization_id=ORGANIZATION_ID,
        client_id=fake_satusehat.client_id,
        client_secret="rotated-by-kemenkes",
    )

    drain()

    assert SatusehatSettings.objects.get(organization=visit.org).paused_reason == ""
    assert [r.status for r in entries(visit.org)] == [OutboxStatus.SENT] * 5


def test_timeouts_server_errors_and_429_are_retried_and_an_expired_token_renewed(
    visit: Clinic, fake_satusehat: FakeSatusehat
) -> None:
    fake_satusehat.timeout_seconds = 2.0
    collect_finished_encounters(visit.org)
    fake_satusehat.plan(FaultKind.EXPIRED_TOKEN)  # renewed at once, within the same attempt
    drain(limit=1)  # the Location and the Encounter
    fake_satusehat.plan(FaultKind.TIMEOUT)
    fake_satusehat.plan(FaultKind.SERVER_ERROR)
    fake_satusehat.plan(FaultKind.TOO_MANY)

    first = drain()

    rows = entries(visit.org)
    assert rows[0].status == OutboxStatus.SENT
    assert rows[0].attempts == 0
    assert first.retried == 3  # three failures in a row end the round
    failed = [r for r in rows if r.attempts]
    assert {r.last_error for r in failed} >= {"Terjadi kesalahan pada server.", "Terlalu banyak permintaan."}
    clock = timezone.now()
    for _minute in range(5):
        clock += timedelta(minutes=1)
        drain(now=partial(lambda moment: moment, clock))

    assert [r.status for r in entries(visit.org)] == [OutboxStatus.SENT] * 5
    assert fake_satusehat.count("Condition") == fake_satusehat.count("Observation") == 1


def test_a_refusal_keeps_the_indonesian_diagnostic_holds_the_visit_and_fix_and_resend_sends_it(
    visit: Clinic, admin: User, fake_satusehat: FakeSatusehat
) -> None:
    Patient.objects.filter(pk=visit.patient.pk).update(ihs_number="P00000000001")
    collect_finished_encounters(visit.org)

    drain()

    rows = entries(visit.org)
    assert rows[0].status == OutboxStatus.REFUSED
    assert rows[0].last_error == "Pasien dengan IHS number P00000000001 tidak ditemukan."
    assert all(r.status == OutboxStatus.PENDING for r in rows[1:])  # held behind their Encounter
    assert drain().handled == 0  # nothing resent until fixed
    Patient.objects.filter(pk=visit.patient.pk).update(ihs_number=PATIENT_IHS)

    resend_outbox_entry(scope=scope_of(admin), acting_user=admin, entry_id=rows[0].pk)

    assert [r.status for r in entries(visit.org)] == [OutboxStatus.SENT] * 5
    assert fake_satusehat.count("Encounter") == 1


def test_satusehat_down_for_an_hour_loses_nothing_and_everything_goes_once_it_returns_in_order(
    visit: Clinic, fake_satusehat: FakeSatusehat
) -> None:
    for day in (4, 5):
        make_encounter(visit.patient, visit.user, at(day))
    collect_finished_encounters(visit.org)
    port = fake_satusehat._httpd.server_address[1] if fake_satusehat._httpd else 0
    fake_satusehat.stop()
    start = timezone.now()

    def at_minute(minute: int) -> Callable[[], datetime]:
        return lambda: start + timedelta(minutes=minute)

    for minute in range(61):  # the periodic job, every minute of the hour
        drain(now=at_minute(minute))
    down = entries(visit.org)
    assert all(r.status == OutboxStatus.PENDING for r in down)
    # No storm: a few attempts per round at most, the back-off spacing them out.
    assert sum(r.attempts for r in down) <= 3 * 61
    assert max(r.attempts for r in down) <= 8
    fake_satusehat.port = port
    fake_satusehat.start()

    for minute in range(61, 61 + 40):
        drain(now=at_minute(minute))

    rows = entries(visit.org)
    assert [r.status for r in rows] == [OutboxStatus.SENT] * 7
    for row in rows:
        assert fake_satusehat.resources[(row.resource_type, row.remote_id)]["meta"]["versionId"] == "1"
        if row.depends_on_id is not None:
            parent = next(r for r in rows if r.pk == row.depends_on_id)
            assert parent.sent_at is not None
            assert row.sent_at is not None
            assert parent.sent_at <= row.sent_at
    assert fake_satusehat.count("Encounter") == 3


@pytest.mark.django_db(transaction=True)
def test_four_workers_drain_at_once_without_sending_a_record_twice(
    org: Organization, make_member: MakeMember, fake_satusehat: FakeSatusehat, settings: Any
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serializes writers: the race needs PostgreSQL")
    settings.SATUSEHAT_BASE_URLS = {"staging": fake_satusehat.base_url, "production": "https://invalid.example"}
    user = make_member(org, Role.ADMINISTRATOR, username="admin")
    save_satusehat_settings(
        scope=scope_of(user),
        acting_user=user,
        environment="staging",
        satusehat_organization_id=ORGANIZATION_ID,
        client_id=fake_satusehat.client_id,
        client_secret=fake_satusehat.client_secret,
    )
    now = timezone.now()
    SatusehatOutboxEntry.objects.bulk_create(
        SatusehatOutboxEntry(
            organization=org,
            local_key=f"condition:{n}",
            resource_type="Condition",
            payload={"resourceType": "Condition", "subject": {"reference": f"Patient/{PATIENT_IHS}"}},
            queued_at=now,
        )
        for n in range(200)
    )

    results = all_at_once([partial(drain, batch=5) for _ in range(4)])

    assert not raised(results)
    assert sum(r.sent for r in results) == 200  # type: ignore[attr-defined]
    assert fake_satusehat.count("Condition") == 200
    assert SatusehatOutboxEntry.objects.filter(status=OutboxStatus.SENT).count() == 200


def test_a_diagnosis_written_after_the_visit_was_sent_goes_out_on_the_next_sweep(
    visit: Clinic, fake_satusehat: FakeSatusehat
) -> None:
    collect_finished_encounters(visit.org)
    drain()
    late = late_diagnosis(visit, "G44.2", "Tension-type headache", at(3, 18))

    # The visit ended on 3 November 2026: the sweep runs within the week after it.
    sweep = at(4, 9)
    assert resync_recent_visits(visit.org, now=sweep) == (1, 0)
    drain()

    entry = SatusehatOutboxEntry.objects.get(local_key=f"condition:{late.pk}")
    assert entry.status == OutboxStatus.SENT
    assert entry.depends_on is not None
    assert entry.depends_on.resource_type == "Encounter"
    condition = fake_satusehat.resources[("Condition", entry.remote_id)]
    assert condition["encounter"] == {"reference": f"Encounter/{entry.depends_on.remote_id}"}
    # Nothing else went again, and a sweep with nothing new does nothing.
    assert sent_types(fake_satusehat).count("Condition") == 2
    assert sent_types(fake_satusehat).count("Encounter") == 1
    assert resync_recent_visits(visit.org, now=sweep) == (0, 0)
    # A visit older than the window is no longer looked at (its later records wait for a
    # person's resend); within the window the same record would have been queued.
    late_diagnosis(visit, "R52", "Pain, unspecified", at(12, 9))
    assert resync_recent_visits(visit.org, now=at(3, 9) + RESYNC_WINDOW + timedelta(days=2)) == (0, 0)
    assert resync_recent_visits(visit.org, now=sweep) == (1, 0)


def test_a_sweep_that_finds_nothing_new_runs_as_many_queries_for_three_visits_as_for_one(
    visit: Clinic, fake_satusehat: FakeSatusehat
) -> None:
    collect_finished_encounters(visit.org)
    sweep = at(4, 9)
    with CaptureQueriesContext(connection) as one:
        assert resync_recent_visits(visit.org, now=sweep) == (0, 0)
    for day in (1, 2):
        make_encounter(visit.patient, visit.user, at(day, 9))
    collect_finished_encounters(visit.org)
    with CaptureQueriesContext(connection) as three:
        assert resync_recent_visits(visit.org, now=sweep) == (0, 0)
    assert len(three.captured_queries) == len(one.captured_queries)
    # A record added to one of them is still found.
    late_diagnosis(visit, "R52", "Pain, unspecified", at(3, 18))
    assert resync_recent_visits(visit.org, now=sweep) == (1, 0)


def test_a_record_corrected_after_it_was_sent_is_updated_in_satusehat_not_duplicated(
    visit: Clinic, fake_satusehat: FakeSatusehat
) -> None:
    collect_finished_encounters(visit.org)
    drain()
    encounter_entry = entries(visit.org)[0]
    visit.encounter.refresh_from_db()
    corrected_end = visit.encounter.ends_at + timedelta(minutes=20)
    Encounter.objects.filter(pk=visit.encounter.pk).update(ends_at=corrected_end)

    sweep = at(4, 9)
    assert resync_recent_visits(visit.org, now=sweep) == (0, 1)
    drain()

    encounter_entry.refresh_from_db()
    assert encounter_entry.status == OutboxStatus.SENT
    assert ("PUT", f"/fhir-r4/v1/Encounter/{encounter_entry.remote_id}") in [
        (method, path) for method, path in fake_satusehat.requests if method == "PUT"
    ]
    stored = [key for key in fake_satusehat.resources if key[0] == "Encounter"]
    assert stored == [("Encounter", encounter_entry.remote_id)]
    assert fake_satusehat.resources[stored[0]]["meta"]["versionId"] == "2"
    assert resync_recent_visits(visit.org, now=sweep) == (0, 0)


JAYAPURA = ZoneInfo("Asia/Jayapura")


@pytest.mark.parametrize(
    ("signed_at", "belongs"),
    [
        # 23:30 WIT on the visit's day (21:30 WIB): the same day in Jayapura.
        (datetime(2026, 11, 3, 23, 30, tzinfo=JAYAPURA), True),
        # 00:30 WIT on the 4th is still 22:30 WIB on the 3rd: the installation's day would
        # have counted it, but in Jayapura the visit's day is over.
        (datetime(2026, 11, 4, 0, 30, tzinfo=JAYAPURA), False),
    ],
)
def test_a_jayapura_visit_takes_the_prescriptions_signed_on_its_wit_day(
    clinic: Clinic, admin: User, signed_at: datetime, belongs: bool
) -> None:
    Facility.objects.filter(pk=clinic.facility.pk).update(time_zone="Asia/Jayapura")
    # The visit runs 11:00-12:00 WIT on 3 November (09:00-10:00 WIB).
    make_prescription(clinic, signed_at=signed_at)

    collect_finished_encounters(clinic.org)

    types = [r.resource_type for r in entries(clinic.org)]
    assert ("MedicationRequest" in types) is belongs
