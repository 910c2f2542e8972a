"""FHIR Bulk Data export (``$export``): the kick-off, the job that writes NDJSON, status, files, cancel, prune.

A client asks ``GET /fhir/R4/$export`` (or ``Patient/$export``) with ``Prefer: respond-async``;
``start_export`` records the export, audits it and enqueues ``run_export`` on the background
queue. The job writes one NDJSON file per resource type under
``PRIVATE_STORAGE_ROOT/fhir-export/<organization>/<export>/``, streaming the rows in chunks
(never the whole table in memory) with the resource builders' plain-JSON path (the tests
validate every line with the R4B models). The member who asked polls the status URL, reads
the manifest and downloads the files with the same token; for anyone else the export is not
found. Finished exports are deleted after ``FHIR_EXPORT_KEEP_HOURS`` by a periodic job.
"""

from __future__ import annotations

import json
import shutil
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from nyeri.audit.models import AuditAction
from nyeri.audit.services import record_event
from nyeri.background.models import JobStatus
from nyeri.background.services import enqueue_job
from nyeri.clinical.selectors import limit_to_care
from nyeri.interop.fhir import systems
from nyeri.interop.fhir.errors import FhirError
from nyeri.interop.fhir.resources import RESOURCE_TYPES, ResourceType
from nyeri.interop.models import ExportLevel, ExportStatus, FhirExport
from nyeri.tenancy.scope import Scope, resolve_scope

EXPORT_JOB = "interop.fhir_export"
PRUNE_JOB = "interop.fhir_export_prune"
FOLDER = "fhir-export"
OBJECT_TYPE = "fhir.$export"
# Rows read per query (with their prefetches): the memory a running export holds.
CHUNK = 2000
OUTPUT_FORMATS = ("application/fhir+ndjson", "application/ndjson", "ndjson")
# AuditEvent is for the compliance officer: exported when asked for by name only.
NOT_BY_DEFAULT = frozenset({"AuditEvent"})


class ExportGone(Exception):
    """The export was cancelled (deleted) while its job ran."""


@dataclass(frozen=True)
class ExportRequest:
    level: str
    types: tuple[str, ...]
    since: datetime | None
    request_url: str


# --- The kick-off request -------------------------------------------------------------------


def _types_of_level(level: str) -> list[str]:
    if level == ExportLevel.PATIENT:
        return [name for name, kind in RESOURCE_TYPES.items() if kind.is_patient_data]
    return [name for name in RESOURCE_TYPES if name not in NOT_BY_DEFAULT]


def _instant(raw: str) -> datetime | None:
    """A FHIR instant (a moment with its offset), or None."""
    try:
        found = parse_datetime(raw) if len(raw) > 10 else None
    except ValueError:  # well-formed but impossible, such as month 13
        return None
    return found if found is not None and found.tzinfo is not None else None


def parse_request(*, level: str, params: list[tuple[str, list[str]]], prefer: str, request_url: str) -> ExportRequest:
    """The kick-off's parameters, or a 400 naming what is wrong."""
    if "respond-async" not in [part.strip() for part in prefer.split(",")]:
        raise FhirError(
            400, "invalid", _("A bulk export answers asynchronously: send the header Prefer: respond-async.")
        )
    allowed = _types_of_level(level) + (["AuditEvent"] if level == ExportLevel.SYSTEM else [])
    types: list[str] = []
    since: datetime | None = None
    for name, values in params:
        if name == "_type":
            for value in values:
                for part in value.split(","):
                    if part.strip() not in allowed:
                        raise FhirError(
                            400,
                            "not-supported",
                            _("The resource type %(name)s cannot be exported here.") % {"name": part},
                            expression="_type",
                        )
                    if part.strip() not in types:
                        types.append(part.strip())
        elif name == "_since":
            if (found := _instant(values[-1])) is None:
                raise FhirError(
                    400,
                    "invalid",
                    _("The value %(value)s of %(name)s is not a FHIR instant (e.g. 2026-11-01T00:00:00+07:00).")
                    % {"value": values[-1], "name": "_since"},
                    expression="_since",
                )
            since = found
        elif name == "_outputFormat":
            if values[-1] not in OUTPUT_FORMATS:
                raise FhirError(
                    400,
                    "not-supported",
                    _("The output format %(value)s is not supported: use application/fhir+ndjson.")
                    % {"value": values[-1]},
                    expression="_outputFormat",
                )
        else:
            raise FhirError(
                400,
                "not-supported",
                _("The parameter %(name)s is not supported by $export.") % {"name": name},
                expression=name,
            )
    return ExportRequest(
        level=level, types=tuple(types or _types_of_level(level)), since=since, request_url=request_url
    )


def start_export(*, scope: Scope, request: ExportRequest) -> FhirExport:
    """Record the export and queue its job; refused (403, audited) for a type the member may not read."""
    for name in request.types:
        # The selectors refuse (and audit) a member without the right role, as a search would.
        for part in RESOURCE_TYPES[name].parts:
            part.rows(scope)
    with transaction.atomic():
        export = FhirExport.objects.create(
            organization=scope.organization,
            requested_by=scope.user,
            level=request.level,
            types=list(request.types),
            since=request.since,
            request_url=request.request_url,
            requested_at=timezone.now(),
        )
        record_event(
            actor=scope.user,
            action=AuditAction.EXPORT,
            organization=scope.organization,
            object_type=OBJECT_TYPE,
            object_id=str(export.pk),
            reason=f"fhir $export requested: {request.request_url}"[:1000],
        )
        run = enqueue_job(
            EXPORT_JOB,
            organization=scope.organization,
            arguments={"export_id": str(export.pk)},
            requested_by=scope.user,
        )
        FhirExport.objects.filter(pk=export.pk).update(job_run=run)
    export.refresh_from_db()
    return export


# --- The job ----------------------------------------------------------------------------------


def export_folder(export: FhirExport) -> Path:
    return Path(settings.PRIVATE_STORAGE_ROOT) / FOLDER / str(int(export.organization_id)) / str(export.pk)


def export_rows(scope: Scope, kind: ResourceType, since: datetime | None) -> QuerySet[Any]:
    """The rows of ``kind`` the member may read, changed at or after ``since`` when given, by id."""
    rows = kind.rows(scope)
    if kind.builder_selects is not None:
        rows = rows.select_related(None).select_related(*kind.builder_selects)
    if kind.patient_field is not None:
        rows = limit_to_care(scope, rows, patient_field=kind.patient_field)
    if since is not None and kind.changed:
        changed = Q()
        for path in kind.changed:
            changed |= Q(**{f"{path}__gte": since})
        # A subquery, so that a path across a to-many relation yields each row once.
        rows = rows.filter(pk__in=kind.rows(scope).filter(changed).values("pk"))
    return rows.order_by("pk")


def _json_value(value: Any) -> Any:
    """The builders' values json does not know: decimals are FHIR numbers, lazy texts strings."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, Promise):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON")


def ndjson_line(data: dict[str, Any]) -> str:
    return json.dumps(data, default=_json_value, ensure_ascii=False, separators=(",", ":")) + "\n"


def _still_there(export_id: uuid.UUID) -> None:
    if not FhirExport.objects.filter(pk=export_id).exists():
        raise ExportGone


def write_ndjson(
    path: Path, rows: QuerySet[Any], kind: ResourceType, *, export_id: uuid.UUID | None = None, append: bool = False
) -> int:
    """Write ``rows`` as one resource a line (after what the file holds, with ``append``: the
    next part of the type); the number written. Checks for a cancel between chunks."""
    count = 0
    with path.open("a" if append else "w", encoding="utf-8") as out:
        for row in rows.iterator(chunk_size=CHUNK):
            out.write(ndjson_line(kind.as_json(row)))
            count += 1
            if export_id is not None and count % (CHUNK * 10) == 0:
                _still_there(export_id)
    return count


def run_export(*, export_id: str) -> dict[str, Any]:
    """The job: write the export's files, then mark it completed and audit what went out."""
    export = FhirExport.objects.select_related("organization", "requested_by").filter(pk=export_id).first()
    if export is None:
        return {"outcome": "cancelled"}
    scope = resolve_scope(export.requested_by, export.organization_id)
    if scope is None or scope.organization.pk != export.organization_id:
        raise PermissionError("the member who asked for the export is no longer in its organization")
    folder = export_folder(export)
    # A retried attempt starts again from nothing.
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    started = timezone.now()
    FhirExport.objects.filter(pk=export.pk).update(status=ExportStatus.RUNNING, transaction_time=started)
    output: list[dict[str, Any]] = []
    try:
        for done, name in enumerate(export.types):
            kind = RESOURCE_TYPES[name]
            path = folder / f"{name}.ndjson"
            count = sum(
                write_ndjson(path, export_rows(scope, part, export.since), part, export_id=export.pk, append=index > 0)
                for index, part in enumerate(kind.parts)
            )
            if count:
                output.append({"type": name, "count": count})
            else:
                path.unlink()
            progress = _("%(done)s of %(total)s resource types written") % {
                "done": done + 1,
                "total": len(export.types),
            }
            if not FhirExport.objects.filter(pk=export.pk).update(progress=progress[:200]):
                raise ExportGone
        _complete(export, output=output, transaction_time=started)
    except ExportGone:
        shutil.rmtree(folder, ignore_errors=True)
        return {"outcome": "cancelled"}
    return {"outcome": "completed", "files": len(output), "resources": sum(item["count"] for item in output)}


def _complete(export: FhirExport, *, output: list[dict[str, Any]], transaction_time: datetime) -> None:
    with transaction.atomic():
        if not FhirExport.objects.select_for_update().filter(pk=export.pk).exists():
            raise ExportGone
        FhirExport.objects.filter(pk=export.pk).update(
            status=ExportStatus.COMPLETED,
            output=output,
            finished_at=timezone.now(),
            transaction_time=transaction_time,
            progress="",
        )
        counts = ", ".join(f"{item['type']} {item['count']}" for item in output) or "nothing"
        record_event(
            actor=export.requested_by,
            action=AuditAction.EXPORT,
            organization=export.organization,
            object_type=OBJECT_TYPE,
            object_id=str(export.pk),
            reason=f"fhir $export written: {counts}"[:1000],
        )


# --- Status, files, cancel --------------------------------------------------------------------


def own_export(scope: Scope, export_id: str) -> FhirExport:
    """The member's own export; another member's or organization's is not found (404)."""
    try:
        pk = uuid.UUID(export_id)
    except ValueError as exc:
        raise Http404 from exc
    found = (
        FhirExport.objects.filter(pk=pk, organization=scope.organization, requested_by=scope.user)
        .select_related("job_run")
        .first()
    )
    if found is None:
        raise Http404
    return found


def export_failed(export: FhirExport) -> bool:
    return export.job_run is not None and export.job_run.status == JobStatus.FAILED


def manifest(export: FhirExport, *, base: str) -> dict[str, Any]:
    """The Bulk Data completion manifest."""
    assert export.transaction_time is not None
    return {
        "transactionTime": systems.instant(export.transaction_time),
        "request": export.request_url,
        "requiresAccessToken": True,
        "output": [
            {
                "type": item["type"],
                "url": f"{base}/$export-file/{export.pk}/{item['type']}.ndjson",
                "count": item["count"],
            }
            for item in export.output
        ],
        "error": [],
    }


def export_file(scope: Scope, export_id: str, type_name: str) -> Path:
    """One file of the member's completed export (404 otherwise); the download is audited."""
    export = own_export(scope, export_id)
    if export.status != ExportStatus.COMPLETED or type_name not in {item["type"] for item in export.output}:
        raise Http404
    path = export_folder(export) / f"{type_name}.ndjson"
    if not path.is_file():
        raise Http404
    with transaction.atomic():
        record_event(
            actor=scope.user,
            action=AuditAction.READ,
            organization=scope.organization,
            object_type=OBJECT_TYPE,
            object_id=str(export.pk),
            reason=f"fhir $export file downloaded: {type_name}.ndjson",
        )
    return path


def cancel_export(*, scope: Scope, export_id: str) -> None:
    """Cancel (or delete, once completed) the member's export: its row and files go; audited."""
    export = own_export(scope, export_id)
    folder = export_folder(export)
    with transaction.atomic():
        FhirExport.objects.filter(pk=export.pk).delete()
        record_event(
            actor=scope.user,
            action=AuditAction.CANCEL,
            organization=scope.organization,
            object_type=OBJECT_TYPE,
            object_id=str(export.pk),
            reason=f"fhir $export cancelled ({export.status})",
        )
        transaction.on_commit(lambda: shutil.rmtree(folder, ignore_errors=True))


def prune_exports(*, now: datetime | None = None) -> int:
    """Delete the exports finished more than FHIR_EXPORT_KEEP_HOURS ago (and those that never
    finished, after JOB_KEEP_DAYS), with their files; how many."""
    moment = now or timezone.now()
    old = FhirExport.objects.filter(
        Q(finished_at__lt=moment - timedelta(hours=settings.FHIR_EXPORT_KEEP_HOURS))
        | Q(finished_at__isnull=True, requested_at__lt=moment - timedelta(days=settings.JOB_KEEP_DAYS))
    )
    pruned = 0
    for export in old.iterator():
        with transaction.atomic():
            if FhirExport.objects.filter(pk=export.pk).delete()[0]:
                pruned += 1
        shutil.rmtree(export_folder(export), ignore_errors=True)
    return pruned
