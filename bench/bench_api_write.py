"""api_write: recording a pain score through the whole HTTP stack, against a bare view's floor.

What a nurse's tablet waits for after sending a pain score: ``POST
/api/patients/{id}/assessments`` (an NRS rating) with a bearer token, through every
middleware, the token, the actor (membership, roles, facilities, professional record), the
care-access check of the patient, the requirements engine's ``record_assessment`` decision,
the inserts and the audit rows (the READ of the patient and the CREATE), and the JSON answer.

The floor, measured in the same run and the same process: a bare Django view behind the
same middleware that does the same INSERTs through the ORM (the assessment, its answer and
its score, in one transaction) and answers with the new row's id: no authentication, no
privilege, no audit. What the platform adds is the ratio of the two.

CPU is measured in the server process: the WSGI application runs in-process behind
Django's test ``Client`` (the full handler and middleware stack, no socket), and
``time.process_time()`` is read around each request; the client's own share (building the
request, parsing the JSON answer) is in both sides alike. Each SQL statement of one write
is counted with ``connection.execute_wrapper`` (BEGIN included, as SQLite issues it through
a cursor) and each commit by wrapping ``connection.commit``.

Rows: ``write_cpu_ms`` (median CPU per write), ``floor_cpu_ms``, ``cpu_ratio`` (target at
most 3x, enforced), ``write_statements`` (at most 10, asserted), ``write_commits`` (exactly
1, asserted), ``write_wall_p95_ms``, and on a PostgreSQL running on this machine ``write_database_cpu_ms``
and ``floor_database_cpu_ms`` (its backend's CPU per request, from /proc: on two cores the
database's work competes with the server's); each row carries the load average.

Environment: BENCH_SMOKE=1 (20 writes), BENCH_RUNS (400), BENCH_PROFILE=1 (also print a
cProfile of 200 writes, by own and cumulative time), BENCH_POSTGRES_URL
(postgres://postgres@127.0.0.1:5432/nyeri_bench_api_write; dropped and re-created),
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
from sizes import SMOKE, size

RUNS = size("BENCH_RUNS", 400, 20)
POSTGRES_URL = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/nyeri_bench_api_write")
MAX_STATEMENTS = 10
MAX_RATIO = 3.0


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


# --- The floor: a bare view doing the same INSERTs (routed by this module's urlconf) ---------


def floor_view(request: Any) -> Any:
    from django.db import transaction
    from django.http import JsonResponse
    from django.utils import timezone

    from nyeri.clinical.models import AssessmentAnswer, AssessmentScore, PainAssessment

    body = json.loads(request.body)
    with transaction.atomic():
        assessment = PainAssessment.objects.create(
            organization_id=body["organization_id"],
            patient_id=body["patient_id"],
            facility_id=body["facility_id"],
            instrument_code="nrs",
            instrument_version="1",
            recorded_at=timezone.now(),
            recorded_by_id=body["user_id"],
            source="clinician",
        )
        value = body["answers"]["intensity"]
        AssessmentAnswer.objects.create(
            organization_id=body["organization_id"], assessment=assessment, item_code="intensity", value=value
        )
        AssessmentScore.objects.create(
            organization_id=body["organization_id"], assessment=assessment, score_code="total", value=value
        )
    return JsonResponse({"id": assessment.pk}, status=201)


def _urlpatterns() -> list[Any]:
    from django.urls import path
    from django.views.decorators.csrf import csrf_exempt

    from nyeri.urls import urlpatterns

    return [path("bench-floor/", csrf_exempt(floor_view)), *urlpatterns]


def __getattr__(name: str) -> Any:
    # This module is the bench's ROOT_URLCONF: Nyeri's URLs plus the floor view, built on
    # first use (Django is set up by then).
    if name == "urlpatterns":
        return _urlpatterns()
    raise AttributeError(name)


# --- Building the data set (in the child process) -------------------------------------------


def _build() -> dict[str, Any]:
    from nyeri.accounts.models import User
    from nyeri.accounts.services import create_api_token
    from nyeri.clinical.models import Patient
    from nyeri.tenancy.models import Facility, Membership, MembershipRole, Organization
    from nyeri.workforce.models import Credential, Person, PersonFacility, PersonRole

    org = Organization.objects.create(name="Jaringan Nyeri Bench", slug="bench-api-write", kind="clinic_operator")
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
    person = Person.objects.create(organization=org, user=user, full_name="Perawat Bench", citizenship="citizen")
    PersonRole.objects.create(organization=org, person=person, role="nurse")
    PersonFacility.objects.create(organization=org, person=person, facility=facility)
    common = {"organization": org, "person": person, "status": "verified", "issued_on": date(2024, 1, 1)}
    Credential.objects.create(kind="registration", issuer="Konsil Kesehatan Indonesia", number="STR-1", **common)
    Credential.objects.create(
        kind="practice_permit",
        issuer="DPMPTSP Kota Bandung",
        number="SIP-1",
        facility=facility,
        issuer_regency_code="32.73",
        expires_on=date.today() + timedelta(days=3 * 365),
        **common,
    )
    patient = Patient.objects.create(
        organization=org,
        registered_at=facility,
        mrn="RM-1",
        full_name="Dadang Suryana",
        birth_date=date(1970, 1, 2),
        sex="male",
    )
    _token, secret = create_api_token(acting_user=user, name="bench", expires_in_days=None)
    return {
        "organization_id": org.pk,
        "facility_id": facility.pk,
        "patient_id": patient.pk,
        "user_id": user.pk,
        "secret": secret,
    }


# --- Measuring (in a child process per database) ----------------------------------------------


def _measure(url: str) -> dict[str, Any]:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "nyeri.test_settings")
    import django
    from django.conf import settings

    django.setup()
    settings.ROOT_URLCONF = "bench_api_write"
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from nyeri.audit.models import AuditEvent
    from nyeri.audit.verify import verify_chain
    from nyeri.clinical.models import PainAssessment

    call_command("migrate", verbosity=0, interactive=False)
    built = _build()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {built['secret']}", HTTP_ACCEPT_LANGUAGE="en", HTTP_HOST="localhost")
    api_path = f"/api/patients/{built['patient_id']}/assessments"
    n = 0

    def body() -> str:
        nonlocal n
        n += 1
        return json.dumps(
            {"instrument": "nrs", "facility_id": built["facility_id"], "answers": {"intensity": n % 11}, **built}
        )

    def post(path: str) -> tuple[float, float, dict[str, Any]]:
        payload = body()
        wall, cpu = time.perf_counter(), time.process_time()
        response = client.post(path, payload, content_type="application/json")
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        assert response.status_code == 201, (response.status_code, response.content[:400])
        return cpu * 1000, wall * 1000, response.json()

    for _ in range(5):  # warm-up: URL resolver, instruments, policy pack, translations
        post(api_path)
        post("/bench-floor/")

    statements: list[str] = []
    commits = 0

    def count(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        statements.append(sql)
        return execute(sql, params, many, context)

    real_commit = connection.commit

    def counting_commit() -> None:
        nonlocal commits
        commits += 1
        real_commit()

    connection.commit = counting_commit  # type: ignore[method-assign]
    try:
        with connection.execute_wrapper(count):
            _cpu, _wall, answer = post(api_path)
    finally:
        del connection.commit
    assert answer["scores"][0]["code"] == "total", answer
    one_write = list(statements)

    if os.environ.get("BENCH_PROFILE") == "1":
        print("\n".join(one_write))
        _profile(lambda: post(api_path))
    audit_before = AuditEvent.objects.count()
    rows_before = PainAssessment.objects.count()
    write_cpu: list[float] = []
    write_wall: list[float] = []
    floor_cpu: list[float] = []
    database_cpu = _database_cpu_reader()
    database_ms = {"write": 0.0, "floor": 0.0}
    # Alternating: the same moment of the machine's load for both sides.
    for _ in range(RUNS):
        before = database_cpu()
        cpu, wall, answer = post(api_path)
        middle = database_cpu()
        write_cpu.append(cpu)
        write_wall.append(wall)
        floor_cpu.append(post("/bench-floor/")[0])
        database_ms["write"] += middle - before
        database_ms["floor"] += database_cpu() - middle
    # Correctness, in the same run: every write and its two audit rows, the chain intact.
    assert PainAssessment.objects.count() == rows_before + 2 * RUNS
    assert AuditEvent.objects.count() == audit_before + 2 * RUNS, "a write without its READ and CREATE audit rows"
    assert verify_chain(chains=[built["organization_id"]]).ok
    known = database_cpu() >= 0
    return {
        "write_cpu": write_cpu,
        "write_wall": write_wall,
        "floor_cpu": floor_cpu,
        # Summed over the run (the kernel counts CPU in clock ticks), per request.
        "database_cpu": {k: v / RUNS for k, v in database_ms.items()} if known else None,
        "statements": len(one_write),
        "statement_list": one_write,
        "commits": commits,
    }


def _database_cpu_reader() -> Any:
    """A function that returns the CPU time (ms) PostgreSQL's backend process of this
    connection has used so far, read from /proc when the server runs on this machine and
    its processes are readable; -1 otherwise (and on SQLite, which runs in this process)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return lambda: -1.0
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
    stat, tick_ms = f"/proc/{pid}/stat", 1000 / os.sysconf("SC_CLK_TCK")

    def read() -> float:
        try:
            with open(stat) as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            return -1.0
        return (int(fields[11]) + int(fields[12])) * tick_ms  # utime + stime

    return read


def _profile(write: Any) -> None:
    """BENCH_PROFILE=1: where the CPU of 200 writes goes (cProfile, by own time), printed."""
    import cProfile
    import pstats

    # CPU time, not wall time: waiting for PostgreSQL's answer is not the server's CPU.
    profiler = cProfile.Profile(time.process_time)
    profiler.enable()
    for _ in range(200):
        write()
    profiler.disable()
    if os.environ.get("BENCH_PROFILE_FILE"):
        profiler.dump_stats(os.environ["BENCH_PROFILE_FILE"])
    pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(120)


def _in_child(url: str) -> dict[str, Any]:
    # A fresh process per database: Django's settings (and connection) are chosen once.
    ctx = mp.get_context("spawn")
    with ctx.Pool(1) as pool:
        return pool.apply(_measure, (url,))


def _rows(database: str, m: dict[str, Any]) -> list[dict[str, Any]]:
    load = round(os.getloadavg()[0], 2)
    common = {"name": "api_write", "database": database, "runs": len(m["write_cpu"]), "load": load}
    write, floor = statistics.median(m["write_cpu"]), statistics.median(m["floor_cpu"])
    ratio = write / floor if floor else math.inf
    if m["statements"] > MAX_STATEMENTS or m["commits"] != 1:
        listing = "\n".join(m["statement_list"])
        raise AssertionError(
            f"{database}: one write took {m['statements']} statements and {m['commits']} commits:\n{listing}"
        )
    return [
        {
            **common,
            "metric": "write_cpu_ms",
            "value": round(write, 3),
            "unit": "ms",
            "target": None,
            "met": True,
            "note": "POST /api/patients/{id}/assessments: median server CPU (process_time, in-process WSGI)",
        },
        {**common, "metric": "floor_cpu_ms", "value": round(floor, 3), "unit": "ms", "target": None, "met": True},
        {
            **common,
            "metric": "cpu_ratio",
            "value": round(ratio, 2),
            "unit": "x floor",
            "target": MAX_RATIO,
            "met": ratio <= MAX_RATIO,
            "enforced": not SMOKE,
        },
        {
            **common,
            "metric": "write_statements",
            "value": m["statements"],
            "unit": "statements",
            "target": MAX_STATEMENTS,
            "met": True,
        },
        {**common, "metric": "write_commits", "value": m["commits"], "unit": "commits", "target": 1, "met": True},
        *(
            {
                **common,
                "metric": f"{kind}_database_cpu_ms",
                "value": round(m["database_cpu"][kind], 3),
                "unit": "ms",
                "target": None,
                "met": True,
                "note": "PostgreSQL's backend process, /proc/PID/stat, mean over the run",
            }
            for kind in ("write", "floor")
            if m["database_cpu"] is not None
        ),
        {
            **common,
            "metric": "write_wall_p95_ms",
            "value": round(_p95(m["write_wall"]), 2),
            "unit": "ms",
            "target": None,
            "met": True,
        },
    ]


def run() -> list[dict[str, Any]]:
    return on_both_databases(POSTGRES_URL, measure=_in_child, rows=_rows, what=f"{RUNS} writes and {RUNS} floor writes")
