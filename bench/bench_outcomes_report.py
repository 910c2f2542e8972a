"""outcomes_report: the outcomes report over 200,000 pain assessments (target: at most 3 s).

The question a clinic's lead asks once a month: *of the patients who started with us last
year, how many had 30 % and 50 % less pain after 3 and 6 months, per facility and per
chronic pain category?* (``nyeri.clinical.outcomes.selectors.outcomes_report``).

The data set is built in a fresh throw-away database per engine (a temporary SQLite file;
PostgreSQL database ``nyeri_bench_outcomes``, dropped and re-created): one organization
with 3 facilities and PATIENTS patients, each with ASSESSMENTS numeric-rating assessments
(with their computed score) spread over the year after their baseline; the baselines fall
in the report's default period (the 12 months ending 194 days before the fixed moment AT),
so the report reads every one of them. Trajectories are realistic: about half improve
(some a lot), a quarter stay the same, some get worse, some stop coming after two months,
a few start at 0; about 2 % of the rows were entered in error and 1 % were amended (the
amendment is a further row). Each patient has 0 to 2 diagnoses with ICD-11 MG30
categories (some entered in error or ruled out). A second organization holds another
OTHER_PATIENTS patients, which the report must skip. Rows are written with raw multi-row
inserts (COPY on PostgreSQL), not one ORM save each.

Rows (at the fixed moment AT, so every run computes the same thing):

- ``selector_median_s`` / ``selector_max_s``: RUNS timed runs of the selector (whole
  organization, default period, NRS) after a warm-up; target TARGET_S (enforced);
- ``selector_facility_median_s``: the same for one facility;
- ``page_median_s`` / ``page_max_s``: the whole page (``GET /outcomes/?period=`` with the
  same period: the filters, the selector, the audit row, tables and SVG charts) through
  Django's test client, logged in as a pain physician; target TARGET_S (enforced);
- ``floor_sql_median_s``: the selector's own SQL (the cohort's baselines and the values
  near a follow-up window), its rows fetched as tuples and nothing else; information;
- ``floor_all_values_median_s``: raw SQL reading *every* value of the cohort up to its last
  window (what a report that leaves the windows to Python must at least pay); information;
- ``selector_queries``: queries of one selector call (target: 3).

Environment: BENCH_PATIENTS (2000), BENCH_ASSESSMENTS (100 per patient), BENCH_OTHER_PATIENTS
(200), BENCH_RUNS (5), BENCH_POSTGRES_URL (postgres://postgres@127.0.0.1:5432/nyeri_bench_outcomes;
the database named there is dropped and re-created), BENCH_SKIP_POSTGRES=1.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import random
import statistics
import time
import uuid
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from databases import on_both_databases
from sizes import size

PATIENTS = size("BENCH_PATIENTS", 2000, 20)
ASSESSMENTS = size("BENCH_ASSESSMENTS", 100, 10)
OTHER_PATIENTS = size("BENCH_OTHER_PATIENTS", 200, 5)
RUNS = size("BENCH_RUNS", 5, 1)
POSTGRES_URL = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/nyeri_bench_outcomes")
TARGET_S = 3.0
PASSWORD = "bench-password-1"
SELECTOR_MAX_QUERIES = 3
AT = datetime(2026, 11, 25, 10, 0, tzinfo=ZoneInfo("Asia/Jakarta"))
CATEGORIES = ["MG30.0", "MG30.2", "MG30.3", "MG30.5", "MG30.6", "MG30.1"]
ICD10_FOR = {
    "MG30.0": ("M79.7", "Fibromyalgia"),
    "MG30.1": ("R52.1", "Chronic intractable pain"),
    "MG30.2": ("R52.1", "Chronic intractable pain"),
    "MG30.3": ("M54.5", "Low back pain"),
    "MG30.5": ("G50.0", "Trigeminal neuralgia"),
    "MG30.6": ("G44.2", "Tension-type headache"),
}


def _band(value: int) -> str:
    return "none" if value == 0 else "mild" if value <= 3 else "moderate" if value <= 6 else "severe"


# --- Building the data set ----------------------------------------------------------------


class _Rows:
    """Raw rows for the assessment and score tables, with ids chosen here (no RETURNING needed)."""

    def __init__(self, rng: random.Random, user_id: int) -> None:
        self.rng = rng
        self.user_id = user_id
        self.assessments: list[dict[str, Any]] = []
        self.scores: list[dict[str, Any]] = []
        self.next_id = 1

    def add(
        self,
        org_id: int,
        patient_id: int,
        facility_id: int,
        at: datetime,
        value: int,
        *,
        status: str = "current",
        amends: int | None = None,
        original: int | None = None,
    ) -> int:
        pk = self.next_id
        self.next_id += 1
        error = status == "entered_in_error"
        self.assessments.append(
            {
                "id": pk,
                "organization_id": org_id,
                "patient_id": patient_id,
                "facility_id": facility_id,
                "instrument_code": "nrs",
                "instrument_version": "2026.11-1",
                "recorded_at": at,
                "recorded_by_id": self.user_id,
                "created_at": at,
                "source": "patient" if self.rng.random() < 0.7 else "clinician",
                "status": status,
                "amends_id": amends,
                "original_id": original,
                "amendment_reason": "Typo corrected" if amends else "",
                "entered_in_error_by_id": self.user_id if error else None,
                "entered_in_error_at": at + timedelta(hours=1) if error else None,
                "entered_in_error_reason": "Wrong patient" if error else "",
            }
        )
        self.scores.append(
            {
                "id": pk,
                "organization_id": org_id,
                "assessment_id": pk,
                "score_code": "total",
                "value": Decimal(value),
                "band_code": _band(value),
            }
        )
        return pk

    def patient(self, org_id: int, patient_id: int, facility_ids: list[int], baseline_at: datetime) -> None:
        rng = self.rng
        kind = rng.choices(
            ["improving", "strong", "unchanged", "worsening", "dropout", "zero"], [35, 15, 25, 10, 13, 2]
        )
        start = 0 if kind[0] == "zero" else rng.randint(5, 9)
        target = {
            "improving": start * rng.uniform(0.45, 0.75),
            "strong": start * rng.uniform(0.1, 0.45),
            "unchanged": start * rng.uniform(0.85, 1.05),
            "worsening": min(10, start * rng.uniform(1.1, 1.4)),
            "dropout": start * rng.uniform(0.5, 0.9),
            "zero": rng.uniform(0, 2),
        }[kind[0]]
        span_days = min(365.0, (AT - baseline_at).total_seconds() / 86400 - 1)
        if kind[0] == "dropout":
            span_days = min(span_days, 60.0)
        home = rng.choice(facility_ids)
        offsets = sorted(rng.uniform(1, span_days) for _ in range(ASSESSMENTS - 1))
        self.add(org_id, patient_id, home, baseline_at, start)
        for offset in offsets:
            progress = min(1.0, offset / 150)  # most of the change in the first 5 months
            value = round(start + (target - start) * progress + rng.gauss(0, 0.8))
            value = max(0, min(10, value))
            at = baseline_at + timedelta(days=offset)
            facility = home if rng.random() < 0.9 else rng.choice(facility_ids)
            roll = rng.random()
            if roll < 0.02:
                self.add(org_id, patient_id, facility, at, rng.randint(0, 10), status="entered_in_error")
            elif roll < 0.03:
                first = self.add(org_id, patient_id, facility, at, rng.randint(0, 10), status="amended")
                self.add(org_id, patient_id, facility, at, value, amends=first, original=first)
            else:
                self.add(org_id, patient_id, facility, at, value)


def _insert(model: Any, rows: list[dict[str, Any]]) -> None:
    """Rows in bulk: COPY on PostgreSQL, one executemany on SQLite.

    Every concrete column of the model is written; those a row does not name get their
    default (None for a nullable column, "" for a blank text column), so that columns added
    by later migrations do not break the benchmark.
    """
    from django.db import connection

    fields = model._meta.concrete_fields
    columns = [f.column for f in fields]
    defaults: dict[str, Any] = {}
    for f in fields:
        if f.has_default():
            defaults[f.attname] = f.get_default()
        elif f.null:
            defaults[f.attname] = None
        else:
            defaults[f.attname] = ""
    tuples = [tuple(row.get(f.attname, defaults[f.attname]) for f in fields) for row in rows]
    table = model._meta.db_table
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            raw = cursor.cursor  # the psycopg cursor under Django's wrapper
            with raw.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in tuples:
                    copy.write_row(row)
        return
    ops = connection.ops
    adapted = [
        tuple(
            ops.adapt_datetimefield_value(v)
            if isinstance(v, datetime)
            else ops.adapt_decimalfield_value(v, 7, 2)
            if isinstance(v, Decimal)
            else v
            for v in row
        )
        for row in tuples
    ]
    marks = ", ".join(["%s"] * len(columns))
    with connection.cursor() as cursor:
        cursor.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", adapted)


def _organization(slug: str, facilities: int) -> tuple[Any, list[Any]]:
    from nyeri.tenancy.models import Facility, Organization

    org = Organization.objects.create(name=f"Jaringan Nyeri {slug}", slug=slug, kind="clinic_operator")
    places = [
        Facility.objects.create(
            organization=org,
            name=f"Klinik Nyeri {slug} {n + 1}",
            code=f"{slug}-{n + 1}",
            kind="pain_clinic",
            province="Jawa Barat",
            regency="Kota Bandung",
            regency_code="32.73",
        )
        for n in range(facilities)
    ]
    return org, places


def _build() -> tuple[Any, list[Any], Any, dict[str, int]]:
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction

    from nyeri.clinical.diagnoses.models import Diagnosis
    from nyeri.clinical.models import AssessmentScore, PainAssessment, Patient
    from nyeri.clinical.outcomes.selectors import default_period
    from nyeri.tenancy.models import Membership, MembershipRole

    rng = random.Random(20261125)  # a reproducible data set, not a secret
    user = get_user_model().objects.create_user(username="dr_bench", password=PASSWORD, language="en")
    default = default_period(AT.date())  # a calendar year
    period_start, period_end = default.first, default.last
    first = datetime.combine(period_start, datetime.min.time(), tzinfo=AT.tzinfo)
    days = (period_end - period_start).days + 1
    rows = _Rows(rng, user.pk)
    diagnoses: list[Any] = []
    counts = {"patients": 0}
    with transaction.atomic():
        org, facilities = _organization("bench", 3)
        other, other_facilities = _organization("other", 1)
        membership = Membership.objects.create(organization=org, user=user)
        MembershipRole.objects.create(organization=org, membership=membership, role="pain_physician")
        for organization, places, n in ((org, facilities, PATIENTS), (other, other_facilities, OTHER_PATIENTS)):
            patients = Patient.objects.bulk_create(
                [
                    Patient(
                        organization=organization,
                        registered_at=rng.choice(places),
                        mrn=f"RM-{k:06d}",
                        full_name=f"Pasien {k:06d}",
                        birth_date=datetime(1950 + k % 50, 1 + k % 12, 1 + k % 28).date(),
                        sex="female" if k % 2 else "male",
                    )
                    for k in range(n)
                ],
                batch_size=2000,
            )
            ids = [f.pk for f in places]
            for patient in patients:
                baseline_at = first + timedelta(days=rng.uniform(0, days - 0.01))
                rows.patient(organization.pk, patient.pk, ids, baseline_at)
                for category in rng.sample(CATEGORIES, rng.choices([0, 1, 2], [15, 60, 25])[0]):
                    code, title = ICD10_FOR[category]
                    roll = rng.random()
                    diagnoses.append(
                        Diagnosis(
                            organization=organization,
                            patient=patient,
                            facility=places[0],
                            icd10_code=code,
                            icd10_title=title,
                            icd10_edition="WHO 2019",
                            icd11_category=category,
                            clinical_status="ruled_out" if roll < 0.03 else "active",
                            record_status="original",
                            recorded_by=user,
                            recorded_at=baseline_at,
                            lineage=uuid.UUID(int=rng.getrandbits(128)),
                        )
                    )
            counts["patients"] += len(patients)
        Diagnosis.objects.bulk_create(diagnoses, batch_size=2000)
        _insert(PainAssessment, rows.assessments)
        _insert(AssessmentScore, rows.scores)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                for model in (PainAssessment, AssessmentScore):
                    table = model._meta.db_table
                    cursor.execute(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))"
                    )
    counts["assessments"] = len(rows.assessments)
    counts["diagnoses"] = len(diagnoses)
    counts["assessments_org"] = sum(1 for r in rows.assessments if r["organization_id"] == org.pk)
    return org, facilities, user, counts


# --- Measuring (in a child process per database) ----------------------------------------------


def _floor_selector_sql(scope: Any, filters: Any) -> int:
    """The selector's own query (its baselines and window values), fetched as tuples and nothing else."""
    from django.db import connection

    from nyeri.clinical.outcomes.selectors import values_query

    sql, params = values_query(scope, filters, AT)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return len(cursor.fetchall())


def _floor_all_values(org_id: int, start: datetime, end: datetime, horizon: datetime) -> int:
    """Every value of the cohort up to the last window, fetched with raw SQL as tuples: what a report
    that reads all of a patient's values (no window filter in SQL) must at least pay."""
    from django.db import connection

    ops = connection.ops
    params = [ops.adapt_datetimefield_value(v) for v in (start, end, horizon)]
    sql = """
        SELECT a.patient_id, a.recorded_at, s.value, a.facility_id
          FROM clinical_assessmentscore s JOIN clinical_painassessment a ON a.id = s.assessment_id
         WHERE s.organization_id = %s AND s.score_code = 'total' AND a.instrument_code = 'nrs'
           AND a.status = 'current' AND a.recorded_at < %s
           AND a.patient_id IN (
               SELECT a2.patient_id
                 FROM clinical_assessmentscore s2 JOIN clinical_painassessment a2 ON a2.id = s2.assessment_id
                WHERE s2.organization_id = %s AND s2.score_code = 'total' AND a2.instrument_code = 'nrs'
                  AND a2.status = 'current'
                GROUP BY a2.patient_id HAVING MIN(a2.recorded_at) >= %s AND MIN(a2.recorded_at) < %s)
         ORDER BY a.patient_id, a.recorded_at, a.id
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [org_id, params[2], org_id, params[0], params[1]])
        return len(cursor.fetchall())


def _timed(fn: Any, runs: int) -> tuple[list[float], Any]:
    fn()  # warm-up: the database's buffers, the instrument and ICD caches
    times = []
    result = None
    for _ in range(runs):
        result = None
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return times, result


def _measure(url: str, runs: int) -> dict[str, Any]:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "nyeri.test_settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from nyeri.clinical.outcomes.responders import LAST_WINDOW_CLOSES_DAYS
    from nyeri.clinical.outcomes.selectors import outcomes_report, resolve_filters
    from nyeri.tenancy.scope import resolve_scope

    call_command("migrate", verbosity=0, interactive=False)
    started = time.perf_counter()
    org, facilities, user, counts = _build()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    built = time.perf_counter() - started
    print(f"   data: {counts} built in {built:.1f}s", flush=True)

    scope = resolve_scope(user)
    assert scope is not None
    today = AT.date()
    filters = resolve_filters(scope, today=today)
    one = resolve_filters(scope, facility_id=facilities[0].pk, today=today)

    def whole() -> Any:
        return outcomes_report(scope, filters, as_of=AT)

    times, report = _timed(whole, runs)
    total = report.total
    print(
        f"   selector runs: {', '.join(f'{t:.3f}s' for t in times)}; {total.patients} patients;"
        f" 3 mo {total.at(3).moderate}/{total.at(3).assessed} >=30%,"
        f" 6 mo {total.at(6).moderate}/{total.at(6).assessed}",
        flush=True,
    )
    facility_times, _ = _timed(lambda: outcomes_report(scope, one, as_of=AT), runs)
    with CaptureQueriesContext(connection) as queries:
        outcomes_report(scope, filters, as_of=AT)
    query_count = len(queries)  # now: a later request's new connection starts a new log

    start = timezone.make_aware(datetime.combine(filters.date_from, datetime.min.time()))
    end = timezone.make_aware(datetime.combine(filters.date_to + timedelta(days=1), datetime.min.time()))
    horizon = min(end + timedelta(days=LAST_WINDOW_CLOSES_DAYS), AT + timedelta(microseconds=1))
    floor_times, fetched = _timed(lambda: _floor_selector_sql(scope, filters), runs)
    all_times, all_fetched = _timed(lambda: _floor_all_values(org.pk, start, end, horizon), runs)

    client = Client(HTTP_ACCEPT_LANGUAGE="en", HTTP_HOST="localhost")
    # Through the login page, like a person (the session's bookkeeping is then real).
    logged_in = client.post("/accounts/login/", {"username": user.username, "password": PASSWORD})
    assert logged_in.status_code == 302, logged_in.status_code

    def page() -> int:
        assert filters.period is not None
        response = client.get(f"/outcomes/?period={filters.period.key}")
        assert response.status_code == 200, response.status_code
        return len(response.content)

    page_times, size = _timed(page, runs)
    print(f"   page runs: {', '.join(f'{t:.3f}s' for t in page_times)} ({size} bytes)", flush=True)
    return {
        "vendor": connection.vendor,
        "times": times,
        "facility_times": facility_times,
        "page_times": page_times,
        "floor": floor_times,
        "rows_fetched": fetched,
        "all_values": all_times,
        "all_rows": all_fetched,
        "queries": query_count,
        "cohort": total.patients,
        "build_s": built,
        **counts,
    }


def _in_child(url: str) -> dict[str, Any]:
    # A fresh process per database: Django's settings (and connection) are chosen once.
    ctx = mp.get_context("spawn")
    with ctx.Pool(1) as pool:
        return pool.apply(_measure, (url, RUNS))


def _rows(database: str, m: dict[str, Any]) -> list[dict[str, Any]]:
    common = {
        "name": "outcomes_report",
        "database": database,
        "assessments": m["assessments_org"],
        "patients": m["cohort"],
    }
    median, worst = statistics.median(m["times"]), max(m["times"])
    page_median, page_worst = statistics.median(m["page_times"]), max(m["page_times"])
    return [
        {
            **common,
            "metric": "selector_median_s",
            "value": round(median, 3),
            "unit": "s",
            "target": TARGET_S,
            "met": median <= TARGET_S,
            "note": (
                f"{len(m['times'])} runs after a warm-up; whole organization, default period, NRS;"
                f" {m['assessments']} assessment rows in the database (two organizations),"
                f" {m['diagnoses']} diagnoses; built in {m['build_s']:.1f}s"
            ),
        },
        {
            **common,
            "metric": "selector_max_s",
            "value": round(worst, 3),
            "unit": "s",
            "target": TARGET_S,
            "met": worst <= TARGET_S,
        },
        {
            **common,
            "metric": "selector_facility_median_s",
            "value": round(statistics.median(m["facility_times"]), 3),
            "unit": "s",
            "target": TARGET_S,
            "met": statistics.median(m["facility_times"]) <= TARGET_S,
            "note": "one of the 3 facilities",
        },
        {
            **common,
            "metric": "page_median_s",
            "value": round(page_median, 3),
            "unit": "s",
            "target": TARGET_S,
            "met": page_median <= TARGET_S,
            "note": "GET /outcomes/?period= through the test client: filters, selector, audit, tables, SVG",
        },
        {
            **common,
            "metric": "page_max_s",
            "value": round(page_worst, 3),
            "unit": "s",
            "target": TARGET_S,
            "met": page_worst <= TARGET_S,
        },
        {
            **common,
            "metric": "floor_sql_median_s",
            "value": round(statistics.median(m["floor"]), 3),
            "unit": "s",
            "target": None,
            "met": True,
            "note": f"raw SQL: the selector's own query, its {m['rows_fetched']} rows fetched as tuples",
        },
        {
            **common,
            "metric": "floor_all_values_median_s",
            "value": round(statistics.median(m["all_values"]), 3),
            "unit": "s",
            "target": None,
            "met": True,
            "note": f"raw SQL: all {m['all_rows']} values of the cohort up to the last window (no window filter)",
        },
        {
            **common,
            "metric": "selector_queries",
            "value": m["queries"],
            "unit": "queries",
            "target": SELECTOR_MAX_QUERIES,
            "met": m["queries"] <= SELECTOR_MAX_QUERIES,
        },
    ]


def run() -> list[dict[str, Any]]:
    return on_both_databases(
        POSTGRES_URL,
        measure=_in_child,
        rows=_rows,
        what=f"{PATIENTS} patients x {ASSESSMENTS} assessments, {RUNS} runs",
    )
