"""Job pages: the public board (no login, rate-limited), the managers' pages, the network view."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from nyeri.facilities.access import deny
from nyeri.jobs import selectors, services
from nyeri.jobs.access import access_posting, may_read_network, require_manager
from nyeri.jobs.forms import PostingForm, RequirementForm, RequirementFormSet, add_errors, requirement_rows
from nyeri.jobs.models import EmploymentKind, PostingStatus
from nyeri.jobs.ratelimit import rate_limited
from nyeri.lib.http import request_user
from nyeri.tenancy.access import access_facility
from nyeri.tenancy.models import Facility, FacilityKind
from nyeri.tenancy.roles import CLINICAL_ROLES, Role
from nyeri.tenancy.scope import Scope, request_scope
from nyeri.tenancy.selectors import facilities_for

# --- Public -----------------------------------------------------------------------------------


@require_GET
@rate_limited
def board(request: HttpRequest) -> HttpResponse:
    filters = selectors.BoardFilters.from_query(request.GET.dict())
    page = selectors.board_page(filters, request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    options = selectors.board_options(filters)
    # Labels looked up once per page (get_FOO_display per row re-hashes the lazy choices).
    role_labels = {value: str(label) for value, label in Role.choices}
    kind_labels = {value: str(label) for value, label in EmploymentKind.choices}
    facility_labels = {value: str(label) for value, label in FacilityKind.choices}
    rows = [(p, role_labels[p.role], kind_labels[p.employment_kind], facility_labels[p.facility.kind]) for p in page]
    return render(
        request,
        "jobs/board.html",
        {
            "filters": filters,
            "page": page,
            "rows": rows,
            "province_options": _options([(p, p) for p in options.provinces], filters.province),
            "regency_options": _options([(r, r) for r in options.regencies], filters.regency),
            "role_options": _options([(r.value, r.label) for r in Role if r in CLINICAL_ROLES], filters.role),
            "kind_options": _options(FacilityKind.choices, filters.facility_kind),
            "query": query.urlencode(),
        },
    )


def _options(choices: Sequence[tuple[str, Any]], chosen: str) -> SafeString:
    """The <option> elements of a filter (built here: a template loop over 150 regencies is slow)."""
    return format_html_join(
        "",
        '<option value="{}"{}>{}</option>',
        ((value, " selected" if value == chosen else "", label) for value, label in choices),
    )


@require_GET
@rate_limited
def detail(request: HttpRequest, posting_id: int) -> HttpResponse:
    found = selectors.public_posting(posting_id)
    return render(request, "jobs/detail.html", {"posting": found.posting, "requirements": found.requirements})


# --- Managers ---------------------------------------------------------------------------------


def _facilities(scope: Scope) -> QuerySet[Facility]:
    return facilities_for(scope)


@login_required
def manage(request: HttpRequest) -> HttpResponse:
    scope = request_scope(request)
    require_manager(scope, reason="list job postings")
    status = request.GET.get("status", "")
    postings = selectors.organization_postings(scope, status=status)
    return render(
        request,
        "jobs/manage.html",
        {
            "postings": postings,
            "status": status,
            "statuses": PostingStatus.choices,
            "reads_network": may_read_network(scope),
        },
    )


@login_required
def new(request: HttpRequest) -> HttpResponse:
    scope = request_scope(request)
    require_manager(scope, reason="create job posting")
    form = PostingForm(request.POST or None, facilities=_facilities(scope))
    formset = RequirementFormSet(request.POST or None, prefix="req")
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        rows, where = requirement_rows(formset)
        try:
            posting = services.create_posting(
                scope=scope,
                acting_user=request_user(request),
                facility=form.cleaned_data["facility"],
                data=form.posting_input(),
                requirements=rows,
            )
        except ValidationError as error:
            add_errors(form, formset, where, error)
        else:
            messages.success(request, _("The posting is open and on the public job board."))
            return redirect("jobs:edit", posting.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "jobs/form.html", {"form": form, "formset": formset, "posting": None}, status=status)


@login_required
def edit(request: HttpRequest, posting_id: int) -> HttpResponse:
    scope = request_scope(request)
    posting = access_posting(scope, posting_id)
    fixed: dict[str, Any] = {"facilities": _facilities(scope), "fixed_facility": True}
    if request.method == "POST":
        form = PostingForm(request.POST, initial=PostingForm.initial_of(posting), **fixed)
        formset = RequirementFormSet(request.POST, prefix="req")
        if form.is_valid() and formset.is_valid():
            rows, where = requirement_rows(formset)
            try:
                services.update_posting(
                    scope=scope,
                    acting_user=request_user(request),
                    posting=posting,
                    data=form.posting_input(),
                    requirements=rows,
                )
            except ValidationError as error:
                add_errors(form, formset, where, error)
            else:
                messages.success(request, _("The posting is saved."))
                return redirect("jobs:edit", posting.pk)
        status = 400
    else:
        initial = PostingForm.initial_of(posting)
        # The description template, offered (never saved by itself): the person writes it.
        if request.GET.get("template") and not posting.description:
            initial["description"] = selectors.description_template(posting)
        form = PostingForm(initial=initial, **fixed)
        formset = RequirementFormSet(
            initial=[RequirementForm.initial_of(r) for r in posting.requirements.all()], prefix="req"
        )
        status = 200
    requirements = selectors.described(posting)
    return render(
        request,
        "jobs/form.html",
        {
            "form": form,
            "formset": formset,
            "posting": posting,
            "requirements": requirements,
            "is_draft": posting.status == PostingStatus.DRAFT,
            "same_role_open": selectors.open_postings_like(posting),
        },
        status=status,
    )


def _end(request: HttpRequest, posting_id: int, filled: bool) -> HttpResponse:
    scope = request_scope(request)
    posting = access_posting(scope, posting_id)
    end = services.mark_filled if filled else services.close_posting
    try:
        end(scope=scope, acting_user=request_user(request), posting=posting)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("The posting is filled.") if filled else _("The posting is closed."))
    return redirect("jobs:manage")


@login_required
@require_POST
def close(request: HttpRequest, posting_id: int) -> HttpResponse:
    return _end(request, posting_id, filled=False)


@login_required
@require_POST
def fill(request: HttpRequest, posting_id: int) -> HttpResponse:
    return _end(request, posting_id, filled=True)


@login_required
@require_POST
def from_gap(request: HttpRequest, facility_id: int) -> HttpResponse:
    """The one-click posting from a gap row of the staffing plan."""
    scope = request_scope(request)
    facility = access_facility(scope, facility_id)
    try:
        posting = services.create_posting_from_gap(
            scope=scope, acting_user=request_user(request), facility=facility, role=request.POST.get("role", "")
        )
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return redirect("staffing:plan", facility.pk)
    messages.success(
        request, _("A draft posting was made for this gap: write its description, check its requirements, publish it.")
    )
    return redirect(f"{reverse('jobs:edit', args=[posting.pk])}?template=1")


@login_required
@require_POST
def publish(request: HttpRequest, posting_id: int) -> HttpResponse:
    scope = request_scope(request)
    posting = access_posting(scope, posting_id)
    try:
        services.publish_posting(scope=scope, acting_user=request_user(request), posting=posting)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("The posting is open and on the public job board."))
    return redirect("jobs:edit", posting.pk)


@login_required
def network(request: HttpRequest) -> HttpResponse:
    scope = request_scope(request)
    if not may_read_network(scope):
        deny(scope, facility=None, object_type="network", object_id=scope.organization.pk, reason="network view")
    view = selectors.network_view(scope)
    return render(request, "jobs/network.html", {"network": view})
