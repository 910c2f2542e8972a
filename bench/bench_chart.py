"""chart: the patient chart page for a patient with five years of daily diary entries.

The question a clinician asks at every visit: *how is this patient doing?* The page
``/patients/<id>/`` (problems, recent encounters, the pain trend SVG with baseline against
latest and responder status, the data table) is requested through Django's test Client as a
logged-in nurse (password login through the real login page; a nurse has no second factor to
settle), in a fresh throw-away database per engine (a temporary SQLite file; PostgreSQL
database ``nyeri_bench_chart``, dropped and re-created).

The patient: ASSESSMENTS current assessments over five years (a diary entry nearly every day,
NRS mostly and PEG some days, patient-reported; a clinician's NRS or BPI-SF at each of
ENCOUNTERS visits), plus amended and entered-in-error versions that the chart must leave out,
and DIAGNOSES diagnoses. OTHER_PATIENTS other patients with OTHER_ASSESSMENTS assessments
each share the tables, so that the patient filter matters.

Rows (both databases):

- ``page_p50_ms`` / ``page_p95_ms``: server time of the default page (12 months), REQUESTS
  timed requests after WARMUP; target p95 <= 150 ms (enforced);
- ``page_all_p50_ms`` / ``page_all_p95_ms``: the same with ``?months=all`` (five years, drawn
  as weekly means); target p95 <= 150 ms (enforced);
- ``queries``: queries of one page request; target: the same number as for a patient with
  5 assessments, 2 encounters and one diagnosis (enforced: the count must not grow with data);
- ``selector_median_ms``: ``patient_chart`` alone (reads, the audit row; no SVG, no template);
- ``floor_series_median_ms``: the raw SQL query fetching the same series (every current score
  of NRS, PEG and BPI severity/interference of the patient): what any chart must at least pay.

Server time is measured around ``Client.get``: the whole Django stack (middleware, session,
second-factor check, scope, the audited read, the SVG, the template), without a network.

Environment: BENCH_REQUESTS (60), BENCH_WARMUP (5), BENCH_POSTGRES_URL
(postgres://postgres@127.0.0.1:5432/nyeri_bench_chart; that database is dropped and
re-created), BENCH_SKIP_POSTGRES=1.
"""

from __future__ import annotations

import math
import multiprocessing as mp
import os
import random
import re
import statistics
import time
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from databases import on_both_databases
from sizes import size

REQUESTS = size("BENCH_REQUESTS", 60, 2)
WARMUP = size("BENCH_WARMUP", 5, 1)
POSTGRES_URL = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/nyeri_bench_chart")
TARGET_P95_MS = 150.0
ASSESSMENTS = 1800  # current assessments of the charted patient
ENCOUNTERS = 100
DIAGNOSES = 4
CORRECTED = 20  # amended versions and as many entered in error, on top
OTHER_PATIENTS = 30
OTHER_ASSESSMENTS = 300
PASSWORD = "bench-chart-password-2026"
DIARY = ASSESSMENTS - ENCOUNTERS


# --- Building the data set ----------------------------------------------------------------


def _score(rng: random.Random, day: int, days: int) -> int:
    """An improving trajectory: about 8 at the start, about 4 at the end, with day-to-day noise."""
    trend = 8 - 4 * day / days
    return max(0, min(10, round(trend + rng.gauss(0, 1.2))))


def _build() -> tuple[Any, Any, Any, int]:
    from django.db import transaction
    from django.utils import timezone

    from nyeri.accounts.models import User
    from nyeri.clinical.diagnoses.models import Diagnosis
    from nyeri.clinical.models import AssessmentScore, Encounter, PainAssessment, Patient
    from nyeri.tenancy.models import Facility, Membership, MembershipRole, Organization

    rng = random.Random(20261126)  # a reproducible data set, not a secret
    now = timezone.now()
    org = Organization.objects.create(name="Klinik Nyeri Bench", slug="bench-chart", kind="clinic_operator")
    facility = Facility.objects.create(
        organization=org,
        name="Klinik Nyeri Bandung",
        code="bandung",
        kind="pain_clinic",
        province="Jawa Barat",
        regency="Kota Bandung",
        regency_code="32.73",
    )
    nurse = User.objects.create_user(username="ners", password=PASSWORD, full_name="Ners Bench", language="id")
    membership = Membership.objects.create(organization=org, user=nurse)
    MembershipRole.objects.create(organization=org, membership=membership, role="nurse")

    def patient(mrn: str, name: str) -> Any:
        return Patient.objects.create(
            organization=org,
            registered_at=facility,
            mrn=mrn,
            full_name=name,
            birth_date=date(1968, 5, 17),
            sex="female",
        )

    def assessment(who: Any, instrument: str, at: datetime, source: str, **fields: Any) -> Any:
        return PainAssessment(
            organization=org,
            patient=who,
            facility=facility,
            instrument_code=instrument,
            instrument_version="2026.11-1",
            recorded_at=at,
            recorded_by=nurse,
            source=source,
            **fields,
        )

    days = 5 * 365
    start = now - timedelta(days=days)
    with transaction.atomic():
        charted = patient("RM-000001", "Siti Rahmawati")
        small = patient("RM-000002", "Budi Santoso")
        encounters = Encounter.objects.bulk_create(
            [
                Encounter(
                    organization=org,
                    patient=charted,
                    facility=facility,
                    kind="first_visit" if n == 0 else rng.choice(["follow_up", "follow_up", "procedure_day"]),
                    status="finished",
                    starts_at=(at := start + timedelta(days=n * days / ENCOUNTERS, hours=2)),
                    ends_at=at + timedelta(minutes=40),
                    created_by=nurse,
                )
                for n in range(ENCOUNTERS)
            ]
        )
        rows: list[tuple[Any, dict[str, int | Decimal]]] = []
        # The diary: DIARY entries on as many different days (a few days skipped), mostly NRS.
        diary_days = sorted(rng.sample(range(days), DIARY))
        for day in diary_days:
            at = start + timedelta(days=day, hours=20, minutes=rng.randrange(60))
            if rng.random() < 0.8:
                rows.append((assessment(charted, "nrs", at, "patient"), {"total": _score(rng, day, days)}))
            else:
                peg = sum(_score(rng, day, days) for _ in range(3)) / Decimal(3)
                rows.append((assessment(charted, "peg", at, "patient"), {"total": round(peg, 1)}))
        # A clinician's rating at every visit: NRS, and the BPI-SF every other visit.
        for n, encounter in enumerate(encounters):
            day = round(n * days / ENCOUNTERS)
            at = encounter.starts_at + timedelta(minutes=10)
            if n % 2:
                severity, interference = Decimal(_score(rng, day, days)), Decimal(_score(rng, day, days))
                rows.append(
                    (
                        assessment(charted, "bpi_sf", at, "clinician", encounter=encounter),
                        {"severity": severity, "interference": interference},
                    )
                )
            else:
                rows.append(
                    (
                        assessment(charted, "nrs", at, "clinician", encounter=encounter),
                        {"total": _score(rng, day, days)},
                    )
                )
        # Entered in error: recorded by mistake, kept, left out of the chart.
        for _ in range(CORRECTED):
            at = start + timedelta(days=rng.randrange(days), hours=21)
            rows.append(
                (
                    assessment(
                        charted,
                        "nrs",
                        at,
                        "clinician",
                        status="entered_in_error",
                        entered_in_error_by=nurse,
                        entered_in_error_at=at,
                        entered_in_error_reason="wrong patient",
                    ),
                    {"total": 10},
                )
            )
        # Other patients' data in the same tables.
        others = [patient(f"RM-1{n:05d}", f"Pasien {n}") for n in range(OTHER_PATIENTS)]
        for who in others:
            for _ in range(OTHER_ASSESSMENTS):
                at = start + timedelta(days=rng.randrange(days), hours=19)
                rows.append((assessment(who, "nrs", at, "patient"), {"total": rng.randrange(11)}))
        # The small patient: the query count must be the same as for the big one.
        for n in range(5):
            rows.append((assessment(small, "nrs", now - timedelta(days=30 - n), "clinician"), {"total": 7 - n}))
        Encounter.objects.bulk_create(
            [
                Encounter(
                    organization=org,
                    patient=small,
                    facility=facility,
                    kind="follow_up",
                    status="finished",
                    starts_at=now - timedelta(days=20 + n),
                    ends_at=now - timedelta(days=20 + n) + timedelta(minutes=30),
                    created_by=nurse,
                )
                for n in range(2)
            ]
        )
        created = PainAssessment.objects.bulk_create([a for a, _ in rows], batch_size=2000)
        scores = [
            AssessmentScore(organization=org, assessment=a, score_code=code, value=Decimal(value))
            for a, (_, values) in zip(created, rows, strict=True)
            for code, value in values.items()
        ]
        # Amended versions: the original (amended, left out) and its amendment (current).
        amended = PainAssessment.objects.bulk_create(
            [
                assessment(
                    charted, "nrs", start + timedelta(days=rng.randrange(days), hours=8), "clinician", status="amended"
                )
                for _ in range(CORRECTED)
            ]
        )
        amendments = PainAssessment.objects.bulk_create(
            [
                assessment(
                    charted,
                    "nrs",
                    original.recorded_at,
                    "clinician",
                    amends=original,
                    original=original,
                    amendment_reason="typing error",
                )
                for original in amended
            ]
        )
        scores += [
            AssessmentScore(organization=org, assessment=a, score_code="total", value=Decimal(9)) for a in amended
        ]
        scores += [
            AssessmentScore(organization=org, assessment=a, score_code="total", value=Decimal(6)) for a in amendments
        ]
        AssessmentScore.objects.bulk_create(scores, batch_size=2000)
        codes = [
            ("R52.2", "Other chronic pain", "MG30.3", "active"),
            ("M54.5", "Low back pain", "", "active"),
            ("M79.1", "Myalgia", "", "resolved"),
            ("G57.1", "Meralgia paraesthetica", "MG30.5", "ruled_out"),
        ]
        Diagnosis.objects.bulk_create(
            [
                Diagnosis(
                    organization=org,
                    patient=who,
                    facility=facility,
                    icd10_code=code,
                    icd10_title=title,
                    icd10_edition="WHO 2019",
                    icd11_category=category,
                    clinical_status=status,
                    recorded_by=nurse,
                    recorded_at=start + timedelta(days=n),
                )
                for who, pairs in ((charted, codes[:DIAGNOSES]), (small, codes[:1]))
                for n, (code, title, category, status) in enumerate(pairs)
            ]
        )
    current = PainAssessment.objects.filter(patient=charted, status="current").count()
    print(
        f"   data: patient {charted.pk}: {current} current assessments "
        f"({DIARY} diary entries, {ENCOUNTERS} at visits, {CORRECTED} amendments), "
        f"{2 * CORRECTED} left out (amended, entered in error), {ENCOUNTERS} encounters, {DIAGNOSES} diagnoses; "
        f"{OTHER_PATIENTS} other patients with {OTHER_ASSESSMENTS} assessments each",
        flush=True,
    )
    return nurse, charted, small, current


# --- Measuring (in a child process per database) ----------------------------------------------

SERIES_SQL = (
    "SELECT a.instrument_code, s.score_code, a.id, a.recorded_at, a.source, s.value"
    " FROM clinical_assessmentscore s JOIN clinical_painassessment a ON a.id = s.assessment_id"
    " WHERE s.organization_id = %s AND a.patient_id = %s AND a.status = 'current'"
    " AND a.instrument_code IN ('bpi_sf', 'nrs', 'peg') AND s.score_code IN ('interference', 'severity', 'total')"
    " ORDER BY a.recorded_at, a.id"
)


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def _timed(fn: Any, runs: int, warmup: int) -> list[float]:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return times


def _measure(url: str, runs: int, warmup: int) -> dict[str, Any]:
    os.environ["DATABASE_URL"] = url
    os.environ["ALLOWED_HOSTS"] = "testserver,localhost"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "nyeri.test_settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.utils import translation

    from nyeri.clinical.chart.selectors import patient_chart
    from nyeri.tenancy.scope import resolve_scope

    call_command("migrate", verbosity=0, interactive=False)
    started = time.perf_counter()
    nurse, charted, small, current = _build()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    print(f"   built in {time.perf_counter() - started:.1f}s", flush=True)

    client = Client()
    response = client.post("/accounts/login/", {"username": nurse.username, "password": PASSWORD})
    assert response.status_code == 302, response.content[:500]

    def page(path: str) -> int:
        got = client.get(path)
        assert got.status_code == 200, got.status_code
        return len(got.content)

    default_path, all_path = f"/patients/{charted.pk}/", f"/patients/{charted.pk}/?months=all"
    html = client.get(all_path).content.decode()
    plotted = len(re.findall(r'<circle class="pt ', html))
    # The nurse reads the page in her own language: look for the caption in that language.
    with translation.override(nurse.language):
        weekly = str(translation.gettext("drawn as weekly means"))
    assert weekly in html, f"five years of a daily diary are drawn as weekly means ({weekly!r} not on the page)"
    sizes = {"default_bytes": page(default_path), "all_bytes": page(all_path), "points_plotted_all": plotted}
    times = _timed(lambda: page(default_path), runs, warmup)
    times_all = _timed(lambda: page(all_path), runs, warmup)
    with CaptureQueriesContext(connection) as big_queries:
        page(default_path)
    with CaptureQueriesContext(connection) as big_all_queries:
        page(all_path)
    with CaptureQueriesContext(connection) as small_queries:
        page(f"/patients/{small.pk}/")

    scope = resolve_scope(nurse)
    assert scope is not None
    selector = _timed(lambda: patient_chart(scope, charted.pk), runs, warmup)

    def floor() -> int:
        with connection.cursor() as cursor:
            cursor.execute(SERIES_SQL, [charted.organization_id, charted.pk])
            return len(cursor.fetchall())

    floor_times = _timed(floor, runs, warmup)
    return {
        "vendor": connection.vendor,
        "current": current,
        "times": times,
        "times_all": times_all,
        "selector": selector,
        "floor": floor_times,
        "series_rows": floor(),
        "queries": len(big_queries),
        "queries_all": len(big_all_queries),
        "queries_small": len(small_queries),
        **sizes,
    }


def _in_child(url: str) -> dict[str, Any]:
    # A fresh process per database: Django's settings (and connection) are chosen once.
    ctx = mp.get_context("spawn")
    with ctx.Pool(1) as pool:
        return pool.apply(_measure, (url, REQUESTS, WARMUP))


def _rows(database: str, m: dict[str, Any]) -> list[dict[str, Any]]:
    common = {
        "name": "chart",
        "database": database,
        "assessments": m["current"],
        "encounters": ENCOUNTERS,
        "diagnoses": DIAGNOSES,
        "requests": len(m["times"]),
    }

    def ms(value: float) -> float:
        return round(value, 1)

    rows = []
    for prefix, times, label, html_bytes in (
        ("page", m["times"], "default page (12 months)", m["default_bytes"]),
        ("page_all", m["times_all"], "?months=all (5 years, weekly means)", m["all_bytes"]),
    ):
        p50, p95 = statistics.median(times), _percentile(times, 0.95)
        rows += [
            {
                **common,
                "metric": f"{prefix}_p50_ms",
                "value": ms(p50),
                "unit": "ms",
                "target": None,
                "met": True,
                "note": f"{label}: {len(times)} requests after {WARMUP} warm-up; {html_bytes:,} bytes of HTML; "
                f"max {max(times):.1f} ms",
            },
            {
                **common,
                "metric": f"{prefix}_p95_ms",
                "value": ms(p95),
                "unit": "ms",
                "target": TARGET_P95_MS,
                "met": p95 <= TARGET_P95_MS,
            },
        ]
    same = m["queries"] == m["queries_all"] == m["queries_small"]
    rows += [
        {
            **common,
            "metric": "queries",
            "value": m["queries"],
            "unit": "queries",
            "target": m["queries_small"],
            "met": same,
            "note": f"per page request; a patient with 5 assessments and 2 encounters: {m['queries_small']}; "
            f"?months=all: {m['queries_all']}",
        },
        {
            **common,
            "metric": "selector_median_ms",
            "value": ms(statistics.median(m["selector"])),
            "unit": "ms",
            "target": None,
            "met": True,
            "note": "patient_chart() alone: the audited read, problems, encounters, the series (no SVG, no template)",
        },
        {
            **common,
            "metric": "floor_series_median_ms",
            "value": ms(statistics.median(m["floor"])),
            "unit": "ms",
            "target": None,
            "met": True,
            "note": f"raw SQL, {m['series_rows']} score rows (the series of the chart)",
        },
    ]
    return rows


def run() -> list[dict[str, Any]]:
    return on_both_databases(POSTGRES_URL, measure=_in_child, rows=_rows, what=f"{REQUESTS} requests per page")
