"""Break-glass pages: the refusal that offers it, breaking the glass, and the compliance review."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from nyeri.accounts.services import rotate_session_key
from nyeri.clinical.breakglass import selectors, services
from nyeri.clinical.breakglass.access import CareAccessRefused, care_access
from nyeri.clinical.breakglass.forms import BreakGlassForm, ReviewForm
from nyeri.clinical.breakglass.models import BreakGlassGrant
from nyeri.clinical.models import Patient
from nyeri.lib.http import request_user
from nyeri.tenancy.scope import request_scope
from nyeri.web.forms import add_service_errors


def _chart(patient: Patient) -> str:
    return reverse("clinical:patient_detail", kwargs={"patient_id": patient.pk})


def _safe_next(request: HttpRequest, target: str) -> str:
    """``target`` if it is a path of this site, else empty (no open redirect)."""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=False):
        return target
    return ""


def _local(moment: object) -> str:
    # A grant opens a patient's whole record, not a facility's: the installation's clock, as
    # the review's days (breakglass/selectors.py).
    return formats.date_format(timezone.localtime(moment), "DATETIME_FORMAT")  # type: ignore[arg-type]


def refused(request: HttpRequest, exception: CareAccessRefused) -> HttpResponse:
    """The 403 page of any patient page opened without care access: it offers break-glass.

    Shows the patient's record number and name only (the refusal itself is audited by
    ``require_care_access``).
    """
    patient = exception.patient
    # Back to the page asked for; a refused form post comes back to the chart.
    back = request.get_full_path() if request.method == "GET" else _chart(patient)
    form = BreakGlassForm(initial={"next": back})
    context = {"patient": patient, "form": form, "refused": True, "minutes": _minutes()}
    return render(request, "breakglass/break_glass.html", context, status=403)


def _minutes() -> int:
    return int(services.grant_duration().total_seconds() // 60)


@login_required
def break_glass(request: HttpRequest, patient_id: int) -> HttpResponse:
    scope = request_scope(request)
    patient = selectors.patient_to_break_glass(scope, patient_id, audit=request.method != "POST")
    form = BreakGlassForm(request.POST or None, initial={"next": request.GET.get("next", "")})
    if request.method == "POST" and form.is_valid():
        try:
            grant = services.break_glass(
                scope=scope, acting_user=request_user(request), patient=patient, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            # Emergency access widens what this session may read: a new key for it.
            rotate_session_key(request)
            messages.warning(
                request,
                _(
                    "Emergency access to %(name)s (%(record)s) until %(time)s. The compliance officers are "
                    "notified and will review it."
                )
                % {"name": patient.full_name, "record": patient.mrn, "time": _local(grant.ends_at)},
            )
            return redirect(_safe_next(request, form.cleaned_data.get("next") or "") or _chart(patient))
    context = {
        "patient": patient,
        "form": form,
        "refused": False,
        "access": care_access(scope, patient),
        "minutes": _minutes(),
    }
    return render(request, "breakglass/break_glass.html", context)


@login_required
def review_list(request: HttpRequest) -> HttpResponse:
    scope = request_scope(request)
    status = selectors.parse_status(request.GET.get("status"))
    page = selectors.review_queue(scope, status=status, page=request.GET.get("page") or 1)
    statuses = [
        (selectors.ReviewStatus.UNREVIEWED, _("Marked for review")),
        (selectors.ReviewStatus.REVIEWED, _("Reviewed")),
        (selectors.ReviewStatus.ALL, _("All")),
    ]
    rows = [(g, selectors.audit_report_url(g)) for g in page.object_list]
    return render(
        request,
        "breakglass/review_list.html",
        {"page": page, "rows": rows, "status": str(status), "statuses": statuses},
    )


def _detail(request: HttpRequest, grant_id: int, form: ReviewForm | None = None) -> HttpResponse:
    review = selectors.grant_review(request_scope(request), grant_id)
    grant: BreakGlassGrant = review.grant
    if form is None and not grant.is_reviewed:
        form = ReviewForm()
    return render(
        request,
        "breakglass/review_detail.html",
        {"review": review, "grant": grant, "form": form, "active": grant.ends_at > timezone.now()},
    )


@login_required
def review_detail(request: HttpRequest, grant_id: int) -> HttpResponse:
    if request.method != "POST":
        return _detail(request, grant_id)
    scope = request_scope(request)
    grant = selectors.access_grant(scope, grant_id)
    form = ReviewForm(request.POST)
    if form.is_valid():
        try:
            services.review_grant(
                scope=scope,
                acting_user=request_user(request),
                grant=grant,
                outcome=form.cleaned_data.get("outcome") or "",
                note=form.cleaned_data.get("note") or "",
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("The review is recorded."))
            return redirect("breakglass:review_detail", grant_id=grant.pk)
    return _detail(request, grant_id, form)
