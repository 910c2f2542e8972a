"""Every denied attempt is audited: 403s and "not found" on an object asked for by identifier.

The row must not reveal whether the object exists elsewhere: a probe of another
organization's identifiers gets the answers, and leaves the rows, of a truly missing one.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date, timedelta

import pytest
from django.core import mail
from django.db import connection, transaction
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from nyeri.accounts.models import User
from nyeri.accounts.services import create_api_token
from nyeri.audit.models import AuditAction, AuditEvent, AuditOutcome
from nyeri.audit.services import record_event
from nyeri.background.schedule import PERIODIC_JOBS
from nyeri.clinical.models import AdministrativeSex, Patient
from nyeri.notifications.models import Notification, NotificationKind
from nyeri.notifications.services import notify_probing
from nyeri.tenancy.models import Facility, Organization
from nyeri.tenancy.roles import Role
from tests.accounts_fixtures import give_second_factor, verify
from tests.conftest import PASSWORD, MakeMember, log_in


def make_patients(org: Organization, facility: Facility, count: int, prefix: str) -> list[Patient]:
    return [
        Patient.objects.create(
            organization=org,
            registered_at=facility,
            mrn=f"{prefix}-{n}",
            full_name=f"Pasien {prefix} {n}",
            birth_date=date(1970, 1, 2),
            sex=AdministrativeSex.FEMALE,
        )
        for n in range(count)
    ]


def bearer(raw: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def missing_ids(count: int) -> list[int]:
    """Identifiers no row has, in any organization."""
    top = Patient.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    return [top + 1000 + n for n in range(count)]


def denials(actor: User, outcome: AuditOutcome | None = None) -> list[AuditEvent]:
    rows = AuditEvent.objects.filter(actor=actor, outcome__in=[AuditOutcome.DENIED, AuditOutcome.NOT_FOUND])
    if outcome is not None:
        rows = rows.filter(outcome=outcome)
    return list(rows.order_by("id"))


@pytest.fixture
def prober(org: Organization, facility: Facility, make_member: MakeMember) -> User:
    return make_member(org, Role.NURSE, username="penyelidik")


@pytest.fixture
def prober_token(prober: User) -> str:
    _token, raw = create_api_token(acting_user=prober, name="probe", expires_in_days=None)
    return raw


@pytest.fixture
def foreign_patients(other_org: Organization, other_facility: Facility) -> list[Patient]:
    return make_patients(other_org, other_facility, 30, "LAIN")


def verified_client(user: User) -> Client:
    """Logged in with the second factor every administrator and superuser must have."""
    client = log_in(Client(), user)
    device, _codes = give_second_factor(user)
    verify(client, device)
    return client


# --- Not found ---------------------------------------------------------------------------


def test_a_probe_of_30_swapped_ids_writes_30_rows_and_answers_like_missing_ids(
    org: Organization, prober: User, prober_token: str, foreign_patients: list[Patient]
) -> None:
    client = Client(**bearer(prober_token))
    missing = missing_ids(1)[0]
    expected = client.get(f"/api/patients/{missing}")
    assert expected.status_code == 404
    before = AuditEvent.objects.count()

    for patient in foreign_patients:
        response = client.get(f"/api/patients/{patient.pk}")
        assert response.status_code == 404
        assert response.json() == expected.json()
        assert response["Content-Type"] == expected["Content-Type"]

    rows = denials(prober, AuditOutcome.NOT_FOUND)
    assert AuditEvent.objects.count() - before == 30
    assert len(rows) == 31  # the missing id's too
    probed = rows[1:]
    assert [r.object_id for r in probed] == [str(p.pk) for p in foreign_patients]
    for row in probed:
        assert row.organization_id == org.pk  # the prober's own organization's chain
        assert row.action == AuditAction.READ
        assert row.object_type == "patient"
        assert row.patient_id is None  # nothing read about the patient, not even whose it is
        assert row.reason == f"404 GET /api/patients/{row.object_id} (patient_id={row.object_id})"
    # The row of an existing foreign id and of a missing one differ only in the id.
    first, missing_row = rows[1], rows[0]
    assert (first.action, first.outcome, first.object_type, first.organization_id, first.facility_id) == (
        missing_row.action,
        missing_row.outcome,
        missing_row.object_type,
        missing_row.organization_id,
        missing_row.facility_id,
    )


def _shape(queries: list[dict[str, str]]) -> list[str]:
    # The statements without their values: the same work whatever the identifier.
    return [re.sub(r"'[^']*'|\b\d+\b", "V", q["sql"]) for q in queries]


def test_an_existing_foreign_id_and_a_missing_one_run_the_same_statements_and_the_row_is_one_insert(
    prober_token: str, foreign_patients: list[Patient]
) -> None:
    client = Client(**bearer(prober_token))
    missing_id = missing_ids(1)[0]
    client.get(f"/api/patients/{missing_id + 1}")  # warm up: prepared statements, the token's last use
    with CaptureQueriesContext(connection) as foreign:
        assert client.get(f"/api/patients/{foreign_patients[0].pk}").status_code == 404
    with CaptureQueriesContext(connection) as missing:
        assert client.get(f"/api/patients/{missing_id}").status_code == 404
    assert _shape(foreign.captured_queries) == _shape(missing.captured_queries)

    audit = [q["sql"] for q in foreign.captured_queries if "audit_" in q["sql"]]
    inserts = [sql for sql in audit if "INSERT INTO" in sql and '"audit_auditevent"' in sql]
    assert len(inserts) == 1
    if connection.vendor == "postgresql":
        # One statement: the chain's head moved and the row inserted together.
        assert len(audit) == 1
    else:
        # SQLite: the chain's head moved (the row hashed in the same statement), the row inserted.
        assert len(audit) == 2


def test_pages_and_fhir_reads_of_another_organizations_object_are_audited_like_missing_ones(
    org: Organization, prober: User, foreign_patients: list[Patient]
) -> None:
    client = log_in(Client(), prober)
    foreign, missing = foreign_patients[0].pk, missing_ids(1)[0]
    page_foreign = client.get(f"/patients/{foreign}/")
    page_missing = client.get(f"/patients/{missing}/")
    assert page_foreign.status_code == page_missing.status_code == 404
    assert [t.name for t in page_foreign.templates] == [t.name for t in page_missing.templates]
    rows = denials(prober, AuditOutcome.NOT_FOUND)
    assert [(r.object_type, r.object_id) for r in rows] == [("patient", str(foreign)), ("patient", str(missing))]
    assert all(r.organization_id == org.pk for r in rows)


def test_a_fhir_read_of_another_organizations_patient_is_not_found_and_audited(
    org: Organization, prober: User, foreign_patients: list[Patient]
) -> None:
    _token, raw = create_api_token(acting_user=prober, name="fhir", expires_in_days=None, scopes=["fhir:export"])
    client = Client(**bearer(raw))
    foreign = client.get(f"/fhir/R4/Patient/{foreign_patients[0].pk}")
    missing = client.get(f"/fhir/R4/Patient/{missing_ids(1)[0]}")
    assert foreign.status_code == missing.status_code == 404
    assert foreign.json() == missing.json()
    rows = denials(prober, AuditOutcome.NOT_FOUND)
    assert [r.object_type for r in rows] == ["fhir.Patient", "fhir.Patient"]
    assert rows[0].object_id == str(foreign_patients[0].pk)


def test_a_not_found_inside_a_rolled_back_write_keeps_its_row(
    org: Organization, prober: User, prober_token: str, foreign_patients: list[Patient]
) -> None:
    client = Client(**bearer(prober_token))
    response = client.post(
        f"/api/patients/{foreign_patients[0].pk}/assessments",
        {"instrument": "nrs", "answers": {"score": 5}},
        content_type="application/json",
    )
    assert response.status_code == 404
    (row,) = denials(prober)
    assert (row.action, row.outcome, row.object_id) == (
        AuditAction.CREATE,
        AuditOutcome.NOT_FOUND,
        str(foreign_patients[0].pk),
    )


def test_anonymous_requests_are_not_denied_attempts(foreign_patients: list[Patient]) -> None:
    before = AuditEvent.objects.count()
    assert Client().get(f"/patients/{foreign_patients[0].pk}/").status_code == 302  # to the login page
    assert Client().get(f"/api/patients/{foreign_patients[0].pk}").status_code == 401
    assert AuditEvent.objects.count() == before


def test_a_not_found_without_an_identifier_is_not_a_denied_attempt(prober: User) -> None:
    client = log_in(Client(), prober)
    assert client.get("/no-such-page/").status_code == 404
    assert denials(prober) == []


# --- 403 -------------------------------------------------------------------------------


def test_a_refusal_recorded_by_the_door_is_not_recorded_twice(org: Organization, prober: User) -> None:
    client = log_in(Client(), prober)
    assert client.get("/audit/").status_code == 403  # not a compliance officer: audited there
    (row,) = denials(prober)
    assert (row.action, row.object_type, row.reason) == (
        AuditAction.PERMISSION_DENIED,
        "audit_report",
        "not a compliance officer",
    )


def test_a_403_that_nothing_recorded_gets_one_row(db: None) -> None:
    # An account with no membership anywhere: the scope refuses, and nobody wrote a row.
    loner = User.objects.create_user(username="sendiri", password=PASSWORD)
    client = log_in(Client(), loner)
    assert client.get("/").status_code == 403
    (row,) = denials(loner)
    assert (row.action, row.outcome, row.organization_id, row.object_type, row.object_id) == (
        AuditAction.PERMISSION_DENIED,
        AuditOutcome.DENIED,
        None,
        "request",
        "/",
    )
    assert row.reason == "403 GET /"


def test_a_403_to_an_account_of_no_organization_reads_its_membership_once(db: None) -> None:
    loner = User.objects.create_user(username="sendiri", password=PASSWORD)
    client = log_in(Client(), loner)
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/api/patients").status_code == 403
    memberships = [q for q in queries.captured_queries if 'FROM "tenancy_membership"' in q["sql"]]
    assert len(memberships) == 1
    (row,) = denials(loner)
    assert (row.organization_id, row.object_type, row.object_id) == (None, "request", "/api/patients")


def test_a_refused_token_scope_is_one_row(prober: User, foreign_patients: list[Patient]) -> None:
    _token, raw = create_api_token(acting_user=prober, name="fhir", expires_in_days=None, scopes=["fhir:export"])
    response = Client(**bearer(raw)).get(f"/api/patients/{foreign_patients[0].pk}")
    assert response.status_code == 403
    (row,) = denials(prober)
    assert row.object_type == "api_token"


def test_an_anonymous_form_without_its_csrf_token_is_one_row(db: None) -> None:
    client = Client(enforce_csrf_checks=True)
    assert client.post("/accounts/login/", {"username": "x", "password": "y"}).status_code == 403
    (row,) = AuditEvent.objects.filter(outcome=AuditOutcome.DENIED)
    assert (row.actor_id, row.organization_id, row.object_type) == (None, None, "request")


def test_denial_rows_are_written_in_the_request_context(prober: User, prober_token: str) -> None:
    Client(**bearer(prober_token)).get("/api/patients/999999", HTTP_X_REQUEST_ID="probe-1")
    (row,) = denials(prober)
    assert row.request_id == "probe-1"
    assert row.client_address == "127.0.0.1"
    assert timezone.now() - row.occurred_at < timedelta(minutes=1)


# --- Repeated probing ----------------------------------------------------------------------


@pytest.fixture
def watchers(org: Organization, make_member: MakeMember) -> tuple[User, User]:
    officer = make_member(org, Role.COMPLIANCE_OFFICER, username="ratna", language="en")
    admin = make_member(org, Role.ADMINISTRATOR, username="admin")
    User.objects.filter(pk=officer.pk).update(email="ratna@sehat.example")
    return officer, admin


def test_a_probe_of_30_swapped_ids_raises_one_notification_per_officer_and_administrator(
    org: Organization,
    other_org: Organization,
    make_member: MakeMember,
    prober: User,
    prober_token: str,
    foreign_patients: list[Patient],
    watchers: tuple[User, User],
) -> None:
    officer, admin = watchers
    make_member(other_org, Role.COMPLIANCE_OFFICER, username="lain")  # the probed organization's: not told
    client = Client(**bearer(prober_token))
    for patient in foreign_patients:
        assert client.get(f"/api/patients/{patient.pk}").status_code == 404

    assert [a.actor_id for a in notify_probing()] == [prober.pk]
    notices = list(Notification.objects.order_by("recipient_id"))
    assert [(n.recipient_id, n.kind, n.organization_id) for n in notices] == [
        (officer.pk, NotificationKind.PROBING, org.pk),
        (admin.pk, NotificationKind.PROBING, org.pk),
    ]
    assert notices[0].link == f"/audit/?denied=on&user={prober.pk}"
    assert notices[1].link == ""  # an administrator is told, the report is the officer's
    assert notices[0].reference == "30"
    # The e-mail copy, in the recipient's language, to those with an address.
    (email,) = mail.outbox
    assert email.to == ["ratna@sehat.example"]
    assert email.subject == "Repeated denied attempts by penyelidik"
    with translation.override("en"):
        assert notices[0].message().startswith("penyelidik was refused or answered “not found” 30 times within 10")
    (alert,) = AuditEvent.objects.filter(object_type="probing_alert")
    assert (alert.organization_id, alert.object_id) == (org.pk, str(prober.pk))
    assert "30 denied or not-found answers" in alert.reason

    # Not one per request, nor one per run: the next probes and runs within the window add none.
    for patient in foreign_patients[:5]:
        client.get(f"/api/patients/{patient.pk}")
    assert notify_probing() == []
    assert notify_probing(now=timezone.now() + timedelta(minutes=5)) == []
    assert Notification.objects.count() == 2
    assert len(mail.outbox) == 1


def test_probing_below_the_threshold_or_spread_beyond_the_window_raises_nothing(
    prober: User, prober_token: str, foreign_patients: list[Patient], watchers: tuple[User, User]
) -> None:
    client = Client(**bearer(prober_token))
    for patient in foreign_patients[:20]:  # the threshold is "more than 20"
        client.get(f"/api/patients/{patient.pk}")
    assert notify_probing() == []
    for patient in foreign_patients[20:]:
        client.get(f"/api/patients/{patient.pk}")
    # Eleven minutes later the window holds none of them.
    assert notify_probing(now=timezone.now() + timedelta(minutes=11)) == []
    assert Notification.objects.count() == 0


@override_settings(PROBE_ALERT_THRESHOLD=2, PROBE_ALERT_WINDOW=timedelta(minutes=1))
def test_the_threshold_and_the_window_are_settings(
    prober: User, prober_token: str, foreign_patients: list[Patient], watchers: tuple[User, User]
) -> None:
    client = Client(**bearer(prober_token))
    for patient in foreign_patients[:3]:
        client.get(f"/api/patients/{patient.pk}")
    assert [a.attempts for a in notify_probing()] == [3]


def test_the_probe_watch_is_a_periodic_job_every_minute() -> None:
    (entry,) = [e for e in PERIODIC_JOBS if e.job == "audit.probe_watch"]
    assert entry.every == timedelta(minutes=1)


# --- The compliance officer's report: denied attempts ----------------------------------------


def test_the_report_filters_denied_attempts_on_the_page_and_in_the_csv(
    org: Organization,
    facility: Facility,
    make_member: MakeMember,
    prober: User,
    prober_token: str,
    foreign_patients: list[Patient],
) -> None:
    officer = make_member(org, Role.COMPLIANCE_OFFICER, username="ratna")
    client = Client(**bearer(prober_token))
    client.get(f"/api/patients/{foreign_patients[0].pk}")  # not found
    Client().post("/accounts/login/", {"username": prober.username, "password": "wrong"})  # a member's failed login
    log_in(Client(), prober).get("/audit/")  # refused
    with transaction.atomic():
        record_event(actor=prober, action=AuditAction.READ, organization=org, reason="an ordinary read")

    officer_client = log_in(Client(), officer)
    response = officer_client.get("/audit/?denied=on")
    assert response.status_code == 200
    shown = [(e.action, e.outcome) for e in response.context["page"].object_list if e.actor_label == prober.username]
    assert sorted(shown) == sorted(
        [
            (AuditAction.READ, AuditOutcome.NOT_FOUND),
            (AuditAction.LOGIN_FAILED, AuditOutcome.FAILURE),
            (AuditAction.PERMISSION_DENIED, AuditOutcome.DENIED),
        ]
    )
    assert "Tidak ditemukan" in response.content.decode()  # the officer reads Indonesian

    export = officer_client.get("/audit/export.csv?denied=on")
    lines = list(csv.reader(io.StringIO(b"".join(export.streaming_content).decode())))  # type: ignore[attr-defined]
    outcomes = sorted(row[7] for row in lines[1:] if row[2] == prober.username)
    assert outcomes == ["denied", "failure", "not_found"]
    assert AuditEvent.objects.filter(object_type="audit_report", reason__contains="denied attempts").count() == 2


def test_a_facility_limited_officer_sees_only_the_denied_attempts_at_their_facilities(
    org: Organization, facility: Facility, make_member: MakeMember, prober_token: str, foreign_patients: list[Patient]
) -> None:
    Client(**bearer(prober_token)).get(f"/api/patients/{foreign_patients[0].pk}")
    limited = make_member(org, Role.COMPLIANCE_OFFICER, username="terbatas", facilities=(facility,))
    response = log_in(Client(), limited).get("/audit/?denied=on")
    # The probe happened at no facility: the organization's, for officers of all of it.
    assert [e for e in response.context["page"].object_list if e.outcome == AuditOutcome.NOT_FOUND] == []


def test_the_fhir_audit_event_search_filters_by_outcome(
    org: Organization, make_member: MakeMember, prober_token: str, foreign_patients: list[Patient]
) -> None:
    Client(**bearer(prober_token)).get(f"/api/patients/{foreign_patients[0].pk}")
    officer = make_member(org, Role.COMPLIANCE_OFFICER, username="ratna")
    _token, raw = create_api_token(acting_user=officer, name="fhir", expires_in_days=None, scopes=["fhir:export"])
    bundle = Client(**bearer(raw)).get("/fhir/R4/AuditEvent?outcome=4").json()
    assert [e["resource"]["outcome"] for e in bundle["entry"]] == ["4"]
    assert bundle["entry"][0]["resource"]["entity"][0]["what"]["display"] == f"patient/{foreign_patients[0].pk}"
    refused = Client(**bearer(raw)).get("/fhir/R4/AuditEvent?outcome=7")
    assert refused.status_code == 400


# --- Failed logins for names that do not exist ------------------------------------------------


def test_a_failed_login_for_an_unknown_name_is_recorded_without_organization_and_shown_to_superusers(
    org: Organization, make_member: MakeMember, prober: User
) -> None:
    assert Client().post("/accounts/login/", {"username": "tidak-ada", "password": "x"}).status_code == 200
    (row,) = AuditEvent.objects.filter(action=AuditAction.LOGIN_FAILED)
    assert (row.actor_id, row.organization_id, row.actor_label) == (None, None, "tidak-ada")

    # The organization's officer sees their own members' failed logins, not unknown names.
    officer = make_member(org, Role.COMPLIANCE_OFFICER, username="ratna")
    page = log_in(Client(), officer).get("/audit/?denied=on").context["page"]
    assert "tidak-ada" not in [e.actor_label for e in page.object_list]

    root = User.objects.create_superuser(username="root", password=PASSWORD, email="root@example.org")
    response = verified_client(root).get("/audit/security/?denied=on&typed_name=TIDAK-ADA")
    assert response.status_code == 200
    assert [e.actor_label for e in response.context["page"].object_list] == ["tidak-ada"]
    read = AuditEvent.objects.get(object_type="security_report")
    assert (read.actor_id, read.organization_id) == (root.pk, None)


def test_the_installation_security_report_is_refused_to_everyone_else_with_one_row(
    org: Organization, make_member: MakeMember
) -> None:
    admin = make_member(org, Role.ADMINISTRATOR, username="admin")
    assert verified_client(admin).get("/audit/security/").status_code == 403
    (row,) = denials(admin)
    assert (row.object_type, row.reason) == ("security_report", "not a superuser")
