"""prescription_sign: signing a prescription, with the privilege and MME checks.

What a prescriber waits for after typing the code: ``services.sign_prescription`` with
everything it does — the draft re-read and locked, the safety check (MME per item, the
patient's other active opioid and benzodiazepine prescriptions, the policy pack's
thresholds, the warnings), the requirements engine for ``prescribe`` and
``prescribe_controlled`` (before the code is spent and again in the transaction), the
numbers of the STR, SIP and authorisation relied on, the update and the audit row. The
second factor is attested (``AttestedSecondFactor``): checking a TOTP code is the accounts
app's cost, not this one's.

Data (a fresh throw-away database per engine: a temporary SQLite file; PostgreSQL database
``nyeri_bench_prescriptions``, dropped and re-created): one organization, a facility, a
pain physician with STR, SIP, controlled-drug authorisation and police check, PATIENTS
patients each holding ACTIVE active opioid prescriptions (morphine, oxycodone, tramadol) and
an active benzodiazepine, plus BACKGROUND older signed prescriptions of other patients, so
that the tables are not empty.

Each timed run signs a fresh draft (oxycodone 10 mg ER twice a day and paracetamol; the
patient's total passes 90 MME/day, so a justification is recorded) for the next patient.

Rows:

- ``sign_controlled_p95_ms`` (target TARGET_MS, enforced), ``sign_controlled_median_ms``;
- ``sign_plain_p95_ms``: a prescription without controlled drugs (no second factor, one
  engine decision), information;
- ``sign_queries``: queries of one controlled signing (information);
- ``floor_ms``: the same data touched with raw SQL and nothing else (the draft's items, the
  patient's active items, the update of the row): what any signing must at least pay.

Environment: BENCH_RUNS (200), BENCH_PATIENTS (= runs), BENCH_ACTIVE (3), BENCH_BACKGROUND
(3000), BENCH_POSTGRES_URL (postgres://postgres@127.0.0.1:5432/nyeri_bench_prescriptions;
dropped and re-created), BENCH_SKIP_POSTGRES=1.
"""

from __future__ import annotations

import math
import multiprocessing as mp
import os
import statistics
import time
from datetime import date, timedelta
from typing import Any

from databases import on_both_databases
from sizes import size

RUNS = size("BENCH_RUNS", 200, 3)
PATIENTS = int(os.environ.get("BENCH_PATIENTS", str(RUNS)))
ACTIVE = size("BENCH_ACTIVE", 3, 3)
BACKGROUND = size("BENCH_BACKGROUND", 3000, 20)
POSTGRES_URL = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/nyeri_bench_prescriptions")
TARGET_MS = 100.0
# The active opioids each patient holds (the first ACTIVE of them), and a benzodiazepine.
ACTIVE_REGIMEN = [
    ("morphine-30mg-tab-mr", "1", "2"),
    ("oxycodone-5mg-tab", "1", "2"),
    ("tramadol-50mg-cap", "1", "2"),
    ("codeine-10mg-tab", "1", "3"),
    ("hydromorphone-8mg-tab-mr", "1", "1"),
]
BENZO = ("diazepam-5mg-tab", "1", "1")


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


# --- Building the data set (in the child process) -------------------------------------------


def _build() -> dict[str, Any]:
    from decimal import Decimal

    from django.db import transaction
    from django.utils import timezone

    from nyeri.accounts.models import User
    from nyeri.clinical.models import Patient
    from nyeri.prescriptions.items import ItemIn, item_row, parse_items
    from nyeri.prescriptions.models import Prescription, PrescriptionItem
    from nyeri.tenancy.models import Facility, Membership, MembershipRole, Organization
    from nyeri.workforce.models import Credential, Person, PersonFacility, PersonRole

    today = timezone.localdate()
    org = Organization.objects.create(name="Jaringan Nyeri Bench", slug="bench-rx", kind="clinic_operator")
    facility = Facility.objects.create(
        organization=org,
        name="Klinik Nyeri Bandung",
        code="bandung",
        kind="pain_clinic",
        province="Jawa Barat",
        regency="Kota Bandung",
        regency_code="32.73",
    )
    user = User.objects.create_user(username="dokter", password="bench-password-1", full_name="dr. Bench")
    membership = Membership.objects.create(organization=org, user=user)
    MembershipRole.objects.create(organization=org, membership=membership, role="pain_physician")
    person = Person.objects.create(
        organization=org, user=user, full_name="dr. Bench, Sp.An, KMN", citizenship="citizen"
    )
    PersonRole.objects.create(organization=org, person=person, role="pain_physician")
    PersonFacility.objects.create(organization=org, person=person, facility=facility)
    common: dict[str, Any] = {"organization": org, "person": person, "status": "verified"}
    Credential.objects.create(
        **common, kind="registration", number="STR-0001", issuer="Konsil", issued_on=date(2015, 1, 1)
    )
    Credential.objects.create(
        **common,
        kind="practice_permit",
        number="SIP-0001",
        issuer="DPMPTSP Kota Bandung",
        issued_on=today - timedelta(days=300),
        expires_on=today + timedelta(days=1500),
        facility=facility,
        issuer_regency_code="32.73",
    )
    Credential.objects.create(
        **common,
        kind="controlled_authorisation",
        number="KEW-0001",
        issuer="Komite Medik",
        issued_on=today - timedelta(days=100),
        expires_on=today + timedelta(days=600),
    )
    Credential.objects.create(
        **common,
        kind="background_check",
        number="SKCK-0001",
        issuer="Polrestabes",
        issued_on=today - timedelta(days=30),
        check_kind="criminal_record",
        check_result="passed",
        valid_months=12,
    )

    patients = Patient.objects.bulk_create(
        [
            Patient(
                organization=org,
                registered_at=facility,
                mrn=f"RM-{n:06d}",
                full_name=f"Pasien {n:06d}",
                birth_date=date(1960 + n % 40, 1 + n % 12, 1 + n % 28),
                sex="female" if n % 2 else "male",
            )
            for n in range(PATIENTS + BACKGROUND // 4 + 1)
        ],
        batch_size=2000,
    )
    mine, others = patients[:PATIENTS], patients[PATIENTS:]

    def parsed(code: str, dose: str, per_day: str, days: int) -> Any:
        [one] = parse_items(
            [ItemIn(medication=code, dose=Decimal(dose), doses_per_day=Decimal(per_day), days=days)],
            jurisdiction="ID",
            mme_table="CDC-2022",
        )
        return one

    # Signed prescriptions are written as drafts with their items, then marked signed (the
    # order PostgreSQL's guard allows: items only go into drafts).
    plan: list[tuple[Any, Any, Any]] = []  # (patient, parsed item, signed_at)
    now = timezone.now()
    for patient in mine:
        for code, dose, per_day in [*ACTIVE_REGIMEN[:ACTIVE], BENZO]:
            plan.append((patient, parsed(code, dose, per_day, 30), now - timedelta(days=3)))
    background_items = [parsed("paracetamol-500mg-tab", "2", "3", 14), parsed("tramadol-50mg-cap", "1", "2", 10)]
    for n in range(BACKGROUND):
        plan.append((others[n % len(others)], background_items[n % 2], now - timedelta(days=20 + n % 300)))
    with transaction.atomic():
        rows = Prescription.objects.bulk_create(
            [
                Prescription(
                    organization=org,
                    patient=patient,
                    facility=facility,
                    status="draft",
                    jurisdiction="ID",
                    catalogue_version="bench",
                    idempotency_key=f"bench-{n}",
                    contains_controlled=bool(item.controlled_class),
                    created_by=user,
                )
                for n, (patient, item, _at) in enumerate(plan)
            ],
            batch_size=2000,
        )
        PrescriptionItem.objects.bulk_create(
            [
                item_row(item, position=1, organization_id=org.pk, prescription=row)
                for row, (_patient, item, _at) in zip(rows, plan, strict=True)
            ],
            batch_size=2000,
        )
        for row, (_patient, item, at) in zip(rows, plan, strict=True):
            row.status = "signed"
            row.signed_at = at
            row.signed_by = user
            row.prescriber = person
            row.prescriber_name = person.full_name
            row.mme_per_day = item.mme.mme_per_day if item.mme else None
        Prescription.objects.bulk_update(
            rows, ["status", "signed_at", "signed_by", "prescriber", "prescriber_name", "mme_per_day"], batch_size=2000
        )
    print(
        f"   data: {len(patients)} patients, {len(rows)} signed prescriptions "
        f"({PATIENTS} patients with {ACTIVE} active opioids and a benzodiazepine)",
        flush=True,
    )
    return {"org_id": org.pk, "user_id": user.pk, "patient_ids": [p.pk for p in mine], "signed": len(rows)}


# --- Measuring (in a child process per database) ----------------------------------------------


def _measure(url: str) -> dict[str, Any]:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "nyeri.test_settings")
    import django

    django.setup()
    from decimal import Decimal

    from django.core.management import call_command
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from nyeri.accounts.models import User
    from nyeri.clinical.models import Patient
    from nyeri.prescriptions import services
    from nyeri.prescriptions.items import ItemIn
    from nyeri.prescriptions.models import Prescription
    from nyeri.prescriptions.signing import AttestedSecondFactor
    from nyeri.tenancy.scope import resolve_scope

    call_command("migrate", verbosity=0, interactive=False)
    built = _build()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    user = User.objects.get(pk=built["user_id"])
    scope = resolve_scope(user, built["org_id"])
    assert scope is not None
    patients = list(Patient.objects.filter(pk__in=built["patient_ids"]).select_related("registered_at").order_by("pk"))
    factor = AttestedSecondFactor("benchmark")
    controlled = [
        ItemIn(medication="oxycodone-10mg-tab-er", dose=Decimal(1), doses_per_day=Decimal(2), days=14),
        ItemIn(medication="paracetamol-500mg-tab", dose=Decimal(2), doses_per_day=Decimal(3), days=14),
    ]
    plain = [ItemIn(medication="pregabalin-75mg-cap", dose=Decimal(1), doses_per_day=Decimal(2), days=30)]
    serial = 0

    def draft(patient: Patient, items: list[ItemIn]) -> Prescription:
        nonlocal serial
        serial += 1
        return services.create_prescription(
            scope=scope, acting_user=user, patient=patient, items=items, idempotency_key=f"run-{serial}"
        ).prescription

    def sign(prescription: Prescription) -> float:
        started = time.perf_counter()
        done = services.sign_prescription(
            scope=scope,
            acting_user=user,
            prescription=prescription,
            justification="Nyeri kanker, dipantau mingguan",
            second_factor=factor,
        )
        elapsed = time.perf_counter() - started
        assert done.status == "signed"
        return elapsed * 1000

    sign(draft(patients[0], controlled))  # warm-up: caches of the engine, the catalogue, the pack
    counted = draft(patients[0], controlled)
    with CaptureQueriesContext(connection) as queries:
        sign(counted)
    controlled_ms = [sign(draft(patients[n % len(patients)], controlled)) for n in range(RUNS)]
    last = Prescription.objects.filter(status="signed").order_by("-pk").first()
    assert last is not None
    warnings = last.warnings
    plain_ms = [sign(draft(patients[n % len(patients)], plain)) for n in range(max(20, RUNS // 4))]

    def floor() -> float:
        target = draft(patients[1], plain)
        started = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cursor:
            lock = " FOR UPDATE" if connection.vendor == "postgresql" else ""
            cursor.execute(f"SELECT * FROM prescriptions_prescription WHERE id = %s{lock}", [target.pk])
            cursor.fetchall()
            cursor.execute("SELECT * FROM prescriptions_prescriptionitem WHERE prescription_id = %s", [target.pk])
            cursor.fetchall()
            cursor.execute(
                "SELECT i.* FROM prescriptions_prescriptionitem i JOIN prescriptions_prescription p"
                " ON p.id = i.prescription_id WHERE p.patient_id = %s AND p.status = 'signed'"
                " AND (i.opioid OR i.benzodiazepine)",
                [target.patient_id],
            )
            cursor.fetchall()
            cursor.execute(
                "UPDATE prescriptions_prescription SET status = 'signed', signed_at = %s, signed_by_id = %s"
                " WHERE id = %s",
                [timezone.now(), user.pk, target.pk],
            )
        return (time.perf_counter() - started) * 1000

    floor_ms = [floor() for _ in range(50)]
    return {
        "vendor": connection.vendor,
        "controlled": controlled_ms,
        "plain": plain_ms,
        "floor": floor_ms,
        "queries": len(queries),
        "signed": built["signed"],
        "patients": len(patients),
        "warnings": warnings,
    }


def _in_child(url: str) -> dict[str, Any]:
    # A fresh process per database: Django's settings (and connection) are chosen once.
    ctx = mp.get_context("spawn")
    with ctx.Pool(1) as pool:
        return pool.apply(_measure, (url,))


def _rows(database: str, m: dict[str, Any]) -> list[dict[str, Any]]:
    common = {
        "name": "prescription_sign",
        "database": database,
        "runs": len(m["controlled"]),
        "active_per_patient": ACTIVE + 1,
        "prescriptions": m["signed"],
    }
    p95 = _p95(m["controlled"])
    return [
        {
            **common,
            "metric": "sign_controlled_p95_ms",
            "value": round(p95, 2),
            "unit": "ms",
            "target": TARGET_MS,
            "met": p95 <= TARGET_MS,
            "note": (
                f"engine x2, safety check x2, audit; {ACTIVE} active opioids + 1 benzodiazepine per patient; "
                f"warnings at signing: {', '.join(m['warnings']) or 'none'}"
            ),
        },
        {
            **common,
            "metric": "sign_controlled_median_ms",
            "value": round(statistics.median(m["controlled"]), 2),
            "unit": "ms",
            "target": None,
            "met": True,
        },
        {
            **common,
            "metric": "sign_plain_p95_ms",
            "value": round(_p95(m["plain"]), 2),
            "unit": "ms",
            "target": TARGET_MS,
            "met": _p95(m["plain"]) <= TARGET_MS,
            "enforced": False,
            "note": "no controlled drug: one engine decision, no second factor",
        },
        {
            **common,
            "metric": "sign_queries",
            "value": m["queries"],
            "unit": "queries",
            "target": None,
            "met": True,
        },
        {
            **common,
            "metric": "floor_ms",
            "value": round(statistics.median(m["floor"]), 2),
            "unit": "ms",
            "target": None,
            "met": True,
            "note": "raw SQL: lock the row, its items, the patient's active items, the update",
        },
    ]


def run() -> list[dict[str, Any]]:
    return on_both_databases(POSTGRES_URL, measure=_in_child, rows=_rows, what=f"{RUNS} signings")
