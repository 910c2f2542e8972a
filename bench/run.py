"""Run Nyeri's benchmarks: ``python bench/run.py [NAME ...]``.

Each ``bench/bench_NAME.py`` has ``run() -> list[dict]``; every row has the keys name,
database, metric, value, unit, target, met (and data-size keys such as clients and writes).
The rows are printed as a table and written to ``bench/results/NAME.json``.

A benchmark creates its own throw-away databases (never the development or test ones).
The exit status is 1 when a row with an enforced target missed it, 2 when a benchmark
failed outright (for instance a broken audit chain after the run).

``BENCH_SMOKE=1`` (``make bench-smoke``, part of ``make test``) runs each benchmark at a tiny
size to check that it still works: its own assertions hold, but targets are not enforced
and its rows go to ``bench/results/smoke/`` (not committed), never over the real results.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import traceback
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
SMOKE = os.environ.get("BENCH_SMOKE") == "1"
RESULTS_DIR = BENCH_DIR / "results" / "smoke" if SMOKE else BENCH_DIR / "results"
REQUIRED_KEYS = ("name", "database", "metric", "value", "unit", "target", "met")

# Benchmarks import Django in their worker processes; these are inherited by them.
sys.path[:0] = [str(ROOT), str(BENCH_DIR)]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "nyeri.test_settings")
os.environ.setdefault("NYERI_TESTING", "1")
os.environ.setdefault("HTTPS", "0")


def discover() -> list[str]:
    return sorted(p.stem.removeprefix("bench_") for p in BENCH_DIR.glob("bench_*.py"))


def format_value(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.2f}"
    return "—" if value is None else str(value)


def print_table(rows: list[dict[str, Any]]) -> None:
    size_keys = sorted(
        {k for row in rows for k, v in row.items() if not isinstance(v, list | dict)}
        - set(REQUIRED_KEYS)
        - {"enforced", "note"}
    )
    headers = ["name", "database", "metric", "value", "unit", "target", "met", *size_keys]
    table = [headers]
    for row in rows:
        met = "yes" if row["met"] else ("NO" if row.get("enforced", True) else "no (info)")
        cells = [format_value(row.get(h)) for h in headers]
        cells[headers.index("met")] = met if row["target"] is not None else "—"
        table.append(cells)
    widths = [max(len(r[i]) for r in table) for i in range(len(headers))]
    for n, r in enumerate(table):
        print(
            "  ".join(c.rjust(w) if 3 <= i <= 5 else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True)))
        )
        if n == 0:
            print("  ".join("-" * w for w in widths))
    for row in rows:
        if row.get("note"):
            print(f"note ({row['database']} {row['metric']}): {row['note']}")


def run_one(name: str) -> tuple[list[dict[str, Any]], bool]:
    module = importlib.import_module(f"bench_{name}")
    rows: list[dict[str, Any]] = module.run()
    for row in rows:
        missing = [k for k in REQUIRED_KEYS if k not in row]
        if missing:
            raise ValueError(f"benchmark {name}: a row lacks {missing}: {row}")
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    out = RESULTS_DIR / f"{name}.json"
    tmp = out.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(rows, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    tmp.replace(out)
    print_table(rows)
    print(f"-> {out.relative_to(ROOT)}")
    missed = any(row["target"] is not None and not row["met"] and row.get("enforced", True) for row in rows)
    # Tiny data on a busy machine says nothing about speed: smoke runs check that it works.
    return rows, missed and not SMOKE


def main(argv: list[str]) -> int:
    available = discover()
    wanted = argv or available
    unknown = [n for n in wanted if n not in available]
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; available: {', '.join(available)}", file=sys.stderr)
        return 2
    status = 0
    for name in wanted:
        print(f"== {name}")
        try:
            _, missed = run_one(name)
        except Exception:
            traceback.print_exc()
            print(f"!! benchmark {name} FAILED", file=sys.stderr)
            status = 2
            continue
        if missed:
            print(f"!! benchmark {name}: an enforced target was missed", file=sys.stderr)
            status = max(status, 1)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
