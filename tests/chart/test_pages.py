"""The chart page and its API: problems, recent encounters, the trend with baseline against latest
(figures computed by hand), both languages, the tenant wall, one audit row, fixed queries."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
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
    # Baseline against the mean of the last 7 days (here one value each), over the whole history:
    # NRS (8 - 4) / 8 = 50 %; PEG (7 - 5) / 7 = 28.6 %; BPI severity (6.5 - 4.5) / 6.5 = 30.8 %.
    assert (
        "Numeric Rating Scale for pain, 0-10 (NRS) Baseline 8 (5 Jan 2026); mean of the last 7 days to "
        "20 Nov 2026: 4.0 from 1 value: \u221250 %, at least 50 % reduction" in page
    )
    assert (
        "Pain, Enjoyment of life and General activity scale (PEG) Baseline 7.0 (5 Jan 2026); mean of the last "
        "7 days to 20 Nov 2026: 5.0 from 1 value: \u221229 %, less than 30 % reduction" in page
    )
    assert (
        "Brief Pain Inventory Short Form (BPI-SF) · Pain severity Baseline 6.5 (1 Feb 2026); mean of the last "
        "7 days to 1 Nov 2026: 4.5 from 1 value: \u221231 %, at least 30 % reduction" in page
    )
    assert "compared with the mean of the values recorded on the last 7 days up to the latest value" in page
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
        (
            "20 Nov 2026 09:00 WIB",
            "Pain, Enjoyment of life and General activity scale (PEG)",
            "5.0",
            "patient-reported",
        ),
        ("20 Nov 2026 09:00 WIB", "Numeric Rating Scale for pain, 0-10 (NRS)", "4", "patient-reported"),
        (
            "1 Nov 2026 09:00 WIB",
            "Brief Pain Inventory Short Form (BPI-SF) · Pain severity",
            "4.5",
            "clinician-recorded",
        ),
        (
            "1 Nov 2026 09:00 WIB",
            "Brief Pain Inventory Short Form (BPI-SF) · Pain interference",
            "3.0",
            "clinician-recorded",
        ),
    ]
    assert rows[-1] == ("5 Jan 2026 09:00 WIB", "Numeric Rating Scale for pain, 0-10 (NRS)", "8", "clinician-recorded")
    assert not re.search(r"\sstyle=", html)


def test_the_chart_is_in_indonesian_with_decimal_commas(clinician_client: Client, charted: Patient) -> None:
    html = clinician_client.get(chart_of(charted)).content.decode()
    page = text(html)
    assert '<html lang="id">' in html
    assert "Tanggal lahir" in page
    assert "Rekam medis pasien" in html
    assert "6,5 (1 Feb 2026)" in page
    assert "sampai 1 Nov 2026: 4,5 dari 1 nilai" in page
    assert "Nyeri kronis lainnya" in page  # the Indonesian ICD-10 title of R52.2
    assert (
        ">1 Nov 2026 09:00 WIB</a></td><td>Brief Pain Inventory bentuk singkat (BPI-SF) · Keparahan nyeri</td>" in html
    )
    assert "rata-rata 7 hari terakhir" in page
    assert "Nyeri berkurang sedikitnya 30 % adalah penurunan yang cukup bermakna" in page


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
    assert nrs["recent"] == {"first_day": "2026-11-14", "last_day": "2026-11-20", "values": 1, "mean": 4.0}
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


def test_one_low_diary_entry_does_not_flip_the_responder_status_on_the_chart(
    english_client: Client, patient: Patient, clinician: User
) -> None:
    add(patient, clinician, "nrs", at(2026, 1, 5), total="8")
    for dom in range(14, 20):
        add(patient, clinician, "nrs", at(2026, 11, dom), source=AssessmentSource.PATIENT, total="7")
    add(patient, clinician, "nrs", at(2026, 11, 20), source=AssessmentSource.PATIENT, total="2")
    page = text(english_client.get(chart_of(patient)).content.decode())
    # (6 x 7 + 2) / 7 = 6.29 -> (8 - 6.29) / 8 = 21 %: the latest 2 alone would have been 75 %.
    assert (
        "Baseline 8 (5 Jan 2026); mean of the last 7 days to 20 Nov 2026: 6.3 from 7 values: "
        "\u221221 %, less than 30 % reduction" in page
    )


def test_the_last_7_days_are_counted_on_the_calendar_of_the_facility_that_recorded_each_value(
    org: Organization,
) -> None:
    # 16:30 UTC on 13 November is 23:30 WIB (still the 13th, outside 14-20 November) but 01:30
    # WIT on the 14th (inside): the same moment is in or out of the week by where it was recorded.
    moment = datetime(2026, 11, 13, 16, 30, tzinfo=ZoneInfo("UTC"))
    assert selectors.local_day(selectors.ChartPoint(1, moment, Decimal(3), "patient", "Asia/Jakarta")) == date(
        2026, 11, 13
    )
    assert selectors.local_day(selectors.ChartPoint(1, moment, Decimal(3), "patient", "Asia/Jayapura")) == date(
        2026, 11, 14
    )


@pytest.fixture
def screened(patient: Patient, clinician: User) -> Patient:
    """PHQ-9 12 (moderate) in March and 3 (minimal) in October, GAD-7 16 (severe), ORT 9 (high)."""
    add(patient, clinician, "phq9", at(2026, 3, 2), total="12")
    add(patient, clinician, "phq9", at(2026, 10, 6), total="3")
    add(patient, clinician, "gad7", at(2026, 10, 6), total="16")
    # The band stored with the score when it was computed is the one shown.
    add(patient, clinician, "ort", at(2026, 2, 10), bands={"risk": "high"}, risk="9")
    return patient


def test_the_chart_shows_phq9_gad7_and_ort_bands_with_their_dates_most_recent_first(
    english_client: Client, screened: Patient
) -> None:
    html = english_client.get(chart_of(screened)).content.decode()
    section = re.search(r'<section class="card chart-screening".*?</section>', html, re.S)
    assert section is not None
    shown = text(section.group(0))
    assert (
        "Patient Health Questionnaire-9 (PHQ-9) 6 Oct 2026: 3 Minimal or none 2 Mar 2026: 12 Moderate depression"
        in shown
    )
    assert "Generalized Anxiety Disorder-7 (GAD-7) 6 Oct 2026: 16 Severe anxiety" in shown
    assert "Opioid Risk Tool (ORT) 10 Feb 2026: 9 High risk" in shown
    assert re.findall(r'data-band="([a-z_]+)"', section.group(0)) == ["minimal", "moderate", "severe", "high"]


def test_the_screening_bands_are_in_indonesian_and_in_the_api(clinician_client: Client, screened: Patient) -> None:
    page = text(clinician_client.get(chart_of(screened)).content.decode())
    assert "6 Okt 2026: 3 Minimal atau tidak ada" in page
    assert "2 Mar 2026: 12 Depresi sedang" in page
    assert "Kecemasan berat" in page
    assert "Risiko tinggi" in page
    body = clinician_client.get(f"/api/patients/{screened.pk}/chart").json()
    phq9, gad7, ort = body["screenings"]
    assert (phq9["instrument"], phq9["label"]) == ("phq9", "Patient Health Questionnaire-9 (PHQ-9), kuesioner depresi")
    assert [(r["value"], r["band"], r["band_label"]) for r in phq9["results"]] == [
        (3.0, "minimal", "Minimal atau tidak ada"),
        (12.0, "moderate", "Depresi sedang"),
    ]
    assert [(r["band"]) for r in gad7["results"]] == ["severe"]
    assert [(r["band"]) for r in ort["results"]] == ["high"]
