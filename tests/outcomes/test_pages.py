"""The outcomes page and its CSV export: figures, both languages, the SVG chart, audit, access, bad filters."""

from __future__ import annotations

import csv
import io
import re

from nyeri.accounts.models import User
from nyeri.audit.models import AuditAction, AuditEvent
from nyeri.tenancy.models import Organization
from nyeri.tenancy.roles import Role
from tests.conftest import MakeMember
from tests.outcomes.conftest import Example, client_of

JANUARY = "period=2025-01"


def page(client_user: User, query: str = JANUARY, language: str = "en") -> str:
    response = client_of(client_user, language).get(f"/outcomes/?{query}")
    assert response.status_code == 200
    return response.content.decode()


def test_the_page_shows_the_figures_by_facility_and_category_and_audits_the_read(
    example: Example, physician: User
) -> None:
    html = page(physician)
    assert "<h1>Outcomes report</h1>" in html
    assert (
        "Baselines from 1 Jan 2025 to 31 Jan 2025, measure Numeric Rating Scale for pain, 0-10 (NRS) · "
        "Pain intensity: 4 patients."
    ) in html
    for name in ("Layanan Nyeri RS Sehat", "Klinik Nyeri Cimahi", "MG30.3 Chronic secondary musculoskeletal pain"):
        assert name in html
    assert "No chronic pain category" in html
    # The total at 6 months: 3 of 4 at least 30 % (75.0 %), 2 of 4 at least 50 % (50.0 %).
    assert "3 <small>(75.0 %)</small>" in html
    assert "2 <small>(50.0 %)</small>" in html
    event = AuditEvent.objects.filter(action=AuditAction.READ, object_type="outcomes_report").get()
    assert event.actor_id == physician.pk
    assert event.patient_id is None
    assert event.reason == "page; baseline 2025-01-01..2025-01-31; all facilities; measure nrs"


def test_the_page_names_no_patient(example: Example, physician: User) -> None:
    html = page(physician)
    for patient in (example.p1, example.p2, example.p3, example.p4):
        assert patient.full_name not in html
        assert patient.mrn not in html


def test_the_chart_is_server_side_svg_with_classes_and_no_inline_style_or_script(
    example: Example, physician: User
) -> None:
    html = page(physician, language="id")
    assert html.count('data-testid="outcomes-chart"') == 2  # by facility, by category
    svg = html[html.index("<svg") : html.rindex("</svg>")]
    assert 'class="bar m3-moderate"' in svg
    assert 'class="bar m6-substantial"' in svg
    assert "style=" not in html
    # No inline script (the strict CSP forbids it); the header's menu script is a file.
    assert re.findall(r"<script[^>]*>", html) == ['<script src="/static/nyeri/nav.js" defer>']
    assert "/static/outcomes/outcomes.css" in html
    # Coordinates keep a dot in Indonesian (a comma would break the drawing)...
    widths = re.findall(r'<rect class="bar [^"]+" x="[0-9.]+" y="[0-9.]+" width="([^"]+)"', svg)
    assert widths
    assert all(re.fullmatch(r"[0-9]+\.[0-9]", w) for w in widths)
    # ... while the shares written on the bars use the Indonesian decimal comma (6 months, total: 75 %).
    assert ">75,0 %</text>" in svg


def test_the_page_is_in_indonesian_for_an_indonesian_user(example: Example, physician: User) -> None:
    html = page(physician, language="id")
    assert '<html lang="id">' in html
    assert "Fasilitas" in html  # the facility filter's label
    assert "Ekspor CSV" in html
    assert "MG30.5 Nyeri kronis neuropatik" in html
    assert "3 <small>(75,0 %)</small>" in html


def test_without_a_period_the_page_shows_the_default_year_chosen_in_the_list(physician: User) -> None:
    html = page(physician, query="")
    assert re.search(r'<option value="\d{4}" selected>\d{4}</option>', html)
    assert "No patient has a baseline in this period." in html


def test_the_period_is_chosen_from_months_quarters_and_years(example: Example, physician: User) -> None:
    html = page(physician, query="period=2025-Q1")
    assert '<option value="2025-Q1" selected>Q1 2025 (January-March)</option>' in html
    assert '<option value="2025-03">March 2025</option>' in html
    assert '<option value="2025">2025</option>' in html
    assert "4 patients." in html


def test_the_navigation_links_the_report_for_the_roles_that_may_see_it(
    physician: User, org: Organization, make_member: MakeMember
) -> None:
    link = 'href="/outcomes/"'
    assert link in page(physician, query="")
    officer = make_member(org, Role.COMPLIANCE_OFFICER, username="kepatuhan")
    assert link in page(officer, query="")
    clerk = make_member(org, Role.CREDENTIALING_OFFICER, username="kredensial")
    client = client_of(clerk)
    assert link not in client.get("/notifications/").content.decode()
    assert client.get("/outcomes/").status_code == 403
    assert client.get("/outcomes/export.csv").status_code == 403
    denied = AuditEvent.objects.filter(action=AuditAction.PERMISSION_DENIED, actor=clerk)
    assert denied.count() == 2
    assert {e.object_type for e in denied} == {"outcomes_report"}


def test_a_facility_limited_member_sees_only_their_facility(
    example: Example, org: Organization, make_member: MakeMember
) -> None:
    nurse = make_member(org, Role.NURSE, username="ns_b", facilities=(example.b,))
    html = page(nurse)
    assert "Klinik Nyeri Cimahi" in html
    assert "Layanan Nyeri RS Sehat" not in html
    assert "1 patients." in html


def test_a_link_with_dates_is_refused_with_the_reason(example: Example, physician: User) -> None:
    html = page(physician, query="from=2025-01-01&to=2025-03-30")
    assert "Choose a period from the list: a month (2025-03), a quarter (2025-Q1) or a year (2025)." in html
    assert 'data-testid="outcomes-by-facility"' not in html
    assert not AuditEvent.objects.filter(object_type="outcomes_report", action=AuditAction.READ).exists()


def test_a_period_not_in_the_list_is_refused_on_the_period_field(example: Example, physician: User) -> None:
    html = page(physician, query="period=2025-01-15")
    match = re.search(r'<div class="field has-error">\s*<label for="id_period">', html)
    assert match, "the error is shown under the 'period' field"
    assert "Choose a period from the list" in html


def test_an_unknown_facility_is_refused_on_the_facility_field(
    example: Example, physician: User, other_org: Organization
) -> None:
    from nyeri.tenancy.models import Facility

    foreign = Facility.objects.create(
        organization=other_org, name="Klinik Lain", code="lain", kind="pain_clinic", province="X", regency="Y"
    )
    for facility_id in (foreign.pk, 999999, "abc"):
        html = page(physician, query=f"{JANUARY}&facility={facility_id}")
        assert "Unknown facility: choose one of the facilities of your organization." in html
        assert "Klinik Lain" not in html


def test_the_csv_export_holds_the_same_figures_and_is_audited(example: Example, physician: User) -> None:
    response = client_of(physician).get(f"/outcomes/export.csv?{JANUARY}")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="outcomes-sehat-2025-01-01-2025-01-31.csv"'
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    header, body = rows[0], rows[1:]
    assert header[:3] == ["Breakdown", "Code", "Group"]
    assert header[12:] == [
        "At least 30 % reduction",
        "At least 30 % reduction, percent of assessed",
        "At least 50 % reduction",
        "At least 50 % reduction, percent of assessed",
    ]
    # 2 facilities + 3 categories + the total, each at 3 and 6 months.
    assert len(body) == 12
    by_row = {(r[0], r[1], r[8]): r for r in body}
    assert by_row[("total", "total", "6")] == [
        "total",
        "total",
        "Total",
        "2025-01-01",
        "2025-01-31",
        "nrs",
        "4",
        "0",
        "6",
        "0",  # not yet due
        "0",  # not assessed
        "4",  # assessed
        "3",
        "75.0",
        "2",
        "50.0",
    ]
    # Facility B at 3 months: P3 not assessed, nobody assessed -> empty shares.
    assert by_row[("facility", "cimahi", "3")][6:] == ["1", "0", "3", "0", "1", "0", "0", "", "0", ""]
    assert by_row[("category", "MG30.5", "3")][2] == "MG30.5 Chronic neuropathic pain"
    text = response.content.decode()
    assert example.p1.full_name not in text
    assert example.p1.mrn not in text
    export = AuditEvent.objects.get(action=AuditAction.EXPORT)
    assert (export.actor_id, export.object_type, export.patient_id) == (physician.pk, "outcomes_report", None)
    assert export.reason == "csv; baseline 2025-01-01..2025-01-31; all facilities; measure nrs"


def test_the_csv_of_one_facility_is_named_after_it_and_audited_with_it(example: Example, physician: User) -> None:
    response = client_of(physician).get(f"/outcomes/export.csv?{JANUARY}&facility={example.b.pk}")
    assert response["Content-Disposition"] == 'attachment; filename="outcomes-cimahi-2025-01-01-2025-01-31.csv"'
    export = AuditEvent.objects.get(action=AuditAction.EXPORT)
    assert export.facility_id == example.b.pk


def test_the_csv_with_bad_filters_goes_back_to_the_page_and_exports_nothing(physician: User) -> None:
    response = client_of(physician).get("/outcomes/export.csv?period=2025-06-01")
    assert response.status_code == 302
    assert response["Location"] == "/outcomes/?period=2025-06-01"
    assert not AuditEvent.objects.filter(action=AuditAction.EXPORT).exists()


def test_the_csv_names_groups_in_the_users_language_and_keeps_the_codes(example: Example, physician: User) -> None:
    response = client_of(physician, "id").get(f"/outcomes/export.csv?{JANUARY}")
    rows = list(csv.reader(io.StringIO(response.content.decode())))[1:]
    mg305 = next(r for r in rows if r[1] == "MG30.5")
    assert (mg305[0], mg305[2], mg305[5]) == ("category", "MG30.5 Nyeri kronis neuropatik", "nrs")
    # Shares keep a dot in the file, whatever the language (a spreadsheet or script reads them).
    total = next(r for r in rows if r[0] == "total" and r[8] == "6")
    assert total[13] == "75.0"


def test_the_export_link_keeps_the_filters(example: Example, physician: User) -> None:
    html = page(physician, query=f"{JANUARY}&facility={example.a.pk}")
    assert f'href="/outcomes/export.csv?period=2025-01&amp;facility={example.a.pk}"' in html


def test_every_bad_filter_is_named_at_once(physician: User) -> None:
    html = page(physician, query="period=2025-Q9&facility=999999&measure=vas")
    assert "Unknown facility: choose one of the facilities of your organization." in html
    assert "Choose a period from the list" in html
    for field in ("facility", "period", "measure"):
        assert re.search(rf'<div class="field has-error">\s*<label for="id_{field}">', html), field
    assert 'data-testid="outcomes-by-facility"' not in html
