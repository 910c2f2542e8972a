"""eligibility_batch: 10,000 candidates against 500 requirement sets, in one batch.

The question a job board asks: *which candidates are eligible for which posting, and what
does each still miss?* — on what candidates declare (``nyeri/candidates/eligibility.py``,
the requirements engine's own rules). One call of ``evaluate_many(CandidateProfile
queryset, 500 sets)`` evaluates every pair (5,000,000), then ``eligible_counts()`` reads
every pair's outcome (how many eligible candidates each set has).

Data, in a fresh throw-away database per engine (a temporary SQLite file; PostgreSQL
database ``nyeri_bench_eligibility``, dropped and re-created): CANDIDATES candidates, each
with a profession (nurse 40 %, physicians, medical assistants, radiographers, pharmacists,
...) and the declarations such people make: an STR for most (some expired), residencies and
some pain fellowships for physicians, pain nursing certificates, pain training and up to 36
months of declared hours for nurses, work experience at hospitals, general clinics or pain
clinics for medical assistants, background checks for some.

Sets: the 10 role variants (the 8 roles of the ID staffing qualifications, a "pain nurse"
posting that also asks for the pain nursing certification, and a "pain physician for nerve
blocks" posting that asks for the interventional training) in 50 regencies = 500.

Rows (fixed moment): ``evaluate_many_median_s`` / ``_max_s`` (RUNS timed runs after a
warm-up, including ``eligible_counts()``; target TARGET_S, enforced); ``floor_fetch_median_s``
(the same credential rows and hours sums by raw SQL: information); ``batch_queries`` (target:
4 whatever the size); ``lookup_us`` (one ``batch.get()`` — a pair's full Eligibility with its
reasons, measured over 100,000 random pairs: information).

Environment: BENCH_CANDIDATES (10000), BENCH_RUNS (5), BENCH_POSTGRES_URL
(postgres://postgres@127.0.0.1:5432/nyeri_bench_eligibility), BENCH_SKIP_POSTGRES=1.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import random
import statistics
import time
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from bench_decisions_batch import _timed
from databases import on_both_databases
from sizes import size

CANDIDATES = size("BENCH_CANDIDATES", 10000, 50)
RUNS = size("BENCH_RUNS", 5, 1)
POSTGRES_URL = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/nyeri_bench_eligibility")
TARGET_S = 5.0
MAX_QUERIES = 4
AT = datetime(2026, 11, 25, 10, 0, tzinfo=ZoneInfo("Asia/Jakarta"))
TODAY = AT.date()
REGENCIES = [(f"32.{n:02d}", f"Kabupaten Bench {n:02d}") for n in range(1, 51)]

PROFESSIONS = {
    "nurse": 40,
    "pain_physician": 5,
    "anesthesiologist": 6,
    "neurologist": 3,
    "general_practitioner": 6,
    "medical_assistant": 15,
    "radiographer": 8,
    "xray_assistant": 4,
    "pharmacist": 8,
    "nurse_assistant": 5,
}
RESIDENCY = {"pain_physician": "anesthesiology", "anesthesiologist": "anesthesiology", "neurologist": "neurology"}


def _day(rng: random.Random, start: date, end: date) -> date:
    return date.fromordinal(rng.randint(start.toordinal(), end.toordinal()))


def _build(count: int) -> None:
    from django.contrib.auth.hashers import make_password
    from django.db import transaction

    from nyeri.accounts.models import User
    from nyeri.candidates.models import CandidateCredential, CandidateHours, CandidateProfile, CandidateTargetRole

    rng = random.Random(2026)
    professions, weights = zip(*PROFESSIONS.items(), strict=True)
    unusable = make_password(None)
    credentials: list[CandidateCredential] = []
    hours: list[CandidateHours] = []
    roles: list[CandidateTargetRole] = []
    with transaction.atomic():
        users = User.objects.bulk_create(
            [
                User(username=f"cand{n:05d}@bench.id", email=f"cand{n:05d}@bench.id", password=unusable)
                for n in range(count)
            ],
            batch_size=2000,
        )
        profiles = CandidateProfile.objects.bulk_create(
            [CandidateProfile(user=u, email_confirmed_at=AT) for u in users], batch_size=2000
        )
        for p in profiles:
            job = rng.choices(professions, weights)[0]

            roles.append(CandidateTargetRole(candidate=p, role=job))
            if job == "nurse" and rng.random() < 0.2:
                roles.append(CandidateTargetRole(candidate=p, role="nurse_assistant"))

            def add(kind: str, issued: date | None = None, p: Any = p, **fields: Any) -> None:
                credentials.append(
                    CandidateCredential(
                        candidate=p,
                        kind=kind,
                        issued_on=issued or _day(rng, date(2010, 1, 1), date(2025, 1, 1)),
                        **fields,
                    )
                )

            if rng.random() < 0.9:
                expired = rng.random() < 0.08
                add("registration", expires_on=date(2025, 6, 30) if expired else None)
            if rng.random() < 0.3:
                add("background_check", _day(rng, date(2025, 1, 1), date(2026, 11, 1)), check_kind="criminal_record")
            if job in RESIDENCY or job == "general_practitioner":
                add("education", specialty="general_medicine")
                if job in RESIDENCY:
                    add("residency", specialty=RESIDENCY[job])
                if job == "pain_physician" and rng.random() < 0.6:
                    add("fellowship", specialty="pain_management")
            elif job == "nurse":
                if rng.random() < 0.35:
                    add("pain_nursing_certification")
                for _ in range(rng.randint(0, 3)):
                    add(
                        "pain_training",
                        _day(rng, date(2023, 1, 1), date(2026, 11, 1)),
                        hours=Decimal(rng.randint(4, 16)),
                    )
                months = rng.randint(0, 36)
                y, m = 2026, 11
                for _ in range(months):
                    hours.append(CandidateHours(candidate=p, month=date(y, m, 1), hours=Decimal(rng.randint(20, 80))))
                    y, m = (y, m - 1) if m > 1 else (y - 1, 12)
            elif job == "medical_assistant":
                for _ in range(rng.randint(0, 3)):
                    add(
                        "work_experience",
                        employer_kind=rng.choice(["hospital", "general_clinic", "pain_clinic"]),
                        months=rng.randint(2, 18),
                    )
        CandidateTargetRole.objects.bulk_create(roles, batch_size=2000)
        CandidateCredential.objects.bulk_create(credentials, batch_size=2000)
        CandidateHours.objects.bulk_create(hours, batch_size=2000)
    print(f"   data: {count} candidates, {len(credentials)} declared credentials, {len(hours)} months of hours")


def _sets() -> list[Any]:
    from nyeri.candidates.eligibility import RequirementSet, requirement_set, role_catalogue, role_requirement_set
    from nyeri.workforce.policy.loader import pack_for

    pack = pack_for("ID")
    out: list[RequirementSet] = []
    for code, name in REGENCIES:
        for role in role_catalogue("ID"):
            out.append(role_requirement_set("ID", role, regency_code=code, regency=name))
        out.append(
            requirement_set(
                f"pain_nurse@{code}",
                "nurse",
                [pack.actions["record_assessment"], pack.certifications["pain_nursing"]],
                regency_code=code,
                regency=name,
            )
        )
        out.append(
            requirement_set(
                f"block_physician@{code}",
                "pain_physician",
                [pack.actions["record_diagnosis"], pack.actions["perform_procedure:nerve_block"]],
                regency_code=code,
                regency=name,
            )
        )
    return out


def _floor_fetch() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, kind, issued_on, expires_on, specialty, issuer_regency_code, exam_passed_on, hours, "
            "check_kind, employer_kind, months, candidate_id FROM candidates_candidatecredential"
        )
        n = len(cursor.fetchall())
        cursor.execute(
            "SELECT candidate_id, SUM(hours) FROM candidates_candidatehours WHERE month > %s AND month <= %s "
            "GROUP BY candidate_id",
            [date(2023, 11, 25), TODAY],
        )
        return n + len(cursor.fetchall())


def _measure(url: str, count: int, runs: int) -> dict[str, Any]:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "nyeri.test_settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from nyeri.candidates.eligibility import evaluate_many
    from nyeri.candidates.models import CandidateProfile

    call_command("migrate", verbosity=0, interactive=False)
    started = time.perf_counter()
    _build(count)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    print(f"   built in {time.perf_counter() - started:.1f}s", flush=True)
    sets = _sets()

    def batch() -> tuple[Any, dict[str, int]]:
        b = evaluate_many(CandidateProfile.objects.all(), sets, at=AT)
        return b, b.eligible_counts()

    times, (result, counts) = _timed(batch, runs)
    eligible = sum(counts.values())
    print(f"   runs: {', '.join(f'{t:.3f}s' for t in times)}; {eligible} of {len(result)} pairs eligible", flush=True)
    floor_times, fetched = _timed(_floor_fetch, runs)
    with CaptureQueriesContext(connection) as queries:
        evaluate_many(CandidateProfile.objects.all(), sets, at=AT)
    rng = random.Random(7)
    ids = list(result.candidate_ids)
    codes = [s.code for s in sets]
    pairs = [(rng.choice(ids), rng.choice(codes)) for _ in range(100_000)]
    started = time.perf_counter()
    for cid, code in pairs:
        result.get(cid, code)
    lookup_us = (time.perf_counter() - started) / len(pairs) * 1e6
    return {
        "vendor": connection.vendor,
        "times": times,
        "floor": floor_times,
        "rows_fetched": fetched,
        "candidates": len(ids),
        "sets": len(sets),
        "pairs": len(result),
        "eligible": eligible,
        "queries": len(queries),
        "lookup_us": lookup_us,
    }


def _in_child(url: str) -> dict[str, Any]:
    ctx = mp.get_context("spawn")
    with ctx.Pool(1) as pool:
        return pool.apply(_measure, (url, CANDIDATES, RUNS))


def _rows(database: str, m: dict[str, Any]) -> list[dict[str, Any]]:
    common = {
        "name": "eligibility_batch",
        "database": database,
        "candidates": m["candidates"],
        "sets": m["sets"],
        "pairs": m["pairs"],
    }
    median, worst = statistics.median(m["times"]), max(m["times"])
    return [
        {
            **common,
            "metric": "evaluate_many_median_s",
            "value": round(median, 3),
            "unit": "s",
            "target": TARGET_S,
            "met": median <= TARGET_S,
            "note": (
                f"{len(m['times'])} runs after a warm-up, with eligible_counts(); "
                f"{m['eligible']} of {m['pairs']} pairs eligible"
            ),
        },
        {
            **common,
            "metric": "evaluate_many_max_s",
            "value": round(worst, 3),
            "unit": "s",
            "target": TARGET_S,
            "met": worst <= TARGET_S,
        },
        {
            **common,
            "metric": "floor_fetch_median_s",
            "value": round(statistics.median(m["floor"]), 3),
            "unit": "s",
            "target": None,
            "met": True,
            "note": f"raw SQL, {m['rows_fetched']} rows (declared credentials, hours sums)",
        },
        {
            **common,
            "metric": "batch_queries",
            "value": m["queries"],
            "unit": "queries",
            "target": MAX_QUERIES,
            "met": m["queries"] <= MAX_QUERIES,
        },
        {
            **common,
            "metric": "lookup_us",
            "value": round(m["lookup_us"], 2),
            "unit": "µs",
            "target": None,
            "met": True,
            "note": "one batch.get(candidate, set): a pair's Eligibility with its reasons, 100,000 random pairs",
        },
    ]


def run() -> list[dict[str, Any]]:
    return on_both_databases(POSTGRES_URL, measure=_in_child, rows=_rows, what=f"{CANDIDATES} candidates, {RUNS} runs")
