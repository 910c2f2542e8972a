"""The chart page and its API: problems, recent encounters, the trend with baseline against latest
(figures computed by hand), both languages, the tenant wall, one audit row, fixed queries."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from nyeri.accounts.models import User
from nyeri.audit.models import AuditAction, AuditEvent
from nyeri.clinical.chart import selectors
from nyeri.clinical.chart.selectors import ChartMarker
from nyeri.clinical.models import AssessmentSource, Patient
from nyeri.tenancy.models import Facility, Organization
from nyeri.tenancy.roles import Role
from tests.chart.conftest import add, add_encounters, add_many, diagnose
from tests.clinical.conftest import make_patient
from tests.conftest import MakeMember, log_in

JAKARTA = ZoneInfo("Asia/Jakarta")


def at(year: int, month: int, day: int) -> datetime:
    return datetime(year, month, day, 9, 0, tzinfo=JAKARTA)


@pytest.fixture(autouse=True)
def chart_day() -> Iterator[None]:
    """The charted year below is written in calendar dates (5 January to 20 November 2026):
    these tests look at it from 1 December 2026, whatever day they run on."""
    with time_machine.travel(datetime(2026, 12, 1, 10, 0, tzinfo=JAKARTA), tick=True):
        yield


def chart_of(patient: Patient, **params: str) -> str:
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return f"/patients/{patient.pk}/" + (f"?{query}" if query else "")


def text(html: str) -> str:
    """The page's text with tags dropped and spaces collapsed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html))


@pytest.fixture
def charted(patient: Patient, clinician: User, physician: User) -> Patient:
    """A year of care: two diagnoses, 12 visits, NRS 8 -> 4, PEG 7 -> 5, BPI severity 6.5 -> 4.5."""
    diagnose(
        physician,
        patient,
        "R52.2",
        icd11_category="MG30.3",
        body_site="lower_back",
        laterality="midline",
        onset_date=date(2024, 3, 1),
    )
    diagnose(physician, patient, "M54.5")
    add_encounters(patient, clinician, 12)
    add(patient, clinician, "nrs", at(2026, 1, 5), total="8")
    add(patient, clinician, "nrs", at(2026, 6, 1), total="6")
    add(patient, clinician, "nrs", at(2026, 11, 20), source=AssessmentSource.PATIENT, total="4")
    add(patient, clinician, "peg", at(2026, 1, 5), total="7.00")
    add(patient, clinician, "peg", at(2026, 11, 20), source=AssessmentSource.PATIENT, total="5.00")
    add(patient, clinician, "bpi_sf", at(2026, 2, 1), severity="6.50", interference="5.00")
    add(patient, clinician, "bpi_sf", at(2026, 11, 1), severity="4.50", interference="3.00")
    return patient


def test_the_chart_shows_problems_recent_encounters_and_the_trend_in_english(
    english_client: Client, charted: Patient
) -> None:
    response = english_client.get(chart_of(charted))
    assert response.status_code == 200
    html = response.content.decode()
    page = text(html)
    # Demographics and the links block stay.
    assert "Dadang Suryana" in page
    assert "Birth date" in page
    assert '<nav class="actions"' in html
    assert f'href="/patients/{charted.pk}/diagnoses/"' in html
    # Problems: ICD-10 with its title, the ICD-11 chronic pain category with its title.
    assert "R52.2" in page
    assert "MG30.3" in page
    assert "Chronic secondary musculoskeletal pain" in page
    assert "M54.5" in page
    assert "Low back pain" in page
    # The 10 most recent of 12 encounters, and the way to all of them.
    assert len(re.findall(r'<li id="encounter-\d+">', html)) == 10
    assert f'href="/patients/{charted.pk}/care/"' in html
    assert "See all encounters (12)" in page
    # Baseline against latest, over the whole history:
    # NRS (8 - 4) / 8 = 50 %; PEG (7 - 5) / 7 = 28.6 %; BPI severity (6.5 - 4.5) / 6.5 = 30.8 %.
    assert "NRS Baseline 8 (5 Jan 2026) → latest 4 (20 Nov 2026): \u221250 %, at least 50 % reduction" in page
    assert "PEG Baseline 7.0 (5 Jan 2026) → latest 5.0 (20 Nov 2026): \u221229 %, less than 30 % reduction" in page
    assert (
        "BPI-SF · Pain severity Baseline 6.5 (1 Feb 2026) → latest 4.5 (1 Nov 2026): \u221231 %, "
        "at least 30 % reduction" in page
    )
    # The SVG, its legend with the patient-reported entry, the stylesheet, the data table.
    assert '<svg xmlns="http://www.w3.org/2000/svg" class="trend-chart"' in html
    svg = re.search(r'<svg xmlns="http://www.w3.org/2000/svg".*?</svg>', html, re.S).group(0)  # type: ignore[union-attr]
    assert svg.count('class="pt patient"') == 2  # NRS 4 and PEG 5 come from the patient
    assert svg.count('class="pt clinician"') == 7
    assert "patient-reported" in re.search(r'<ul class="chart-legend".*?</ul>', html, re.S).group(0)  # type: ignore[union-attr]
    assert "/static/clinical/chart.css" in html
    assert re.search(r'<details class="chart-data" id="chart-data">', html)  # collapsed
    assert "Data table (9 values)" in page
    cells = r"<td>([^<]+)</td>" * 3
    rows = re.findall(r'<tr><td><a href="/patients/assessments/\d+/">([^<]+)</a></td>' + cells + "</tr>", html)
    # Newest first; the same time: the later recorded first; one BPI's scores in the measures' order.
    assert rows[:4] == [
        ("20 Nov 2026 09:00 WIB", "PEG", "5.0", "patient-reported"),
        ("20 Nov 2026 09:00 WIB", "NRS", "4", "patient-reported"),
        ("1 Nov 2026 09:00 WIB", "BPI-SF · Pain severity", "4.5", "clinician-recorded"),
        ("1 Nov 2026 09:00 WIB", "BPI-SF · Pain interference", "3.0", "clinician-recorded"),
    ]
    assert rows[-1] == ("5 Jan 2026 09:00 WIB", "NRS", "8", "clinician-recorded")
    assert not re.search(r"\sstyle=", html)


def test_the_chart_is_in_indonesian_with_decimal_commas(clinician_client: Client, charted: Patient) -> None:
    html = clinician_client.get(chart_of(charted)).content.decode()
    page = text(html)
    assert '<html lang="id">' in html
    assert "Tanggal lahir" in page
    assert "Rekam medis pasien" in html
    assert "6,5 (1 Feb 2026)" in page
    assert "4,5 (1 Nov 2026)" in page
    assert "Nyeri kronis lainnya" in page  # the Indonesian ICD-10 title of R52.2
    assert ">1 Nov 2026 09:00 WIB</a></td><td>BPI-SF · Keparahan nyeri</td><td>4,5</td>" in html


def test_the_period_changes_what_is_drawn_and_listed_but_not_the_baseline(
    english_client: Client, charted: Patient
) -> None:
    html = english_client.get(chart_of(charted, months="3")).content.decode()
    page = text(html)
    assert re.search(r'<a href="\?months=3#trend" aria-current="true">3 months</a>', html)
    assert "Pain scores (0-10) over the last 3 months" in page
    assert "Data table (4 values)" in page  # NRS 4, PEG 5, BPI severity and interference of 1 Nov
    assert "Baseline 8 (5 Jan 2026)" in page
    everything = text(english_client.get(chart_of(charted, months="all")).content.decode())
    assert "Pain scores (0-10), whole history" in everything
    assert "Data table (9 values)" in everything


def test_a_long_data_table_is_paged_and_opens_on_another_page(
    english_client: Client, patient: Patient, clinician: User
) -> None:
    add_many(patient, clinician, 250, every_days=1)
    html = english_client.get(chart_of(patient, page="2")).content.decode()
    assert '<details class="chart-data" id="chart-data" open>' in html
    assert "Page 2 of 3" in text(html)
    assert html.count("/patients/assessments/") == 100
    assert "?months=12&amp;page=3#chart-data" in html


def test_a_patient_without_values_gets_a_chart_that_says_so(english_client: Client, patient: Patient) -> None:
    page = text(english_client.get(chart_of(patient)).content.decode())
    assert "No value in this period." in page
    assert "No value yet" in page
    assert "No diagnosis is recorded for this patient." in page
    assert "No encounter yet." in page


def test_one_chart_view_is_one_read_audit_row(english_client: Client, physician: User, charted: Patient) -> None:
    before = AuditEvent.objects.filter(patient_id=charted.pk).count()
    response = english_client.get(chart_of(charted))
    events = list(AuditEvent.objects.filter(patient_id=charted.pk).order_by("pk")[before:])
    assert [(e.action, e.object_type, e.object_id, e.actor_id, e.reason) for e in events] == [
        (AuditAction.READ, "patient", str(charted.pk), physician.pk, "chart")
    ]
    assert events[0].request_id == response["X-Request-ID"]


def test_another_organizations_patient_is_not_found_and_nothing_is_audited_for_it(
    english_client: Client, foreign_patient: Patient
) -> None:
    assert english_client.get(chart_of(foreign_patient)).status_code == 404
    response = english_client.get(f"/api/patients/{foreign_patient.pk}/chart")
    assert (response.status_code, response.json()["error"]["code"]) == (404, "not_found")
    assert not AuditEvent.objects.filter(patient_id=foreign_patient.pk).exists()


def test_a_compliance_officer_cannot_open_the_chart(
    org: Organization, patient: Patient, make_member: MakeMember, client: Client
) -> None:
    log_in(client, make_member(org, Role.COMPLIANCE_OFFICER, username="hendra"))
    assert client.get(chart_of(patient)).status_code == 403
    assert client.get(f"/api/patients/{patient.pk}/chart").status_code == 403


def test_the_chart_takes_the_same_queries_for_few_and_many_data(
    english_client: Client, org: Organization, facility: Facility, clinician: User, physician: User
) -> None:
    few = make_patient(org, facility, "RM-10", "Sedikit")
    many = make_patient(org, facility, "RM-11", "Banyak")
    warm = make_patient(org, facility, "RM-12", "Pemanasan")
    for patient, assessments, encounters in ((few, 5, 2), (many, 60, 14)):
        add_many(patient, clinician, assessments)
        add_encounters(patient, clinician, encounters)
        add(patient, clinician, "bpi_sf", at(2026, 10, 1), severity="5.00", interference="4.00")
        diagnose(physician, patient, "R52.2", icd11_category="MG30.3")
        diagnose(physician, patient, "M54.5", body_site="lower_back")
        diagnose(physician, patient, "M79.1")
    english_client.get(chart_of(warm))  # the session and the audit chain are warm
    counts = {}
    for name, patient in (("few", few), ("many", many)):
        for months in ("12", "all"):
            with CaptureQueriesContext(connection) as queries:
                response = english_client.get(chart_of(patient, months=months))
            assert response.status_code == 200
            counts[name, months] = len(queries)
    assert len(set(counts.values())) == 1, counts


def test_the_api_gives_baseline_latest_responder_and_the_series_with_sources(
    english_client: Client, charted: Patient
) -> None:
    response = english_client.get(f"/api/patients/{charted.pk}/chart")
    assert response.status_code == 200
    body = response.json()
    assert (body["patient_id"], body["months"], body["markers"]) == (charted.pk, "12", [])
    nrs, peg, bpi = body["measures"]
    assert (nrs["instrument"], nrs["score"], nrs["values"]) == ("nrs", "total", 3)
    assert (nrs["baseline"]["value"], nrs["latest"]["value"], nrs["latest"]["source"]) == (8.0, 4.0, "patient")
    assert (nrs["reduction_percent"], nrs["responder"], nrs["responder_label"]) == (
        50,
        50,
        "At least 50 % reduction",
    )
    assert (peg["reduction_percent"], peg["responder"]) == (29, 0)
    assert (bpi["instrument"], bpi["score"], bpi["reduction_percent"], bpi["responder"]) == (
        "bpi_sf",
        "severity",
        31,
        30,
    )
    series = {(s["instrument"], s["score"]): s["points"] for s in body["series"]}
    assert [(p["value"], p["source"]) for p in series["nrs", "total"]] == [
        (8.0, "clinician"),
        (6.0, "clinician"),
        (4.0, "patient"),
    ]
    assert [p["value"] for p in series["bpi_sf", "interference"]] == [5.0, 3.0]
    event = AuditEvent.objects.filter(patient_id=charted.pk).latest("pk")
    assert (event.action, event.reason) == (AuditAction.READ, "api: chart")
    # The series endpoint stays as it was.
    assert english_client.get(f"/api/patients/{charted.pk}/series").status_code == 200


def test_the_api_window_limits_the_series_and_an_unknown_one_is_refused(
    english_client: Client, charted: Patient
) -> None:
    body = english_client.get(f"/api/patients/{charted.pk}/chart?months=3").json()
    assert [len(s["points"]) for s in body["series"]] == [1, 1, 1, 1]
    assert body["measures"][0]["baseline"]["value"] == 8.0  # the baseline stays the first value ever
    response = english_client.get(f"/api/patients/{charted.pk}/chart?months=7")
    assert response.status_code == 422
    assert response.json()["error"]["fields"] == [{"field": "months", "message": "Choose 3, 6, 12 or all."}]


def test_treatment_markers_from_the_hook_reach_the_page_and_the_api(
    english_client: Client, charted: Patient, monkeypatch: pytest.MonkeyPatch
) -> None:
    block = ChartMarker(at(2026, 6, 15), "procedure", "Lumbar medial branch block")
    monkeypatch.setattr(selectors, "treatment_markers", lambda scope, patient, since: [block])
    html = english_client.get(chart_of(charted)).content.decode()
    assert '<g class="marker marker-procedure"><title>Lumbar medial branch block (15 Jun 2026)</title>' in html
    assert "Treatments: Lumbar medial branch block (15 Jun 2026)." in html
    legend = re.search(r'<ul class="chart-legend".*?</ul>', html, re.S)
    assert legend is not None
    assert "treatment" in legend.group(0)
    markers = english_client.get(f"/api/patients/{charted.pk}/chart").json()["markers"]
    assert [(datetime.fromisoformat(m["at"]), m["kind"], m["label"]) for m in markers] == [
        (block.at, "procedure", "Lumbar medial branch block")
    ]
