"""A guard against reading the same thing twice: duplicate SQL within one request fails.

``no_duplicate_sql()`` records every statement run inside it and fails when one runs
twice with the same parameters (the same row fetched twice, the organization loaded
again, a lookup per row of a list). Transaction control (BEGIN, SAVEPOINT, RELEASE) is
not counted: two transactions in one request are not a duplicate read.

The ``api_requests_without_duplicate_sql`` fixture (tests/conftest.py, used by every app's
API tests) applies it to each request a test's ``Client`` sends to ``/api/``.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from django.db import connection

_CONTROL = ("BEGIN", "SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT", "COMMIT", "ROLLBACK")


# Requests known to repeat a statement when this guard was introduced (issue 14): most open
# the patient (and append its READ audit row) in one transaction and write in another, so
# the audit chain's head is read twice; some read a row again to build the answer. They
# are still run through the guard, which only stops failing for them. Fix one (one
# transaction per write, the answer built from the objects written), then delete its line.
KNOWN_DUPLICATES = frozenset(
    (
        "GET /api/facilities/{id}/profile",
        "GET /api/facilities/{id}/services",
        "GET /api/hiring/postings/{id}/applications",
        "GET /api/imaging/orders/{id}",
        "GET /api/prescriptions/{id}/pdf",
        # Personal data rights: accepting a demographic correction opens the patient, then
        # update_patient opens it again (the same SELECT on SQLite).
        "POST /api/personal-data-requests/{id}/answer",
        "GET /api/staffing/facilities/{id}/plan",
        "PATCH /api/facilities/{id}",
        "PATCH /api/patients/{id}",
        "POST /api/diary/{token}/entries",
        "POST /api/encounters",
        "POST /api/encounters/{id}/cancel",
        "POST /api/encounters/{id}/participants",
        "POST /api/facilities",
        "POST /api/hiring/postings/{id}/apply",
        "POST /api/imaging/orders/{id}/referrals",
        "POST /api/imaging/orders/{id}/result",
        "POST /api/imaging/orders/{id}/result/amend",
        "POST /api/imaging/orders/{id}/result/entered-in-error",
        "POST /api/imaging/referrals/{id}/accept",
        "POST /api/imaging/referrals/{id}/complete",
        "POST /api/imaging/referrals/{id}/result/amend",
        "POST /api/imports/patients",
        "POST /api/imports/staff",
        "POST /api/jobs/facilities/{id}/from-gap",
        "POST /api/patients/{id}/break-glass",
        "POST /api/patients/{id}/consents",
        "POST /api/patients/{id}/imaging",
        "POST /api/patients/{id}/merge",
        "POST /api/patients/{id}/prescriptions",
        "POST /api/patients/{id}/prescriptions/preview",
        "POST /api/patients/{id}/procedures",
        "POST /api/prescriptions/{id}/cancel",
        "POST /api/prescriptions/{id}/reissue",
        "POST /api/prescriptions/{id}/sign",
        "POST /api/procedures/{id}/amend",
        "POST /api/procedures/{id}/cancel",
        "POST /api/procedures/{id}/entered-in-error",
        "POST /api/procedures/{id}/perform",
        "POST /api/procedures/{id}/schedule",
        "POST /api/staffing/facilities/{id}/plan/preview",
        "POST /api/workforce/credentials/{id}/approve",
        "POST /api/workforce/credentials/{id}/reject",
        "POST /api/workforce/credentials/{id}/verify",
        "PUT /api/facilities/{id}/profile",
    )
)


def known_duplicate(method: str, path: str) -> bool:
    """Whether ``method path`` is one of KNOWN_DUPLICATES (ids and diary tokens generalised)."""
    general = re.sub(r"^/api/diary/[^/]+/entries$", "/api/diary/{token}/entries", path)
    general = re.sub(r"/\d+", "/{id}", general)
    return f"{method} {general}" in KNOWN_DUPLICATES


class DuplicateSQL(AssertionError):
    """The same statement ran twice with the same parameters."""


@contextmanager
def no_duplicate_sql(label: str = "", *, known: bool = False) -> Iterator[list[str]]:
    """Fail (``DuplicateSQL``) when a statement runs twice with the same parameters inside
    (``known``: a request of KNOWN_DUPLICATES, not failed)."""
    seen: Counter[tuple[str, str]] = Counter()
    statements: list[str] = []

    def record(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        if not sql.lstrip().upper().startswith(_CONTROL):
            seen[(sql, repr(params))] += 1
            statements.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        yield statements
    repeated = [f"{count}x {sql} {params}" for (sql, params), count in seen.items() if count > 1]
    report = os.environ.get("NYERI_DUPLICATE_SQL_REPORT")
    if repeated and report:
        with open(report, "a", encoding="utf-8") as out:
            out.write(f"{label}\t{len(repeated)}\n")
        return
    if repeated and not known:
        raise DuplicateSQL(f"{label}: the same SQL ran more than once:\n" + "\n".join(repeated))


def statements_of(call: Callable[[], Any]) -> int:
    """How many statements ``call`` runs (transaction control not counted): a list that costs
    what it returns runs as many for one row as for two hundred."""
    with no_duplicate_sql("counted", known=True) as statements:
        call()
    return len(statements)
