"""The expiring-credentials dashboard, for credentialing officers and administrators."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from nyeri.tenancy.clock import local_date
from nyeri.tenancy.scope import request_scope
from nyeri.workforce.expiry.selectors import AHEAD_DAYS, RECENTLY_EXPIRED_DAYS, expiring_credentials


@login_required
def expiring(request: HttpRequest) -> HttpResponse:
    scope = request_scope(request)
    # Each facility's rows count from its own day; the page's date is the installation's.
    today = local_date(None)
    groups = expiring_credentials(scope)
    return render(
        request,
        "workforce/hours/expiring.html",
        {"groups": groups, "today": today, "ahead_days": AHEAD_DAYS, "behind_days": RECENTLY_EXPIRED_DAYS},
    )
