"""api_history: reading a patient's pain history and chart through the API costs what it returns.

``GET /api/patients/{id}/assessments?page_size=200`` for a patient with HISTORY (136)
assessments recorded through the recording service (NRS and PEG, answers, scores, some
body sites), with an API token (``Authorization: Bearer``), through Django's whole stack
(middleware, token, scope, care access, the audited read, labels, JSON), in-process with
Django's test Client; and ``GET /api/patients/{id}/chart?months=all`` for a patient with a
daily diary over five years (DIARY_DAYS assessments).

The floor: a bare view in the same server (bench/floor_urls.py) selecting the same rows
(the assessments' columns, their scores, answers and body sites) in raw SQL and dumping
them with ``json.dumps``: no token, scope, audit or labels. The history and the floor are
requested alternately, REQUESTS times each after WARMUP, in the same run.

Rows (both databases):

- ``history_cpu_ms``: median CPU time (``time.process_time``: this process is the server)
  of one history request; target at most 3x ``floor_cpu_ms`` of the same run (enforced);
- ``floor_cpu_ms``, ``history_wall_ms``: information;
- ``history_statements``: SQL statements of one history request; target: the same number as
  for a patient with one assessment (enforced);
- ``chart_statements``: the same for the chart of the five-year patient (enforced);
- ``chart_cpu_ms``: median CPU time of that chart request (information).

Environment: BENCH_PROFILE=1 (also print a cProfile of 50 history requests),
BENCH_REQUESTS (60), BENCH_WARMUP (5), BENCH_HISTORY (136), BENCH_DIARY_DAYS
(1825), BENCH_POSTGRES_URL (postgres://postgres@127.0.0.1:5432/nyeri_bench_api_history;
dropped and re-created), BENCH_SKIP_POSTGRES=1.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import statistics
import time
from collections.abc import Callable
from typing import Any

from databases import on_both_databases
from sizes import size

REQUESTS = size("BENCH_REQUESTS", 60, 2)
WARMUP = size("BENCH_WARMUP", 5, 1)
HISTORY = size("BENCH_HISTORY", 136, 6)
DIARY_DAYS = size("BENCH_DIARY_DAYS", 5 * 365, 20)
POSTGRES_URL = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/nyeri_bench_api_history")
TARGET_RATIO = 3.0


def _measure(url: str) -> dict[str, Any]:
    os.environ["DATABASE_URL"] = url
    os.environ["ALLOWED_HOSTS"] = "testserver,localhost,127.0.0.1"
    os.environ["DJANGO_SETTINGS_MODULE"] = "floor_settings"
    import django

    django.setup()
    from clinic import build_clinic, bulk_diary, new_patient, record_history
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    call_command("migrate", verbosity=0, interactive=False)
    started = time.perf_counter()
    clinic = build_clinic("bench-api-history")
    listed, one, diary = new_patient(clinic, 1), new_patient(clinic, 2), new_patient(clinic, 3)
    record_history(clinic, listed, HISTORY)
    record_history(clinic, one, 1)
    bulk_diary(clinic, diary, DIARY_DAYS)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    print(f"   built in {time.perf_counter() - started:.1f}s", flush=True)

    client = Client(HTTP_AUTHORIZATION=f"Bearer {clinic.token}")
    org_id = clinic.organization.pk

    def history_path(patient: Any) -> str:
        return f"/api/patients/{patient.pk}/assessments?page_size=200"

    def chart_path(patient: Any) -> str:
        return f"/api/patients/{patient.pk}/chart?months=all"

    def get(path: str) -> Any:
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code, response.content[:300])
        return response.json()

    api_body = get(history_path(listed))
    floor_body = get(f"/floor/history/{org_id}/{listed.pk}?page_size=200")
    assert api_body["count"] == HISTORY == len(api_body["items"]), api_body["count"]
    assert [a["id"] for a in api_body["items"]] == [a["id"] for a in floor_body["items"]], "not the same rows"
    chart = get(chart_path(diary))
    assert sum(len(s["points"]) for s in chart["series"]) > 0, "the five-year chart shows nothing"

    def statements(path: str) -> int:
        with CaptureQueriesContext(connection) as queries:
            get(path)
        return len(queries)

    counts = {
        "history": statements(history_path(listed)),
        "history_one": statements(history_path(one)),
        "chart": statements(chart_path(diary)),
        "chart_one": statements(chart_path(one)),
    }

    def timed(path: str) -> Callable[[], tuple[float, float]]:
        def run() -> tuple[float, float]:
            cpu, wall = time.process_time(), time.perf_counter()
            get(path)
            return (time.process_time() - cpu) * 1000, (time.perf_counter() - wall) * 1000

        return run

    kinds = {
        "history": timed(history_path(listed)),
        "floor": timed(f"/floor/history/{org_id}/{listed.pk}?page_size=200"),
        "chart": timed(chart_path(diary)),
    }
    if os.environ.get("BENCH_PROFILE") == "1":
        _profile(lambda: get(history_path(listed)))
    samples: dict[str, list[tuple[float, float]]] = {k: [] for k in kinds}
    for n in range(WARMUP + REQUESTS):
        for kind, run in kinds.items():
            measured = run()
            if n >= WARMUP:
                samples[kind].append(measured)
    return {
        "counts": counts,
        "cpu": {k: statistics.median(c for c, _ in v) for k, v in samples.items()},
        "wall": {k: statistics.median(w for _, w in v) for k, v in samples.items()},
        "bytes": len(client.get(history_path(listed)).content),
        "load": os.getloadavg()[0],
    }


def _profile(request: Callable[[], Any]) -> None:
    """BENCH_PROFILE=1: where the CPU of 50 history requests goes (cProfile on CPU time), printed."""
    import cProfile
    import pstats

    profiler = cProfile.Profile(time.process_time)
    profiler.enable()
    for _ in range(50):
        request()
    profiler.disable()
    pstats.Stats(profiler).sort_stats("tottime").print_stats(30)
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(80)


def _in_child(url: str) -> dict[str, Any]:
    # A fresh process per database: Django's settings (and connection) are chosen once.
    ctx = mp.get_context("spawn")
    with ctx.Pool(1) as pool:
        return pool.apply(_measure, (url,))


def _rows(database: str, m: dict[str, Any]) -> list[dict[str, Any]]:
    common = {"name": "api_history", "database": database, "assessments": HISTORY, "diary_days": DIARY_DAYS}
    cpu, wall, counts = m["cpu"], m["wall"], m["counts"]
    limit = round(TARGET_RATIO * cpu["floor"], 2)
    return [
        {
            **common,
            "metric": "history_cpu_ms",
            "value": round(cpu["history"], 2),
            "unit": "ms",
            "target": limit,
            "met": cpu["history"] <= limit,
            "note": f"{TARGET_RATIO:g}x the floor; {cpu['history'] / cpu['floor']:.2f}x measured; "
            f"{m['bytes']:,} bytes; load average {m['load']:.2f}; median of {REQUESTS} after {WARMUP} warm-up",
        },
        {
            **common,
            "metric": "floor_cpu_ms",
            "value": round(cpu["floor"], 2),
            "unit": "ms",
            "target": None,
            "met": True,
        },
        {
            **common,
            "metric": "history_wall_ms",
            "value": round(wall["history"], 2),
            "unit": "ms",
            "target": None,
            "met": True,
            "note": f"floor {wall['floor']:.2f} ms",
        },
        {
            **common,
            "metric": "history_statements",
            "value": counts["history"],
            "unit": "statements",
            "target": counts["history_one"],
            "met": counts["history"] == counts["history_one"],
            "note": f"{HISTORY} assessments against one: {counts['history_one']}",
        },
        {
            **common,
            "metric": "chart_statements",
            "value": counts["chart"],
            "unit": "statements",
            "target": counts["chart_one"],
            "met": counts["chart"] == counts["chart_one"],
            "note": f"{DIARY_DAYS} days of diary against one assessment: {counts['chart_one']}",
        },
        {
            **common,
            "metric": "chart_cpu_ms",
            "value": round(cpu["chart"], 2),
            "unit": "ms",
            "target": None,
            "met": True,
            "note": f"?months=all; wall {wall['chart']:.2f} ms",
        },
    ]


def run() -> list[dict[str, Any]]:
    return on_both_databases(POSTGRES_URL, measure=_in_child, rows=_rows, what=f"{REQUESTS} requests of each kind")
