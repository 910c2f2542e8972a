"""Who is a candidate: a confirmed, active user with a candidate profile and no membership."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from nyeri.candidates.models import CandidateProfile
from nyeri.tenancy.models import Membership


def candidate_of(user: Any) -> CandidateProfile | None:
    if not user.is_authenticated:
        return None
    profile = CandidateProfile.objects.filter(user=user, email_confirmed_at__isnull=False).first()
    if profile is None or Membership.objects.filter(user=user).exists():
        return None
    # The profile's user is the one asked for: not read again when the profile names it.
    profile.user = user
    return profile


def candidate_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """The view gets the request's own candidate profile; anyone else gets 403."""

    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        profile = candidate_of(request.user)
        if profile is None:
            raise PermissionDenied
        return view(request, profile, *args, **kwargs)

    return wrapped
