"""Imports in the JSON API (mounted at /api/imports): the same services, report and audit as the pages.

``POST /api/imports/staff?dry_run=true|false`` and ``POST /api/imports/patients?dry_run=...``
take the spreadsheet as the multipart field ``file``. The answer is the report: 200 when
every row is valid (and, unless a dry run, imported), 422 with the same report when some
row is not (nothing written).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import File, Router, Schema, Status
from ninja.files import UploadedFile

from nyeri.api.errors import ErrorEnvelope
from nyeri.api.idempotency import idempotent
from nyeri.imports import services
from nyeri.imports.reading import check_size
from nyeri.lib.http import request_user
from nyeri.tenancy.scope import request_scope

router = Router(tags=["imports"])


class ProblemOut(Schema):
    row: int
    column: str
    reason: str


class ImportReportOut(Schema):
    what: str
    sha256: str
    dry_run: bool
    written: bool
    rows: int
    problems: list[ProblemOut]
    created: dict[str, int]
    unchanged: dict[str, int]


RESPONSES: dict[int, Any] = {200: ImportReportOut, 422: ImportReportOut | ErrorEnvelope, 403: ErrorEnvelope}


def _answer(report: services.ImportReport) -> Status[dict[str, Any]]:
    body = {
        "what": report.what,
        "sha256": report.sha256,
        "dry_run": report.dry_run,
        "written": report.written,
        "rows": report.rows,
        "problems": [{"row": p.row, "column": p.column, "reason": p.reason} for p in report.problems],
        "created": report.created,
        "unchanged": report.unchanged,
    }
    return Status(200 if report.ok else 422, body)


@router.post("/staff", response=RESPONSES, summary="Import staff and credentials from a spreadsheet")
def import_staff(request: HttpRequest, file: File[UploadedFile], dry_run: bool = True) -> Status[dict[str, Any]]:
    check_size(file.size or 0)
    report = services.import_staff(
        scope=request_scope(request), acting_user=request_user(request), content=file.read(), dry_run=dry_run
    )
    return _answer(report)


@router.post("/patients", response=RESPONSES, summary="Import patients from a spreadsheet")
@idempotent
def import_patients(request: HttpRequest, file: File[UploadedFile], dry_run: bool = True) -> Status[dict[str, Any]]:
    check_size(file.size or 0)
    report = services.import_patients(
        scope=request_scope(request), acting_user=request_user(request), content=file.read(), dry_run=dry_run
    )
    return _answer(report)
