"""The audit report (/audit/) and its CSV export: for compliance officers only."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from nyeri.audit.forms import AuditReportForm, SecurityReportForm
from nyeri.audit.labels import object_type_label, reason_label
from nyeri.audit.models import AuditAction, AuditEvent, AuditOutcome
from nyeri.audit.selectors import (
    EXPORT_FIELDS,
    PAGE_SIZE,
    AuditFilters,
    audit_events_for,
    audit_export_rows,
    installation_security_events,
    parse_sort,
)
from nyeri.audit.services import (
    record_access_denied,
    record_report_export,
    record_report_read,
    record_security_report_read,
)
from nyeri.tenancy.roles import Role
from nyeri.tenancy.scope import Scope, request_scope

# The report's columns: (sort key, heading). Every column sorts.
COLUMNS = (
    ("seq", gettext_lazy("No.")),
    ("occurred_at", gettext_lazy("Time")),
    ("actor", gettext_lazy("User")),
    ("action", gettext_lazy("Action")),
    ("outcome", gettext_lazy("Outcome")),
    ("facility", gettext_lazy("Facility")),
    ("patient", gettext_lazy("Patient")),
    ("object", gettext_lazy("Object")),
    ("reason", gettext_lazy("Reason")),
    ("client_address", gettext_lazy("Address")),
)


def _compliance_scope(request: HttpRequest, *, object_type: str) -> Scope:
    """The officer's scope; anyone else gets 403, and the refusal is audited."""
    try:
        scope = request_scope(request)
    except PermissionDenied:
        record_access_denied(actor=request.user, organization=None, object_type=object_type, reason="no membership")
        raise
    if not scope.has_role(Role.COMPLIANCE_OFFICER):
        record_access_denied(
            actor=scope.user,
            organization=scope.organization,
            object_type=object_type,
            reason="not a compliance officer",
        )
        raise PermissionDenied
    return scope


def _positive_int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() and int(value) > 0 else None


@login_required
@require_GET
@never_cache
def report(request: HttpRequest) -> HttpResponse:
    scope = _compliance_scope(request, object_type="audit_report")
    return _report_page(
        request,
        AuditReportForm(request.GET, organization=scope.organization),
        "audit/report.html",
        read=lambda filters, sort, page: record_report_read(scope=scope, filters=filters, sort=sort, page=page),
        events=lambda filters, sort, upto: audit_events_for(scope, filters, sort=sort, upto_id=upto),
    )


def _report_page(
    request: HttpRequest,
    form: AuditReportForm | SecurityReportForm,
    template: str,
    *,
    read: Callable[[AuditFilters, str, int], AuditEvent],
    events: Callable[[AuditFilters, str, int], QuerySet[AuditEvent]],
) -> HttpResponse:
    """A page of a report: its READ row first (it pins the page's ``upto``), then the events."""
    sort = parse_sort(request.GET.get("sort"))
    context: dict[str, Any] = {"form": form, "sort": sort, "columns": _columns(sort), "page": None}
    if form.is_valid():
        filters = form.filters()
        page_number = _positive_int(request.GET.get("page")) or 1
        row = read(filters, sort, page_number)
        upto = _positive_int(request.GET.get("upto")) or row.pk
        context.update(page=Paginator(events(filters, sort, upto), PAGE_SIZE).get_page(page_number), upto=upto)
    return render(request, template, context)


@login_required
@require_GET
@never_cache
def export_csv(request: HttpRequest) -> HttpResponseBase:
    scope = _compliance_scope(request, object_type="audit_report")
    form = AuditReportForm(request.GET, organization=scope.organization)
    if not form.is_valid():
        # The report page shows what is wrong with the filters.
        return redirect(f"{reverse('audit:report')}?{request.GET.urlencode()}")
    filters = form.filters()
    sort = parse_sort(request.GET.get("sort"))
    export = record_report_export(scope=scope, filters=filters, sort=sort)
    upto = _positive_int(request.GET.get("upto")) or export.pk
    rows = audit_export_rows(scope, filters, sort=sort, upto_id=upto)
    # The header is translated now: the body is generated after this view has returned, so
    # the labels of its codes are made in the language captured here.
    labelled = _with_labels(rows, translation.get_language())
    response = StreamingHttpResponse(_csv_lines(_csv_header(), labelled), content_type="text/csv; charset=utf-8")
    # The file name of an organization-wide export: the installation's clock (no facility).
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="audit-{scope.organization.slug}-{stamp}.csv"'
    return response


@login_required
@require_GET
@never_cache
def security_report(request: HttpRequest) -> HttpResponse:
    """The installation's own trail (no organization's): for superusers, the platform's operators."""
    user = request.user
    if not user.is_superuser:
        record_access_denied(actor=user, organization=None, object_type="security_report", reason="not a superuser")
        raise PermissionDenied
    return _report_page(
        request,
        SecurityReportForm(request.GET),
        "audit/security_report.html",
        read=lambda filters, sort, page: record_security_report_read(actor=user, filters=filters, sort=sort, page=page),
        events=lambda filters, sort, upto: installation_security_events(filters, sort=sort, upto_id=upto),
    )


def _columns(sort: str) -> list[dict[str, Any]]:
    """Each heading with the sort its link asks for and its current state (aria-sort)."""
    columns = []
    for key, heading in COLUMNS:
        state = "ascending" if sort == key else "descending" if sort == f"-{key}" else ""
        columns.append({"heading": heading, "next_sort": f"-{key}" if state == "ascending" else key, "state": state})
    return columns


class _Echo:
    """A file-like object that hands back what is written (csv.writer into a generator)."""

    def write(self, value: str) -> str:
        return value


def _csv_header() -> list[str]:
    return [
        _("No."),
        _("Time"),
        _("User"),
        _("User id"),
        _("Facility"),
        _("Patient"),
        _("Action"),
        _("Outcome"),
        _("Object type"),
        _("Object id"),
        _("Reason"),
        _("Request id"),
        _("Address"),
        _("Hash"),
        # After the codes, for a person reading the file: the same in words.
        _("Action (in words)"),
        _("Outcome (in words)"),
        _("Object type (in words)"),
        _("Reason (in words)"),
    ]


# Where the codes are in a row of ``EXPORT_FIELDS``.
_ACTION, _OUTCOME, _OBJECT_TYPE, _REASON = (
    EXPORT_FIELDS.index("action"),
    EXPORT_FIELDS.index("outcome"),
    EXPORT_FIELDS.index("object_type"),
    EXPORT_FIELDS.index("reason"),
)


def _with_labels(rows: Iterable[tuple[Any, ...]], language: str | None) -> Iterator[tuple[Any, ...]]:
    """Each row with its action, outcome, object type and reason in words, in ``language``."""
    actions, outcomes = dict(AuditAction.choices), dict(AuditOutcome.choices)
    with translation.override(language):
        for row in rows:
            yield (
                *row,
                str(actions.get(row[_ACTION], row[_ACTION])),
                str(outcomes.get(row[_OUTCOME], row[_OUTCOME])),
                object_type_label(row[_OBJECT_TYPE]) if row[_OBJECT_TYPE] else "",
                reason_label(row[_REASON]) if row[_REASON] else "",
            )


def _csv_lines(header: list[str], rows: Iterable[tuple[Any, ...]]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow(header)
    for row in rows:
        yield writer.writerow([_csv_cell(value) for value in row])


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if hasattr(value, "tzinfo"):
        # With its offset (+07:00): an exact moment whichever facility's row it is.
        return timezone.localtime(value).isoformat()
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        # A spreadsheet would run it as a formula; typed user names (failed logins) and
        # reasons are not trusted text.
        return "'" + value
    return value
