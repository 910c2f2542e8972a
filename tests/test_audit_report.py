"""The audit report page (/audit/) and its CSV export."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from unittest import mock

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from nyeri.accounts.models import User
from nyeri.audit.models import AuditAction, AuditEvent, AuditOutcome
from nyeri.audit.services import record_event
from nyeri.audit.verify import verify_chain
from nyeri.tenancy.models import Facility, Organization
from nyeri.tenancy.roles import Role
from tests.conftest import MakeMember, log_in

REPORT = "/audit/"
EXPORT = "/audit/export.csv"


@pytest.fixture
def officer(org: Organization, make_member: MakeMember) -> User:
    return make_member(org, Role.COMPLIANCE_OFFICER, username="ratna")


@pytest.fixture
def officer_client(officer: User) -> Client:
    return log_in(Client(), officer)


def event(
    organization: Organization | None,
    *,
    actor: User | None = None,
    action: AuditAction = AuditAction.READ,
    reason: str = "",
    patient_id: int | None = None,
    facility: Facility | None = None,
    at: datetime | None = None,
    actor_label: str = "",
) -> AuditEvent:
    with mock.patch("nyeri.audit.services.timezone.now", return_value=at or timezone.now()):
        return record_event(
            actor=actor,
            action=action,
            organization=organization,
            facility=facility,
            patient_id=patient_id,
            object_type="patient" if patient_id else "",
            object_id=patient_id or "",
            reason=reason,
            actor_label=actor_label,
        )


def shown_reasons(client: Client, query: str = "") -> list[str]:
    response = client.get(REPORT + query)
    assert response.status_code == 200
    page = response.context["page"]
    assert page is not None, response.context["form"].errors
    # The page's own READ row and the officer's login are part of the report too; skip them.
    return [e.reason for e in page.object_list if e.object_type != "audit_report" and e.action != AuditAction.LOGIN]


def local(*args: int) -> datetime:
    return timezone.make_aware(datetime(*args))  # type: ignore[arg-type]


# --- Who may see what -------------------------------------------------------------------


def test_a_compliance_officer_sees_only_their_organizations_events(
    officer_client: Client, org: Organization, other_org: Organization
) -> None:
    event(org, reason="ours")
    event(other_org, reason="theirs")
    event(None, reason="no organization")
    response = officer_client.get(REPORT)
    assert response.status_code == 200
    content = response.content.decode()
    assert "ours" in content
    assert "theirs" not in content
    assert "no organization" not in content


def test_a_facility_limited_compliance_officer_sees_only_their_facilities_events(
    org: Organization, facility: Facility, make_member: MakeMember
) -> None:
    makassar = Facility.objects.create(
        organization=org,
        name="Klinik Makassar",
        code="makassar",
        kind=Facility.Kind.PAIN_CLINIC,
        province="Sulawesi Selatan",
        regency="Kota Makassar",
        regency_code="73.71",
        time_zone="Asia/Makassar",
    )
    event(org, reason="at our facility", facility=makassar, at=datetime(2026, 4, 1, 13, 30, tzinfo=UTC))
    event(org, reason="at the other facility", facility=facility)
    event(org, reason="organization settings")
    limited = make_member(org, Role.COMPLIANCE_OFFICER, username="limited", facilities=(makassar,))
    client = log_in(Client(), limited)
    assert shown_reasons(client) == ["at our facility"]
    # Its time in the facility's zone, with the zone's label, in the language's one format
    # (the export keeps the full ISO 8601 time).
    assert "1 Apr 2026 21:30 WITA" in client.get(REPORT).content.decode()
    assert "at the other facility" not in client.get(EXPORT).getvalue().decode()


def test_a_nurse_is_refused_and_the_refusal_is_audited(nurse_client: Client, nurse: User, org: Organization) -> None:
    event(org, reason="secret")
    for url in (REPORT, EXPORT):
        response = nurse_client.get(url)
        assert response.status_code == 403
        assert "secret" not in response.content.decode()
    denied = AuditEvent.objects.filter(actor=nurse, action=AuditAction.PERMISSION_DENIED)
    assert denied.count() == 2
    assert all(
        (e.outcome, e.organization_id, e.object_type) == (AuditOutcome.DENIED, org.pk, "audit_report") for e in denied
    )


def test_someone_without_any_membership_is_refused_and_audited(db: None) -> None:
    loner = User.objects.create_user(username="loner", password="correct-horse-battery-9")
    client = log_in(Client(), loner)
    assert client.get(REPORT).status_code == 403
    assert AuditEvent.objects.filter(actor=loner, action=AuditAction.PERMISSION_DENIED, organization=None).exists()


def test_an_anonymous_visitor_is_sent_to_the_login_page(client: Client) -> None:
    response = client.get(REPORT)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_reading_the_report_is_itself_recorded(officer_client: Client, officer: User, org: Organization) -> None:
    officer_client.get(REPORT + "?action=login&patient=77")
    read = AuditEvent.objects.get(actor=officer, action=AuditAction.READ, object_type="audit_report")
    assert read.organization_id == org.pk
    assert read.patient_id == 77
    assert "patient 77" in read.reason
    assert "action login" in read.reason
    assert verify_chain().ok


# --- Filters, sorting, paging -----------------------------------------------------------


def test_the_action_user_and_patient_filters_narrow_the_events(
    officer_client: Client, org: Organization, make_member: MakeMember
) -> None:
    budi = make_member(org, Role.NURSE, username="budi")
    event(org, actor=budi, action=AuditAction.READ, patient_id=5, reason="budi reads 5")
    event(org, actor=budi, action=AuditAction.UPDATE, patient_id=6, reason="budi updates 6")
    event(org, action=AuditAction.READ, patient_id=5, reason="system reads 5")
    assert shown_reasons(officer_client, "?action=update") == ["budi updates 6"]
    assert sorted(shown_reasons(officer_client, f"?user={budi.pk}")) == ["budi reads 5", "budi updates 6"]
    assert sorted(shown_reasons(officer_client, "?patient=5")) == ["budi reads 5", "system reads 5"]
    assert shown_reasons(officer_client, f"?patient=5&user={budi.pk}&action=read") == ["budi reads 5"]


def test_the_period_filter_takes_whole_local_days(officer_client: Client, org: Organization) -> None:
    event(org, reason="before", at=local(2026, 3, 31, 23, 59))
    event(org, reason="first day", at=local(2026, 4, 1, 0, 0))
    event(org, reason="last day", at=local(2026, 4, 30, 23, 59))
    event(org, reason="after", at=local(2026, 5, 1, 0, 0))
    reasons = shown_reasons(officer_client, "?date_from=2026-04-01&date_to=2026-04-30")
    assert sorted(reasons) == ["first day", "last day"]


def test_a_user_of_another_organization_is_not_a_valid_choice(
    officer_client: Client, other_org: Organization, make_member: MakeMember
) -> None:
    stranger = make_member(other_org, Role.NURSE, username="stranger")
    response = officer_client.get(f"{REPORT}?user={stranger.pk}")
    assert response.status_code == 200
    assert "user" in response.context["form"].errors
    assert response.context["page"] is None


def test_an_invalid_date_shows_a_field_error_and_no_events(officer_client: Client, org: Organization) -> None:
    event(org, reason="hidden while the filter is wrong")
    response = officer_client.get(REPORT + "?date_from=31-31-2026")
    assert response.status_code == 200
    assert "date_from" in response.context["form"].errors
    content = response.content.decode()
    assert 'class="field-error"' in content
    assert "hidden while the filter is wrong" not in content


def test_an_end_date_before_the_start_date_is_an_error(officer_client: Client) -> None:
    response = officer_client.get(REPORT + "?date_from=2026-05-02&date_to=2026-05-01")
    assert "date_to" in response.context["form"].errors


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("actor", ["adi", "bayu", "citra"]),
        ("-actor", ["citra", "bayu", "adi"]),
        ("seq", ["bayu", "citra", "adi"]),
        ("-seq", ["adi", "citra", "bayu"]),
        ("password", ["adi", "citra", "bayu"]),  # not a column: the default, newest first
    ],
)
def test_it_sorts_by_whitelisted_columns_only(
    officer_client: Client, org: Organization, sort: str, expected: list[str]
) -> None:
    for name in ("bayu", "citra", "adi"):
        event(org, actor_label=name, reason=name)
    assert shown_reasons(officer_client, f"?sort={sort}") == expected


def test_it_pages_by_fifty_and_pins_the_pages_to_the_trail_as_first_shown(
    officer_client: Client, org: Organization
) -> None:
    for i in range(120):
        event(org, reason=f"e{i:03d}")
    first = officer_client.get(REPORT + "?sort=seq")
    page = first.context["page"]
    # The 120 events, the officer's login and the READ row that records this very page;
    # later rows are not counted, the pages being pinned to the trail as it was then (``upto``).
    assert page.paginator.count == 122
    assert len(page.object_list) == 50
    assert "122" in first.content.decode()
    upto = first.context["upto"]
    assert f"page=2&amp;upto={upto}" in first.content.decode()
    for page_number in (2, 3):
        later = officer_client.get(f"{REPORT}?sort=seq&page={page_number}&upto={upto}")
        assert later.context["page"].paginator.count == 122
    # Sorted by seq, the officer's login comes first, so page 3 starts one event earlier.
    reasons = [e.reason for e in later.context["page"].object_list if e.object_type != "audit_report"]
    assert reasons == [f"e{i:03d}" for i in range(99, 120)]


def test_the_pinned_pages_leave_out_a_members_later_login_although_its_chain_seq_is_lower(
    officer_client: Client, org: Organization, make_member: MakeMember
) -> None:
    # The report mixes two chains: the organization's and the platform chain's logins of its
    # members. Their seqs are unrelated, so the pin is by id: a login after the first page
    # (platform seq 2, far below the organization's) stays out of the pinned pages.
    for i in range(60):
        event(org, reason=f"e{i:03d}")
    first = officer_client.get(REPORT + "?sort=seq")
    upto = first.context["upto"]
    count = first.context["page"].paginator.count
    member = make_member(org, Role.NURSE, username="datang_kemudian")
    log_in(Client(), member)
    late_login = AuditEvent.objects.get(actor=member, action=AuditAction.LOGIN)
    assert late_login.seq < max(e.seq for e in first.context["page"].object_list)
    assert late_login.pk > upto
    later = officer_client.get(f"{REPORT}?sort=seq&page=2&upto={upto}")
    assert later.context["page"].paginator.count == count
    rows = read_csv(officer_client.get(f"{EXPORT}?upto={upto}"))[1:]
    assert "datang_kemudian" not in {row[2] for row in rows}
    # Unpinned, the report shows it.
    assert "datang_kemudian" in {row[2] for row in read_csv(officer_client.get(EXPORT))[1:]}


# Session and user (3), the scope (3), the navigation (2: facilities, the user's own
# record), the READ row (up to 5 on SQLite: savepoint, head, insert, head update,
# release), the user filter's choices and check (2), count and page (2): a fixed budget,
# whatever the number of events.
REPORT_QUERY_BUDGET = 21


def test_the_page_runs_a_fixed_number_of_queries_whatever_the_size(
    officer_client: Client,
    org: Organization,
    facility: Facility,
    make_member: MakeMember,
    django_assert_max_num_queries: Callable[[int], AbstractContextManager[object]],
) -> None:
    actors = [make_member(org, Role.NURSE, username=f"n{i}") for i in range(5)]
    filtered = f"?user={actors[0].pk}&sort=facility"

    def queries(query: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert officer_client.get(REPORT + query).context["page"] is not None
        return len(captured.captured_queries)

    for i in range(3):
        event(org, actor=actors[i % 5], facility=facility, reason=f"small {i}")
    small = (queries(""), queries(filtered))
    for i in range(150):
        event(org, actor=actors[i % 5], facility=facility, patient_id=i + 1, reason=f"big {i}")
    assert (queries(""), queries(filtered)) == small
    with django_assert_max_num_queries(REPORT_QUERY_BUDGET):
        officer_client.get(REPORT + filtered)
    with django_assert_max_num_queries(REPORT_QUERY_BUDGET):
        b"".join(officer_client.get(EXPORT + filtered).streaming_content)  # type: ignore[attr-defined]


# --- CSV export -------------------------------------------------------------------------


def read_csv(response: object) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8")  # type: ignore[attr-defined]
    return list(csv.reader(io.StringIO(body)))


def test_the_csv_export_streams_the_filtered_rows_and_is_recorded_first(
    officer_client: Client, officer: User, org: Organization, other_org: Organization, facility: Facility
) -> None:
    event(org, action=AuditAction.READ, patient_id=9, facility=facility, reason="read 9")
    event(org, action=AuditAction.UPDATE, patient_id=9, reason="update 9")
    event(other_org, action=AuditAction.READ, patient_id=9, reason="their read 9")
    response = officer_client.get(EXPORT + "?action=read&patient=9")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="audit-sehat-')
    assert response.streaming
    # Recorded before a single byte is streamed, with the filters used.
    export = AuditEvent.objects.get(actor=officer, action=AuditAction.EXPORT)
    assert (export.organization_id, export.patient_id, export.object_type) == (org.pk, 9, "audit_report")
    assert "patient 9" in export.reason
    assert "action read" in export.reason
    header, *rows = read_csv(response)
    assert len(header) == 18
    assert [row[10] for row in rows] == ["read 9"]
    assert rows[0][4] == facility.name
    assert rows[0][6] == "read"


def test_the_csv_export_defuses_spreadsheet_formulas(officer_client: Client, org: Organization) -> None:
    # A failed login keeps the user name as typed: an attacker chooses it.
    event(org, action=AuditAction.LOGIN_FAILED, actor_label="=HYPERLINK(1)", reason="+1")
    rows = read_csv(officer_client.get(EXPORT + "?action=login_failed"))[1:]
    assert rows[0][2] == "'=HYPERLINK(1)"
    assert rows[0][10] == "'+1"


def test_an_export_with_invalid_filters_goes_back_to_the_report(officer_client: Client, officer: User) -> None:
    response = officer_client.get(EXPORT + "?date_to=nope")
    assert response.status_code == 302
    assert response["Location"] == REPORT + "?date_to=nope"
    assert not AuditEvent.objects.filter(actor=officer, action=AuditAction.EXPORT).exists()


def test_the_report_shows_logins_and_failed_logins_of_the_organizations_members_only(
    org: Organization, other_org: Organization, make_member: MakeMember
) -> None:
    officer = make_member(org, Role.COMPLIANCE_OFFICER, username="hendra_login")
    member = make_member(org, Role.NURSE, username="siti_login")
    outsider = make_member(other_org, Role.NURSE, username="orang_lain")
    for username in (member.username, outsider.username):
        Client().post("/accounts/login/", {"username": username, "password": "wrong-password-1"})
    log_in(Client(), member)
    client = log_in(Client(), officer)
    rows = b"".join(client.get("/audit/export.csv").streaming_content).decode()  # type: ignore[attr-defined]
    assert "siti_login" in rows
    assert "orang_lain" not in rows
    assert "login_failed" in rows
