"""Import pages: the upload form, the dry-run report, the confirmation and the result."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.http import require_GET, require_POST

from nyeri.imports import services
from nyeri.imports.forms import ConfirmForm, UploadForm
from nyeri.imports.reading import check_size
from nyeri.imports.template_files import template_csv, template_xlsx
from nyeri.lib.http import request_user
from nyeri.tenancy.scope import request_scope
from nyeri.tenancy.selectors import facilities_for
from nyeri.web.forms import add_service_errors

WHAT = (services.STAFF, services.PATIENTS)
RUNNERS = {services.STAFF: services.import_staff, services.PATIENTS: services.import_patients}
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _what(what: str) -> str:
    if what not in WHAT:
        raise Http404("No such import")
    return what


@login_required
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    scope = request_scope(request)
    available = [w for w in WHAT if services.may_import(scope, w)]
    if not available:
        services.ensure_may_import(scope, services.STAFF)
    return render(request, "imports/index.html", {"available": available})


@login_required
def upload(request: HttpRequest, what: str) -> HttpResponse:
    scope = request_scope(request)
    what = _what(what)
    services.ensure_may_import(scope, what)
    form = UploadForm(request.POST or None, request.FILES or None)
    report = None
    if request.method == "POST" and form.is_valid():
        upload_file = form.cleaned_data["file"]
        try:
            check_size(upload_file.size or 0)
            report = RUNNERS[what](
                scope=scope,
                acting_user=request_user(request),
                content=upload_file.read(),
                dry_run=True,
                source=upload_file.name[:200],
            )
        except ValidationError as error:
            add_service_errors(form, error)
    confirm = None
    if report is not None and report.ok:
        confirm = ConfirmForm(initial={"sha256": report.sha256, "source": form.cleaned_data["file"].name[:200]})
    return render(
        request,
        "imports/upload.html",
        {"what": what, "form": form, "report": report, "confirm": confirm},
        status=422 if report is not None and not report.ok else 200,
    )


@login_required
@require_POST
def confirm(request: HttpRequest, what: str) -> HttpResponse:
    scope = request_scope(request)
    what = _what(what)
    services.ensure_may_import(scope, what)
    form = ConfirmForm(request.POST)
    if not form.is_valid():
        raise Http404("No such upload")
    content = services.stored_upload(scope=scope, sha256=form.cleaned_data["sha256"])
    report = RUNNERS[what](
        scope=scope,
        acting_user=request_user(request),
        content=content,
        dry_run=False,
        source=form.cleaned_data["source"] or form.cleaned_data["sha256"][:12],
    )
    return render(
        request,
        "imports/result.html",
        {"what": what, "report": report},
        status=200 if report.ok else 422,
    )


@login_required
@require_GET
def template(request: HttpRequest, what: str, fmt: str) -> HttpResponse:
    scope = request_scope(request)
    what = _what(what)
    if fmt not in ("xlsx", "csv"):
        raise Http404("No such format")
    services.ensure_may_import(scope, what)
    facility = facilities_for(scope).first()
    language = translation.get_language() or "id"
    if fmt == "xlsx":
        body, content_type = template_xlsx(what, facility), XLSX_TYPE
    else:
        body, content_type = template_csv(what, facility), "text/csv; charset=utf-8"
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="nyeri-{what}-{language}.{fmt}"'
    return response
