"""Read and search: scoped rows, FHIR parameters, paging, _include, one audit row each.

A search costs a fixed number of queries whatever the page size: the count, the page (with
its prefetches), the included patients, the audit row.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.resource import Resource

from nyeri.clinical.breakglass.access import require_care_access
from nyeri.clinical.selectors import limit_to_care, patients_in_care
from nyeri.interop.fhir import patient as patient_builder
from nyeri.interop.fhir.access import audit_read, audit_search
from nyeri.interop.fhir.errors import FhirError
from nyeri.interop.fhir.params import invalid, parse_count, parse_id
from nyeri.interop.fhir.resources import ResourceType, resource_type
from nyeri.tenancy.scope import Scope

DEFAULT_COUNT = 50
MAX_COUNT = 500
# Parameters of every search; "_format" is accepted (the answer is always JSON).
RESULT_PARAMS = frozenset({"_count", "_offset", "_include", "_format", "_summary", "_total"})
PATIENT_PARAMS = ("patient", "subject")


def read(scope: Scope, type_name: str, raw_id: str, *, base: str) -> Resource:
    """One resource of the organization (404 for another organization's, like a missing one); audited."""
    found = resource_type(type_name).part_for_id(raw_id)
    if found is None:
        raise Http404
    kind, pk = found
    row = kind.rows(scope).filter(pk=pk).first()
    if row is None:
        raise Http404
    object_id = kind.logical_id(row)
    patient_id: int | None = None
    reason = "fhir read"
    if kind.is_patient_data:
        patient = kind.patient_of(row)
        access = require_care_access(
            scope, patient, purpose="fhir", object_type=f"fhir.{type_name}", object_id=object_id
        )
        patient_id = patient.pk
        reason = access.audit_reason("fhir read")
    built = kind.build(row)
    audit_read(scope, resource_type=type_name, object_id=object_id, patient_id=patient_id, reason=reason)
    return built


def _single_patient(kind: ResourceType, params: list[tuple[str, list[str]]]) -> int | None:
    """The one patient a search is limited to, if it names exactly one (for the audit row)."""
    named: set[int] = set()
    for name, values in params:
        if name in PATIENT_PARAMS or (kind.name == "Patient" and name == "_id"):
            for value in values:
                for part in value.split(","):
                    named.add(parse_id(name, part, "Patient"))
    return named.pop() if len(named) == 1 else None


def _result_params(params: list[tuple[str, list[str]]], kind: ResourceType) -> tuple[int, int, bool]:
    count, offset, include_patient, summary_count = DEFAULT_COUNT, 0, False, False
    for name, values in params:
        value = values[-1]
        if name == "_count":
            count = parse_count(name, value, maximum=MAX_COUNT)
        elif name == "_offset":
            offset = parse_count(name, value, maximum=10**9)
        elif name == "_summary":
            if value != "count":
                raise invalid(name, value)
            summary_count = True
        elif name == "_total":
            # The total is always counted.
            if value not in ("none", "estimate", "accurate"):
                raise invalid(name, value)
        elif name == "_include":
            for one in values:
                if one not in (f"{kind.name}:patient", f"{kind.name}:subject") or not kind.includes_patient:
                    raise invalid(name, one)
            include_patient = True
    return (0 if summary_count else count), offset, include_patient


def _link(base: str, kind: ResourceType, params: list[tuple[str, list[str]]], *, offset: int, count: int) -> str:
    kept = [(name, value) for name, values in params if name not in ("_offset", "_count") for value in values]
    kept += [("_count", str(count))]
    if offset:
        kept.append(("_offset", str(offset)))
    return f"{base}/{kind.name}?{urlencode(kept)}"


def search(scope: Scope, type_name: str, params: list[tuple[str, list[str]]], *, base: str) -> Bundle:
    kind = resource_type(type_name)
    # One filtered query per part of the type (ServiceRequest: imaging, then procedure orders).
    parts: list[tuple[ResourceType, QuerySet[Any]]] = []
    for part in kind.parts:
        rows = part.rows(scope)
        for name, values in params:
            if name in RESULT_PARAMS:
                continue
            param = part.params.get(name)
            if param is None:
                raise FhirError(
                    400,
                    "not-supported",
                    _("The search parameter %(name)s is not supported for %(type)s.")
                    % {"name": name, "type": kind.name},
                    expression=name,
                )
            for value in values:
                rows = param.apply(rows, name, value)
        if part.patient_field is not None:
            rows = limit_to_care(scope, rows, patient_field=part.patient_field)
        parts.append((part, rows))
    count, offset, include_patient = _result_params(params, kind)
    patient_id = _single_patient(kind, params)

    totals = [rows.count() for _part, rows in parts]
    total = sum(totals)
    # The parts follow one another: the page is cut from their concatenation.
    page: list[tuple[ResourceType, Any]] = []
    skip = offset
    for (part, rows), part_total in zip(parts, totals, strict=True):
        wanted = count - len(page)
        if wanted > 0 and skip < part_total:
            page += [(part, row) for row in rows.order_by(*part.order)[skip : skip + wanted]]
        skip = max(0, skip - part_total)
    entries: list[dict[str, Any]] = [
        {
            "fullUrl": f"{base}/{kind.name}/{part.logical_id(row)}",
            "resource": part.build(row),
            "search": {"mode": "match"},
        }
        for part, row in page
    ]
    if include_patient and page and kind.is_patient_data:
        included_ids = {_patient_id(part, row) for part, row in page}
        for included in patients_in_care(scope).filter(pk__in=included_ids).order_by("pk"):
            entries.append(
                {
                    "fullUrl": f"{base}/Patient/{included.pk}",
                    "resource": patient_builder.build(included),
                    "search": {"mode": "include"},
                }
            )
    links = [{"relation": "self", "url": _link(base, kind, params, offset=offset, count=count)}]
    if offset + count < total and count:
        links.append({"relation": "next", "url": _link(base, kind, params, offset=offset + count, count=count)})
    if offset:
        links.append(
            {"relation": "previous", "url": _link(base, kind, params, offset=max(0, offset - count), count=count)}
        )
    audit_search(
        scope,
        resource_type=kind.name,
        patient_id=patient_id,
        query=urlencode([(name, value) for name, values in params for value in values]),
    )
    data: dict[str, Any] = {"resourceType": "Bundle", "type": "searchset", "total": total, "link": links}
    if entries:
        data["entry"] = entries
    return Bundle.model_validate(data)


def _patient_id(kind: ResourceType, row: Any) -> int:
    value: Any = row
    for part in (kind.patient_field or "pk").split("__"):
        value = getattr(value, part)
    return int(value)
