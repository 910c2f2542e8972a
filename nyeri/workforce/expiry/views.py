"""The expiring-credentials dashboard, for credentialing officers and administrators."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from nyeri.tenancy.clock import local_date
from nyeri.tenancy.scope import request_scope
from nyeri.workforce.expiry.selectors import (
    AHEAD_DAYS,
    RECENTLY_EXPIRED_DAYS,
    expiring_credentials,
    reverification_due,
    skp_for_expiring_permits,
)


@login_required
def expiring(request: HttpRequest) -> HttpResponse:
    scope = request_scope(request)
    # Each facility's rows count from its own day; the page's date is the installation's.
    today = local_date(None)
    groups = expiring_credentials(scope)
    skp = skp_for_expiring_permits(scope, groups)
    # Each row with the SKP progress of its practice permit (None for other credentials).
    listed = [(group, [(row, skp.get(row.credential.pk)) for row in group.rows]) for group in groups]
    return render(
        request,
        "workforce/hours/expiring.html",
        {
            "groups": listed,
            "today": today,
            "ahead_days": AHEAD_DAYS,
            "behind_days": RECENTLY_EXPIRED_DAYS,
            "reverify": reverification_due(scope),
        },
    )
