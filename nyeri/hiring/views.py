"""Hiring pages: a candidate's eligibility and application; a facility's pipeline."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.forms import Form
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from nyeri.candidates.access import candidate_required
from nyeri.hiring import selectors, services
from nyeri.hiring.access import access_application, access_own_application, audit_listing, audit_read
from nyeri.hiring.eligibility import posting_eligibility
from nyeri.hiring.forms import AdvanceForm, ApplyForm, HireForm, RejectForm, WithdrawForm
from nyeri.hiring.models import NEXT_STAGE, Application, Stage
from nyeri.jobs.access import require_manager
from nyeri.jobs.models import PostingStatus
from nyeri.jobs.selectors import described, posting_for_candidates
from nyeri.lib.http import request_user
from nyeri.tenancy.scope import request_scope
from nyeri.web.forms import add_service_errors
from nyeri.workforce.credentials.evidence import download_name

if TYPE_CHECKING:
    from nyeri.candidates.models import CandidateProfile

# --- The candidate ------------------------------------------------------------------------------


@candidate_required
def apply(request: HttpRequest, profile: CandidateProfile, posting_id: int) -> HttpResponse:
    """The candidate's eligibility for a posting, every unmet requirement, and the application form."""
    # A posting that was never public (or whose facility closed) is not found; a closed one says so.
    posting = posting_for_candidates(posting_id)
    form = ApplyForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.apply_to_posting(
                    acting_user=request_user(request),
                    profile=profile,
                    posting_id=posting.pk,
                    note=form.cleaned_data["note"],
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(
                    request, _("Your application was sent to %(facility)s.") % {"facility": posting.facility.name}
                )
                return redirect("hiring:mine")
        status = 400
    context = {
        "posting": posting,
        "requirements": described(posting),
        "eligibility": posting_eligibility(profile.pk, posting),
        "application": selectors.application_of(profile, posting.pk),
        "is_open": posting.status == PostingStatus.OPEN,
        "form": form,
    }
    return render(request, "hiring/apply.html", context, status=status)


@candidate_required
def mine(request: HttpRequest, profile: CandidateProfile) -> HttpResponse:
    return render(
        request,
        "hiring/mine.html",
        {"applications": selectors.candidate_applications(profile), "blank_form": WithdrawForm()},
    )


@require_POST
@candidate_required
def withdraw(request: HttpRequest, profile: CandidateProfile, application_id: int) -> HttpResponse:
    application = access_own_application(profile, application_id)
    form = WithdrawForm(request.POST)
    if form.is_valid():
        try:
            services.withdraw_application(
                acting_user=request_user(request),
                profile=profile,
                application=application,
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Your application was withdrawn."))
            return redirect("hiring:mine")
    context = {
        "applications": selectors.candidate_applications(profile),
        "withdraw_form": form,
        "blank_form": WithdrawForm(),
        "failed": application.pk,
    }
    return render(request, "hiring/mine.html", context, status=400)


# --- The facility -------------------------------------------------------------------------------


@login_required
def index(request: HttpRequest) -> HttpResponse:
    scope = request_scope(request)
    require_manager(scope, reason="list job applications")
    return render(request, "hiring/index.html", {"summaries": selectors.postings_with_applications(scope)})


@login_required
def posting(request: HttpRequest, posting_id: int) -> HttpResponse:
    scope = request_scope(request)
    require_manager(scope, object_id=posting_id, reason="list job applications")
    found = selectors.scoped_posting(scope, posting_id)
    if found is None:
        raise Http404("No such posting")
    stage = request.GET.get("stage", "")
    ranked = selectors.ranked_applications(found, stage=stage)
    audit_listing(scope, found, [r.application.pk for r in ranked])
    return render(
        request,
        "hiring/posting.html",
        {"posting": found, "ranked": ranked, "stage": stage, "stages": Stage.choices},
    )


def _detail_context(application: Application, **forms: Form) -> dict[str, object]:
    context: dict[str, object] = {
        "detail": selectors.application_detail(application),
        "next_stage": NEXT_STAGE.get(application.stage, ""),
        "next_stage_label": Stage(NEXT_STAGE[application.stage]).label if application.stage in NEXT_STAGE else "",
        "advance_form": AdvanceForm(),
        "reject_form": RejectForm(),
        "hire_form": HireForm(),
        "Stage": Stage,
    }
    context.update(forms)
    return context


@login_required
def application(request: HttpRequest, application_id: int) -> HttpResponse:
    scope = request_scope(request)
    found = access_application(scope, application_id)
    audit_read(scope, found)
    return render(request, "hiring/application.html", _detail_context(found))


def _act(request: HttpRequest, application_id: int, form_class: type[Form], name: str) -> HttpResponse:
    scope = request_scope(request)
    found = access_application(scope, application_id)
    form = form_class(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            if name == "advance_form":
                services.advance_application(
                    scope=scope, acting_user=request_user(request), application=found, note=data["note"]
                )
                messages.success(request, _("The application moved on."))
            elif name == "reject_form":
                services.reject_application(
                    scope=scope, acting_user=request_user(request), application=found, reason=data["reason"]
                )
                messages.success(request, _("The application was rejected."))
            else:
                handed = services.hire(
                    scope=scope,
                    acting_user=request_user(request),
                    application=found,
                    citizenship=data["citizenship"],
                    reason=data["reason"],
                    fill_posting=data["fill_posting"],
                )
                messages.success(
                    request,
                    _(
                        "Hired. %(submitted)d credential(s) are waiting in the credentialing queue; "
                        "%(problems)d could not be handed over (see below)."
                    )
                    % {"submitted": len(handed.submitted), "problems": len(handed.problems)},
                )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            return redirect("hiring:application", found.pk)
    found.refresh_from_db()
    return render(request, "hiring/application.html", _detail_context(found, **{name: form}), status=400)


@login_required
def evidence(request: HttpRequest, application_id: int, evidence_id: int) -> FileResponse:
    """A file the candidate attached to a declaration, for the facility they applied to (audited)."""
    scope = request_scope(request)
    found = access_application(scope, application_id)
    row, handle = selectors.applicant_evidence(scope, found, evidence_id)
    response = FileResponse(handle, as_attachment=True, filename=download_name(row), content_type=row.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@require_POST
@login_required
def advance(request: HttpRequest, application_id: int) -> HttpResponse:
    return _act(request, application_id, AdvanceForm, "advance_form")


@require_POST
@login_required
def reject(request: HttpRequest, application_id: int) -> HttpResponse:
    return _act(request, application_id, RejectForm, "reject_form")


@require_POST
@login_required
def hire(request: HttpRequest, application_id: int) -> HttpResponse:
    return _act(request, application_id, HireForm, "hire_form")
