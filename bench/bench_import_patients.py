"""import_patients: importing a clinic's spreadsheets, patients and staff, dry run plus import.

What an administrator waits for after choosing a file and then confirming it:
``nyeri.imports.services.import_patients`` (and ``import_staff``) twice, a dry run then the
import, each reading the XLSX file (openpyxl, read-only), checking every cell, matching
every row against what is registered (one query per 500 rows), the registration's checks
(NIK against birth date and sex, duplicates), and for the import the bulk inserts with one
audit row per patient, person and credential.

Data (a fresh throw-away database per engine: a temporary SQLite file; PostgreSQL database
``nyeri_bench_imports``, dropped and re-created): one organization, two facilities, an
administrator; PATIENTS patient rows (each with a valid NIK that agrees with its birth date
and sex, record numbers generated), STAFF people with CREDENTIALS credentials each (STR,
SIP for the person's facility, background check).

Rows:

- ``patients_dry_run_and_import_s`` (target 20 s, enforced): both calls for PATIENTS rows;
- ``patients_reimport_unchanged``: importing the same file again creates nothing (checked:
  the benchmark fails otherwise);
- ``staff_dry_run_and_import_s`` (target 10 s, enforced): both calls for STAFF people with
  CREDENTIALS credentials each;
- ``floor_patients_bulk_insert_s``: the same patients (and their audit rows) written with
  bare ``bulk_create`` and nothing else, in the same run: what any import must at least pay.

Environment: BENCH_PATIENTS (10000), BENCH_STAFF (1000), BENCH_CREDENTIALS (3: at most 3),
BENCH_POSTGRES_URL (postgres://postgres@127.0.0.1:5432/nyeri_bench_imports; dropped and
re-created), BENCH_SKIP_POSTGRES=1, BENCH_SMOKE=1 (40 patients, 10 people: a quick run that
still checks every result).
"""

from __future__ import annotations

import io
import multiprocessing as mp
import os
import time
from datetime import date, timedelta
from typing import Any

from databases import on_both_databases

SMOKE = os.environ.get("BENCH_SMOKE") == "1"
PATIENTS = int(os.environ.get("BENCH_PATIENTS", "40" if SMOKE else "10000"))
STAFF = int(os.environ.get("BENCH_STAFF", "10" if SMOKE else "1000"))
CREDENTIALS = min(3, int(os.environ.get("BENCH_CREDENTIALS", "3")))
POSTGRES_URL = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/nyeri_bench_imports")
PATIENTS_TARGET_S = 20.0
STAFF_TARGET_S = 10.0

PATIENT_HEADERS = ["Full name", "NIK", "Birth date", "Sex", "Facility", "Phone"]
STAFF_HEADERS = [
    "Full name",
    "NIK",
    "Citizenship",
    "Roles",
    "Facilities",
    "Credential kind",
    "Credential number",
    "Issuer",
    "Issued on",
    "Expires on",
    "Credential facility",
    "Issuer regency code",
    "Check kind",
    "Check result",
    "Valid for (months)",
]


def _nik(n: int, birth: date, female: bool) -> str:
    # Kota Bandung (32.73), district 01; the day plus 40 for a woman; a 4-digit serial.
    day = birth.day + (40 if female else 0)
    return f"327301{day:02d}{birth.month:02d}{birth.year % 100:02d}{n % 10000:04d}"


def _book(headers: list[str], rows: list[list[Any]]) -> bytes:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def patient_rows(count: int) -> list[list[Any]]:
    rows = []
    for n in range(count):
        # A birth date of its own per row: every NIK is unique and agrees with its row.
        birth = date(1940, 1, 1) + timedelta(days=n)
        female = n % 2 == 0
        serial = 1 + n % 9999
        rows.append(
            [
                f"Pasien Uji {n:05d}",
                _nik(serial, birth, female),
                birth,
                "female" if female else "male",
                "bandung" if n % 3 else "cimahi",
                f"+62 812 {n:08d}",
            ]
        )
    return rows


def staff_rows(count: int, credentials: int, today: date) -> list[list[Any]]:
    rows = []
    for n in range(count):
        birth = date(1960, 1, 1) + timedelta(days=n)
        person = [f"Ns. Staf {n:04d}", _nik(n + 1, birth, n % 2 == 0), "citizen", "nurse", "bandung"]
        plans = [
            ["registration", f"STR-{n:06d}", "Konsil Kesehatan Indonesia", date(2020, 1, 15), None, "", "", "", "", ""],
            [
                "practice_permit",
                f"SIP-{n:06d}",
                "DPMPTSP Kota Bandung",
                today - timedelta(days=200),
                today + timedelta(days=1500),
                "bandung",
                "32.73",
                "",
                "",
                "",
            ],
            [
                "background_check",
                f"SKCK-{n:06d}",
                "Polrestabes Bandung",
                today - timedelta(days=30),
                None,
                "",
                "",
                "criminal_record",
                "passed",
                12,
            ],
        ]
        rows.extend(person + plan for plan in plans[:credentials])
    return rows


def _measure(url: str) -> dict[str, Any]:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "nyeri.test_settings")
    import tempfile

    import django
    from django.conf import settings

    django.setup()
    settings.PRIVATE_STORAGE_ROOT = tempfile.mkdtemp(prefix="nyeri-bench-private-")
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils import timezone, translation

    from nyeri.accounts.models import User
    from nyeri.audit.models import AuditEvent
    from nyeri.audit.verify import verify_chain
    from nyeri.clinical.models import Patient
    from nyeri.imports.services import import_patients, import_staff
    from nyeri.tenancy.models import Facility, Membership, MembershipRole, Organization
    from nyeri.tenancy.scope import resolve_scope
    from nyeri.workforce.models import Credential, Person

    translation.activate("en")
    call_command("migrate", verbosity=0, interactive=False)
    org = Organization.objects.create(name="Jaringan Nyeri Bench", slug="bench-import", kind="clinic_operator")
    for code, name, regency, regency_code in (
        ("bandung", "Klinik Nyeri Bandung", "Kota Bandung", "32.73"),
        ("cimahi", "Klinik Nyeri Cimahi", "Kota Cimahi", "32.77"),
    ):
        Facility.objects.create(
            organization=org,
            name=name,
            code=code,
            kind="pain_clinic",
            province="Jawa Barat",
            regency=regency,
            regency_code=regency_code,
        )
    user = User.objects.create_user(username="admin", password="bench-password-1", full_name="Admin")
    membership = Membership.objects.create(organization=org, user=user)
    MembershipRole.objects.create(organization=org, membership=membership, role="administrator")
    scope = resolve_scope(user, org.pk)
    assert scope is not None
    today = timezone.localdate()

    patients_file = _book(PATIENT_HEADERS, patient_rows(PATIENTS))
    staff_file = _book(STAFF_HEADERS, staff_rows(STAFF, CREDENTIALS, today))

    def twice(run: Any, content: bytes) -> tuple[float, Any, Any]:
        started = time.perf_counter()
        dry = run(scope=scope, acting_user=user, content=content, dry_run=True)
        done = run(scope=scope, acting_user=user, content=content, dry_run=False)
        return time.perf_counter() - started, dry, done

    patients_s, dry, done = twice(import_patients, patients_file)
    assert dry.problems == [], dry.problems[:5]
    assert done.problems == [], done.problems[:5]
    assert done.written, done.created
    assert done.created == {"patients": PATIENTS}, done.created
    assert Patient.objects.filter(organization=org).count() == PATIENTS
    started = time.perf_counter()
    again = import_patients(scope=scope, acting_user=user, content=patients_file, dry_run=False)
    reimport_s = time.perf_counter() - started
    assert again.created == {"patients": 0}, again.created
    assert again.unchanged == {"patients": PATIENTS}, again.unchanged

    staff_s, dry_staff, done_staff = twice(import_staff, staff_file)
    assert dry_staff.problems == [], dry_staff.problems[:5]
    assert done_staff.problems == [], done_staff.problems[:5]
    assert done_staff.created == {"people": STAFF, "credentials": STAFF * CREDENTIALS}, done_staff.created
    assert Person.objects.filter(organization=org).count() == STAFF
    assert not Credential.objects.filter(organization=org).exclude(status="submitted").exists()
    result = verify_chain(chains=[org.pk])
    assert result.ok, result.problem

    # The floor: the same patients and audit rows, bare bulk inserts in one transaction.
    floor_org = Organization.objects.create(name="Floor", slug="bench-floor", kind="clinic_operator")
    floor_facility = Facility.objects.create(
        organization=floor_org,
        name="Floor",
        code="floor",
        kind="pain_clinic",
        province="Jawa Barat",
        regency="Kota Bandung",
        regency_code="32.73",
    )
    rows = patient_rows(PATIENTS)
    started = time.perf_counter()
    with transaction.atomic():
        created = Patient.objects.bulk_create(
            [
                Patient(
                    organization=floor_org,
                    registered_at=floor_facility,
                    mrn=f"F-{n}",
                    full_name=r[0],
                    nik=r[1],
                    birth_date=r[2],
                    sex=r[3],
                    phone=r[5],
                )
                for n, r in enumerate(rows)
            ],
            batch_size=1000,
        )
        now = timezone.now()
        AuditEvent.objects.bulk_create(
            [
                AuditEvent(
                    chain=floor_org.pk,
                    seq=n + 1,
                    occurred_at=now,
                    organization=floor_org,
                    patient_id=p.pk,
                    action="create",
                    object_type="patient",
                    object_id=str(p.pk),
                    outcome="success",
                    prev_hash="0" * 64,
                    hash="0" * 64,
                )
                for n, p in enumerate(created)
            ],
            batch_size=1000,
        )
    floor_s = time.perf_counter() - started
    return {
        "vendor": connection.vendor,
        "patients_s": patients_s,
        "reimport_s": reimport_s,
        "staff_s": staff_s,
        "floor_s": floor_s,
        "patients_bytes": len(patients_file),
        "staff_bytes": len(staff_file),
        "staff_rows": STAFF * CREDENTIALS,
    }


def _in_child(url: str) -> dict[str, Any]:
    ctx = mp.get_context("spawn")
    with ctx.Pool(1) as pool:
        return pool.apply(_measure, (url,))


def _rows(database: str, m: dict[str, Any]) -> list[dict[str, Any]]:
    patients = {"name": "import_patients", "database": database, "rows": PATIENTS, "file_bytes": m["patients_bytes"]}
    staff = {
        "name": "import_patients",
        "database": database,
        "rows": m["staff_rows"],
        "people": STAFF,
        "file_bytes": m["staff_bytes"],
    }
    return [
        {
            **patients,
            "metric": "patients_dry_run_and_import_s",
            "value": round(m["patients_s"], 2),
            "unit": "s",
            "target": PATIENTS_TARGET_S,
            "met": m["patients_s"] <= PATIENTS_TARGET_S,
            "note": "XLSX read twice, every row checked (NIK, duplicates), bulk insert + one audit row per patient",
        },
        {
            **patients,
            "metric": "patients_reimport_unchanged_s",
            "value": round(m["reimport_s"], 2),
            "unit": "s",
            "target": None,
            "met": True,
            "note": "the same file again: every row recognised by its NIK, nothing written (checked)",
        },
        {
            **staff,
            "metric": "staff_dry_run_and_import_s",
            "value": round(m["staff_s"], 2),
            "unit": "s",
            "target": STAFF_TARGET_S,
            "met": m["staff_s"] <= STAFF_TARGET_S,
            "note": f"{CREDENTIALS} credentials per person (STR, SIP, background check), all left unverified",
        },
        {
            **patients,
            "metric": "floor_patients_bulk_insert_s",
            "value": round(m["floor_s"], 2),
            "unit": "s",
            "target": None,
            "met": True,
            "note": "bare bulk_create of the same patients and audit rows, no reading or checking",
        },
    ]


def run() -> list[dict[str, Any]]:
    return on_both_databases(
        POSTGRES_URL,
        measure=_in_child,
        rows=_rows,
        what=f"{PATIENTS} patients, {STAFF} people x {CREDENTIALS} credentials",
    )
