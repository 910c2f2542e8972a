"""fhir_export: a FHIR bulk export of 100,000 Observations and their Patients as NDJSON
(target: at least 5,000 resources per second on PostgreSQL).

The data set is built in a fresh throw-away database per engine (a temporary SQLite file;
PostgreSQL database ``nyeri_bench_fhir_export``, dropped and re-created): one organization,
PATIENTS patients with OBSERVATIONS numeric-rating assessments each (one score, a body site
on most), and a second organization's patients the export must skip.

The export is the real one (``nyeri.interop.fhir.export.start_export`` with
``_type=Patient,Observation``: the kick-off, its audit row and the job body, run on the spot
by the immediate task backend), writing its NDJSON files under a temporary directory. The
floor is the same rows (the same columns the builders read) selected with ``values()`` and
dumped as JSON lines without any FHIR shaping. A sample of the written lines is validated
with the R4B models after the timing, and every file's line count is checked.

Rows:

- ``export_resources_per_s``: resources written per second of wall time; target TARGET_PER_S
  (enforced on PostgreSQL; information on SQLite);
- ``export_s`` / ``export_cpu_s``: wall and CPU time of the export (this process);
- ``export_resources_per_s`` measures wall time, which a loaded machine stretches; the CPU time
  of this process (``export_cpu_s``, ``export_resources_per_cpu_s``) says what the export costs
  itself (the database server's time is not in it);
- ``floor_s`` / ``floor_cpu_s`` and ``ratio_to_floor``: the floor's times and the export's wall
  time over the floor's.

Environment: BENCH_PATIENTS (10,000), BENCH_OBSERVATIONS (10 per patient), BENCH_POSTGRES_URL
(postgres://postgres@127.0.0.1:5432/nyeri_bench_fhir_export; dropped and re-created),
BENCH_SKIP_POSTGRES=1.
"""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import random
import tempfile
import time
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from databases import on_both_databases
from sizes import SMOKE, size

PATIENTS = size("BENCH_PATIENTS", 10_000, 40)
OBSERVATIONS = size("BENCH_OBSERVATIONS", 10, 5)
OTHER_PATIENTS = size("BENCH_OTHER_PATIENTS", 100, 5)
POSTGRES_URL = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/nyeri_bench_fhir_export")
TARGET_PER_S = 5000
SAMPLE = 500
START = datetime(2025, 12, 1, 8, 0, tzinfo=ZoneInfo("Asia/Jakarta"))
REGIONS = ["lower_back", "neck", "left_knee", "right_shoulder", "head"]


def _band(value: int) -> str:
    return "none" if value == 0 else "mild" if value <= 3 else "moderate" if value <= 6 else "severe"


def _organization(slug: str, patients: int, rng: random.Random) -> tuple[Any, Any, list[Any]]:
    from nyeri.clinical.models import Patient
    from nyeri.tenancy.models import Facility, Organization

    org = Organization.objects.create(name=f"Klinik Nyeri {slug}", slug=slug, kind="clinic_operator")
    facility = Facility.objects.create(
        organization=org,
        name=f"Klinik Nyeri {slug}",
        code=slug,
        kind="pain_clinic",
        province="Jawa Barat",
        regency="Kota Bandung",
        regency_code="32.73",
    )
    people = Patient.objects.bulk_create(
        [
            Patient(
                organization=org,
                registered_at=facility,
                mrn=f"RM-{k:06d}",
                nik=f"3273{k:012d}",
                full_name=f"Pasien {k:06d}",
                birth_date=date(1950 + k % 50, 1 + k % 12, 1 + k % 28),
                sex="female" if k % 2 else "male",
                phone=f"+62 812 {k:08d}",
                regency="Kota Bandung",
            )
            for k in range(patients)
        ],
        batch_size=2000,
    )
    return org, facility, people


def _build() -> tuple[Any, dict[str, int]]:
    from django.contrib.auth import get_user_model
    from django.db import transaction

    from nyeri.clinical.models import AssessmentBodySite, AssessmentScore, PainAssessment
    from nyeri.tenancy.models import Membership, MembershipRole

    rng = random.Random(20261206)  # a reproducible data set, not a secret
    user = get_user_model().objects.create_user(username="dr_export", password="bench-export-1", language="en")
    counts = {"observations": 0, "patients": 0}
    with transaction.atomic():
        for slug, n in (("bench", PATIENTS), ("other", OTHER_PATIENTS)):
            org, facility, people = _organization(slug, n, rng)
            if slug == "bench":
                membership = Membership.objects.create(organization=org, user=user)
                MembershipRole.objects.create(organization=org, membership=membership, role="pain_physician")
                counts["patients"] = len(people)
            for start in range(0, len(people), 1000):
                assessments = PainAssessment.objects.bulk_create(
                    [
                        PainAssessment(
                            organization=org,
                            patient=person,
                            facility=facility,
                            instrument_code="nrs",
                            instrument_version="2026.11-1",
                            recorded_at=START + timedelta(days=k * 7, hours=rng.randint(0, 8)),
                            recorded_by=user,
                            source="clinician",
                        )
                        for person in people[start : start + 1000]
                        for k in range(OBSERVATIONS)
                    ]
                )
                values = [rng.randint(0, 10) for _ in assessments]
                AssessmentScore.objects.bulk_create(
                    [
                        AssessmentScore(
                            organization=org,
                            assessment=a,
                            score_code="total",
                            value=Decimal(v),
                            band_code=_band(v),
                        )
                        for a, v in zip(assessments, values, strict=True)
                    ]
                )
                AssessmentBodySite.objects.bulk_create(
                    [
                        AssessmentBodySite(
                            organization=org, assessment=a, region=rng.choice(REGIONS), view="back", laterality="left"
                        )
                        for a in assessments
                        if rng.random() < 0.8
                    ]
                )
                if slug == "bench":
                    counts["observations"] += len(assessments)
    return user, counts


def _floor(org_id: int, folder: Path) -> int:
    """The same rows (the columns the builders read), as plain dicts dumped one a line: no FHIR."""
    from nyeri.clinical.models import AssessmentScore, Patient

    written = 0
    scores = (
        AssessmentScore.objects.filter(organization_id=org_id)
        .exclude(assessment__status="amended")
        .order_by("pk")
        .values(
            "pk",
            "score_code",
            "value",
            "band_code",
            "assessment__instrument_code",
            "assessment__patient_id",
            "assessment__encounter_id",
            "assessment__recorded_at",
            "assessment__created_at",
            "assessment__status",
            "assessment__amends_id",
        )
    )
    patients = (
        Patient.objects.filter(organization_id=org_id)
        .order_by("pk")
        .values(
            "pk",
            "nik",
            "ihs_number",
            "mrn",
            "full_name",
            "sex",
            "birth_date",
            "phone",
            "address",
            "regency",
            "merged_into_id",
            "organization_id",
        )
    )
    for name, rows in (("Observation", scores), ("Patient", patients)):
        with (folder / f"{name}.ndjson").open("w", encoding="utf-8") as out:
            for row in rows.iterator(chunk_size=2000):
                out.write(json.dumps(row, default=str, ensure_ascii=False, separators=(",", ":")) + "\n")
                written += 1
    return written


def _measure(url: str) -> dict[str, Any]:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "nyeri.test_settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from fhir.resources.R4B import get_fhir_model_class

    from nyeri.interop.fhir.export import ExportRequest, export_folder, start_export
    from nyeri.interop.models import ExportStatus
    from nyeri.tenancy.scope import resolve_scope

    call_command("migrate", verbosity=0, interactive=False)
    started = time.perf_counter()
    user, counts = _build()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    print(f"   data: {counts} built in {time.perf_counter() - started:.1f}s", flush=True)
    scope = resolve_scope(user)
    assert scope is not None

    with tempfile.TemporaryDirectory(prefix="nyeri-bench-export-") as tmp:
        settings.PRIVATE_STORAGE_ROOT = Path(tmp)
        floor_dir = Path(tmp) / "floor"
        floor_dir.mkdir()
        load_before = os.getloadavg()[0]
        # The floor first, then the export: the same database buffers are warm for both.
        _floor(scope.organization.pk, floor_dir)
        floor_cpu_started = time.process_time()
        floor_started = time.perf_counter()
        floor_count = _floor(scope.organization.pk, floor_dir)
        floor_s = time.perf_counter() - floor_started
        floor_cpu_s = time.process_time() - floor_cpu_started

        asked = ExportRequest(
            level="system", types=("Patient", "Observation"), since=None, request_url="bench://$export"
        )
        cpu_started = time.process_time()
        wall_started = time.perf_counter()
        export = start_export(scope=scope, request=asked)
        export_s = time.perf_counter() - wall_started
        cpu_s = time.process_time() - cpu_started
        load_after = os.getloadavg()[0]

        export.refresh_from_db()
        assert export.status == ExportStatus.COMPLETED, export.status
        written = {item["type"]: item["count"] for item in export.output}
        assert written == {"Patient": counts["patients"], "Observation": counts["observations"]}, written
        assert floor_count == counts["patients"] + counts["observations"], floor_count
        folder = export_folder(export)
        validated = 0
        for name, count in written.items():
            with (folder / f"{name}.ndjson").open(encoding="utf-8") as lines:
                seen = 0
                for line in lines:
                    if seen < SAMPLE:
                        get_fhir_model_class(name).model_validate_json(line)
                        validated += 1
                    seen += 1
            assert seen == count, (name, seen, count)
    resources = sum(written.values())
    return {
        "vendor": connection.vendor,
        "resources": resources,
        "export_s": export_s,
        "cpu_s": cpu_s,
        "floor_s": floor_s,
        "floor_cpu_s": floor_cpu_s,
        "validated": validated,
        "load_before": load_before,
        "load_after": load_after,
        **counts,
    }


def _in_child(url: str) -> dict[str, Any]:
    # A fresh process per database: Django's settings (and connection) are chosen once.
    ctx = mp.get_context("spawn")
    with ctx.Pool(1) as pool:
        return pool.apply(_measure, (url,))


def _rows(database: str, m: dict[str, Any]) -> list[dict[str, Any]]:
    common = {
        "name": "fhir_export",
        "database": database,
        "observations": m["observations"],
        "patients": m["patients"],
    }
    per_s = m["resources"] / m["export_s"]
    ratio = m["export_s"] / m["floor_s"] if m["floor_s"] else None
    return [
        {
            **common,
            "metric": "export_resources_per_s",
            "value": round(per_s),
            "unit": "resources/s",
            "target": TARGET_PER_S,
            "met": per_s >= TARGET_PER_S,
            "enforced": database == "postgresql",
            "note": (
                f"{m['resources']} resources (Patient, Observation) in {m['export_s']:.2f}s wall,"
                f" {m['cpu_s']:.2f}s CPU; load average {m['load_before']:.2f} before, {m['load_after']:.2f} after;"
                f" {m['validated']} lines validated with R4B after the timing"
            ),
        },
        {**common, "metric": "export_s", "value": round(m["export_s"], 2), "unit": "s", "target": None, "met": True},
        {**common, "metric": "export_cpu_s", "value": round(m["cpu_s"], 2), "unit": "s", "target": None, "met": True},
        {
            **common,
            "metric": "export_resources_per_cpu_s",
            "value": round(m["resources"] / m["cpu_s"]) if m["cpu_s"] else None,
            "unit": "resources/s",
            "target": None,
            "met": True,
            "note": "per second of this process's CPU time: what the export costs whatever the machine's load",
        },
        {**common, "metric": "floor_s", "value": round(m["floor_s"], 2), "unit": "s", "target": None, "met": True},
        {
            **common,
            "metric": "floor_cpu_s",
            "value": round(m["floor_cpu_s"], 2),
            "unit": "s",
            "target": None,
            "met": True,
        },
        {
            **common,
            "metric": "ratio_to_floor",
            "value": round(ratio, 2) if ratio is not None else None,
            "unit": "x",
            "target": None,
            "met": True,
            "note": "export time / floor time (the same rows as values() dumped as JSON lines, no FHIR)",
        },
    ]


def run() -> list[dict[str, Any]]:
    what = f"{PATIENTS} patients x {OBSERVATIONS} observations" + (" (smoke)" if SMOKE else "")
    return on_both_databases(POSTGRES_URL, measure=_in_child, rows=_rows, what=what)
