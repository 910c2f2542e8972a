"""The administrators' background-jobs page: recent runs, and retrying a failed one by hand."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from nyeri.accounts.models import User
from nyeri.background import selectors, services
from nyeri.background.models import JobStatus
from nyeri.tenancy.scope import request_scope


@login_required
def job_list(request: HttpRequest) -> HttpResponse:
    scope = request_scope(request)
    status = request.GET.get("status", "")
    rows = selectors.recent_job_runs(scope, status=status)
    return render(
        request,
        "background/jobs.html",
        {
            "rows": rows,
            "schedule": selectors.schedule_overview(scope),
            "statuses": JobStatus.choices,
            "status": status if status in JobStatus.values else "",
            "failed": JobStatus.FAILED.value,
        },
    )


@login_required
@require_POST
def job_retry(request: HttpRequest, job_run_id: int) -> HttpResponse:
    scope = request_scope(request)
    user = request.user
    assert isinstance(user, User)
    try:
        run = services.retry_by_hand(scope=scope, acting_user=user, job_run_id=job_run_id)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message, fail_silently=True)
    else:
        messages.success(request, _("The job was queued again as run %(run)s.") % {"run": run.pk}, fail_silently=True)
    return redirect("background:jobs")
