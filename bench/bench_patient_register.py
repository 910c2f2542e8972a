"""patient_register: registering a patient through the API, in an organization of 100,000.

What the front desk waits for after pressing *Register*: ``POST /api/patients`` with a
bearer token, through the whole request path (token, scope, facility), the checks of the
details (``validate_registration``: the NIK against what it encodes, the regency), the
record number from the locked counter, the duplicate check (same NIK; same name, case
and spaces aside, and birth date: the ``patient_duplicate_check`` index), the insert and
the audit row.

Data (a fresh throw-away database per engine: a temporary SQLite file; PostgreSQL database
``nyeri_bench_patients``, dropped and re-created): one organization, a facility, a nurse
with an API token, and PATIENTS patients already registered (bulk-created, each with a
unique NIK; every tenth shares its name and birth date with another, so that the
duplicate index has real neighbours).

Each timed run registers a new patient (a valid NIK, a new name). Correctness is asserted
in the same run: every answer is 201 with a record number, no two numbers are the same,
the audit trail has one CREATE row per registration, a NIK registered again is refused
with 409 naming the patient, and a same name and birth date needs the confirmation.

Rows:

- ``register_p95_ms`` (target TARGET_MS, enforced) and ``register_median_ms``;
- ``register_queries``: the queries of one registration, request included (information);
- ``bulk_s`` (target BULK_TARGET_S, enforced): ``register_patients_bulk`` of BULK rows (the
  spreadsheet import's path: every row checked, duplicates against the 100,000 and within
  the batch, one counter lock, an audit row per patient);
- ``floor_ms``: the same work in raw SQL and nothing else (the duplicate lookup, the
  insert, an audit insert): what any registration must at least pay.

Environment: BENCH_SMOKE=1 (tiny: 500 patients, 20 runs, 200 bulk rows), BENCH_RUNS (300),
BENCH_PATIENTS (100000), BENCH_BULK (10000), BENCH_POSTGRES_URL
(postgres://postgres@127.0.0.1:5432/nyeri_bench_patients; dropped and re-created),
BENCH_SKIP_POSTGRES=1.
"""

from __future__ import annotations

import json
import math
import multiprocessing as mp
import os
import statistics
import time
from datetime import date, timedelta
from typing import Any

from databases import on_both_databases

SMOKE = os.environ.get("BENCH_SMOKE") == "1"
RUNS = int(os.environ.get("BENCH_RUNS", "20" if SMOKE else "300"))
PATIENTS = int(os.environ.get("BENCH_PATIENTS", "500" if SMOKE else "100000"))
BULK = int(os.environ.get("BENCH_BULK", "200" if SMOKE else "10000"))
BULK_TARGET_S = 20.0
POSTGRES_URL = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/nyeri_bench_patients")
TARGET_MS = 50.0
# Regencies of West Java (Kemendagri codes without the dot) the NIKs are issued in.
REGIONS = ["327301", "327302", "327701", "321101", "320401"]
FIRST_DAY = date(1945, 1, 1)
DAYS = 365 * 60


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def nik_for(region: str, born: date, female: bool, serial: int) -> str:
    day = born.day + (40 if female else 0)
    return f"{region}{day:02d}{born.month:02d}{born.year % 100:02d}{serial:04d}"


def person(n: int, *, serial_base: int = 0) -> dict[str, Any]:
    """The n-th person: a birth date, a sex and a NIK that agree; NIKs unique over n."""
    born = FIRST_DAY + timedelta(days=n % DAYS)
    female = n % 2 == 1
    serial = serial_base + n // DAYS + 1
    return {
        "birth_date": born,
        "sex": "female" if female else "male",
        "nik": nik_for(REGIONS[n % len(REGIONS)], born, female, serial),
    }


# --- Building the data set (in the child process) -------------------------------------------


def _build() -> dict[str, Any]:
    from nyeri.accounts.models import User
    from nyeri.accounts.services import create_api_token
    from nyeri.clinical.models import Patient
    from nyeri.tenancy.models import Facility, Membership, MembershipRole, Organization

    org = Organization.objects.create(name="Jaringan Nyeri Bench", slug="bench-patients", kind="clinic_operator")
    facility = Facility.objects.create(
        organization=org,
        name="Klinik Nyeri Bandung",
        code="bdg",
        kind="pain_clinic",
        province="Jawa Barat",
        regency="Kota Bandung",
        regency_code="32.73",
    )
    user = User.objects.create_user(username="perawat", password="bench-password-1", full_name="Perawat Bench")
    membership = Membership.objects.create(organization=org, user=user)
    MembershipRole.objects.create(organization=org, membership=membership, role="nurse")
    _token, secret = create_api_token(acting_user=user, name="bench", expires_in_days=None)
    started = time.perf_counter()
    batch: list[Patient] = []
    for n in range(PATIENTS):
        facts = person(n)
        # Every tenth shares the name of the one before (and, odd or even, not the birth date
        # unless by the calendar): the duplicate index holds real neighbours.
        name = f"Pasien Terdaftar {n - 1 if n % 10 == 0 and n else n:06d}"
        batch.append(
            Patient(
                organization=org,
                registered_at=facility,
                mrn=f"LAMA-{n:07d}",
                full_name=name,
                address="Jl. Asia Afrika",
                regency_code="32.73",
                regency="Kota Bandung",
                **facts,
            )
        )
        if len(batch) == 5000:
            Patient.objects.bulk_create(batch)
            batch = []
    Patient.objects.bulk_create(batch)
    print(f"   data: {PATIENTS} patients in {time.perf_counter() - started:.1f} s", flush=True)
    return {"facility_id": facility.pk, "secret": secret, "org_id": org.pk}


# --- Measuring (in a child process per database) ----------------------------------------------


def _measure(url: str) -> dict[str, Any]:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "nyeri.test_settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.test import Client
    from django.utils import timezone

    from nyeri.audit.models import AuditEvent
    from nyeri.clinical.models import Patient

    call_command("migrate", verbosity=0, interactive=False)
    built = _build()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {built['secret']}", HTTP_ACCEPT_LANGUAGE="en", HTTP_HOST="localhost")
    serial = 0

    def body(**extra: Any) -> dict[str, Any]:
        nonlocal serial
        serial += 1
        return {
            "facility_id": built["facility_id"],
            "full_name": f"Pasien Baru {serial:06d}",
            "phone": "0812 3456 7890",
            "address": "Jl. Braga No. 1",
            "regency_code": "32.73",
            **{k: str(v) for k, v in person(serial * 7919 % DAYS, serial_base=5000).items()},
            **extra,
        }

    def post(payload: dict[str, Any]) -> tuple[int, dict[str, Any], float]:
        started = time.perf_counter()
        response = client.post("/api/patients", json.dumps(payload), content_type="application/json")
        elapsed = (time.perf_counter() - started) * 1000
        if response.headers.get("Content-Type") != "application/json; charset=utf-8":
            raise AssertionError(f"{response.status_code}: {response.content[:300]!r}")
        return response.status_code, response.json(), elapsed

    post(body())  # warm-up: the region data, the URL resolver, the token path
    executed: list[str] = []

    def count(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        executed.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        status, _answer, _ms = post(body())
    assert status == 201, _answer
    audit_before = AuditEvent.objects.filter(object_type="patient", action="create").count()
    timings: list[float] = []
    mrns: list[str] = []
    last: dict[str, Any] = {}
    for _ in range(RUNS):
        status, answer, ms = post(body())
        assert status == 201, answer
        timings.append(ms)
        mrns.append(answer["mrn"])
        last = answer
    # Correctness, in the same run.
    assert len(set(mrns)) == RUNS, "a record number was given twice"
    assert AuditEvent.objects.filter(object_type="patient", action="create").count() == audit_before + RUNS
    again = {
        k: str(v) for k, v in Patient.objects.values("nik", "full_name", "birth_date", "sex").get(pk=last["id"]).items()
    }
    status, refused, _ms = post({"facility_id": built["facility_id"], "regency_code": "32.73", **again})
    assert status == 409, refused
    assert refused["error"]["code"] == "duplicate_nik", refused
    assert refused["error"]["patients"][0]["id"] == last["id"]
    twin = {**again, "nik": "", "no_nik_reason": "unknown", "other_identifier_kind": "other", "other_identifier": "X1"}
    status, warned, _ms = post({"facility_id": built["facility_id"], **twin})
    assert status == 409, warned
    assert warned["error"]["code"] == "possible_duplicate", warned
    status, _confirmed, _ms = post({"facility_id": built["facility_id"], **twin, "confirm_possible_duplicate": True})
    assert status == 201

    def floor() -> float:
        nonlocal serial
        serial += 1
        facts = person(serial * 7919 % DAYS, serial_base=8000)
        started = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "SELECT id, mrn, nik FROM clinical_patient WHERE (organization_id = %s AND nik = %s) "
                "OR (organization_id = %s AND name_key = %s AND birth_date = %s)",
                [built["org_id"], facts["nik"], built["org_id"], f"floor{serial}", facts["birth_date"]],
            )
            cursor.fetchall()
            cursor.execute(
                "INSERT INTO clinical_patient (organization_id, mrn, nik, no_nik_reason, other_identifier_kind, "
                "other_identifier, full_name, birth_date, sex, phone, address, regency_code, regency, ihs_number, "
                "registered_at_id, created_at, version) VALUES (%s, %s, %s, '', '', '', %s, %s, %s, '', '', '', '', "
                "'', %s, %s, 1)",
                [
                    built["org_id"],
                    f"FLOOR-{serial}",
                    facts["nik"],
                    f"Floor {serial}",
                    facts["birth_date"],
                    facts["sex"],
                    built["facility_id"],
                    timezone.now(),
                ],
            )
        return (time.perf_counter() - started) * 1000

    floor_ms = [floor() for _ in range(min(50, RUNS))]

    from nyeri.accounts.models import User
    from nyeri.clinical.registration import PatientDetails
    from nyeri.clinical.services import BulkRow, register_patients_bulk
    from nyeri.tenancy.models import Facility
    from nyeri.tenancy.scope import resolve_scope

    nurse = User.objects.get(username="perawat")
    scope = resolve_scope(nurse, built["org_id"])
    assert scope is not None
    rows = [
        BulkRow(PatientDetails(full_name=f"Pasien Impor {n:06d}", regency_code="32.73", **person(n, serial_base=9000)))
        for n in range(BULK)
    ]
    count_before = Patient.objects.count()
    started = time.perf_counter()
    created = register_patients_bulk(
        scope=scope, acting_user=nurse, facility=Facility.objects.get(pk=built["facility_id"]), rows=rows
    )
    bulk_s = time.perf_counter() - started
    assert len(created) == BULK
    assert Patient.objects.count() == count_before + BULK
    return {
        "vendor": connection.vendor,
        "timings": timings,
        "floor": floor_ms,
        "queries": len(executed),
        "bulk_s": bulk_s,
        "patients": Patient.objects.count(),
    }


def _in_child(url: str) -> dict[str, Any]:
    # A fresh process per database: Django's settings (and connection) are chosen once.
    ctx = mp.get_context("spawn")
    with ctx.Pool(1) as pool:
        return pool.apply(_measure, (url,))


def _rows(database: str, m: dict[str, Any]) -> list[dict[str, Any]]:
    common = {"name": "patient_register", "database": database, "runs": len(m["timings"]), "patients": PATIENTS}
    p95 = _p95(m["timings"])
    return [
        {
            **common,
            "metric": "register_p95_ms",
            "value": round(p95, 2),
            "unit": "ms",
            "target": TARGET_MS,
            "met": p95 <= TARGET_MS,
            "enforced": not SMOKE,
            "note": "POST /api/patients: token, scope, NIK check, record number (locked counter), duplicates, audit",
        },
        {
            **common,
            "metric": "register_median_ms",
            "value": round(statistics.median(m["timings"]), 2),
            "unit": "ms",
            "target": None,
            "met": True,
        },
        {**common, "metric": "register_queries", "value": m["queries"], "unit": "queries", "target": None, "met": True},
        {
            **common,
            "metric": "bulk_s",
            "value": round(m["bulk_s"], 2),
            "unit": "s",
            "target": BULK_TARGET_S,
            "met": m["bulk_s"] <= BULK_TARGET_S,
            "enforced": not SMOKE,
            "bulk_rows": BULK,
            "note": "register_patients_bulk: the spreadsheet import's path, all rows checked, one transaction",
        },
        {
            **common,
            "metric": "floor_ms",
            "value": round(statistics.median(m["floor"]), 2),
            "unit": "ms",
            "target": None,
            "met": True,
            "note": "raw SQL: the duplicate lookup and the insert, in a transaction",
        },
    ]


def run() -> list[dict[str, Any]]:
    return on_both_databases(
        POSTGRES_URL, measure=_in_child, rows=_rows, what=f"{RUNS} registrations, {PATIENTS} patients"
    )
